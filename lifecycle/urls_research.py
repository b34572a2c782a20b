"""URLs for the research export; included by lifecycle/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import research

urlpatterns: list[URLPattern] = [
    path("research/", research.research_export, name="research_export"),
]
