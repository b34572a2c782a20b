"""URLs for supervision arrangements, the calendar link and feed, and reminders."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import calendar, people

urlpatterns: list[URLPattern] = [
    path("agreements/", people.agreements, name="agreements"),
    path("agreements/new/", people.agreement_new, name="agreement_new"),
    path("agreements/<int:pk>/edit/", people.agreement_edit, name="agreement_edit"),
    path("agreements/<int:pk>/end/", people.agreement_end_view, name="agreement_end"),
    path("groups/", people.groups, name="groups"),
    path("groups/new/", people.group_new, name="group_new"),
    path("groups/<int:pk>/", people.group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", people.group_edit, name="group_edit"),
    path("groups/<int:pk>/close/", people.group_close_view, name="group_close"),
    path(
        "groups/<int:pk>/members/<int:membership_pk>/remove/",
        people.group_member_remove_view,
        name="group_member_remove",
    ),
    path("work-profiles/", people.work_profiles, name="work_profiles"),
    path("work-profiles/<int:user_id>/edit/", people.work_profile_edit, name="work_profile_edit"),
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/revoke/", calendar.calendar_revoke, name="calendar_revoke"),
    path("calendar/replace/", calendar.calendar_replace, name="calendar_replace"),
    # Public: the token is the credential (see the view). Listed in the URL protection test.
    path("calendar/feed/<str:token>.ics", calendar.calendar_feed, name="calendar_feed"),
    path("reminders/", calendar.reminders, name="reminders"),
    path("reminders/<int:pk>/read/", calendar.reminder_read, name="reminder_read"),
]
