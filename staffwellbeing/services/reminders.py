"""Check-in reminders, review reminders and in-app wellbeing notifications.

The durable fact is a `WellbeingNotification` row with a unique `dedupe_key` naming the due
fact, so the sweep can run any number of times (or twice at once) and create each once. An
e-mail is only a nudge: it carries no personal data and is queued after commit with the
notification's id.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import (
    NotificationKind,
    ReminderPreference,
    SupportPlan,
    SupportPlanStatus,
    WellbeingNotification,
)
from ..permissions_support import WellbeingInvalid, WellbeingNotFound, access_denied_record
from ..selectors.jobs import current_job_descriptions

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_DAYS = 30
MAX_INTERVAL_DAYS = 365
INTERVAL_OUT_OF_RANGE = _("Choose an interval from 1 to 365 days.")
EMAIL_SUBJECT = _("CareCore wellbeing reminder")
EMAIL_BODY = _("A wellbeing check-in reminder is waiting in CareCore.")


def email_configured() -> bool:
    """Return True when the deployment has set an outgoing mail server."""
    # Django's default EMAIL_HOST is "localhost": only an explicitly set one counts.
    # (`is_overridden` is Django API missing from the stubs.)
    return bool(settings.is_overridden("EMAIL_HOST") and settings.EMAIL_HOST)  # type: ignore[misc]


@transaction.atomic
def reminder_preference_set(
    *, actor: User, enabled: bool, interval_days: int = DEFAULT_INTERVAL_DAYS
) -> ReminderPreference:
    """Opt `actor` in to (or out of) a check-in reminder every `interval_days` days."""
    if not 1 <= interval_days <= MAX_INTERVAL_DAYS:
        raise WellbeingInvalid(INTERVAL_OUT_OF_RANGE, field="interval_days")
    preference, _created = ReminderPreference.objects.select_for_update().get_or_create(
        person=actor
    )
    changed_interval = preference.interval_days != interval_days
    preference.interval_days = interval_days
    if enabled and (not preference.enabled or changed_interval or preference.next_due_at is None):
        preference.next_due_at = timezone.now() + dt.timedelta(days=interval_days)
    if not enabled:
        preference.next_due_at = None
    preference.enabled = enabled
    preference.save()
    audit_event_record(
        event_type=EventType.REMINDER_PREFERENCE_CHANGED,
        actor=actor,
        target=preference,
        details={"enabled": enabled, "interval_days": interval_days},
    )
    return preference


def _notify(*, person_id: int, kind: str, key: str) -> WellbeingNotification | None:
    """Create the notification for `key` unless it exists; return it only when new."""
    if WellbeingNotification.objects.filter(dedupe_key=key).exists():
        return None
    try:
        # A savepoint: a concurrent sweep that won the race must not abort ours.
        with transaction.atomic():
            return WellbeingNotification.objects.create(
                person_id=person_id, kind=kind, dedupe_key=key
            )
    except IntegrityError:
        return None


def _queue_email(notification: WellbeingNotification) -> None:
    from ..tasks import wellbeing_notification_email

    notification_id = notification.pk
    transaction.on_commit(lambda: wellbeing_notification_email.delay(notification_id))


def _checkins_due(now: dt.datetime) -> list[WellbeingNotification]:
    created = []
    due = (
        ReminderPreference.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(enabled=True, next_due_at__lte=now, person__is_active=True)
        .order_by("pk")
    )
    for preference in due:
        assert preference.next_due_at is not None  # noqa: S101  (filtered above)
        due_on = timezone.localdate(preference.next_due_at)
        notification = _notify(
            person_id=preference.person_id,
            kind=NotificationKind.CHECKIN_DUE,
            key=f"checkin:{preference.person_id}:{due_on.isoformat()}",
        )
        if notification is not None:
            created.append(notification)
        # After an outage the sweep catches up with one reminder, not one per missed period.
        step = dt.timedelta(days=preference.interval_days)
        next_due = preference.next_due_at
        while next_due <= now:
            next_due += step
        preference.next_due_at = next_due
        preference.save(update_fields=["next_due_at"])
    return created


def _support_reviews_due(today: dt.date) -> list[WellbeingNotification]:
    from supervision.models import SupervisionAgreement

    created = []
    plans = [
        (plan_id, person_id, review_on)
        for plan_id, person_id, review_on in SupportPlan.objects.filter(
            status=SupportPlanStatus.OPEN, review_meeting_date__lte=today
        ).values_list("pk", "person_id", "review_meeting_date")
        if review_on is not None
    ]
    supervisors: dict[int, list[int]] = {}
    for supervisor_id, supervisee_id in SupervisionAgreement.objects.filter(
        active=True, supervisee_id__in=[person_id for _pk, person_id, _d in plans]
    ).values_list("supervisor_id", "supervisee_id"):
        supervisors.setdefault(supervisee_id, []).append(supervisor_id)
    for plan_id, person_id, review_on in plans:
        for recipient in [person_id, *supervisors.get(person_id, [])]:
            notification = _notify(
                person_id=recipient,
                kind=NotificationKind.SUPPORT_REVIEW_DUE,
                key=f"support_review:{plan_id}:{review_on.isoformat()}:{recipient}",
            )
            if notification is not None:
                created.append(notification)
    return created


def _job_reviews_due(today: dt.date) -> list[WellbeingNotification]:
    created = []
    due = current_job_descriptions().filter(review_due_on__lte=today, person__is_active=True)
    for job_id, person_id, review_on in due.values_list("pk", "person_id", "review_due_on"):
        if review_on is None:
            continue
        notification = _notify(
            person_id=person_id,
            kind=NotificationKind.JOB_REVIEW_DUE,
            key=f"job_review:{job_id}:{review_on.isoformat()}",
        )
        if notification is not None:
            created.append(notification)
    return created


@transaction.atomic
def reminders_due_create(*, now: dt.datetime | None = None) -> int:
    """Create every due check-in, support review and job review notification; return how many.

    Idempotent: a second run at the same time creates nothing. An e-mail follows each new
    notification when e-mail is configured.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    checkins = _checkins_due(now)
    reviews = _support_reviews_due(today)
    jobs = _job_reviews_due(today)
    created = [*checkins, *reviews, *jobs]
    if created:
        audit_event_record(
            event_type=EventType.WELLBEING_NOTIFICATIONS_CREATED,
            target_type="staffwellbeing.wellbeingnotification",
            details={
                "checkin_due": len(checkins),
                "support_review_due": len(reviews),
                "job_review_due": len(jobs),
            },
        )
        if email_configured():
            for notification in created:
                _queue_email(notification)
    logger.info("wellbeing reminders created: %d", len(created))
    return len(created)


def wellbeing_notification_read(*, actor: User, notification_id: int) -> WellbeingNotification:
    """Mark one of `actor`'s own notifications as read (reading it twice changes nothing)."""
    with transaction.atomic():
        notification = (
            WellbeingNotification.objects.select_for_update()
            .filter(pk=notification_id, person_id=actor.pk)
            .first()
        )
        if notification is not None and notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
            audit_event_record(
                event_type=EventType.WELLBEING_NOTIFICATION_READ,
                actor=actor,
                target=notification,
                details={"kind": notification.kind},
            )
    if notification is None:
        exists = WellbeingNotification.objects.filter(pk=notification_id).exists()
        access_denied_record(
            actor=actor,
            action="notification_read",
            target_type="staffwellbeing.wellbeingnotification",
            target_id=notification_id if exists else "",
        )
        raise WellbeingNotFound
    return notification


def wellbeing_notification_email_send(*, notification_id: int) -> bool:
    """Send the e-mail nudge for one notification; return True if one was sent."""
    from django.core.mail import send_mail

    notification = (
        WellbeingNotification.objects.select_related("person").filter(pk=notification_id).first()
    )
    if notification is None or not email_configured():
        return False
    person = notification.person
    if not person.is_active or not person.email:
        return False
    send_mail(str(EMAIL_SUBJECT), str(EMAIL_BODY), None, [person.email])
    logger.info("wellbeing reminder e-mail sent for notification %d", notification.pk)
    return True
