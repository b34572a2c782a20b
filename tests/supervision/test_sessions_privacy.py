"""Clinical supervision and management notes never cross, and only the parties read them.

Two pairs of sessions about one supervisee each: a clinical session and a management meeting,
once with a supervisor who is not the line manager, once with one person in both roles.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from supervision.models import SessionKind, SessionPurpose, SessionStatus
from supervision.selectors.sessions import actions_open_for, sessions_upcoming_for
from tests.conftest import canary
from tests.factories import UserFactory
from tests.patients.factories import clinician as make_clinician
from tests.supervision.factories import (
    ActionFactory,
    AgreementFactory,
    GroupFactory,
    GroupMemberFactory,
    SessionFactory,
    SessionLogFactory,
    WorkProfileFactory,
)

pytestmark = pytest.mark.django_db

DETAIL = {
    SessionPurpose.CLINICAL: "supervision:session_detail",
    SessionPurpose.MANAGEMENT: "supervision:meeting_detail",
}
OTHER_DETAIL = {
    SessionPurpose.CLINICAL: "supervision:meeting_detail",
    SessionPurpose.MANAGEMENT: "supervision:session_detail",
}


def _logged(purpose, host, supervisee, label):
    session = SessionFactory(
        purpose=purpose,
        host=host,
        supervisee=supervisee,
        starts_at=timezone.now() - dt.timedelta(days=2),
        status=SessionStatus.HELD,
    )
    SessionLogFactory(
        session=session,
        notes=canary(f"{label}-notes"),
        topics=canary(f"{label}-topics"),
    )
    ActionFactory(session=session, owner=supervisee, description=canary(f"{label}-action"))
    return session


@pytest.fixture
def world(clinician, supervisor, manager, admin_user, other_clinician):
    """Pair A: supervisor != line manager. Pair B: one person supervises and line-manages."""
    line_manager = UserFactory(username="line_mgr", roles=[Role.CLINICIAN, Role.SUPERVISOR])
    AgreementFactory(supervisor=supervisor, supervisee=clinician)
    WorkProfileFactory(person=clinician, line_manager=line_manager)
    both = UserFactory(username="both_roles", roles=[Role.SUPERVISOR, Role.CLINICIAN])
    supervisee_b = make_clinician(username="supervisee_b")
    AgreementFactory(supervisor=both, supervisee=supervisee_b)
    WorkProfileFactory(person=supervisee_b, line_manager=both)
    return {
        "people": {
            "supervisor": supervisor,
            "supervisee": clinician,
            "line_manager": line_manager,
            "other_clinician": other_clinician,
            "manager": manager,
            "admin": admin_user,
            "both": both,
            "supervisee_b": supervisee_b,
        },
        "A": {
            SessionPurpose.CLINICAL: _logged(
                SessionPurpose.CLINICAL, supervisor, clinician, "A-clin"
            ),
            SessionPurpose.MANAGEMENT: _logged(
                SessionPurpose.MANAGEMENT, line_manager, clinician, "A-mgmt"
            ),
        },
        "B": {
            SessionPurpose.CLINICAL: _logged(SessionPurpose.CLINICAL, both, supervisee_b, "B-clin"),
            SessionPurpose.MANAGEMENT: _logged(
                SessionPurpose.MANAGEMENT, both, supervisee_b, "B-mgmt"
            ),
        },
    }


def _label(pair: str, purpose: str) -> str:
    return f"{pair}-{'clin' if purpose == SessionPurpose.CLINICAL else 'mgmt'}"


C, M = SessionPurpose.CLINICAL, SessionPurpose.MANAGEMENT
# (actor, pair, purpose) -> may read the notes.
READERS = {
    ("supervisor", "A", C),
    ("supervisee", "A", C),
    ("line_manager", "A", M),
    ("supervisee", "A", M),
    ("both", "B", C),
    ("both", "B", M),
    ("supervisee_b", "B", C),
    ("supervisee_b", "B", M),
}
ACTORS = [
    "supervisor",
    "supervisee",
    "line_manager",
    "other_clinician",
    "manager",
    "admin",
    "both",
    "supervisee_b",
]
CASES = [(actor, pair, purpose) for actor in ACTORS for pair in "AB" for purpose in (C, M)]


@pytest.mark.parametrize(("actor", "pair", "purpose"), CASES)
def test_the_notes_matrix(actor, pair, purpose, world, sign_in, client):
    user = world["people"][actor]
    session = world[pair][purpose]
    label = _label(pair, purpose)
    sign_in(user)

    response = client.get(reverse(DETAIL[purpose], kwargs={"uuid": session.uuid}))

    events = AuditEvent.objects.filter(actor_id=user.pk)
    if (actor, pair, purpose) in READERS:
        assert response.status_code == 200
        page = response.content.decode()
        assert canary(f"{label}-notes") in page
        assert canary(f"{label}-topics") in page
        # Nothing of the other purpose, even for the person who holds both roles.
        other = _label(pair, M if purpose == C else C)
        assert canary(other) not in page
        viewed = events.get(event_type=EventType.SESSION_NOTES_VIEWED)
        assert viewed.details == {"session_id": session.pk, "purpose": str(purpose)}
        assert viewed.target_id == str(session.pk)
        assert not events.filter(event_type=EventType.ACCESS_DENIED).exists()
    else:
        assert response.status_code == 404
        assert canary(label) not in response.content.decode()
        denial = events.get(event_type=EventType.ACCESS_DENIED)
        assert denial.outcome == Outcome.DENIED
        assert denial.details == {"action": "view", "reason": "policy"}
        assert not events.filter(event_type=EventType.SESSION_NOTES_VIEWED).exists()


@pytest.mark.parametrize(
    "actor", ["supervisor", "supervisee", "line_manager", "both", "supervisee_b"]
)
@pytest.mark.parametrize("purpose", [C, M])
def test_a_session_is_missing_under_the_other_purpose_url(actor, purpose, world, sign_in, client):
    user = world["people"][actor]
    sign_in(user)

    for pair in "AB":
        session = world[pair][purpose]
        response = client.get(reverse(OTHER_DETAIL[purpose], kwargs={"uuid": session.uuid}))
        assert response.status_code == 404
        assert canary(_label(pair, purpose)) not in response.content.decode()

    events = AuditEvent.objects.filter(actor_id=user.pk)
    assert events.filter(event_type=EventType.ACCESS_DENIED).count() == 2
    assert not events.filter(event_type=EventType.SESSION_NOTES_VIEWED).exists()


@pytest.mark.parametrize("actor", ["supervisee", "both", "supervisee_b"])
def test_lists_and_actions_never_mix_purposes(actor, world, sign_in, client):
    user = world["people"][actor]
    sign_in(user)

    pages = {
        C: [
            client.get(reverse("supervision:sessions"), {"when": "past"}),
            client.get(reverse("supervision:actions")),
        ],
        M: [
            client.get(reverse("supervision:meetings"), {"when": "past"}),
            client.get(reverse("supervision:meeting_actions")),
        ],
    }

    for purpose, responses in pages.items():
        other = M if purpose == C else C
        text = "".join(r.content.decode() for r in responses)
        assert {r.status_code for r in responses} == {200}
        for pair in "AB":
            assert str(world[pair][other].uuid) not in text
            assert canary(_label(pair, other)) not in text
    actions_page = pages[C][1].content.decode() + pages[M][1].content.decode()
    mine = [p for p in "AB" if world[p][C].supervisee_id == user.pk]
    for pair in mine:
        assert canary(f"{_label(pair, C)}-action") in pages[C][1].content.decode()
        assert canary(f"{_label(pair, M)}-action") in pages[M][1].content.decode()
    assert actions_page  # rendered


def test_dashboard_selectors_are_clinical_only(world):
    supervisee = world["people"]["supervisee"]
    SessionFactory(purpose=M, host=world["people"]["line_manager"], supervisee=supervisee)
    upcoming = SessionFactory(host=world["people"]["supervisor"], supervisee=supervisee)

    actions = actions_open_for(user=supervisee)

    assert [a.session_id for a in actions] == [world["A"][C].pk]
    assert sessions_upcoming_for(user=supervisee, purpose=C, limit=5) == [upcoming]


def test_actions_of_the_other_purpose_cannot_be_completed(world, sign_in, client):
    supervisee = world["people"]["supervisee"]
    management_action = world["A"][M].actions.get()
    clinical_action = world["A"][C].actions.get()
    sign_in(supervisee)

    wrong = client.post(reverse("supervision:action_done", kwargs={"pk": management_action.pk}))
    right = client.post(reverse("supervision:action_done", kwargs={"pk": clinical_action.pk}))

    assert wrong.status_code == 404
    assert right.status_code == 302
    management_action.refresh_from_db()
    clinical_action.refresh_from_db()
    assert management_action.completed_at is None
    assert clinical_action.completed_at is not None
    done = AuditEvent.objects.get(event_type=EventType.SUPERVISION_ACTION_COMPLETED)
    assert done.details == {
        "action_id": clinical_action.pk,
        "session_id": world["A"][C].pk,
        "purpose": "clinical",
    }
    denial = AuditEvent.objects.get(event_type=EventType.ACCESS_DENIED, actor_id=supervisee.pk)
    assert denial.details == {"action": "complete_action", "reason": "policy"}


def test_someone_elses_action_cannot_be_completed(world, sign_in, client):
    action = world["A"][C].actions.get()
    supervisor = world["people"]["supervisor"]
    sign_in(supervisor)

    response = client.post(reverse("supervision:action_done", kwargs={"pk": action.pk}))

    assert response.status_code == 404
    action.refresh_from_db()
    assert action.completed_at is None


# --- groups ---------------------------------------------------------------------------------


@pytest.fixture
def group_session(supervisor):
    group = GroupFactory(facilitator=supervisor)
    attended, absent = make_clinician(), make_clinician()
    for member in (attended, absent):
        GroupMemberFactory(group=group, member=member)
    session = SessionFactory(
        kind=SessionKind.GROUP,
        host=supervisor,
        supervisee=None,
        group=group,
        starts_at=timezone.now() - dt.timedelta(days=1),
        status=SessionStatus.HELD,
    )
    SessionLogFactory(session=session, notes=canary("group-notes"), summary=canary("group-summary"))
    session.attendance.create(person=attended, attended=True)
    session.attendance.create(person=absent, attended=False)
    return session, attended, absent


def test_group_attendee_reads_only_the_summary(group_session, sign_in, client):
    session, attended, _absent = group_session
    sign_in(attended)

    response = client.get(reverse("supervision:session_detail", kwargs={"uuid": session.uuid}))

    page = response.content.decode()
    assert response.status_code == 200
    assert canary("group-summary") in page
    assert canary("group-notes") not in page
    events = AuditEvent.objects.filter(actor_id=attended.pk)
    assert events.get(event_type=EventType.SESSION_SUMMARY_VIEWED).details == {
        "session_id": session.pk,
        "purpose": "clinical",
    }
    assert not events.filter(event_type=EventType.SESSION_NOTES_VIEWED).exists()


def test_group_member_who_did_not_attend_sees_the_schedule_only(group_session, sign_in, client):
    session, _attended, absent = group_session
    sign_in(absent)

    response = client.get(reverse("supervision:session_detail", kwargs={"uuid": session.uuid}))

    page = response.content.decode()
    assert response.status_code == 200
    assert canary("group-summary") not in page
    assert canary("group-notes") not in page
    assert not AuditEvent.objects.filter(
        actor_id=absent.pk,
        event_type__in=[EventType.SESSION_SUMMARY_VIEWED, EventType.SESSION_NOTES_VIEWED],
    ).exists()


def test_facilitator_reads_notes_and_summary(group_session, supervisor, sign_in, client):
    session, _attended, _absent = group_session
    sign_in(supervisor)

    page = client.get(
        reverse("supervision:session_detail", kwargs={"uuid": session.uuid})
    ).content.decode()

    assert canary("group-notes") in page
    assert canary("group-summary") in page
    assert (
        AuditEvent.objects.filter(
            actor_id=supervisor.pk, event_type=EventType.SESSION_NOTES_VIEWED
        ).count()
        == 1
    )


def test_unknown_session_is_the_same_404(clinician, sign_in, client):
    sign_in(clinician)

    response = client.get(
        reverse(
            "supervision:session_detail", kwargs={"uuid": "00000000-0000-4000-8000-000000000000"}
        )
    )

    assert response.status_code == 404
    denial = AuditEvent.objects.get(event_type=EventType.ACCESS_DENIED)
    assert denial.details == {"action": "view", "reason": "not_found"}


@pytest.mark.parametrize(
    ("url", "purpose"),
    [("supervision:actions", "clinical"), ("supervision:meeting_actions", "management")],
)
def test_reading_ones_own_actions_is_audited(url, purpose, client, sign_in):
    person = make_clinician()
    sign_in(person)

    assert client.get(reverse(url)).status_code == 200
    event = AuditEvent.objects.get(event_type=EventType.SUPERVISION_ACTIONS_VIEWED, actor=person)
    assert event.details == {"purpose": purpose}
