"""Oversight: who accessed a record, the break-glass review queue and reviews, notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..forms_record import BreakGlassReviewForm
from ..models import ReviewOutcome
from ..permissions import Action
from ..selectors import (
    break_glass_grant_for_review,
    break_glass_review_queue,
    patient_access_log,
    privacy_notifications_for,
    privacy_notifications_unread_count,
)
from ..services import break_glass_review, privacy_notification_mark_read
from .layout import record_context
from .record_access import acting_user, form_submit, page_of, patient_for_action

if TYPE_CHECKING:
    import uuid

    from django.http import HttpRequest, HttpResponse

REVIEW_RECORDED = _("The review was recorded.")
NOTIFICATION_READ = _("The notification was marked as read.")
NOTIFICATION_NOT_FOUND = _("No notification of yours matches this reference.")


@require_GET
def access_log(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """Show who accessed the record, newest first, to its lead and to privacy officers."""
    user = acting_user(request)
    patient = patient_for_action(request, patient_uuid, Action.VIEW_ACCESS_LOG)
    page = page_of(request, patient_access_log(actor=user, patient=patient))
    context = record_context(request=request, patient=patient, current="access_log")
    context["page_obj"] = page
    return render(request, "patients/oversight/access_log.html", context)


@require_GET
def break_glass_reviews(request: HttpRequest) -> HttpResponse:
    """Show privacy officers the emergency accesses waiting for review, oldest first."""
    page = page_of(request, break_glass_review_queue(user=acting_user(request)))
    return render(request, "patients/oversight/break_glass_reviews.html", {"page_obj": page})


@require_http_methods(["GET", "POST"])
def break_glass_review_view(request: HttpRequest, grant_id: int) -> HttpResponse:
    """Show one emergency access (reason and flagged events) and record its review."""
    user = acting_user(request)
    grant = break_glass_grant_for_review(user=user, grant_id=grant_id)
    form = BreakGlassReviewForm(request.POST or None)
    if request.method == "POST" and form_submit(
        form, lambda data: break_glass_review(actor=user, grant=grant, **data)
    ):
        messages.success(request, REVIEW_RECORDED)
        return redirect("patients:break_glass_reviews")
    # The events this grant flagged: read through the audited access log of the record.
    events = patient_access_log(actor=user, patient=grant.patient).filter(
        details__break_glass_grant=grant.pk
    )
    return render(
        request,
        "patients/oversight/break_glass_review.html",
        {
            "grant": grant,
            "form": form,
            "pending": grant.review_outcome == ReviewOutcome.PENDING,
            "page_obj": page_of(request, events),
        },
    )


@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """Show the user's privacy notifications, newest first."""
    user = acting_user(request)
    page = page_of(request, privacy_notifications_for(user=user, unread_only=False))
    unread = privacy_notifications_unread_count(user=user)
    return render(
        request, "patients/oversight/notifications.html", {"page_obj": page, "unread": unread}
    )


@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one of the user's notifications as read."""
    user = acting_user(request)
    notification = (
        privacy_notifications_for(user=user, unread_only=False).filter(pk=notification_id).first()
    )
    if notification is None:
        raise Http404(NOTIFICATION_NOT_FOUND)
    privacy_notification_mark_read(actor=user, notification=notification)
    messages.success(request, NOTIFICATION_READ)
    return redirect("patients:notifications")
