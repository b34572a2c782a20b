"""Periodic patient work (beat schedule in settings). Tasks take ids only, or nothing."""

from __future__ import annotations

from celery import shared_task

from .services.break_glass import break_glass_lapse_expired


@shared_task(name="patients.tasks.break_glass_lapse", time_limit=120, soft_time_limit=100)
def break_glass_lapse() -> int:
    """Lapse the break-glass grants past their expiry; return how many."""
    return break_glass_lapse_expired()
