from django.urls import include, path

from . import urls_access, urls_signin

app_name = "accounts"

urlpatterns = [
    path("", include(urls_signin.urlpatterns)),
    path("", include(urls_access.urlpatterns)),
]
