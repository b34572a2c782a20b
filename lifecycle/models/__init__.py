"""Data lifecycle: partners, referrals, release packages, the disclosure register, legal
requests and holds, patient access copies, retention and destruction."""

from .access import AccessRequestStatus, PatientAccessRequest
from .legal import LegalBasis, LegalHold, LegalRequest, LegalRequestStatus, RequesterKind
from .packages import PackageKind, ReleasePackage, Section
from .partners import PartnerKind, PartnerOrganisation
from .referrals import Referral, ReferralKind, ReferralStatus
from .register import DisclosureEntry, DisclosureKind
from .retention import (
    DestructionRequest,
    DestructionStatus,
    DestructionTombstone,
    RetentionCandidate,
)

__all__ = [
    "AccessRequestStatus",
    "DestructionRequest",
    "DestructionStatus",
    "DestructionTombstone",
    "DisclosureEntry",
    "DisclosureKind",
    "LegalBasis",
    "LegalHold",
    "LegalRequest",
    "LegalRequestStatus",
    "PackageKind",
    "PartnerKind",
    "PartnerOrganisation",
    "PatientAccessRequest",
    "Referral",
    "ReferralKind",
    "ReferralStatus",
    "ReleasePackage",
    "RequesterKind",
    "RetentionCandidate",
    "Section",
]
