"""Retention pages for privacy officers: candidates, proposals, decisions, the report."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from carecore.downloads import download_response

from ..forms_retention import ApproveForm, ProposeForm
from ..models import DestructionRequest, DestructionStatus
from ..permissions.retention import RetentionAction, RetentionRefused
from ..selectors.retention import (
    destruction_preview,
    destruction_report_rows,
    destruction_request_get,
    destruction_tombstones_for,
    legal_hold_active,
    retention_candidate_get,
    retention_candidates_for,
    tombstone_kinds,
)
from ..services.retention import (
    destruction_approve,
    destruction_cancel,
    destruction_propose,
    destruction_reject,
)

if TYPE_CHECKING:
    import uuid

    from django.db.models import QuerySet
    from django.http import HttpRequest

    from carecore.accounts.models import User

PAGE_SIZE = 25
PROPOSED = _("Destruction proposed. Another privacy officer must now approve or reject it.")
REJECTED = _("The destruction was not approved. The case is kept.")
CANCELLED = _("The proposal was cancelled. The case is kept.")
DESTROYED = _("The case was destroyed. Its tombstone is in the destruction report.")


def _user(request: HttpRequest) -> User:
    # The login middleware has already turned every anonymous request away.
    return cast("User", request.user)


def _page(request: HttpRequest, items: QuerySet[Any]) -> Page:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


@require_GET
def candidates(request: HttpRequest) -> HttpResponse:
    """List the closed cases past retention, with holds and open proposals."""
    page = _page(request, retention_candidates_for(user=_user(request)))
    return render(request, "lifecycle/retention/candidates.html", {"page_obj": page})


@require_http_methods(["GET", "POST"])
def propose(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """Explain what destruction removes, then propose it."""
    user = _user(request)
    candidate = retention_candidate_get(user=user, patient_uuid=patient_uuid)
    form = ProposeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = destruction_propose(actor=user, candidate=candidate)
        except RetentionRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, PROPOSED)
            return redirect("lifecycle:destruction_detail", pk=proposal.pk)
    kinds = destruction_preview(user=user, patient_id=candidate.patient_id)
    context = {"candidate": candidate, "form": form, "kinds": kinds}
    return render(request, "lifecycle/retention/propose.html", context)


def _proposal(
    request: HttpRequest, pk: int, action: RetentionAction
) -> tuple[DestructionRequest, dict[str, Any]]:
    user = _user(request)
    proposal = destruction_request_get(user=user, request_id=pk, action=action)
    is_open = proposal.status == DestructionStatus.PROPOSED and proposal.patient_id is not None
    return proposal, {
        "proposal": proposal,
        "is_open": is_open,
        "may_decide": is_open and proposal.proposed_by_id != user.pk,
        "may_cancel": is_open and proposal.proposed_by_id == user.pk,
    }


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one proposal: the case code, who proposed, and its decision."""
    _unused, context = _proposal(request, pk, RetentionAction.VIEW_REQUEST)
    return render(request, "lifecycle/retention/detail.html", context)


@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve (typing the case code) and destroy, or reject, another officer's proposal."""
    user = _user(request)
    proposal, context = _proposal(request, pk, RetentionAction.DECIDE)
    decision = request.POST.get("decision")
    form = ApproveForm(request.POST if decision == "approve" else None)
    try:
        if request.method == "POST" and decision == "reject":
            destruction_reject(actor=user, request=proposal)
            messages.success(request, REJECTED)
            return redirect("lifecycle:destruction_detail", pk=pk)
        if request.method == "POST" and form.is_valid():
            confirmation = form.cleaned_data["confirmation"]
            destruction_approve(actor=user, request=proposal, confirmation=confirmation)
            messages.success(request, DESTROYED)
            return redirect("lifecycle:destructions")
    except RetentionRefused as refusal:
        # Shown above both forms: a refusal may answer the reject button (an unbound form).
        context["refusal"] = str(refusal)
    if context["is_open"] and proposal.patient_id is not None:
        context["kinds"] = destruction_preview(user=user, patient_id=proposal.patient_id)
        context["on_hold"] = legal_hold_active(patient_id=proposal.patient_id)
    context["form"] = form
    return render(request, "lifecycle/retention/decide.html", context)


@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the proposer to confirm, then withdraw the proposal."""
    proposal, context = _proposal(request, pk, RetentionAction.CANCEL)
    if request.method == "POST":
        try:
            destruction_cancel(actor=_user(request), request=proposal)
        except RetentionRefused as refusal:
            context["error"] = str(refusal)
        else:
            messages.success(request, CANCELLED)
            return redirect("lifecycle:destruction_detail", pk=pk)
    return render(request, "lifecycle/retention/cancel.html", context)


@require_GET
def destructions(request: HttpRequest) -> HttpResponse:
    """Show the destruction report: one tombstone per destroyed case, newest first."""
    page = _page(request, destruction_tombstones_for(user=_user(request)))
    rows = [(tombstone, tombstone_kinds(tombstone)) for tombstone in page]
    context = {"page_obj": page, "rows": rows}
    return render(request, "lifecycle/retention/destructions.html", context)


@require_GET
def destructions_csv(request: HttpRequest) -> HttpResponse:
    """Download the destruction report as CSV (case codes, dates, usernames, counts)."""
    buffer = io.StringIO()
    # Consumed here, inside the view: the role check and the audit run before any byte is sent.
    csv.writer(buffer).writerows(destruction_report_rows(user=_user(request)))
    return download_response(
        buffer.getvalue().encode(),
        content_type="text/csv; charset=utf-8",
        filename="destructions.csv",
    )
