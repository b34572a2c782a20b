"""Keeping the register of partner organisations that patient data may be sent to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record
from patients.auditing import DenialReason, access_denied_record
from patients.exceptions import ActionRefused, InvalidRequest

from ..models import PartnerKind, PartnerOrganisation
from ..permissions.referrals import can_manage_partners

if TYPE_CHECKING:
    from carecore.accounts.models import User

NOT_A_PARTNER_KEEPER = _("Only managers and privacy officers can change the partner register.")
PARTNER_NAME_REQUIRED = _("Enter the organisation's name.")
PARTNER_NAME_TAKEN = _("A partner organisation with this name is already registered.")
PARTNER_COUNTRY_REQUIRED = _("Enter the country the organisation works in.")
PARTNER_KIND_INVALID = _("Choose what kind of organisation this is.")
PARTNER_ROUTE_REQUIRED = _(
    "Describe the secure route to reach the organisation (secure e-mail, portal or named contact)."
)
PARTNER_TARGET = "lifecycle.partnerorganisation"


@dataclass(frozen=True)
class PartnerDetails:
    """One partner as the form collects it."""

    name: str
    country: str
    kind: str
    secure_contact_route: str
    active: bool = True


def partners_require_keeper(*, actor: User, action: str, target_id: int | str = "") -> None:
    """Raise ActionRefused (403), audited, unless `actor` may keep the partner register."""
    if can_manage_partners(actor):
        return
    access_denied_record(
        actor=actor,
        action=action,
        reason=DenialReason.ROLE,
        target_type=PARTNER_TARGET,
        target_id=target_id,
    )
    raise ActionRefused(NOT_A_PARTNER_KEEPER)


def _clean(details: PartnerDetails, *, exclude_pk: int | None = None) -> PartnerDetails:
    name = " ".join((details.name or "").split())
    country = (details.country or "").strip()
    route = (details.secure_contact_route or "").strip()
    if not name:
        raise InvalidRequest(PARTNER_NAME_REQUIRED)
    if not country:
        raise InvalidRequest(PARTNER_COUNTRY_REQUIRED)
    if details.kind not in PartnerKind.values:
        raise InvalidRequest(PARTNER_KIND_INVALID)
    if not route:
        raise InvalidRequest(PARTNER_ROUTE_REQUIRED)
    taken = PartnerOrganisation.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise InvalidRequest(PARTNER_NAME_TAKEN)
    return PartnerDetails(
        name=name,
        country=country,
        kind=details.kind,
        secure_contact_route=route,
        active=details.active,
    )


def partner_create(*, actor: User, details: PartnerDetails) -> PartnerOrganisation:
    """Register a partner organisation (PARTNER_CREATED)."""
    partners_require_keeper(actor=actor, action="partner_create")
    cleaned = _clean(details)
    with transaction.atomic():
        partner = PartnerOrganisation.objects.create(
            name=cleaned.name,
            country=cleaned.country,
            kind=cleaned.kind,
            secure_contact_route=cleaned.secure_contact_route,
            active=True,
            created_by=actor,
        )
        audit_event_record(
            event_type=EventType.PARTNER_CREATED,
            actor=actor,
            target=partner,
            details={"kind": cleaned.kind},
        )
    return partner


def partner_update(
    *, actor: User, partner: PartnerOrganisation, details: PartnerDetails
) -> PartnerOrganisation:
    """Change a partner's details or active state (PARTNER_CHANGED, naming changed fields)."""
    partners_require_keeper(actor=actor, action="partner_update", target_id=partner.pk)
    cleaned = _clean(details, exclude_pk=partner.pk)
    with transaction.atomic():
        locked = PartnerOrganisation.objects.select_for_update().get(pk=partner.pk)
        changed = [
            name
            for name in ("name", "country", "kind", "secure_contact_route", "active")
            if getattr(locked, name) != getattr(cleaned, name)
        ]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, getattr(cleaned, name))
        locked.save(update_fields=[*changed, "updated_at"])
        audit_event_record(
            event_type=EventType.PARTNER_CHANGED,
            actor=actor,
            target=locked,
            details={"fields": changed, "kind": locked.kind, "active": locked.active},
        )
    return locked


def partner_deactivate(*, actor: User, partner: PartnerOrganisation) -> PartnerOrganisation:
    """Stop offering a partner for new referrals; past referrals keep it (PARTNER_CHANGED)."""
    partners_require_keeper(actor=actor, action="partner_deactivate", target_id=partner.pk)
    with transaction.atomic():
        locked = PartnerOrganisation.objects.select_for_update().get(pk=partner.pk)
        if not locked.active:
            return locked
        locked.active = False
        locked.save(update_fields=["active", "updated_at"])
        audit_event_record(
            event_type=EventType.PARTNER_CHANGED,
            actor=actor,
            target=locked,
            details={"fields": ["active"], "kind": locked.kind, "active": False},
        )
    return locked
