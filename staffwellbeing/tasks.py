"""Periodic wellbeing work (beat schedule in settings). Tasks take ids only, or nothing."""

from __future__ import annotations

from celery import shared_task

from .services.reminders import reminders_due_create, wellbeing_notification_email_send


@shared_task(
    name="staffwellbeing.tasks.wellbeing_reminders_send", time_limit=300, soft_time_limit=240
)
def wellbeing_reminders_send() -> int:
    """Create the due check-in and review notifications; return how many were created."""
    return reminders_due_create()


@shared_task(
    name="staffwellbeing.tasks.wellbeing_notification_email",
    time_limit=60,
    soft_time_limit=50,
)
def wellbeing_notification_email(notification_id: int) -> bool:
    """Send the e-mail nudge for one notification (no personal data in it)."""
    return wellbeing_notification_email_send(notification_id=notification_id)
