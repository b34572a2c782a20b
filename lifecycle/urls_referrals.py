"""URLs for referrals; included by lifecycle/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import referrals

urlpatterns: list[URLPattern] = [
    path("referrals/", referrals.referral_list, name="referrals"),
    path("referrals/new/", referrals.referral_new, name="referral_new"),
    path("referrals/<uuid:uuid>/", referrals.referral_detail, name="referral_detail"),
    path(
        "referrals/<uuid:uuid>/approve/",
        referrals.referral_approve_view,
        name="referral_approve",
    ),
    path("referrals/<uuid:uuid>/reject/", referrals.referral_reject_view, name="referral_reject"),
    path("referrals/<uuid:uuid>/status/", referrals.referral_status_view, name="referral_status"),
    path(
        "referrals/<uuid:uuid>/withdraw/",
        referrals.referral_withdraw_view,
        name="referral_withdraw",
    ),
    path("referrals/<uuid:uuid>/package/", referrals.referral_package, name="referral_package"),
]
