"""Self-care guidelines: reading and acknowledging them, publishing, and who has not yet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..forms_support import GuidelinesPublishForm
from ..models import SelfCareGuidelines
from ..permissions_support import (
    WellbeingNotFound,
    can_publish_guidelines,
    can_view_guidelines_status,
    require,
)
from ..selectors.guidelines import (
    guidelines_acknowledged_count,
    guidelines_current,
    guidelines_not_acknowledged,
    guidelines_receipt_of,
)
from ..services.guidelines import guidelines_acknowledge, guidelines_publish
from .support import acting_user, form_submit, page_of

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

ACKNOWLEDGED = _("Thank you. Your receipt of the guidelines was recorded.")
PUBLISHED = _("The guidelines were published. Staff are asked to acknowledge them.")


@require_http_methods(["GET", "POST"])
def guidelines(request: HttpRequest) -> HttpResponse:
    """Show the current guidelines and let the user acknowledge receiving them."""
    user = acting_user(request)
    current = guidelines_current()
    if request.method == "POST":
        if current is None or str(current.version) != request.POST.get("version"):
            raise WellbeingNotFound
        guidelines_acknowledge(actor=user, guidelines=current)
        messages.success(request, ACKNOWLEDGED)
        return redirect("wellbeing:guidelines")
    return render(
        request,
        "staffwellbeing/guidelines/current.html",
        {
            "guidelines": current,
            "receipt": guidelines_receipt_of(user=user, guidelines=current) if current else None,
            "may_publish": can_publish_guidelines(user),
            "may_see_status": can_view_guidelines_status(user),
        },
    )


@require_http_methods(["GET", "POST"])
def guidelines_publish_view(request: HttpRequest) -> HttpResponse:
    """Let an admin publish a new version of the guidelines."""
    user = acting_user(request)
    require(
        can_publish_guidelines(user),
        actor=user,
        action="guidelines_publish",
        target=SelfCareGuidelines,
    )
    current = guidelines_current()
    initial = {"title": current.title, "body": current.body} if current else {}
    form = GuidelinesPublishForm(request.POST or None, initial=initial)
    if request.method == "POST" and form_submit(
        form, lambda: guidelines_publish(actor=user, **form.cleaned_data)
    ):
        messages.success(request, PUBLISHED)
        return redirect("wellbeing:guidelines")
    return render(
        request, "staffwellbeing/guidelines/publish.html", {"form": form, "current": current}
    )


@require_http_methods(["GET"])
def guidelines_status(request: HttpRequest) -> HttpResponse:
    """List, for managers, who has not yet acknowledged the current guidelines."""
    user = acting_user(request)
    require(
        can_view_guidelines_status(user),
        actor=user,
        action="guidelines_status",
        target=SelfCareGuidelines,
    )
    current = guidelines_current()
    page = None
    if current is not None:
        page = page_of(request, guidelines_not_acknowledged(user=user, guidelines=current))
    return render(
        request,
        "staffwellbeing/guidelines/status.html",
        {
            "guidelines": current,
            "page_obj": page,
            "acknowledged": guidelines_acknowledged_count(guidelines=current) if current else 0,
        },
    )
