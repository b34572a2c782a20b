"""Publishing the self-care guidelines and recording that staff have received them."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import GuidelinesReceipt, NotificationKind, SelfCareGuidelines, WellbeingNotification
from ..permissions_support import WellbeingInvalid, can_publish_guidelines, require

TITLE_REQUIRED = _("Give the guidelines a title.")
BODY_REQUIRED = _("Paste or write the text of the guidelines.")


def guidelines_publish(*, actor: User, title: str, body: str) -> SelfCareGuidelines:
    """Publish the next version of the guidelines; every active member of staff is notified."""
    require(
        can_publish_guidelines(actor),
        actor=actor,
        action="guidelines_publish",
        target=SelfCareGuidelines,
    )
    if not title.strip():
        raise WellbeingInvalid(TITLE_REQUIRED, field="title")
    if not body.strip():
        raise WellbeingInvalid(BODY_REQUIRED, field="body")
    with transaction.atomic():
        # Two publishers at once: the unique version makes the second fail, never share one.
        latest = SelfCareGuidelines.objects.aggregate(latest=Max("version"))["latest"] or 0
        guidelines = SelfCareGuidelines.objects.create(
            version=latest + 1, title=title.strip(), body=body.strip(), published_by=actor
        )
        staff_ids = User.objects.filter(is_active=True).values_list("pk", flat=True)
        WellbeingNotification.objects.bulk_create(
            [
                WellbeingNotification(
                    person_id=staff_id,
                    kind=NotificationKind.GUIDELINES_NEW,
                    dedupe_key=f"guidelines:{guidelines.version}:{staff_id}",
                )
                for staff_id in staff_ids
            ],
            ignore_conflicts=True,
        )
        audit_event_record(
            event_type=EventType.GUIDELINES_PUBLISHED,
            actor=actor,
            target=guidelines,
            details={"version": guidelines.version},
        )
    return guidelines


@transaction.atomic
def guidelines_acknowledge(*, actor: User, guidelines: SelfCareGuidelines) -> GuidelinesReceipt:
    """Record that `actor` received `guidelines`; acknowledging twice changes nothing."""
    receipt, created = GuidelinesReceipt.objects.get_or_create(user=actor, guidelines=guidelines)
    if created:
        audit_event_record(
            event_type=EventType.GUIDELINES_ACKNOWLEDGED,
            actor=actor,
            target=guidelines,
            details={"version": guidelines.version},
        )
    return receipt
