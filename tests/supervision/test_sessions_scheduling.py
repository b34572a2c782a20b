"""Scheduling, series, clashes, moving and cancelling sessions, and who may do it."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import WEEKLY, rrule
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from supervision.models import (
    SessionKind,
    SessionPurpose,
    SessionReschedule,
    SessionSeries,
    SessionStatus,
    SupervisionSession,
)
from supervision.permissions.sessions import SessionActionRefused
from supervision.services import sessions as scheduling
from supervision.services.sessions import (
    REASON_REQUIRED,
    START_IN_PAST,
    SessionConflict,
)
from tests.conftest import CANARY_MARKER, canary
from tests.patients.factories import clinician as make_clinician
from tests.supervision.factories import (
    AgreementFactory,
    GroupFactory,
    GroupMemberFactory,
    SessionFactory,
    WorkProfileFactory,
)

pytestmark = pytest.mark.django_db


def _form(day: dt.date, *, who: str, hour: str = "10:00", **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "who": who,
        "date": day.isoformat(),
        "time": hour,
        "duration_minutes": 60,
        "location": canary("room"),
    }
    data.update(extra)
    return data


def _future_day(days: int = 10) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def _local(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _events(event_type: EventType, actor=None):
    events = AuditEvent.objects.filter(event_type=event_type)
    return events.filter(actor_id=actor.pk) if actor is not None else events


def _assert_no_canary_in_audit() -> None:
    for event in AuditEvent.objects.all():
        assert CANARY_MARKER not in json.dumps(event.details)
        assert CANARY_MARKER not in event.target_id


@pytest.fixture
def agreement(supervisor, clinician):
    return AgreementFactory(supervisor=supervisor, supervisee=clinician, cadence_weeks=3)


# --- scheduling -----------------------------------------------------------------------------


def test_supervisor_schedules_a_single_session(agreement, supervisor, clinician, sign_in, client):
    sign_in(supervisor)
    day = _future_day()

    response = client.post(
        reverse("supervision:session_new"), _form(day, who=f"person-{clinician.pk}")
    )

    session = SupervisionSession.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("supervision:session_detail", kwargs={"uuid": session.uuid})
    assert session.starts_at == _local(day)
    assert (session.purpose, session.kind) == (SessionPurpose.CLINICAL, SessionKind.INDIVIDUAL)
    assert (session.host, session.supervisee, session.series) == (supervisor, clinician, None)
    assert session.location == canary("room")
    event = _events(EventType.SESSION_SCHEDULED).get()
    assert event.actor_id == supervisor.pk
    assert event.details == {
        "purpose": "clinical",
        "kind": "individual",
        "supervisee_id": clinician.pk,
        "group_id": None,
        "confirmed_clash": False,
        "session_id": session.pk,
    }
    _assert_no_canary_in_audit()


def test_series_follows_the_agreement_cadence_as_dateutil_computes_it(
    agreement, supervisor, clinician, sign_in, client
):
    sign_in(supervisor)
    day = _future_day()

    response = client.post(
        reverse("supervision:session_new"),
        _form(day, who=f"person-{clinician.pk}", repeat="on", occurrences=5),
    )

    assert response.status_code == 302
    series = SessionSeries.objects.get()
    assert series.rule == "FREQ=WEEKLY;INTERVAL=3;COUNT=5"
    first = dt.datetime.combine(day, dt.time(10))
    expected = [
        timezone.make_aware(moment) for moment in rrule(WEEKLY, interval=3, count=5, dtstart=first)
    ]
    starts = list(series.sessions.order_by("starts_at").values_list("starts_at", flat=True))
    assert starts == expected
    assert series.first_start == expected[0]
    event = _events(EventType.SESSION_SERIES_SCHEDULED).get()
    assert event.details["count"] == 5
    assert event.details["series_id"] == series.pk
    assert not _events(EventType.SESSION_SCHEDULED).exists()


def test_series_keeps_the_local_hour_across_a_clock_change(
    agreement, supervisor, clinician, settings
):
    settings.TIME_ZONE = "Europe/London"
    start = dt.datetime(2099, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/London"))

    sessions = scheduling.session_schedule(
        actor=supervisor,
        purpose=SessionPurpose.CLINICAL,
        starts_at=start,
        duration_minutes=60,
        supervisee=clinician,
        occurrences=3,
    )

    local_hours = [timezone.localtime(s.starts_at).hour for s in sessions]
    assert local_hours == [10, 10, 10]
    assert [timezone.localtime(s.starts_at).date() for s in sessions] == [
        dt.date(2099, 3, 10),
        dt.date(2099, 3, 31),
        dt.date(2099, 4, 21),
    ]


def test_series_longer_than_the_maximum_is_refused(agreement, supervisor, clinician, settings):
    settings.CARECORE_SERIES_MAX_OCCURRENCES = 4

    with pytest.raises(scheduling.SessionInvalid):
        scheduling.session_schedule(
            actor=supervisor,
            purpose=SessionPurpose.CLINICAL,
            starts_at=timezone.now() + dt.timedelta(days=2),
            duration_minutes=60,
            supervisee=clinician,
            occurrences=5,
        )

    assert not SupervisionSession.objects.exists()


def test_group_series_uses_the_group_cadence(supervisor, sign_in, client):
    group = GroupFactory(facilitator=supervisor, cadence_weeks=2)
    members = [GroupMemberFactory(group=group).member for _ in range(3)]
    sign_in(supervisor)
    day = _future_day()

    client.post(
        reverse("supervision:session_new"),
        _form(day, who=f"group-{group.pk}", repeat="on", occurrences=3),
    )

    sessions = list(SupervisionSession.objects.order_by("starts_at"))
    assert [s.starts_at.date() for s in sessions] == [
        day,
        day + dt.timedelta(weeks=2),
        day + dt.timedelta(weeks=4),
    ]
    assert {s.kind for s in sessions} == {SessionKind.GROUP}
    assert {s.supervisee_id for s in sessions} == {None}
    assert SessionSeries.objects.get().rule == "FREQ=WEEKLY;INTERVAL=2;COUNT=3"
    assert len(members) == 3


def test_a_session_in_the_past_is_refused(agreement, supervisor, clinician, sign_in, client):
    sign_in(supervisor)
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    response = client.post(
        reverse("supervision:session_new"), _form(yesterday, who=f"person-{clinician.pk}")
    )

    assert response.status_code == 200
    assert str(START_IN_PAST) in response.content.decode()
    assert not SupervisionSession.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.SESSION_SCHEDULED).exists()


def test_a_clash_is_shown_then_scheduled_on_confirmation(
    agreement, supervisor, clinician, sign_in, client
):
    day = _future_day()
    third_party = make_clinician(first_name="Zebedee", last_name="Thirdparty")
    # The supervisee's own session with someone else, half an hour into the proposed time.
    SessionFactory(
        host=AgreementFactory(supervisee=third_party).supervisor,
        supervisee=third_party,
        starts_at=_local(day) + dt.timedelta(minutes=30),
    )
    SessionFactory(host=supervisor, supervisee=make_clinician(), starts_at=_local(day, 14))
    sign_in(supervisor)
    data = _form(day, who=f"person-{clinician.pk}")
    other = SessionFactory(
        purpose=SessionPurpose.MANAGEMENT,
        host=make_clinician(),
        supervisee=clinician,
        starts_at=_local(day) - dt.timedelta(minutes=30),
    )

    warned = client.post(reverse("supervision:session_new"), data)

    assert warned.status_code == 200
    page = warned.content.decode()
    assert "This time clashes with other sessions" in page
    clash_start = date_format(timezone.localtime(other.starts_at), "DATETIME_FORMAT")
    assert f"overlaps a session from {clash_start}" in page
    assert "Thirdparty" not in page
    assert SupervisionSession.objects.filter(host=supervisor).count() == 1
    assert not _events(EventType.SESSION_SCHEDULED).exists()

    key = warned.context["form"].data["clash_key"]
    changed = {**data, "time": "10:15", "schedule_anyway": "on", "clash_key": key}
    rewarned = client.post(reverse("supervision:session_new"), changed)
    # Confirming one proposal never confirms another: a changed time is checked again.
    assert rewarned.status_code == 200
    assert "This time clashes with other sessions" in rewarned.content.decode()
    assert SupervisionSession.objects.filter(host=supervisor).count() == 1

    confirmed = client.post(
        reverse("supervision:session_new"), {**data, "schedule_anyway": "on", "clash_key": key}
    )

    assert confirmed.status_code == 302
    assert SupervisionSession.objects.filter(host=supervisor, supervisee=clinician).count() == 1
    assert _events(EventType.SESSION_SCHEDULED).get().details["confirmed_clash"] is True


def test_clash_check_covers_every_occurrence_and_ignores_cancelled(
    agreement, supervisor, clinician
):
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    SessionFactory(
        host=supervisor,
        supervisee=make_clinician(),
        starts_at=start + dt.timedelta(weeks=6),
    )
    SessionFactory(
        host=supervisor,
        supervisee=make_clinician(),
        starts_at=start + dt.timedelta(weeks=3),
        status=SessionStatus.CANCELLED,
        cancel_reason="x",
        cancelled_at=timezone.now(),
    )

    with pytest.raises(SessionConflict) as raised:
        scheduling.session_schedule(
            actor=supervisor,
            purpose=SessionPurpose.CLINICAL,
            starts_at=start,
            duration_minutes=60,
            supervisee=clinician,
            occurrences=4,
        )

    assert [clash.proposed_start for clash in raised.value.clashes] == [
        start + dt.timedelta(weeks=6)
    ]
    assert SupervisionSession.objects.count() == 2


def test_back_to_back_sessions_do_not_clash(agreement, supervisor, clinician):
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    SessionFactory(
        host=supervisor, supervisee=make_clinician(), starts_at=start - dt.timedelta(hours=1)
    )

    sessions = scheduling.session_schedule(
        actor=supervisor,
        purpose=SessionPurpose.CLINICAL,
        starts_at=start,
        duration_minutes=60,
        supervisee=clinician,
    )

    assert len(sessions) == 1


def test_line_manager_schedules_a_management_meeting(clinician, manager, sign_in, client):
    WorkProfileFactory(person=clinician, line_manager=manager)
    sign_in(manager)

    response = client.post(
        reverse("supervision:meeting_new"), _form(_future_day(), who=f"person-{clinician.pk}")
    )

    meeting = SupervisionSession.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("supervision:meeting_detail", kwargs={"uuid": meeting.uuid})
    assert (meeting.purpose, meeting.host) == (SessionPurpose.MANAGEMENT, manager)


def test_management_group_meetings_are_refused(supervisor, clinician):
    group = GroupFactory(facilitator=supervisor)
    WorkProfileFactory(person=clinician, line_manager=supervisor)

    with pytest.raises(scheduling.SessionInvalid) as raised:
        scheduling.session_schedule(
            actor=supervisor,
            purpose=SessionPurpose.MANAGEMENT,
            starts_at=timezone.now() + dt.timedelta(days=2),
            duration_minutes=60,
            group=group,
        )

    assert str(raised.value) == str(scheduling.GROUP_MEETINGS_NOT_OFFERED)
    assert not SupervisionSession.objects.exists()


# --- who may schedule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "url_name"),
    [
        ("clinician", "supervision:session_new"),
        ("manager", "supervision:session_new"),
        ("admin_user", "supervision:session_new"),
        ("supervisor", "supervision:meeting_new"),  # a supervisor, but no line reports
        ("manager", "supervision:meeting_new"),  # a manager with no line reports
    ],
)
def test_schedule_page_is_refused_without_a_relationship(
    persona, url_name, agreement, request, sign_in, client
):
    user = request.getfixturevalue(persona)
    sign_in(user)

    response = client.get(reverse(url_name))

    assert response.status_code == 404
    denial = _events(EventType.ACCESS_DENIED, user).get()
    assert denial.outcome == Outcome.DENIED
    assert denial.details == {"action": "schedule", "reason": "role"}


def test_supervisor_cannot_schedule_for_someone_they_do_not_supervise(
    agreement, supervisor, other_clinician, sign_in, client
):
    sign_in(supervisor)

    response = client.post(
        reverse("supervision:session_new"),
        _form(_future_day(), who=f"person-{other_clinician.pk}"),
    )

    assert response.status_code == 200  # not one of the choices offered: a form error
    assert not SupervisionSession.objects.exists()


def test_service_refuses_and_audits_the_wrong_relationship(supervisor, other_clinician):
    with pytest.raises(SessionActionRefused):
        scheduling.session_schedule(
            actor=supervisor,
            purpose=SessionPurpose.CLINICAL,
            starts_at=timezone.now() + dt.timedelta(days=2),
            duration_minutes=60,
            supervisee=other_clinician,
        )

    assert not SupervisionSession.objects.exists()
    denial = _events(EventType.ACCESS_DENIED, supervisor).get()
    assert denial.details == {"action": "schedule", "reason": "role"}


def test_ended_agreement_no_longer_allows_scheduling(agreement, supervisor, clinician):
    agreement.active = False
    agreement.save()

    with pytest.raises(SessionActionRefused):
        scheduling.session_schedule(
            actor=supervisor,
            purpose=SessionPurpose.CLINICAL,
            starts_at=timezone.now() + dt.timedelta(days=2),
            duration_minutes=60,
            supervisee=clinician,
        )


# --- reschedule and cancel ------------------------------------------------------------------


@pytest.fixture
def session(agreement, supervisor, clinician):
    return SessionFactory(host=supervisor, supervisee=clinician)


def test_reschedule_needs_a_reason_and_records_it(session, supervisor, sign_in, client):
    sign_in(supervisor)
    url = reverse("supervision:session_reschedule", kwargs={"uuid": session.uuid})
    day = _future_day(20)
    previous = session.starts_at

    refused = client.post(url, {"date": day.isoformat(), "time": "09:30", "reason": " "})

    assert refused.status_code == 200
    session.refresh_from_db()
    assert session.starts_at == previous
    assert not SessionReschedule.objects.exists()

    moved = client.post(url, {"date": day.isoformat(), "time": "09:30", "reason": canary("reason")})

    assert moved.status_code == 302
    session.refresh_from_db()
    assert timezone.localtime(session.starts_at) == timezone.make_aware(
        dt.datetime.combine(day, dt.time(9, 30))
    )
    move = SessionReschedule.objects.get()
    assert (move.previous_starts_at, move.reason) == (previous, canary("reason"))
    event = _events(EventType.SESSION_RESCHEDULED).get()
    assert event.details == {
        "session_id": session.pk,
        "purpose": "clinical",
        "reschedule_id": move.pk,
        "confirmed_clash": False,
    }
    _assert_no_canary_in_audit()


def test_reschedule_service_requires_reason(session, supervisor):
    with pytest.raises(scheduling.SessionInvalid) as raised:
        scheduling.session_reschedule(
            actor=supervisor,
            session=session,
            starts_at=session.starts_at + dt.timedelta(days=1),
            reason="",
        )

    assert str(raised.value) == str(REASON_REQUIRED)


def test_reschedule_warns_about_a_clash(session, supervisor, sign_in, client):
    day = _future_day(20)
    SessionFactory(host=supervisor, supervisee=make_clinician(), starts_at=_local(day, 9))
    sign_in(supervisor)
    url = reverse("supervision:session_reschedule", kwargs={"uuid": session.uuid})
    data = {"date": day.isoformat(), "time": "09:30", "reason": "clash"}

    warned = client.post(url, data)

    assert warned.status_code == 200
    assert "This time clashes with other sessions" in warned.content.decode()
    assert not SessionReschedule.objects.exists()

    key = warned.context["form"].data["clash_key"]
    assert client.post(url, {**data, "schedule_anyway": "on"}).status_code == 200
    assert not SessionReschedule.objects.exists()
    assert client.post(url, {**data, "schedule_anyway": "on", "clash_key": key}).status_code == 302
    assert SessionReschedule.objects.count() == 1


def test_cancel_asks_for_confirmation_and_a_reason(session, supervisor, sign_in, client):
    sign_in(supervisor)
    url = reverse("supervision:session_cancel", kwargs={"uuid": session.uuid})

    confirmation = client.get(url)
    assert confirmation.status_code == 200
    assert "Cancel this session?" in confirmation.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED

    assert client.post(url, {"reason": ""}).status_code == 200
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED

    response = client.post(url, {"reason": canary("cancel")})

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert (session.cancelled_by, session.cancel_reason) == (supervisor, canary("cancel"))
    assert session.cancelled_at is not None
    event = _events(EventType.SESSION_CANCELLED).get()
    assert event.details == {"session_id": session.pk, "purpose": "clinical"}
    _assert_no_canary_in_audit()


def test_a_cancelled_session_cannot_be_moved(session, supervisor):
    scheduling.session_cancel(actor=supervisor, session=session, reason="ill")

    with pytest.raises(scheduling.SessionInvalid) as raised:
        scheduling.session_reschedule(
            actor=supervisor,
            session=session,
            starts_at=session.starts_at + dt.timedelta(days=1),
            reason="again",
        )

    assert str(raised.value) == str(scheduling.NOT_SCHEDULED)


@pytest.mark.parametrize("change", ["cancel", "reschedule"])
def test_a_session_logged_by_another_request_is_not_overwritten(change, session, supervisor):
    # The page fetched the session while it was scheduled; the log committed in another tab.
    stale = SupervisionSession.objects.get(pk=session.pk)
    SupervisionSession.objects.filter(pk=session.pk).update(status=SessionStatus.HELD)

    with pytest.raises(scheduling.SessionInvalid) as raised:
        if change == "cancel":
            scheduling.session_cancel(actor=supervisor, session=stale, reason="ill")
        else:
            scheduling.session_reschedule(
                actor=supervisor,
                session=stale,
                starts_at=stale.starts_at + dt.timedelta(days=1),
                reason="later",
            )

    assert str(raised.value) == str(scheduling.NOT_SCHEDULED)
    session.refresh_from_db()
    assert (session.status, session.starts_at) == (SessionStatus.HELD, stale.starts_at)
    assert not SessionReschedule.objects.exists()
    assert not _events(EventType.SESSION_CANCELLED).exists()
    assert not _events(EventType.SESSION_RESCHEDULED).exists()


@pytest.mark.parametrize("action", ["session_reschedule", "session_cancel", "session_log"])
@pytest.mark.parametrize("persona", ["clinician", "other_clinician", "manager", "admin_user"])
def test_only_the_host_may_change_a_session(action, persona, session, request, sign_in, client):
    user = request.getfixturevalue(persona)
    sign_in(user)

    get = client.get(reverse(f"supervision:{action}", kwargs={"uuid": session.uuid}))
    post = client.post(
        reverse(f"supervision:{action}", kwargs={"uuid": session.uuid}), {"reason": "x"}
    )

    assert (get.status_code, post.status_code) == (404, 404)
    denials = _events(EventType.ACCESS_DENIED, user)
    assert denials.count() == 2
    assert {d.details["reason"] for d in denials} == {"policy"}
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
    assert not SessionReschedule.objects.exists()


def test_supervisor_cannot_change_a_session_through_the_meetings_urls(
    session, supervisor, sign_in, client
):
    sign_in(supervisor)

    response = client.post(
        reverse("supervision:meeting_cancel", kwargs={"uuid": session.uuid}), {"reason": "x"}
    )

    assert response.status_code == 404
    assert _events(EventType.ACCESS_DENIED, supervisor).count() == 1
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED


def test_schedule_pages_offer_only_ones_own_people(
    agreement, supervisor, clinician, other_clinician, sign_in, client
):
    group = GroupFactory(facilitator=supervisor, name="Reflective Tuesday")
    WorkProfileFactory(person=other_clinician, line_manager=supervisor)
    sign_in(supervisor)

    clinical = client.get(reverse("supervision:session_new")).content.decode()
    management = client.get(reverse("supervision:meeting_new")).content.decode()

    assert f'value="person-{clinician.pk}"' in clinical
    assert f'value="group-{group.pk}"' in clinical
    assert f'value="person-{other_clinician.pk}"' not in clinical
    assert f'value="person-{other_clinician.pk}"' in management
    assert f'value="person-{clinician.pk}"' not in management
    assert "group-" not in management
    assert 'name="schedule_anyway"' not in clinical  # offered only after a clash


def test_detail_shows_the_schedule_to_the_supervisee(session, clinician, sign_in, client):
    session.location = canary("video-link")
    session.save()
    sign_in(clinician)

    response = client.get(reverse("supervision:session_detail", kwargs={"uuid": session.uuid}))

    assert response.status_code == 200
    assert canary("video-link") in response.content.decode()
    assert "Move" not in response.content.decode()  # only the host changes it
