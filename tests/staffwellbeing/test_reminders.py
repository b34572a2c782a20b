"""Reminders: created once, none for people who opted out, due dates advance; notifications."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from staffwellbeing.models import (
    JobDescription,
    NotificationKind,
    ReminderPreference,
    SupportPlan,
    SupportPlanStatus,
    WellbeingNotification,
)
from staffwellbeing.services.reminders import (
    EMAIL_BODY,
    reminder_preference_set,
    reminders_due_create,
)
from staffwellbeing.tasks import wellbeing_reminders_send
from supervision.models import SupervisionAgreement

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def event_types_after(mark: int) -> list[int]:
    return list(
        AuditEvent.objects.filter(id__gt=mark).order_by("id").values_list("event_type", flat=True)
    )


def due_preference(person, *, due_at=NOW, interval=30, enabled=True) -> ReminderPreference:
    return ReminderPreference.objects.create(
        person=person, enabled=enabled, interval_days=interval, next_due_at=due_at
    )


def test_opting_in_on_the_page_sets_the_first_due_date(clinician, sign_in):
    client = sign_in(clinician)
    mark = last_event_id()
    before = timezone.now()
    response = client.post(reverse("wellbeing:reminders"), {"enabled": "on", "interval_days": 14})
    assert response.status_code == 302
    preference = ReminderPreference.objects.get(person=clinician)
    assert preference.enabled is True
    assert preference.interval_days == 14
    assert preference.next_due_at is not None
    assert before + dt.timedelta(days=14) <= preference.next_due_at
    assert preference.next_due_at <= timezone.now() + dt.timedelta(days=14)
    assert event_types_after(mark) == [EventType.REMINDER_PREFERENCE_CHANGED]


def test_monthly_is_the_default_interval(clinician, sign_in):
    response = sign_in(clinician).get(reverse("wellbeing:reminders"))
    assert response.status_code == 200
    assert response.context["form"]["interval_days"].value() == 30


def test_an_interval_out_of_range_is_refused_on_the_form(clinician, sign_in):
    response = sign_in(clinician).post(
        reverse("wellbeing:reminders"), {"enabled": "on", "interval_days": 0}
    )
    assert response.status_code == 200
    assert "interval_days" in response.context["form"].errors
    assert not ReminderPreference.objects.exists()


def test_a_due_reminder_is_created_once_and_the_due_date_advances(clinician):
    due_preference(clinician)
    mark = last_event_id()
    assert reminders_due_create(now=NOW) == 1
    assert reminders_due_create(now=NOW) == 0
    assert reminders_due_create(now=NOW + dt.timedelta(days=1)) == 0
    notification = WellbeingNotification.objects.get()
    assert notification.person == clinician
    assert notification.kind == NotificationKind.CHECKIN_DUE
    assert notification.dedupe_key == f"checkin:{clinician.pk}:2026-11-25"
    preference = ReminderPreference.objects.get()
    assert preference.next_due_at == NOW + dt.timedelta(days=30)
    assert event_types_after(mark) == [EventType.WELLBEING_NOTIFICATIONS_CREATED]
    assert reminders_due_create(now=NOW + dt.timedelta(days=30)) == 1
    assert WellbeingNotification.objects.count() == 2


def test_a_repeated_due_fact_is_not_notified_twice(clinician):
    preference = due_preference(clinician)
    assert reminders_due_create(now=NOW) == 1
    # Someone restores the old due date (a restored backup, a lost update): the key holds.
    preference.refresh_from_db()
    preference.next_due_at = NOW
    preference.save()
    assert reminders_due_create(now=NOW) == 0
    assert WellbeingNotification.objects.count() == 1


def test_after_an_outage_one_reminder_catches_up(clinician):
    due_preference(clinician, due_at=NOW - dt.timedelta(days=95), interval=30)
    assert reminders_due_create(now=NOW) == 1
    preference = ReminderPreference.objects.get()
    assert preference.next_due_at == NOW - dt.timedelta(days=95) + dt.timedelta(days=120)
    assert preference.next_due_at > NOW


def test_nothing_for_people_who_opted_out_or_are_not_due(clinician, other_clinician, supervisor):
    due_preference(clinician, enabled=False)
    due_preference(other_clinician, due_at=NOW + dt.timedelta(minutes=1))
    reminder_preference_set(actor=supervisor, enabled=True)
    reminder_preference_set(actor=supervisor, enabled=False)
    assert reminders_due_create(now=NOW + dt.timedelta(days=40)) == 1
    assert list(WellbeingNotification.objects.values_list("person_id", flat=True)) == [
        other_clinician.pk
    ]
    assert ReminderPreference.objects.get(person=supervisor).next_due_at is None


def test_inactive_people_get_no_reminder(clinician):
    due_preference(clinician)
    clinician.is_active = False
    clinician.save()
    assert reminders_due_create(now=NOW) == 0


def test_support_review_reminds_the_person_and_supervisor_once(clinician, supervisor):
    SupervisionAgreement.objects.create(supervisor=supervisor, supervisee=clinician)
    plan = SupportPlan.objects.create(
        person=clinician, opened_by=supervisor, review_meeting_date=dt.date(2026, 11, 25)
    )
    SupportPlan.objects.create(
        person=clinician,
        opened_by=clinician,
        review_meeting_date=dt.date(2026, 11, 20),
        status=SupportPlanStatus.CLOSED,
    )
    SupportPlan.objects.create(
        person=clinician, opened_by=clinician, review_meeting_date=dt.date(2026, 11, 26)
    )
    assert reminders_due_create(now=NOW) == 2
    assert reminders_due_create(now=NOW) == 0
    rows = WellbeingNotification.objects.filter(kind=NotificationKind.SUPPORT_REVIEW_DUE)
    assert {row.person_id for row in rows} == {clinician.pk, supervisor.pk}
    assert all(row.dedupe_key.startswith(f"support_review:{plan.pk}:") for row in rows)


def test_job_review_reminds_the_person_once(clinician, manager):
    JobDescription.objects.create(
        person=clinician,
        goals="g",
        limits="l",
        support_options="s",
        review_due_on=dt.date(2026, 11, 1),
        updated_by=manager,
    )
    assert reminders_due_create(now=NOW) == 1
    assert reminders_due_create(now=NOW) == 0
    notification = WellbeingNotification.objects.get()
    assert (notification.person_id, notification.kind) == (
        clinician.pk,
        NotificationKind.JOB_REVIEW_DUE,
    )


def test_no_email_unless_email_is_configured(clinician, django_capture_on_commit_callbacks):
    due_preference(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        reminders_due_create(now=NOW)
    assert mail.outbox == []


@override_settings(EMAIL_HOST="smtp.example.org")
def test_email_after_commit_says_only_that_a_reminder_waits(
    clinician, django_capture_on_commit_callbacks
):
    due_preference(clinician)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reminders_due_create(now=NOW)
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [clinician.email]
    assert message.body == str(EMAIL_BODY)
    assert clinician.last_name not in message.body + message.subject
    assert clinician.username not in message.body + message.subject


def test_the_task_runs_the_sweep(clinician):
    due_preference(clinician, due_at=timezone.now() - dt.timedelta(minutes=1))
    assert wellbeing_reminders_send() == 1
    assert wellbeing_reminders_send() == 0


def test_notifications_page_shows_own_and_marks_read(clinician, other_clinician, sign_in):
    mine = WellbeingNotification.objects.create(
        person=clinician, kind=NotificationKind.CHECKIN_DUE, dedupe_key="a"
    )
    theirs = WellbeingNotification.objects.create(
        person=other_clinician, kind=NotificationKind.CHECKIN_DUE, dedupe_key="b"
    )
    client = sign_in(clinician)
    response = client.get(reverse("wellbeing:notifications"))
    assert [n.pk for n in response.context["page_obj"]] == [mine.pk]
    mark = last_event_id()
    response = client.post(
        reverse("wellbeing:notification_read", kwargs={"notification_id": mine.pk})
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert event_types_after(mark) == [EventType.WELLBEING_NOTIFICATION_READ]
    mark = last_event_id()
    response = client.post(
        reverse("wellbeing:notification_read", kwargs={"notification_id": theirs.pk})
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert event_types_after(mark) == [EventType.ACCESS_DENIED]


def test_notifications_page_query_count_does_not_grow(clinician, sign_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = sign_in(clinician)
    client.get(reverse("wellbeing:notifications"))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("wellbeing:notifications"))
        return len(queries)

    for index in range(5):
        WellbeingNotification.objects.create(
            person=clinician, kind=NotificationKind.CHECKIN_DUE, dedupe_key=f"x{index}"
        )
    few = count()
    for index in range(5, 50):
        WellbeingNotification.objects.create(
            person=clinician, kind=NotificationKind.GUIDELINES_NEW, dedupe_key=f"x{index}"
        )
    assert count() == few


@override_settings(EMAIL_HOST="smtp.example.org")
def test_the_email_task_is_queued_with_the_notification_id_only(
    clinician, monkeypatch, django_capture_on_commit_callbacks
):
    from staffwellbeing import tasks

    queued: list[tuple[tuple[object, ...], dict[str, object]]] = []
    monkeypatch.setattr(
        tasks.wellbeing_notification_email, "delay", lambda *a, **kw: queued.append((a, kw))
    )
    due_preference(clinician)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reminders_due_create(now=NOW)
    assert queued == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert queued == [((WellbeingNotification.objects.get().pk,), {})]
