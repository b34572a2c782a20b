"""Logging a session: cases discussed by case code of the supervisee's own patients only,
attendance, actions, once only, and refused input saving nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from supervision.models import (
    CaseDiscussed,
    SessionAttendance,
    SessionKind,
    SessionLog,
    SessionPurpose,
    SessionStatus,
    SupervisionAction,
)
from supervision.permissions.sessions import SessionActionRefused, SessionInvalid
from supervision.services.logs import (
    ALREADY_DONE,
    ALREADY_LOGGED,
    CASES_REFUSED,
    NO_CASES_IN_MEETINGS,
    TOO_EARLY,
    ActionInput,
    LogInput,
    supervision_action_complete,
    supervision_session_log,
)
from tests.conftest import CANARY_MARKER, canary
from tests.patients.factories import MembershipFactory, PatientFactory
from tests.patients.factories import clinician as make_clinician
from tests.supervision.factories import (
    ActionFactory,
    AgreementFactory,
    GroupFactory,
    GroupMemberFactory,
    SessionFactory,
    WorkProfileFactory,
)

pytestmark = pytest.mark.django_db


def _past_session(**kwargs):
    return SessionFactory(starts_at=timezone.now() - dt.timedelta(hours=2), **kwargs)


@pytest.fixture
def setting(supervisor, clinician, other_clinician):
    AgreementFactory(supervisor=supervisor, supervisee=clinician)
    own = MembershipFactory(clinician=clinician).patient
    others = MembershipFactory(clinician=other_clinician).patient
    ended = MembershipFactory(clinician=clinician, end_date=timezone.localdate()).patient
    return {
        "session": _past_session(host=supervisor, supervisee=clinician),
        "own": own,
        "others": others,
        "ended": ended,
    }


def _post(client, session, cases="", **extra):
    data = {
        "status": "held",
        "attended": [str(session.supervisee_id)],
        "topics": canary("topics"),
        "notes": canary("notes"),
        "cases": cases,
        "actions-TOTAL_FORMS": "4",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "4",
    }
    data.update(extra)
    return client.post(reverse("supervision:session_log", kwargs={"uuid": session.uuid}), data)


def _assert_nothing_saved(session) -> None:
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
    assert not SessionLog.objects.exists()
    assert not CaseDiscussed.objects.exists()
    assert not SessionAttendance.objects.exists()
    assert not SupervisionAction.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.SESSION_LOGGED).exists()


def test_own_active_patient_is_accepted_and_the_log_written(setting, supervisor, sign_in, client):
    session, own = setting["session"], setting["own"]
    sign_in(supervisor)
    due = timezone.localdate() + dt.timedelta(days=7)

    response = _post(
        client,
        session,
        cases=own.case_code.lower().replace("-", ""),
        **{
            "actions-0-description": canary("action"),
            "actions-0-owner": str(session.supervisee_id),
            "actions-0-due_on": due.isoformat(),
        },
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.HELD
    log = session.log
    assert (log.notes, log.topics, log.logged_by) == (canary("notes"), canary("topics"), supervisor)
    case = CaseDiscussed.objects.get()
    assert (case.patient, case.presented_by_id) == (own, session.supervisee_id)
    attendance = SessionAttendance.objects.get()
    assert (attendance.person_id, attendance.attended) == (session.supervisee_id, True)
    action = SupervisionAction.objects.get()
    assert (action.owner_id, action.due_on, action.description) == (
        session.supervisee_id,
        due,
        canary("action"),
    )
    event = AuditEvent.objects.get(event_type=EventType.SESSION_LOGGED)
    assert event.details == {
        "session_id": session.pk,
        "purpose": "clinical",
        "status": "held",
        "invited": 1,
        "attended": 1,
        "cases": 1,
        "actions": 1,
    }
    assert CANARY_MARKER not in json.dumps(event.details)
    assert own.case_code not in json.dumps(event.details)


@pytest.mark.parametrize("which", ["others", "ended", "unknown", "malformed"])
def test_any_other_code_is_refused_with_one_message_and_nothing_saved(
    which, setting, supervisor, sign_in, client
):
    session = setting["session"]
    codes = {
        "others": setting["others"].case_code,
        "ended": setting["ended"].case_code,
        "unknown": PatientFactory.build().case_code,  # well formed, never saved
        "malformed": "NOT-A-CODE",
    }
    sign_in(supervisor)

    # The supervisee's own code alongside: one bad code refuses the whole log.
    response = _post(client, session, cases=f"{setting['own'].case_code}, {codes[which]}")

    assert response.status_code == 200
    assert str(CASES_REFUSED) in response.content.decode()
    _assert_nothing_saved(session)


def test_the_refusal_is_the_same_for_unknown_and_someone_elses_code(setting, supervisor):
    session = setting["session"]
    messages = []
    for code in (setting["others"].case_code, PatientFactory.build().case_code, "ZZZ"):
        with pytest.raises(SessionInvalid) as raised:
            supervision_session_log(
                actor=supervisor,
                session=session,
                entry=LogInput(status="held", case_codes_text=code),
            )
        messages.append((type(raised.value), str(raised.value)))

    assert len(set(messages)) == 1
    assert messages[0][1] == str(CASES_REFUSED)
    _assert_nothing_saved(session)


def test_management_meeting_has_no_cases_field_and_the_service_refuses_cases(
    supervisor, clinician, sign_in, client
):
    WorkProfileFactory(person=clinician, line_manager=supervisor)
    own = MembershipFactory(clinician=clinician).patient
    meeting = _past_session(
        purpose=SessionPurpose.MANAGEMENT, host=supervisor, supervisee=clinician
    )
    sign_in(supervisor)

    page = client.get(reverse("supervision:meeting_log", kwargs={"uuid": meeting.uuid}))

    assert page.status_code == 200
    assert 'name="cases"' not in page.content.decode()
    with pytest.raises(SessionInvalid) as raised:
        supervision_session_log(
            actor=supervisor,
            session=meeting,
            entry=LogInput(status="held", case_codes_text=own.case_code),
        )
    assert str(raised.value) == str(NO_CASES_IN_MEETINGS)
    _assert_nothing_saved(meeting)


def test_a_log_is_written_once_then_read_only(setting, supervisor, sign_in, client):
    session = setting["session"]
    sign_in(supervisor)
    assert _post(client, session).status_code == 302

    again = client.get(reverse("supervision:session_log", kwargs={"uuid": session.uuid}))

    assert str(ALREADY_LOGGED) in again.content.decode()
    session.refresh_from_db()
    with pytest.raises(SessionInvalid) as raised:
        supervision_session_log(actor=supervisor, session=session, entry=LogInput(status="held"))
    assert str(raised.value) == str(ALREADY_LOGGED)
    assert SessionLog.objects.count() == 1
    assert AuditEvent.objects.filter(event_type=EventType.SESSION_LOGGED).count() == 1


def test_a_session_cannot_be_logged_before_it_starts(supervisor, clinician):
    AgreementFactory(supervisor=supervisor, supervisee=clinician)
    session = SessionFactory(host=supervisor, supervisee=clinician)

    with pytest.raises(SessionInvalid) as raised:
        supervision_session_log(actor=supervisor, session=session, entry=LogInput(status="held"))

    assert str(raised.value) == str(TOO_EARLY)
    _assert_nothing_saved(session)


def test_missed_session_records_nobody_attending(setting, supervisor):
    session = setting["session"]

    supervision_session_log(
        actor=supervisor,
        session=session,
        entry=LogInput(status="missed", attended_ids=frozenset({session.supervisee_id})),
    )

    session.refresh_from_db()
    assert session.status == SessionStatus.MISSED
    assert list(SessionAttendance.objects.values_list("attended", flat=True)) == [False]


def test_only_the_host_logs(setting, clinician):
    session = setting["session"]

    with pytest.raises(SessionActionRefused):
        supervision_session_log(actor=clinician, session=session, entry=LogInput(status="held"))

    _assert_nothing_saved(session)
    denial = AuditEvent.objects.get(event_type=EventType.ACCESS_DENIED)
    assert denial.details == {"action": "log", "reason": "policy"}


def test_action_owner_must_be_a_party(setting, supervisor, other_clinician):
    session = setting["session"]
    entry = LogInput(
        status="held",
        actions=(ActionInput("x", other_clinician.pk, timezone.localdate()),),
    )

    with pytest.raises(SessionInvalid):
        supervision_session_log(actor=supervisor, session=session, entry=entry)

    _assert_nothing_saved(session)


# --- groups ---------------------------------------------------------------------------------


@pytest.fixture
def group_setting(supervisor):
    group = GroupFactory(facilitator=supervisor)
    present, absent = make_clinician(), make_clinician()
    for member in (present, absent):
        GroupMemberFactory(group=group, member=member)
    session = _past_session(kind=SessionKind.GROUP, host=supervisor, supervisee=None, group=group)
    return {
        "session": session,
        "present": present,
        "absent": absent,
        "present_patient": MembershipFactory(clinician=present).patient,
        "absent_patient": MembershipFactory(clinician=absent).patient,
    }


def test_group_case_is_presented_by_an_attendee_who_attended(group_setting, supervisor):
    session, present = group_setting["session"], group_setting["present"]

    supervision_session_log(
        actor=supervisor,
        session=session,
        entry=LogInput(
            status="held",
            attended_ids=frozenset({present.pk}),
            summary=canary("summary"),
            case_codes_text=group_setting["present_patient"].case_code,
        ),
    )

    case = CaseDiscussed.objects.get()
    assert (case.patient, case.presented_by) == (group_setting["present_patient"], present)
    assert dict(SessionAttendance.objects.values_list("person_id", "attended")) == {
        present.pk: True,
        group_setting["absent"].pk: False,
    }
    assert session.log.summary == canary("summary")


def test_group_case_of_a_member_who_did_not_attend_is_refused(group_setting, supervisor):
    session = group_setting["session"]

    with pytest.raises(SessionInvalid) as raised:
        supervision_session_log(
            actor=supervisor,
            session=session,
            entry=LogInput(
                status="held",
                attended_ids=frozenset({group_setting["present"].pk}),
                case_codes_text=group_setting["absent_patient"].case_code,
            ),
        )

    assert str(raised.value) == str(CASES_REFUSED)
    _assert_nothing_saved(session)


def test_group_log_form_lists_each_member_with_a_checkbox(
    group_setting, supervisor, sign_in, client
):
    session = group_setting["session"]
    sign_in(supervisor)

    page = client.get(
        reverse("supervision:session_log", kwargs={"uuid": session.uuid})
    ).content.decode()

    for member in (group_setting["present"], group_setting["absent"]):
        assert f'value="{member.pk}"' in page
    assert 'name="summary"' in page


class _Stale:
    """A queryset stand-in that returns the action as another request saw it a moment ago."""

    def __init__(self, action):
        self.action = action

    def select_related(self, *_fields):
        return self

    def filter(self, **_lookups):
        return self

    def first(self):
        return self.action


def test_an_action_completed_meanwhile_is_not_completed_or_audited_twice(monkeypatch):
    action = ActionFactory()
    stale = SupervisionAction.objects.get(pk=action.pk)
    SupervisionAction.objects.filter(pk=action.pk).update(completed_at=timezone.now())
    monkeypatch.setattr(
        "supervision.services.logs.actions_for", lambda _user, _purpose: _Stale(stale)
    )

    with pytest.raises(SessionInvalid) as refused:
        supervision_action_complete(
            actor=action.owner, action_id=action.pk, purpose=SessionPurpose.CLINICAL
        )

    assert str(refused.value) == str(ALREADY_DONE)
    assert not AuditEvent.objects.filter(event_type=EventType.SUPERVISION_ACTION_COMPLETED).exists()
