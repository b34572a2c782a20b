"""Periodic supervision work (beat schedule in settings). Tasks take ids only, or nothing."""

from __future__ import annotations

from celery import shared_task

from .services.reminders import supervision_reminders_sweep


@shared_task(name="supervision.tasks.supervision_reminders", time_limit=300, soft_time_limit=240)
def supervision_reminders() -> int:
    """Open overdue-supervision and review-due reminders; return how many were opened."""
    return supervision_reminders_sweep()
