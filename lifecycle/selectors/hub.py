"""The data-sharing hub: which lifecycle pages a user may open, with the counts that need them.

Counts only (no case code, no recipient), so viewing the hub is not audited; each page it
links to audits its own reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..models import (
    AccessRequestStatus,
    LegalHold,
    LegalRequest,
    LegalRequestStatus,
    PatientAccessRequest,
    RetentionCandidate,
)
from ..permissions.common import is_clinician
from ..permissions.legal import (
    access_requests_condition,
    can_export_research,
    can_handle_legal,
    can_open_access_requests,
    can_view_organisation_register,
)
from ..permissions.referrals import can_manage_partners
from ..permissions.retention import can_manage_retention
from .referrals import referral_awaiting_count

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

OPEN_LEGAL = (
    LegalRequestStatus.RECEIVED,
    LegalRequestStatus.BASIS_REVIEWED,
    LegalRequestStatus.SCOPE_DECIDED,
)
OPEN_ACCESS = (AccessRequestStatus.RECEIVED, AccessRequestStatus.SAFETY_REVIEWED)


@dataclass(frozen=True)
class HubLink:
    label: str | Promise
    url: str
    help: str | Promise
    # Something waiting for this user, when there is a count worth showing.
    waiting: int | None = None


def hub_links_for(*, user: User | AnonymousUser) -> list[HubLink]:
    """Return the lifecycle pages `user` may open, in the order work usually flows."""
    links: list[HubLink] = []
    if is_clinician(user) or can_manage_partners(user):
        links.append(
            HubLink(
                _("Referrals and transfers of care"),
                reverse("lifecycle:referrals"),
                _("Prepare a package for a partner, approve one, and track what was sent."),
                referral_awaiting_count(user=user),
            )
        )
    if is_clinician(user) or can_manage_partners(user):
        links.append(
            HubLink(
                _("Partner organisations"),
                reverse("lifecycle:partners"),
                _("Where patient data may be sent, and how to reach them safely."),
            )
        )
    if can_open_access_requests(user):
        waiting = (
            PatientAccessRequest.objects.filter(access_requests_condition(user))
            .filter(status__in=OPEN_ACCESS)
            .count()
        )
        links.append(
            HubLink(
                _("Patients' requests for a copy"),
                reverse("lifecycle:access_requests"),
                _("A patient asks for their own record: safety review, then a second person."),
                waiting,
            )
        )
    if can_handle_legal(user):
        links += [
            HubLink(
                _("Legal requests"),
                reverse("lifecycle:legal_requests"),
                _("Courts, police, lawyers and immigration authorities: each step recorded."),
                LegalRequest.objects.filter(status__in=OPEN_LEGAL).count(),
            ),
            HubLink(
                _("Legal holds"),
                reverse("lifecycle:legal_holds"),
                _("A record under a hold cannot be destroyed."),
                LegalHold.objects.filter(lifted_at__isnull=True).count(),
            ),
        ]
    if can_view_organisation_register(user):
        links.append(
            HubLink(
                _("Disclosure register"),
                reverse("lifecycle:register"),
                _("Every time information left the care team: who, what, why, on what basis."),
            )
        )
    if can_export_research(user):
        links.append(
            HubLink(
                _("Research export"),
                reverse("lifecycle:research_export"),
                _("De-identified figures of patients who consented to research, only."),
            )
        )
    if can_manage_retention(user):
        links += [
            HubLink(
                _("Retention review"),
                reverse("lifecycle:retention"),
                _("Closed cases past their retention period, to propose for destruction."),
                RetentionCandidate.objects.count(),
            ),
            HubLink(
                _("Destruction report"),
                reverse("lifecycle:destructions"),
                _("What was destroyed, when, and who approved it."),
            ),
        ]
    return links


def may_open_hub(user: User | AnonymousUser) -> bool:
    """Return whether `user` has any lifecycle page to open (no query)."""
    return (
        is_clinician(user)
        or can_manage_partners(user)
        or can_handle_legal(user)
        or can_export_research(user)
    )
