"""Reading a person's supervision reminders (overdue supervision, caseload reviews due)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from ..models import SupervisionNotification

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User


def supervision_notifications_for(
    *, user: User | AnonymousUser
) -> QuerySet[SupervisionNotification, SupervisionNotification]:
    """Return `user`'s own reminders, newest first, with the due fact and its person."""
    if not user.is_authenticated:
        return SupervisionNotification.objects.none()
    return SupervisionNotification.objects.filter(recipient_id=user.pk).select_related(
        "due", "due__person"
    )


def supervision_notifications_unread_count(user: User | AnonymousUser) -> int:
    """Return how many of `user`'s reminders are unread (for the navigation)."""
    if not user.is_authenticated:
        return 0
    return SupervisionNotification.objects.filter(
        recipient_id=user.pk, read_at__isnull=True
    ).count()
