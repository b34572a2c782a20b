"""Registration (duplicate check, then intake) and the front-desk lookup.

Personal data travels in POST bodies only: never in a URL, a redirect or the session. The
session holds one flag saying the duplicate check found nothing, so the intake step cannot
be reached without it.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carecore.accounts.roles import Role

from ..auditing import DenialReason, access_denied_record
from ..exceptions import NOT_ALLOWED_TO_REGISTER, ActionRefused, InvalidRequest, PatientNotFound
from ..forms_core import DuplicateCheckForm, FrontDeskLookupForm, IntakeForm
from ..models import ConsentPurpose
from ..permissions import Action, PatientList, can
from ..selectors import Section, patient_front_desk_get, patient_get_for, patient_list_require
from ..services import (
    ConsentDetails,
    ExplanationDetails,
    PatientDetails,
    patient_duplicate_check,
    patient_register,
)

CHECKED_SESSION_KEY = "patients_register_checked"


def _registrar_require(request: HttpRequest) -> None:
    if not can(request.user, Action.REGISTER):
        access_denied_record(actor=request.user, action=Action.REGISTER, reason=DenialReason.ROLE)
        raise ActionRefused(NOT_ALLOWED_TO_REGISTER)


def _intake_register(request: HttpRequest, form: IntakeForm) -> HttpResponse | None:
    data = form.cleaned_data
    explanation = ExplanationDetails(
        **{name: data[name] for name in IntakeForm.EXPLANATION_FIELDS},
        note=data["explanation_note"],
    )
    consent = ConsentDetails(
        purpose=ConsentPurpose.CARE_AND_DATA,
        status=data["consent_status"],
        explanation=data["consent_explanation"],
        not_obtained_reason=data["consent_not_obtained_reason"],
    )
    try:
        patient = patient_register(
            actor=request.user,
            details=PatientDetails(**form.details()),
            explanation=explanation,
            consents=[consent],
        )
    except InvalidRequest as error:
        form.add_error(None, error.message)
        return None
    request.session.pop(CHECKED_SESSION_KEY, None)
    messages.success(request, _("Patient registered as %(code)s.") % {"code": patient.case_code})
    if request.user.has_role(Role.CLINICIAN):
        return redirect("patients:overview", patient_uuid=patient.uuid)
    return redirect("patients:registered", patient_uuid=patient.uuid)


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Step 1: check for an existing record; step 2: the intake form, then register."""
    _registrar_require(request)
    if request.method == "GET":
        # A fresh start needs a fresh check: an old one may have been for someone else.
        request.session.pop(CHECKED_SESSION_KEY, None)
    step = request.POST.get("step")
    if step == "intake" and request.session.get(CHECKED_SESSION_KEY):
        form = IntakeForm(request.POST)
        if form.is_valid() and (response := _intake_register(request, form)):
            return response
        return render(request, "patients/core/register_intake.html", {"form": form})
    check = DuplicateCheckForm(request.POST if step == "check" else None)
    if not check.is_bound or not check.is_valid():
        return render(request, "patients/core/register_check.html", {"form": check})
    result = patient_duplicate_check(actor=request.user, **check.cleaned_data)
    if result.possible_match:
        request.session.pop(CHECKED_SESSION_KEY, None)
        return render(request, "patients/core/register_duplicate.html", {"result": result})
    request.session[CHECKED_SESSION_KEY] = True
    data = check.cleaned_data
    form = IntakeForm(
        initial={
            "preferred_name": data["name"],
            **{key: data[key] for key in ("date_of_birth", "document_number")},
        }
    )
    return render(request, "patients/core/register_intake.html", {"form": form, "result": result})


def registered(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Confirm a registration with the case code (for reception, who cannot open the record)."""
    patient = patient_get_for(
        user=request.user, action=Action.VIEW_FRONT_DESK, uuid=patient_uuid, section=Section.INTAKE
    )
    return render(request, "patients/core/registered.html", {"patient": patient})


@require_http_methods(["GET", "POST"])
def front_desk(request: HttpRequest) -> HttpResponse:
    """Look a patient up by exact case code: name to use and front-desk warnings only."""
    patient_list_require(user=request.user, which=PatientList.FRONT_DESK)
    form = FrontDeskLookupForm(request.POST or None)
    card = None
    if form.is_valid():
        try:
            card = patient_front_desk_get(
                user=request.user, case_code=form.cleaned_data["case_code"]
            )
        except PatientNotFound as error:
            # Same text for unknown and forbidden codes: the desk cannot probe for records.
            form.add_error("case_code", str(error))
    return render(request, "patients/core/front_desk.html", {"form": form, "card": card})
