"""URLs for sessions; included by supervision/urls.py.

Clinical supervision lives under `sessions/`, management meetings under `meetings/`: the same
views, told the purpose by the URL, so neither side can open the other's records.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import sessions as views

urlpatterns: list[URLPattern] = [
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<uuid:uuid>/", views.session_detail, name="session_detail"),
    path(
        "sessions/<uuid:uuid>/reschedule/",
        views.session_reschedule,
        name="session_reschedule",
    ),
    path("sessions/<uuid:uuid>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<uuid:uuid>/log/", views.session_log, name="session_log"),
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<uuid:uuid>/", views.meeting_detail, name="meeting_detail"),
    path(
        "meetings/<uuid:uuid>/reschedule/",
        views.meeting_reschedule,
        name="meeting_reschedule",
    ),
    path("meetings/<uuid:uuid>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("meetings/<uuid:uuid>/log/", views.meeting_log, name="meeting_log"),
    path("meetings/actions/", views.meeting_action_list, name="meeting_actions"),
    path(
        "meetings/actions/<int:pk>/done/",
        views.meeting_action_done,
        name="meeting_action_done",
    ),
    path("actions/", views.action_list, name="actions"),
    path("actions/<int:pk>/done/", views.action_done, name="action_done"),
]
