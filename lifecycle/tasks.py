"""Periodic data lifecycle work (beat schedule in settings). Tasks take ids only, or nothing."""

from __future__ import annotations

from celery import shared_task

from .services.retention import retention_review_run


@shared_task(name="lifecycle.tasks.retention_review", time_limit=600, soft_time_limit=540)
def retention_review() -> int:
    """List the closed cases past retention for a privacy officer; return how many are listed."""
    return retention_review_run()
