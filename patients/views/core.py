"""The patient overview and the edit page of the record's details."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ..exceptions import InvalidRequest
from ..forms_core import PatientEditForm
from ..models import NoteType
from ..permissions import Action
from ..selectors import (
    Section,
    attachments_for,
    care_team_for,
    consents_for,
    intake_explanation_for,
    notes_timeline,
    patient_get_for,
    treatment_goals_for,
)
from ..services import patient_update
from .layout import patient_read, record_context

RECENT_NOTES = 3


@require_GET
def overview(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Show what the user may see of the patient: details for the team, metadata otherwise."""
    patient = patient_read(request=request, patient_uuid=patient_uuid, section=Section.OVERVIEW)
    context = record_context(request=request, patient=patient, current="overview")
    user = request.user
    context["team"] = list(care_team_for(user=user, patient=patient))
    if context["patient_name"] is not None:
        context.update(
            clinical=True,
            restricted=Action.READ_RESTRICTED in context["actions"],
            explanation=intake_explanation_for(user=user, patient=patient),
            recent_notes=[
                (entry, NoteType(entry.note_type).label)
                for entry in notes_timeline(user=user, patient=patient, limit=RECENT_NOTES)
            ],
            goals_count=treatment_goals_for(user=user, patient=patient).count(),
            consents_count=consents_for(user=user, patient=patient).count(),
            attachments_count=attachments_for(user=user, patient=patient).count(),
        )
    return render(request, "patients/core/overview.html", context)


@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, patient_uuid: str) -> HttpResponse:
    """Change the stage, complexity, risk level and details (the clinical care team)."""
    # Anyone outside the clinical team gets the audited 404 before anything is read.
    patient_get_for(user=request.user, action=Action.EDIT_CLINICAL, uuid=patient_uuid)
    patient = patient_read(request=request, patient_uuid=patient_uuid, section=Section.OVERVIEW)
    context = record_context(request=request, patient=patient, current="overview")
    restricted = Action.READ_RESTRICTED in context["actions"]
    initial = {
        name: getattr(patient, name) for name in PatientEditForm(restricted=restricted).fields
    }
    initial["languages"] = ", ".join(patient.languages or [])
    form = PatientEditForm(request.POST or None, initial=initial, restricted=restricted)
    if form.is_valid():
        try:
            patient_update(actor=request.user, patient=patient, changes=form.changes())
        except InvalidRequest as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The record was updated."))
            return redirect("patients:overview", patient_uuid=patient.uuid)
    context["form"] = form
    return render(request, "patients/core/patient_edit.html", context)
