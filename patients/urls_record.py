"""URLs of the record sections and of oversight, included by `patients.urls` (namespace
"patients")."""

from __future__ import annotations

from django.urls import path

from .views import (
    record_attachments,
    record_break_glass,
    record_consents,
    record_notes,
    record_oversight,
    record_plan,
    record_safety,
)

urlpatterns = [
    path("<uuid:patient_uuid>/notes/", record_notes.notes, name="notes"),
    path(
        "<uuid:patient_uuid>/notes/<int:note_id>/amend/",
        record_notes.note_amend_view,
        name="note_amend",
    ),
    path("<uuid:patient_uuid>/plan/", record_plan.plan, name="plan"),
    path(
        "<uuid:patient_uuid>/plan/<int:goal_id>/status/",
        record_plan.goal_status,
        name="goal_status",
    ),
    path("<uuid:patient_uuid>/consents/", record_consents.consents, name="consents"),
    path(
        "<uuid:patient_uuid>/consents/<int:consent_id>/withdraw/",
        record_consents.consent_withdraw_view,
        name="consent_withdraw",
    ),
    path("<uuid:patient_uuid>/safety/", record_safety.safety, name="safety"),
    path(
        "<uuid:patient_uuid>/safety/<int:flag_id>/resolve/",
        record_safety.safety_flag_resolve_view,
        name="safety_flag_resolve",
    ),
    path("<uuid:patient_uuid>/attachments/", record_attachments.attachments, name="attachments"),
    path(
        "<uuid:patient_uuid>/attachments/<int:attachment_id>/download/",
        record_attachments.attachment_download_view,
        name="attachment_download",
    ),
    path("<uuid:patient_uuid>/access-log/", record_oversight.access_log, name="access_log"),
    path("<uuid:patient_uuid>/break-glass/", record_break_glass.break_glass, name="break_glass"),
    path("break-glass/", record_break_glass.break_glass_start, name="break_glass_start"),
    path(
        "break-glass/reviews/",
        record_oversight.break_glass_reviews,
        name="break_glass_reviews",
    ),
    path(
        "break-glass/reviews/<int:grant_id>/",
        record_oversight.break_glass_review_view,
        name="break_glass_review",
    ),
    path("notifications/", record_oversight.notifications, name="notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        record_oversight.notification_read,
        name="notification_read",
    ),
]
