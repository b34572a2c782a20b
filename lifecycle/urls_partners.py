"""URLs for partners; included by lifecycle/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import partners

urlpatterns: list[URLPattern] = [
    path("partners/", partners.partner_list, name="partners"),
    path("partners/new/", partners.partner_new, name="partner_new"),
    path("partners/<int:pk>/edit/", partners.partner_edit, name="partner_edit"),
    path(
        "partners/<int:pk>/deactivate/",
        partners.partner_deactivate_view,
        name="partner_deactivate",
    ),
]
