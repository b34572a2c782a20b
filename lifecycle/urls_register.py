"""URLs for the disclosure register pages; included by lifecycle/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import register

urlpatterns: list[URLPattern] = [
    path("register/", register.register, name="register"),
    path("register/<uuid:patient_uuid>/", register.patient_register, name="patient_register"),
    path("register/<uuid:patient_uuid>/new/", register.disclosure_new, name="disclosure_new"),
    path("register/<uuid:patient_uuid>/report/", register.patient_report, name="patient_report"),
]
