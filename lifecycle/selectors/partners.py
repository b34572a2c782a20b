"""Reading the partner register: everyone sees names; the contact route only its keepers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record
from patients.auditing import DenialReason, access_denied_record

from ..models import PartnerOrganisation
from ..services.partners import PARTNER_TARGET, partners_require_keeper

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser

# What anyone signed in may read: never the secure contact route.
PUBLIC_FIELDS = ("id", "name", "country", "kind", "active")


def partners_list(*, include_inactive: bool = False) -> QuerySet[PartnerOrganisation]:
    """Return partners by name with their public fields only (the route is not even loaded)."""
    partners = PartnerOrganisation.objects.only(*PUBLIC_FIELDS).order_by("name", "id")
    if not include_inactive:
        partners = partners.filter(active=True)
    return partners


def partners_active() -> QuerySet[PartnerOrganisation]:
    """Return the partners a new referral may go to."""
    return partners_list(include_inactive=False)


def partner_get_for_keeper(*, user: User, partner_id: int) -> PartnerOrganisation:
    """Return a partner with its contact route for a keeper of the register (audited).

    Raise ActionRefused (403) for anyone else and Http404 for a missing partner.
    """
    partners_require_keeper(actor=user, action="partner_view_contact", target_id=partner_id)
    partner = PartnerOrganisation.objects.filter(pk=partner_id).first()
    if partner is None:
        access_denied_record(
            actor=user,
            action="partner_view_contact",
            reason=DenialReason.NOT_FOUND,
            target_type=PARTNER_TARGET,
        )
        raise Http404
    audit_event_record(event_type=EventType.PARTNER_CONTACT_VIEWED, actor=user, target=partner)
    return partner


def partner_contact_route(*, user: User, partner_id: int) -> str | None:
    """Return a partner's secure contact route for someone allowed to see it (audited).

    The caller has decided that `user` may see it (`can_see_contact_route`).
    """
    route = (
        PartnerOrganisation.objects.filter(pk=partner_id)
        .values_list("secure_contact_route", flat=True)
        .first()
    )
    if route is not None:
        audit_event_record(
            event_type=EventType.PARTNER_CONTACT_VIEWED,
            actor=user,
            target_type=PARTNER_TARGET,
            target_id=partner_id,
        )
    return route
