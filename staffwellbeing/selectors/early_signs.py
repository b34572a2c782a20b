"""Reading the early signs list and a person's own kept self-checks."""

from __future__ import annotations

from django.db.models import QuerySet

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import EarlySign, EarlySignCheck


def early_signs_active() -> QuerySet[EarlySign, EarlySign]:
    """Return the signs on the self-check list, in the organisation's order."""
    return EarlySign.objects.filter(active=True).order_by("position", "pk")


def early_signs_all() -> QuerySet[EarlySign, EarlySign]:
    """Return every sign, retired ones included, for the page that manages the list."""
    return EarlySign.objects.order_by("-active", "position", "pk")


def early_sign_checks_own(*, user: User) -> list[EarlySignCheck]:
    """Return `user`'s own kept checks, newest first; the read is audited when there are any."""
    checks = list(EarlySignCheck.objects.filter(person_id=user.pk).order_by("-checked_at", "-pk"))
    if checks:
        audit_event_record(
            event_type=EventType.EARLY_SIGN_CHECKS_VIEWED,
            actor=user,
            target_type="staffwellbeing.earlysigncheck",
            details={"count": len(checks)},
        )
    return checks
