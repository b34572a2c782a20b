from django.urls import include, path

from . import urls_caseload, urls_dashboards, urls_people, urls_sessions, urls_transfers

app_name = "supervision"

urlpatterns = [
    path("", include(urls_dashboards.urlpatterns)),
    path("", include(urls_sessions.urlpatterns)),
    path("", include(urls_people.urlpatterns)),
    path("", include(urls_caseload.urlpatterns)),
    path("", include(urls_transfers.urlpatterns)),
]
