"""URLs of early signs, reminders, support plans, job descriptions, guidelines and leave.

Included by `staffwellbeing.urls` (namespace "wellbeing").
"""

from __future__ import annotations

from django.urls import path

from .views import early_signs, guidelines, jobs, leave, notifications, support

urlpatterns = [
    path("early-signs/", early_signs.early_signs, name="early_signs"),
    path("early-signs/kept/", early_signs.early_sign_checks, name="early_sign_checks"),
    path(
        "early-signs/kept/<int:check_id>/delete/",
        early_signs.early_sign_check_delete_view,
        name="early_sign_check_delete",
    ),
    path("early-signs/manage/", early_signs.early_signs_manage, name="early_signs_manage"),
    path("reminders/", notifications.reminders, name="reminders"),
    path("notifications/", notifications.notifications, name="notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        notifications.notification_read,
        name="notification_read",
    ),
    path("support/", support.support_list, name="support_list"),
    path("support/request/", support.support_request, name="support_request"),
    path("support/new/", support.support_create, name="support_create"),
    path("support/<int:plan_id>/", support.support_detail, name="support_detail"),
    path("support/<int:plan_id>/edit/", support.support_edit, name="support_edit"),
    path("support/<int:plan_id>/close/", support.support_close, name="support_close"),
    path("job/", jobs.job_description, name="job_description"),
    path("job/reviews/", jobs.job_reviews, name="job_reviews"),
    path("job/<int:person_id>/edit/", jobs.job_description_edit, name="job_description_edit"),
    path("guidelines/", guidelines.guidelines, name="guidelines"),
    path("guidelines/publish/", guidelines.guidelines_publish_view, name="guidelines_publish"),
    path("guidelines/status/", guidelines.guidelines_status, name="guidelines_status"),
    path("leave/", leave.leave, name="leave"),
    path("leave/<int:leave_id>/delete/", leave.leave_delete_view, name="leave_delete"),
]
