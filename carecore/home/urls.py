from __future__ import annotations

from django.urls import path

from . import views

app_name = "home"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
]
