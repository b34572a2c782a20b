from django.urls import include, path

from . import urls_support
from .views import aggregates, checkins

app_name = "wellbeing"

urlpatterns = [
    path("", checkins.mine, name="mine"),
    path("check-in/", checkins.checkin, name="checkin"),
    path("results/<int:checkin_id>/", checkins.result, name="result"),
    path("results/<int:checkin_id>/share/", checkins.share, name="share"),
    path(
        "results/<int:checkin_id>/unshare/<int:supervisor_id>/",
        checkins.unshare,
        name="unshare",
    ),
    path("chart.svg", checkins.chart, name="chart"),
    path("shared-with-me/", checkins.shared_with_me, name="shared_with_me"),
    path("overview/", aggregates.overview, name="overview"),
    path("instrument/load/", checkins.instrument_load, name="instrument_load"),
    path("", include(urls_support.urlpatterns)),
]
