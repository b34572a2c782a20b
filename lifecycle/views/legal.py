"""Legal requests (register, basis, scope, second approval with the passphrase shown once,
refusal, package download) and legal holds. Privacy officers only; anyone else gets a 404.

Also holds what the access, register and research views share: the acting user, paging,
form submission and the package download response.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from carecore.downloads import download_response
from patients.exceptions import InvalidRequest, PatientNotFound
from patients.permissions import Action
from patients.selectors import patient_get_for

from ..forms_legal import (
    ApproveForm,
    LegalBasisForm,
    LegalHoldForm,
    LegalRequestForm,
    LegalScopeForm,
    LiftHoldForm,
    RefuseForm,
    add_service_error,
)
from ..models import LegalRequestStatus, Section
from ..packaging import BundleInvalid
from ..permissions.legal import LEGAL_HOLD_TARGET, LegalAction, legal_require
from ..selectors.legal import (
    legal_hold_get_for,
    legal_holds_list,
    legal_request_get_for,
    legal_request_package_get,
    legal_requests_list,
    legal_requests_open_for_hold,
)
from ..services.legal import (
    legal_basis_review,
    legal_hold_lift,
    legal_hold_place,
    legal_release_approve,
    legal_request_refuse,
    legal_request_register,
    legal_scope_decide,
)

if TYPE_CHECKING:
    from django import forms
    from django.http import HttpRequest

    from carecore.accounts.models import User

    from ..models import LegalRequest, ReleasePackage

PAGE_SIZE = 25
REGISTERED = _("The legal request was registered. Review its legal basis next.")
BASIS_SAVED = _("The legal basis was recorded. Decide the scope and redaction next.")
SCOPE_SAVED = _("The scope and redaction were decided. Another privacy officer must approve.")
REFUSED = _("The request was refused. Nothing was released.")
HOLD_PLACED = _("The legal hold was placed. The record cannot be destroyed while it is in force.")
HOLD_LIFTED = _("The legal hold was lifted.")


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render a page of this area; every page may label Section values."""
    return render(request, template, {"section_choices": Section.choices, **context}, status=status)


def acting_user(request: HttpRequest) -> User:
    """Return the signed-in user making `request`."""
    # LoginRequiredMiddleware has already turned every anonymous request away.
    return cast("User", request.user)


def page_of(request: HttpRequest, items: Any) -> Page:
    """Return the requested page of `items`, PAGE_SIZE to a page."""
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def submit(form: forms.Form, call: Callable[[dict[str, Any]], object]) -> object | None:
    """Call the service with the form's data if it is valid; show a refusal on the form."""
    if not form.is_valid():
        return None
    try:
        return call(form.cleaned_data)
    except (InvalidRequest, BundleInvalid) as error:
        add_service_error(form, error)
        return None


def patient_by_case_code(form: forms.Form, user: User, action: Action) -> Any:
    """Return the patient named by the form's case code, or None with a form error."""
    try:
        # The denial (missing or forbidden) is audited by the selector.
        return patient_get_for(user=user, action=action, case_code=form.cleaned_data["case_code"])
    except PatientNotFound as missing:
        add_service_error(form, missing.args[0] if missing.args else missing)
        return None


def package_response(package: ReleasePackage) -> HttpResponse:
    """Return the sealed archive as a download that no cache keeps."""
    return download_response(
        bytes(package.archive),
        content_type="application/zip",
        filename=f"package-{package.uuid}.zip",
    )


def linked_request(requests: Any, reference: str | None) -> LegalRequest | None:
    """Return the request named by `reference` (a UUID) among `requests`, if any."""
    try:
        request_uuid = uuid_module.UUID(str(reference))
    except ValueError:
        return None
    return requests.filter(uuid=request_uuid).first()


def _for_step(request: HttpRequest, request_uuid: object, action: LegalAction) -> LegalRequest:
    # Showing a step page reads the request (audited as a view); posting it is the step.
    step = action if request.method == "POST" else LegalAction.LEGAL_VIEW
    return legal_request_get_for(user=acting_user(request), request_uuid=request_uuid, action=step)


def _step(
    request: HttpRequest,
    legal_request: LegalRequest,
    form: forms.Form,
    title: object,
    submit_label: object = _("Save"),
) -> HttpResponse:
    return render_page(
        request,
        "lifecycle/legal/step.html",
        {
            "legal_request": legal_request,
            "form": form,
            "title": title,
            "submit_label": submit_label,
        },
    )


@require_GET
def legal_requests(request: HttpRequest) -> HttpResponse:
    """List the legal requests, newest first, optionally by status."""
    status = request.GET.get("status") or None
    if status not in (None, *LegalRequestStatus.values):
        status = None
    rows = legal_requests_list(user=acting_user(request), status=status)
    return render_page(
        request,
        "lifecycle/legal/list.html",
        {
            "page_obj": page_of(request, rows),
            "statuses": LegalRequestStatus.choices,
            "status": status or "",
        },
    )


@require_http_methods(["GET", "POST"])
def legal_request_new(request: HttpRequest) -> HttpResponse:
    """Register a request received from a court, police, lawyer or immigration authority."""
    user = acting_user(request)
    legal_require(user=user, action=LegalAction.LEGAL_REGISTER)
    form = LegalRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient = patient_by_case_code(form, user, Action.VIEW_ACCESS_LOG)
        created: Any = patient and submit(
            form,
            lambda data: legal_request_register(
                actor=user,
                patient=patient,
                requester_kind=data["requester_kind"],
                requester_name=data["requester_name"],
                reference=data["reference"],
                request_summary=data["request_summary"],
                received_on=data["received_on"],
            ),
        )
        if created:
            messages.success(request, REGISTERED)
            return redirect("lifecycle:legal_request_detail", request_uuid=created.uuid)
    return render_page(request, "lifecycle/legal/new.html", {"form": form})


@require_GET
def legal_request_detail(request: HttpRequest, request_uuid: str) -> HttpResponse:
    """Show one request and each of its steps, dated and attributed."""
    legal_request = legal_request_get_for(user=acting_user(request), request_uuid=request_uuid)
    return render_page(request, "lifecycle/legal/detail.html", {"legal_request": legal_request})


@require_http_methods(["GET", "POST"])
def legal_request_basis(request: HttpRequest, request_uuid: str) -> HttpResponse:
    """Record the legal basis and its assessment."""
    legal_request = _for_step(request, request_uuid, LegalAction.LEGAL_BASIS)
    initial = {"legal_basis": legal_request.legal_basis or None}
    form = LegalBasisForm(request.POST or None, initial=initial)
    if request.method == "POST" and submit(
        form,
        lambda data: legal_basis_review(
            actor=acting_user(request),
            legal_request=legal_request,
            legal_basis=data["legal_basis"],
            assessment=data["assessment"],
        ),
    ):
        messages.success(request, BASIS_SAVED)
        return redirect("lifecycle:legal_request_detail", request_uuid=legal_request.uuid)
    return _step(request, legal_request, form, _("Review the legal basis"))


@require_http_methods(["GET", "POST"])
def legal_request_scope(request: HttpRequest, request_uuid: str) -> HttpResponse:
    """Decide the parts of the record and the redaction (all redactions on by default)."""
    legal_request = _for_step(request, request_uuid, LegalAction.LEGAL_SCOPE)
    form = LegalScopeForm(request.POST or None, initial={"sections": legal_request.sections})
    if request.method == "POST" and submit(
        form,
        lambda data: legal_scope_decide(
            actor=acting_user(request),
            legal_request=legal_request,
            sections=data["sections"],
            redact_third_parties=data["redact_third_parties"],
            redact_staff=data["redact_staff"],
            redact_location=data["redact_location"],
        ),
    ):
        messages.success(request, SCOPE_SAVED)
        return redirect("lifecycle:legal_request_detail", request_uuid=legal_request.uuid)
    return _step(request, legal_request, form, _("Decide the scope and redaction"))


@never_cache
@require_http_methods(["GET", "POST"])
def legal_request_approve(request: HttpRequest, request_uuid: str) -> HttpResponse:
    """Approve the release as the second privacy officer; the passphrase is shown once."""
    user = acting_user(request)
    legal_request = _for_step(request, request_uuid, LegalAction.LEGAL_APPROVE)
    seen = legal_request.scope_decided_at.isoformat() if legal_request.scope_decided_at else ""
    form = ApproveForm(request.POST or None, initial={"scope_seen": seen})
    if request.method == "POST":
        built = submit(
            form,
            lambda data: legal_release_approve(
                actor=user,
                legal_request=legal_request,
                note=data["note"],
                scope_seen=data["scope_seen"] or None,
            ),
        )
        if built is None and form.is_bound:
            # Show the scope as it is now, and approve that if the approver still agrees.
            form.data = form.data.copy()
            form.data["scope_seen"] = seen
        if built is not None:
            # Rendered straight into this response: never stored, redirected or messaged.
            return render_page(
                request,
                "lifecycle/legal/released.html",
                {
                    "passphrase": built.passphrase,  # type: ignore[attr-defined]
                    "download_url": "lifecycle:legal_request_package",
                    "legal_request": legal_request,
                },
            )
    return render_page(
        request, "lifecycle/legal/approve.html", {"legal_request": legal_request, "form": form}
    )


@require_http_methods(["GET", "POST"])
def legal_request_refuse_view(request: HttpRequest, request_uuid: str) -> HttpResponse:
    """Refuse the request with reasons, after a confirmation."""
    legal_request = _for_step(request, request_uuid, LegalAction.LEGAL_REFUSE)
    form = RefuseForm(request.POST or None)
    if request.method == "POST" and submit(
        form,
        lambda data: legal_request_refuse(
            actor=acting_user(request), legal_request=legal_request, reason=data["reason"]
        ),
    ):
        messages.success(request, REFUSED)
        return redirect("lifecycle:legal_request_detail", request_uuid=legal_request.uuid)
    return _step(request, legal_request, form, _("Refuse the request"), _("Refuse the request"))


@never_cache
@require_GET
def legal_request_package(request: HttpRequest, request_uuid: str) -> HttpResponse:
    """Download the released package (404 before the release)."""
    package = legal_request_package_get(user=acting_user(request), request_uuid=request_uuid)
    return package_response(package)


@require_GET
def legal_holds(request: HttpRequest) -> HttpResponse:
    """List the legal holds in force (or all, with ?all=1)."""
    active_only = request.GET.get("all") != "1"
    holds = legal_holds_list(user=acting_user(request), active_only=active_only)
    return render_page(
        request,
        "lifecycle/legal/holds.html",
        {"page_obj": page_of(request, holds), "active_only": active_only},
    )


@require_http_methods(["GET", "POST"])
def legal_hold_new(request: HttpRequest) -> HttpResponse:
    """Place a legal hold on a patient, optionally linked to a legal request."""
    user = acting_user(request)
    legal_require(user=user, action=LegalAction.HOLD_PLACE, target_type=LEGAL_HOLD_TARGET)
    requests = legal_requests_open_for_hold(user=user)
    linked = linked_request(requests, request.GET.get("request"))
    initial = {"legal_request": linked, "case_code": linked.patient.case_code if linked else ""}
    form = LegalHoldForm(request.POST or None, requests=requests, initial=initial)
    if request.method == "POST" and form.is_valid():
        patient = patient_by_case_code(form, user, Action.VIEW_ACCESS_LOG)
        hold = patient and submit(
            form,
            lambda data: legal_hold_place(
                actor=user,
                patient=patient,
                reason=data["reason"],
                legal_request=data["legal_request"],
            ),
        )
        if hold:
            messages.success(request, HOLD_PLACED)
            return redirect("lifecycle:legal_holds")
    return render_page(request, "lifecycle/legal/hold_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
def legal_hold_lift_view(request: HttpRequest, hold_id: int) -> HttpResponse:
    """Confirm, then lift a legal hold."""
    user = acting_user(request)
    hold = legal_hold_get_for(user=user, hold_id=hold_id)
    form = LiftHoldForm(request.POST or None)
    if request.method == "POST" and submit(
        form, lambda data: legal_hold_lift(actor=user, hold=hold)
    ):
        messages.success(request, HOLD_LIFTED)
        return redirect("lifecycle:legal_holds")
    return render_page(request, "lifecycle/legal/hold_lift.html", {"form": form, "hold": hold})
