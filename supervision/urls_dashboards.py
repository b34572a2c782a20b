"""URLs for dashboards; included by supervision/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import dashboards

urlpatterns: list[URLPattern] = [
    path("", dashboards.home, name="home"),
    path("dashboards/manager/", dashboards.manager, name="dashboard_manager"),
    path("dashboards/supervisor/", dashboards.supervisor, name="dashboard_supervisor"),
    path("dashboards/me/", dashboards.me, name="dashboard_me"),
    path("dashboards/charts/<slug:name>.svg", dashboards.chart, name="dashboard_chart"),
    path(
        "dashboards/<slug:dashboard>/<slug:table>.csv",
        dashboards.table_csv,
        name="dashboard_csv",
    ),
]
