"""The treatment plan: goals agreed with the patient, adding one, and updating its status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..exceptions import PatientNotFound
from ..forms_record import GoalForm, GoalStatusForm
from ..permissions import Action
from ..selectors import Section, treatment_goals_for
from ..services import treatment_goal_add, treatment_goal_update_status
from .record_access import (
    acting_user,
    clinical_patient_get,
    form_submit,
    page_of,
    patient_for_action,
    render_record,
)

if TYPE_CHECKING:
    import uuid

    from django.http import HttpRequest, HttpResponse

GOAL_ADDED = _("The goal was added to the treatment plan.")
GOAL_UPDATED = _("The goal's status was updated.")


@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """Show the treatment plan's goals and add one."""
    user = acting_user(request)
    form = GoalForm(request.POST or None)
    if request.method == "POST":
        target = patient_for_action(request, patient_uuid, Action.EDIT_CLINICAL)
        if form_submit(form, lambda data: treatment_goal_add(actor=user, patient=target, **data)):
            messages.success(request, GOAL_ADDED)
            return redirect("patients:plan", patient_uuid=patient_uuid)
    patient = clinical_patient_get(request, patient_uuid, Section.PLAN)
    goals = page_of(request, treatment_goals_for(user=user, patient=patient))
    return render_record(
        request,
        "patients/record/plan.html",
        patient=patient,
        current="plan",
        context={"form": form, "page_obj": goals},
    )


@require_http_methods(["GET", "POST"])
def goal_status(request: HttpRequest, patient_uuid: uuid.UUID, goal_id: int) -> HttpResponse:
    """Update one goal's status and next review date."""
    user = acting_user(request)
    patient = clinical_patient_get(request, patient_uuid, Section.PLAN)
    goal = treatment_goals_for(user=user, patient=patient).filter(pk=goal_id).first()
    if goal is None:
        raise PatientNotFound
    form = GoalStatusForm(request.POST or None, initial={"status": goal.status})
    if request.method == "POST" and form_submit(
        form, lambda data: treatment_goal_update_status(actor=user, goal=goal, **data)
    ):
        messages.success(request, GOAL_UPDATED)
        return redirect("patients:plan", patient_uuid=patient_uuid)
    return render_record(
        request,
        "patients/record/goal_status.html",
        patient=patient,
        current="plan",
        context={"form": form, "goal": goal},
    )
