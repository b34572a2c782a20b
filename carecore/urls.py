from django.urls import include, path

urlpatterns = [
    path("", include("carecore.home.urls")),
]
