"""Safety flags: those in force and resolved ones, raising a flag and resolving one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..exceptions import PatientNotFound, PatientServiceError
from ..forms_record import SafetyFlagForm
from ..permissions import Action
from ..selectors import Section, safety_flags_for
from ..services import safety_flag_raise, safety_flag_resolve
from .record_access import (
    acting_user,
    clinical_patient_get,
    form_submit,
    patient_for_action,
    render_record,
)

if TYPE_CHECKING:
    import uuid

    from django.http import HttpRequest, HttpResponse

FLAG_RAISED = _("The safety flag was raised. The care team sees it on every page of the record.")
FLAG_RESOLVED = _("The safety flag was resolved.")


@require_http_methods(["GET", "POST"])
def safety(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """Show the flags in force and resolved ones, and raise a flag."""
    user = acting_user(request)
    form = SafetyFlagForm(request.POST or None)
    if request.method == "POST":
        target = patient_for_action(request, patient_uuid, Action.EDIT_CLINICAL)
        if form_submit(form, lambda data: safety_flag_raise(actor=user, patient=target, **data)):
            messages.success(request, FLAG_RAISED)
            return redirect("patients:safety", patient_uuid=patient_uuid)
    patient = clinical_patient_get(request, patient_uuid, Section.SAFETY)
    flags = list(safety_flags_for(user=user, patient=patient, include_resolved=True))
    return render_record(
        request,
        "patients/record/safety.html",
        patient=patient,
        current="safety",
        context={
            "form": form,
            "active_flags": [flag for flag in flags if flag.is_active],
            "resolved_flags": [flag for flag in flags if not flag.is_active],
        },
    )


@require_http_methods(["GET", "POST"])
def safety_flag_resolve_view(
    request: HttpRequest, patient_uuid: uuid.UUID, flag_id: int
) -> HttpResponse:
    """Ask for confirmation, then resolve a flag."""
    user = acting_user(request)
    patient = clinical_patient_get(request, patient_uuid, Section.SAFETY)
    flag = (
        safety_flags_for(user=user, patient=patient, include_resolved=True)
        .filter(pk=flag_id)
        .first()
    )
    if flag is None:
        raise PatientNotFound
    if request.method == "POST":
        try:
            safety_flag_resolve(actor=user, flag=flag)
        except PatientServiceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, FLAG_RESOLVED)
        return redirect("patients:safety", patient_uuid=patient_uuid)
    return render_record(
        request,
        "patients/record/safety_flag_resolve.html",
        patient=patient,
        current="safety",
        context={"flag": flag},
    )
