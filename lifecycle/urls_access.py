"""URLs for patient access requests; included by lifecycle/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import access

urlpatterns: list[URLPattern] = [
    path("access/", access.access_requests, name="access_requests"),
    path("access/new/", access.access_request_new, name="access_request_new"),
    path("access/<uuid:request_uuid>/", access.access_request_detail, name="access_request_detail"),
    path(
        "access/<uuid:request_uuid>/review/",
        access.access_request_review,
        name="access_request_review",
    ),
    path(
        "access/<uuid:request_uuid>/release/",
        access.access_request_release,
        name="access_request_release",
    ),
    path(
        "access/<uuid:request_uuid>/refuse/",
        access.access_request_refuse_view,
        name="access_request_refuse",
    ),
    path(
        "access/<uuid:request_uuid>/package/",
        access.access_request_package,
        name="access_request_package",
    ),
]
