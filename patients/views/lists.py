"""Lists of patients: "My patients", the caseload for oversight, and case-code autocomplete."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from carecore.accounts.roles import Role
from carecore.accounts.selectors import users_list
from supervision.selectors import supervisee_ids_query

from ..forms_core import CaseloadFilterForm, OversightFilterForm
from ..models import RiskLevel, Stage
from ..permissions import PatientList
from ..selectors import (
    caseload_counts,
    patient_list_require,
    patients_autocomplete,
    patients_caseload,
    patients_my_caseload,
)

PAGE_SIZE = 25


@require_GET
def my_patients(request: HttpRequest) -> HttpResponse:
    """Show the clinician's own caseload, filtered and paginated."""
    patient_list_require(user=request.user, which=PatientList.MY_PATIENTS)
    form = CaseloadFilterForm(request.GET or None)
    patients = patients_my_caseload(user=request.user, **form.filters())
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "patients/core/my_patients.html", {"filter_form": form, "page_obj": page}
    )


def _overseen_clinicians(user):
    clinicians = users_list(role=Role.CLINICIAN, active=True)
    if Role.MANAGER in user.role_names:
        return clinicians
    return clinicians.filter(pk__in=supervisee_ids_query(user))


@require_GET
def caseload(request: HttpRequest) -> HttpResponse:
    """Show caseload metadata (no names) to supervisors and managers, with counts."""
    patient_list_require(user=request.user, which=PatientList.CASELOAD)
    form = OversightFilterForm(request.GET or None, clinicians=_overseen_clinicians(request.user))
    filters = form.filters()
    patients = patients_caseload(user=request.user, **filters)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = caseload_counts(user=request.user, clinician=filters.get("clinician"))
    leads = {user.pk: user.get_username() for user in form.fields["clinician"].queryset}
    for patient in page:
        patient.lead_name = leads.get(patient.lead_id, "")
    figures = [(Stage(value).label, count) for value, count in counts.by_stage.items() if count]
    figures += [
        (_("Risk: %(level)s") % {"level": RiskLevel(value).label}, count)
        for value, count in counts.by_risk_level.items()
        if value
    ]
    return render(
        request,
        "patients/core/caseload.html",
        {"filter_form": form, "page_obj": page, "counts": counts, "figures": figures},
    )


@require_GET
def autocomplete(request: HttpRequest) -> JsonResponse:
    """Return case codes starting with ?q= among the patients the user may see (never names)."""
    matches = patients_autocomplete(user=request.user, prefix=request.GET.get("q", ""))
    results = [
        {
            "case_code": match.case_code,
            "url": reverse("patients:overview", kwargs={"patient_uuid": match.uuid}),
        }
        for match in matches
    ]
    return JsonResponse({"results": results})
