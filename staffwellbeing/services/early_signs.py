"""Early signs: the organisation's list, and a person's self-check kept only if they ask.

Ticking signs on the self-check page stores nothing; `early_sign_check_keep` is the only write,
and it happens only when the person presses "keep this check".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import EarlySign, EarlySignCheck
from ..permissions_support import (
    WellbeingInvalid,
    WellbeingNotFound,
    can_manage_early_signs,
    owned_or_404,
    require,
)

DEMO_FILE = Path(__file__).resolve().parent.parent / "demo_early_signs.json"
# Ticking this many signs suggests taking the compassion fatigue scale.
SUGGEST_SCALE_FROM = 2
TEXT_REQUIRED = _("Describe the early sign.")
NOTHING_TICKED = _("Tick at least one sign to keep a check.")
UNKNOWN_SIGN = _("One of the ticked signs is no longer on the list. Reload the page.")


def _audit_list_change(actor: User | None, sign: EarlySign, change: str) -> None:
    audit_event_record(
        event_type=EventType.EARLY_SIGNS_CHANGED,
        actor=actor,
        target=sign,
        details={"change": change},
    )


def early_sign_add(*, actor: User, text: str) -> EarlySign:
    """Append a sign to the organisation's list (admins and managers)."""
    require(can_manage_early_signs(actor), actor=actor, action="early_signs", target=EarlySign)
    if not text.strip():
        raise WellbeingInvalid(TEXT_REQUIRED, field="text")
    with transaction.atomic():
        last = EarlySign.objects.aggregate(last=Max("position"))["last"]
        sign = EarlySign.objects.create(text=text.strip(), position=0 if last is None else last + 1)
        _audit_list_change(actor, sign, "added")
    return sign


def early_sign_active_set(*, actor: User, sign_id: int, active: bool) -> EarlySign:
    """Take a sign off the list (kept checks still name it) or put it back."""
    require(can_manage_early_signs(actor), actor=actor, action="early_signs", target=EarlySign)
    with transaction.atomic():
        sign = EarlySign.objects.select_for_update().filter(pk=sign_id).first()
        if sign is None:
            raise WellbeingNotFound
        sign.active = active
        sign.save(update_fields=["active", "updated_at"])
        _audit_list_change(actor, sign, "restored" if active else "retired")
    return sign


@transaction.atomic
def early_signs_demo_load(*, actor: User | None = None) -> int:
    """Load the demonstration list when the organisation has none yet; return how many."""
    if EarlySign.objects.exists():
        return 0
    texts = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    signs = EarlySign.objects.bulk_create(
        EarlySign(text=text, position=position) for position, text in enumerate(texts)
    )
    audit_event_record(
        event_type=EventType.EARLY_SIGNS_CHANGED,
        actor=actor,
        target_type="staffwellbeing.earlysign",
        details={"change": "demo_loaded", "count": len(signs)},
    )
    return len(signs)


def early_signs_suggest_scale(ticked: Sequence[EarlySign]) -> bool:
    """Return True when the ticked signs are enough to suggest taking the scale."""
    return len(ticked) >= SUGGEST_SCALE_FROM


def early_sign_check_keep(*, actor: User, sign_ids: Sequence[int]) -> EarlySignCheck:
    """Keep `actor`'s self-check: the ticked signs' wording, encrypted, visible only to them."""
    if not sign_ids:
        raise WellbeingInvalid(NOTHING_TICKED, field="signs")
    signs = list(EarlySign.objects.filter(pk__in=set(sign_ids), active=True))
    if len(signs) != len(set(sign_ids)):
        raise WellbeingInvalid(UNKNOWN_SIGN, field="signs")
    with transaction.atomic():
        # The wording is kept with the check: the list may change after it was taken.
        check = EarlySignCheck.objects.create(
            person=actor,
            signs=[{"id": sign.pk, "text": sign.text} for sign in signs],
        )
        audit_event_record(
            event_type=EventType.EARLY_SIGN_CHECK_KEPT,
            actor=actor,
            target=check,
            details={"count": len(signs)},
        )
    return check


def early_sign_check_delete(*, actor: User, check_id: int) -> None:
    """Delete one of `actor`'s own kept checks; anyone else's answers 404."""
    check = owned_or_404(
        EarlySignCheck.objects.all(), actor=actor, pk=check_id, action="early_sign_check_delete"
    )
    with transaction.atomic():
        audit_event_record(
            event_type=EventType.EARLY_SIGN_CHECK_DELETED,
            actor=actor,
            target_type="staffwellbeing.earlysigncheck",
            target_id=check.pk,
        )
        check.delete()
