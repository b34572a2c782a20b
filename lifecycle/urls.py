from django.urls import include, path

from . import (
    urls_access,
    urls_legal,
    urls_partners,
    urls_referrals,
    urls_register,
    urls_research,
    urls_retention,
)
from .views import hub

app_name = "lifecycle"

urlpatterns = [
    path("", hub.home, name="home"),
    path("", include(urls_partners.urlpatterns)),
    path("", include(urls_referrals.urlpatterns)),
    path("", include(urls_register.urlpatterns)),
    path("", include(urls_legal.urlpatterns)),
    path("", include(urls_access.urlpatterns)),
    path("", include(urls_research.urlpatterns)),
    path("", include(urls_retention.urlpatterns)),
]
