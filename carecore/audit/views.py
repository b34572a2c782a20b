from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .events import EventType, Outcome
from .forms import AuditEventFilterForm
from .models import AuditEvent
from .permissions import audit_log_may_view
from .selectors import audit_event_list
from .services import audit_event_record

PAGE_SIZE = 50


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and int(raw) > 0 else 1


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    """Show the audit log, filtered and paginated, to privacy officers and admins."""
    if not audit_log_may_view(user=request.user):
        audit_event_record(
            event_type=EventType.ACCESS_DENIED,
            actor=request.user,
            outcome=Outcome.DENIED,
            target_type="audit.auditevent",
            details={"view": "audit:event_list"},
        )
        raise PermissionDenied
    form = AuditEventFilterForm(request.GET)
    valid = form.is_valid()
    # Written before any row is read: when the audit row cannot be written, nothing is served.
    audit_event_record(
        event_type=EventType.AUDIT_LOG_VIEWED,
        actor=request.user,
        outcome=Outcome.SUCCESS if valid else Outcome.FAILURE,
        target_type="audit.auditevent",
        details={
            "filters": form.filters().used_keys() if valid else form.submitted_keys(),
            "page": _page_number(request.GET.get("page")),
        },
    )
    events = (
        audit_event_list(user=request.user, filters=form.filters())
        if valid
        else AuditEvent.objects.none()
    )
    page_obj: Page[AuditEvent] = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/event_list.html",
        {
            "filter_form": form,
            "page_obj": page_obj,
            "paginator": page_obj.paginator,
            "events": page_obj.object_list,
            "is_paginated": page_obj.has_other_pages(),
        },
    )
