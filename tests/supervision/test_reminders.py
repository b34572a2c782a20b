"""Overdue supervision and caseload reviews due: one reminder per period to both parties,
exact at the cadence boundary, idempotent; the reminders page and marking one read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from supervision import tasks
from supervision.models import DueKind, SessionStatus, SupervisionDue, SupervisionNotification
from supervision.selectors.reminders import supervision_notifications_unread_count
from supervision.services.reminders import supervision_reminders_sweep

from .factories import AgreementFactory, GuidelineFactory, ReviewFactory, SessionFactory

pytestmark = pytest.mark.django_db


def events(event_type: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("pk"))


def overdue_dues() -> list[SupervisionDue]:
    return list(SupervisionDue.objects.filter(kind=DueKind.SUPERVISION_OVERDUE).order_by("pk"))


@pytest.fixture(autouse=True)
def _no_reviews_due(db):
    # Reviews every year: only the supervision reminders are under test unless a test says so.
    GuidelineFactory(review_cadence_weeks=52)


@pytest.fixture
def agreement():
    return AgreementFactory(
        cadence_weeks=2, started_on=timezone.localdate() - dt.timedelta(days=60)
    )


def held(agreement, starts_at):
    return SessionFactory(
        host=agreement.supervisor,
        supervisee=agreement.supervisee,
        starts_at=starts_at,
        status=SessionStatus.HELD,
    )


def test_overdue_is_exact_at_the_cadence_boundary(agreement):
    last = held(agreement, timezone.now() - dt.timedelta(days=20)).starts_at
    boundary = last + dt.timedelta(weeks=2)

    at_boundary = supervision_reminders_sweep(now=boundary)
    after = supervision_reminders_sweep(now=boundary + dt.timedelta(microseconds=1))

    assert (at_boundary, after) == (0, 1)
    (due,) = overdue_dues()
    assert (due.person, due.due_since, due.resolved_at) == (agreement.supervisee, boundary, None)
    assert {n.recipient for n in due.notifications.all()} == {
        agreement.supervisee,
        agreement.supervisor,
    }


def test_reminders_are_sent_once_per_overdue_period(agreement):
    first_held = held(agreement, timezone.now() - dt.timedelta(days=40)).starts_at
    overdue_at = first_held + dt.timedelta(weeks=2, seconds=1)

    first = supervision_reminders_sweep(now=overdue_at)
    second = supervision_reminders_sweep(now=overdue_at + dt.timedelta(hours=1))

    assert (first, second) == (1, 0)
    assert SupervisionDue.objects.count() == 1
    assert SupervisionNotification.objects.count() == 2
    (notified,) = events(EventType.SUPERVISION_OVERDUE_NOTIFIED)
    assert notified.details == {
        "person": agreement.supervisee_id,
        "supervisor": agreement.supervisor_id,
        "recipients": [agreement.supervisee_id, agreement.supervisor_id],
        "kind": "supervision_overdue",
    }

    # A session is held: the period closes, and nothing new is sent while within cadence.
    next_held = held(agreement, overdue_at + dt.timedelta(days=3)).starts_at
    within = supervision_reminders_sweep(now=next_held + dt.timedelta(days=1))
    (closed,) = overdue_dues()
    assert within == 0
    assert closed.resolved_at == next_held + dt.timedelta(days=1)

    # Past the next boundary: exactly one new reminder, however often the sweep runs.
    next_boundary = next_held + dt.timedelta(weeks=2)
    again = [
        supervision_reminders_sweep(now=next_boundary + dt.timedelta(minutes=m)) for m in (1, 2, 60)
    ]

    assert again == [1, 0, 0]
    dues = overdue_dues()
    assert [due.due_since for due in dues] == [first_held + dt.timedelta(weeks=2), next_boundary]
    assert dues[1].resolved_at is None
    assert SupervisionNotification.objects.count() == 4
    assert len(events(EventType.SUPERVISION_OVERDUE_NOTIFIED)) == 2


def test_a_person_no_longer_supervised_has_the_due_resolved(agreement, manager):
    supervision_reminders_sweep()
    agreement.active = False
    agreement.ended_on = timezone.localdate()
    agreement.save()

    created = supervision_reminders_sweep()

    (due,) = overdue_dues()
    assert created == 0
    assert due.resolved_at is not None


def test_caseload_reviews_due_remind_clinician_and_supervisor():
    GuidelineFactory(review_cadence_weeks=4)
    started = timezone.localdate() - dt.timedelta(weeks=6)
    agreement = AgreementFactory(started_on=started)
    # Supervision itself is up to date.
    held(agreement, timezone.now() - dt.timedelta(days=1))

    created = supervision_reminders_sweep()
    repeated = supervision_reminders_sweep()

    assert (created, repeated) == (1, 0)
    (due,) = SupervisionDue.objects.all()
    assert due.kind == DueKind.CASELOAD_REVIEW_DUE
    assert due.due_since == timezone.make_aware(
        dt.datetime.combine(started + dt.timedelta(weeks=4), dt.time.min)
    )
    assert {n.recipient_id for n in due.notifications.all()} == {
        agreement.supervisee_id,
        agreement.supervisor_id,
    }
    (notified,) = events(EventType.CASELOAD_REVIEW_DUE_NOTIFIED)
    assert notified.details["person"] == agreement.supervisee_id

    ReviewFactory(clinician=agreement.supervisee, reviewer=agreement.supervisor)
    supervision_reminders_sweep()

    due.refresh_from_db()
    assert due.resolved_at is not None


def test_the_task_runs_the_sweep_and_is_scheduled(agreement):
    result = tasks.supervision_reminders.apply().get()

    assert result == 1
    entry = django_settings.CELERY_BEAT_SCHEDULE["supervision-reminders"]
    assert entry["task"] == "supervision.tasks.supervision_reminders"
    assert entry["schedule"] == dt.timedelta(hours=1)


def test_the_reminders_page_lists_own_reminders_in_plain_words(client, sign_in, agreement):
    supervision_reminders_sweep()
    due = SupervisionDue.objects.get()
    sign_in(agreement.supervisor)

    response = client.get(reverse("supervision:reminders"))

    body = response.content.decode()
    assert response.status_code == 200
    assert f"Individual supervision for {agreement.supervisee.username} is overdue since" in body
    assert [n.due_id for n in response.context["page_obj"]] == [due.pk]


def test_others_do_not_see_the_reminders(client, sign_in, agreement, other_clinician):
    supervision_reminders_sweep()
    sign_in(other_clinician)

    response = client.get(reverse("supervision:reminders"))

    assert list(response.context["page_obj"]) == []
    assert agreement.supervisee.username not in response.content.decode()


def test_marking_a_reminder_read(client, sign_in, agreement):
    supervision_reminders_sweep()
    notification = SupervisionNotification.objects.get(recipient=agreement.supervisee)
    sign_in(agreement.supervisee)
    assert supervision_notifications_unread_count(agreement.supervisee) == 1

    response = client.post(reverse("supervision:reminder_read", args=[notification.pk]))

    notification.refresh_from_db()
    assert response.status_code == 302
    assert notification.read_at is not None
    assert supervision_notifications_unread_count(agreement.supervisee) == 0
    assert supervision_notifications_unread_count(agreement.supervisor) == 1


def test_someone_elses_reminder_is_404_and_audited(client, sign_in, agreement, other_clinician):
    supervision_reminders_sweep()
    notification = SupervisionNotification.objects.get(recipient=agreement.supervisee)
    sign_in(other_clinician)

    response = client.post(reverse("supervision:reminder_read", args=[notification.pk]))

    notification.refresh_from_db()
    assert response.status_code == 404
    assert notification.read_at is None
    (denied,) = events(EventType.ACCESS_DENIED)
    assert (denied.actor_id, denied.outcome) == (other_clinician.pk, Outcome.DENIED)


def test_reminders_page_query_count_does_not_grow(client, sign_in, supervisor):
    sign_in(supervisor)
    url = reverse("supervision:reminders")

    def supervise(count: int) -> None:
        for _ in range(count):
            AgreementFactory(
                supervisor=supervisor,
                cadence_weeks=1,
                started_on=timezone.localdate() - dt.timedelta(days=30),
            )
        supervision_reminders_sweep()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    supervise(5)
    client.get(url)  # the first request of a session tracks it; measure the ones after
    with_five = queries()
    supervise(45)

    assert queries() == with_five
