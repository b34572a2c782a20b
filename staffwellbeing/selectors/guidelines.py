"""Reading the self-care guidelines and who has acknowledged them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import GuidelinesReceipt, SelfCareGuidelines
from ..permissions_support import can_view_guidelines_status, require

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


def guidelines_current() -> SelfCareGuidelines | None:
    """Return the newest published version of the guidelines, or None."""
    return SelfCareGuidelines.objects.order_by("-version").first()


def guidelines_receipt_of(
    *, user: User, guidelines: SelfCareGuidelines
) -> GuidelinesReceipt | None:
    """Return `user`'s acknowledgement of `guidelines`, or None."""
    return GuidelinesReceipt.objects.filter(user_id=user.pk, guidelines=guidelines).first()


def guidelines_not_acknowledged(
    *, user: User | AnonymousUser, guidelines: SelfCareGuidelines
) -> QuerySet[User, User]:
    """Return active staff who have not acknowledged `guidelines` (managers only); audited."""
    require(
        can_view_guidelines_status(user),
        actor=user,
        action="guidelines_status",
        target=SelfCareGuidelines,
    )
    receipts = GuidelinesReceipt.objects.filter(user=OuterRef("pk"), guidelines=guidelines)
    people = (
        User.objects.filter(is_active=True)
        .exclude(Exists(receipts))
        .select_related("team")
        .order_by("username")
    )
    audit_event_record(
        event_type=EventType.GUIDELINES_STATUS_VIEWED,
        actor=user,
        target=guidelines,
        details={"version": guidelines.version},
    )
    return people


def guidelines_acknowledged_count(*, guidelines: SelfCareGuidelines) -> int:
    """Return how many active staff have acknowledged `guidelines`."""
    return GuidelinesReceipt.objects.filter(guidelines=guidelines, user__is_active=True).count()
