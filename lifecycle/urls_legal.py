"""URLs for legal requests and legal holds; included by lifecycle/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import legal

urlpatterns: list[URLPattern] = [
    path("legal/", legal.legal_requests, name="legal_requests"),
    path("legal/new/", legal.legal_request_new, name="legal_request_new"),
    path("legal/holds/", legal.legal_holds, name="legal_holds"),
    path("legal/holds/new/", legal.legal_hold_new, name="legal_hold_new"),
    path("legal/holds/<int:hold_id>/lift/", legal.legal_hold_lift_view, name="legal_hold_lift"),
    path("legal/<uuid:request_uuid>/", legal.legal_request_detail, name="legal_request_detail"),
    path("legal/<uuid:request_uuid>/basis/", legal.legal_request_basis, name="legal_request_basis"),
    path("legal/<uuid:request_uuid>/scope/", legal.legal_request_scope, name="legal_request_scope"),
    path(
        "legal/<uuid:request_uuid>/approve/",
        legal.legal_request_approve,
        name="legal_request_approve",
    ),
    path(
        "legal/<uuid:request_uuid>/refuse/",
        legal.legal_request_refuse_view,
        name="legal_request_refuse",
    ),
    path(
        "legal/<uuid:request_uuid>/package/",
        legal.legal_request_package,
        name="legal_request_package",
    ),
]
