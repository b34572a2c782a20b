"""The disclosure register: one patient's entries, recording a spoken or written disclosure
by hand, the patient's report, and the organisation's register for privacy officers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from ..forms_legal import DisclosureForm, RegisterFilterForm, ReportForm
from ..selectors.register import (
    disclosure_report,
    disclosures_register,
    patient_consents_for_register,
    patient_disclosures,
    register_approvers,
    register_patient_get,
)
from ..services.disclosures import disclosure_record
from .legal import acting_user, page_of, render_page, submit

if TYPE_CHECKING:
    import uuid

    from django.http import HttpRequest, HttpResponse

RECORDED = _("The disclosure was recorded in the register.")


@require_GET
def register(request: HttpRequest) -> HttpResponse:
    """List the organisation's disclosures (privacy officers), filtered by kind and dates."""
    form = RegisterFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = disclosures_register(
        user=acting_user(request),
        kind=filters.get("kind") or None,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    return render_page(
        request,
        "lifecycle/register/list.html",
        {"form": form, "page_obj": page_of(request, entries)},
    )


@require_GET
def patient_register(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """List every disclosure of one patient's information."""
    user = acting_user(request)
    patient = register_patient_get(user=user, patient_uuid=patient_uuid)
    entries = patient_disclosures(user=user, patient=patient)
    return render_page(
        request,
        "lifecycle/register/patient.html",
        {"patient": patient, "page_obj": page_of(request, entries)},
    )


@require_http_methods(["GET", "POST"])
def disclosure_new(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """Record, by hand, a spoken, telephone or other written disclosure."""
    user = acting_user(request)
    patient = register_patient_get(user=user, patient_uuid=patient_uuid, write=True)
    form = DisclosureForm(
        request.POST or None,
        consents=patient_consents_for_register(patient=patient),
        approvers=register_approvers(),
    )
    if request.method == "POST" and submit(
        form,
        lambda data: disclosure_record(
            actor=user,
            patient=patient,
            kind=data["kind"],
            legal_basis=data["legal_basis"],
            purpose=data["purpose"],
            sections=data["sections"],
            recipient=data["recipient"],
            consent=data["consent"],
            approved_by=data["approved_by"],
            approved_at=data["disclosed_at"] if data["approved_by"] else None,
            scope_note=data["scope_note"],
            disclosed_at=data["disclosed_at"],
        ),
    ):
        messages.success(request, RECORDED)
        return redirect("lifecycle:patient_register", patient_uuid=patient.uuid)
    return render_page(request, "lifecycle/register/new.html", {"patient": patient, "form": form})


@require_GET
def patient_report(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """Show the printable report "who received my information" for the patient."""
    user = acting_user(request)
    patient = register_patient_get(user=user, patient_uuid=patient_uuid)
    form = ReportForm(request.GET or None)
    identify_staff = bool(form.is_valid() and form.cleaned_data["identify_staff"])
    report = disclosure_report(user=user, patient=patient, identify_staff=identify_staff)
    return render_page(
        request,
        "lifecycle/register/report.html",
        {"patient": patient, "report": report, "form": form},
    )
