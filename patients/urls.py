from django.urls import include, path

from . import urls_core, urls_record

app_name = "patients"

urlpatterns = [
    path("", include(urls_core.urlpatterns)),
    path("", include(urls_record.urlpatterns)),
]
