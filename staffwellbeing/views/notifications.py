"""In-app wellbeing notifications and the check-in reminder preference."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..forms_support import ReminderPreferenceForm
from ..models import ReminderPreference, WellbeingNotification
from ..services.reminders import (
    DEFAULT_INTERVAL_DAYS,
    reminder_preference_set,
    wellbeing_notification_read,
)
from .support import acting_user, form_submit, optional_url, page_of

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

REMINDER_ON = _("Your check-in reminder is set.")
REMINDER_OFF = _("You will not get check-in reminders.")


@require_http_methods(["GET"])
def notifications(request: HttpRequest) -> HttpResponse:
    """List the user's own wellbeing notifications, newest first."""
    user = acting_user(request)
    # Notifications hold a kind and a date only: nothing to audit on reading them.
    own = WellbeingNotification.objects.filter(person_id=user.pk).order_by("-created_at", "-pk")
    return render(
        request,
        "staffwellbeing/notifications/list.html",
        {
            "page_obj": page_of(request, own),
            "checkin_url": optional_url("wellbeing:checkin"),
        },
    )


@require_http_methods(["POST"])
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one of the user's notifications as read."""
    wellbeing_notification_read(actor=acting_user(request), notification_id=notification_id)
    return redirect("wellbeing:notifications")


@require_http_methods(["GET", "POST"])
def reminders(request: HttpRequest) -> HttpResponse:
    """Let the user opt in to or out of a check-in reminder and choose its interval."""
    user = acting_user(request)
    preference = ReminderPreference.objects.filter(person_id=user.pk).first()
    initial = {
        "enabled": preference.enabled if preference else False,
        "interval_days": preference.interval_days if preference else DEFAULT_INTERVAL_DAYS,
    }
    form = ReminderPreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST":
        saved = form_submit(form, lambda: reminder_preference_set(actor=user, **form.cleaned_data))
        if saved is not None:
            messages.success(request, REMINDER_ON if form.cleaned_data["enabled"] else REMINDER_OFF)
            return redirect("wellbeing:reminders")
    return render(
        request,
        "staffwellbeing/notifications/reminders.html",
        {"form": form, "preference": preference},
    )
