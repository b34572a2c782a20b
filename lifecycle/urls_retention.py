"""URLs for retention; included by lifecycle/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import retention as views

urlpatterns: list[URLPattern] = [
    path("retention/", views.candidates, name="retention"),
    path("retention/<uuid:patient_uuid>/propose/", views.propose, name="retention_propose"),
    path("retention/requests/<int:pk>/", views.detail, name="destruction_detail"),
    path("retention/requests/<int:pk>/decide/", views.decide, name="destruction_decide"),
    path("retention/requests/<int:pk>/cancel/", views.cancel, name="destruction_cancel"),
    path("retention/destroyed/", views.destructions, name="destructions"),
    path("retention/destroyed.csv", views.destructions_csv, name="destructions_csv"),
]
