"""Who may do what with data lifecycle records, by noun; see each module."""

from .referrals import (
    ReferralAction,
    can_manage_partners,
    can_prepare_referral,
    can_referral,
    can_see_contact_route,
    is_privacy_officer,
    referral_actions,
    referrals_for,
)

__all__ = [
    "ReferralAction",
    "can_manage_partners",
    "can_prepare_referral",
    "can_referral",
    "can_see_contact_route",
    "is_privacy_officer",
    "referral_actions",
    "referrals_for",
]
