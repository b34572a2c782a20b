from django.urls import include, path

urlpatterns = [
    path("", include("carecore.home.urls")),
    path("accounts/", include("carecore.accounts.urls")),
    path("audit/", include("carecore.audit.urls")),
]
