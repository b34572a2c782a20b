"""The care team page: members for everyone who may see the record, changes for overseers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from carecore.accounts.roles import Role
from carecore.accounts.selectors import users_list

from ..exceptions import NOT_ON_CARE_TEAM, InvalidRequest
from ..forms_core import CareTeamAddForm, CareTeamMemberForm
from ..permissions import Action
from ..selectors import Section, care_team_for, patient_get_for
from ..services import (
    care_team_member_add,
    care_team_member_remove,
    care_team_restricted_access_set,
    care_team_set_lead,
)
from .layout import patient_read, record_context

SUCCESS = {
    "add": _("The clinician was added to the care team."),
    "lead": _("The care team lead was changed."),
    "restricted": _("Access to restricted entries was changed."),
    "remove": _("The clinician was removed from the care team."),
}


def _render(request: HttpRequest, patient_uuid: Any, forms: dict[str, Any]) -> HttpResponse:
    patient = patient_read(request=request, patient_uuid=patient_uuid, section=Section.CARE_TEAM)
    context = record_context(request=request, patient=patient, current="care_team")
    team = list(care_team_for(user=request.user, patient=patient))
    context["team"] = team
    if Action.MANAGE_CARE_TEAM in context["actions"]:
        members = {membership.clinician_id for membership in team}
        clinicians = users_list(role=Role.CLINICIAN, active=True).exclude(pk__in=members)
        context["add_form"] = forms.get("add") or CareTeamAddForm(clinicians=clinicians)
    return render(request, "patients/core/care_team.html", context)


def _apply(request: HttpRequest, patient: Any, operation: str) -> None:
    """Run the care-team service for `operation`, raising InvalidRequest on a broken rule."""
    if operation == "add":
        form = CareTeamAddForm(
            request.POST, clinicians=users_list(role=Role.CLINICIAN, active=True)
        )
    else:
        form = CareTeamMemberForm(request.POST, clinicians=users_list())
    if not form.is_valid():
        raise InvalidRequest(next(iter(form.errors.values()))[0])
    data = form.cleaned_data
    common = {"actor": request.user, "patient": patient, "clinician": data["clinician"]}
    if operation == "add":
        care_team_member_add(
            **common, role=data["role"], restricted_access=data["restricted_access"]
        )
    elif operation == "lead":
        care_team_set_lead(**common)
    elif operation == "restricted":
        care_team_restricted_access_set(**common, allowed=data["allowed"])
    else:
        care_team_member_remove(**common)


@require_http_methods(["GET", "POST"])
def care_team(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """List the care team; supervisors and managers add, remove, set the lead and access."""
    if request.method == "GET":
        return _render(request, patient_uuid, {})
    # Refused (404, audited) before anything is read or changed.
    patient = patient_get_for(user=request.user, action=Action.MANAGE_CARE_TEAM, uuid=patient_uuid)
    operation = request.POST.get("operation", "")
    if operation not in SUCCESS:
        operation = "add"
    try:
        _apply(request, patient, operation)
    except InvalidRequest as error:
        messages.error(request, error.message)
        return _render(request, patient_uuid, {})
    messages.success(request, SUCCESS[operation])
    return redirect("patients:care_team", patient_uuid=patient.uuid)


@require_http_methods(["GET"])
def care_team_remove(request: HttpRequest, patient_uuid: str, clinician_id: int) -> HttpResponse:
    """Ask for confirmation before removing a member (the form posts to the care team page)."""
    patient_get_for(user=request.user, action=Action.MANAGE_CARE_TEAM, uuid=patient_uuid)
    patient = patient_read(request=request, patient_uuid=patient_uuid, section=Section.CARE_TEAM)
    context = record_context(request=request, patient=patient, current="care_team")
    membership = next(
        (
            m
            for m in care_team_for(user=request.user, patient=patient)
            if m.clinician_id == clinician_id
        ),
        None,
    )
    if membership is None:
        messages.error(request, NOT_ON_CARE_TEAM)
        return redirect("patients:care_team", patient_uuid=patient.uuid)
    context["membership"] = membership
    return render(request, "patients/core/care_team_remove.html", context)
