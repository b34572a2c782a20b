"""The data-sharing hub: one page that leads to every lifecycle page the user may open."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..permissions.legal import (
    DenialReason,
    LegalAction,
    LifecycleNotFound,
    lifecycle_denial_record,
)
from ..selectors.hub import hub_links_for, may_open_hub


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """List the lifecycle pages the user may open, with what waits for them."""
    if not may_open_hub(request.user):
        lifecycle_denial_record(
            user=request.user,
            action=LegalAction.HUB_VIEW,
            reason=DenialReason.ROLE,
            target_type="lifecycle.hub",
        )
        raise LifecycleNotFound
    return render(request, "lifecycle/home.html", {"links": hub_links_for(user=request.user)})
