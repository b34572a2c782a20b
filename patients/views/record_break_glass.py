"""Break-glass: emergency access to a record outside the care team, by case code or from a link.

Unknown, malformed and forbidden case codes get one generic message, so the form cannot be
used to find out which case codes exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from .. import conf
from ..exceptions import PatientNotFound
from ..forms_record import BreakGlassForm, BreakGlassStartForm
from ..permissions import Action
from ..selectors import patient_get_for
from ..services import break_glass_grant
from .record_access import acting_user, form_submit, patient_for_action

if TYPE_CHECKING:
    import uuid

    from django.http import HttpRequest, HttpResponse

    from carecore.accounts.models import User

    from ..models import BreakGlassGrant, Patient

NO_EMERGENCY_ACCESS = _(
    "Emergency access is not available for this case code. Check the code; if you are on "
    "the care team, open the record from your patients instead."
)
ACCESS_GRANTED = _(
    "Emergency access granted until %(until)s. Privacy officers have been notified, and "
    "everything you do in this record is flagged for review."
)


def _granted(request: HttpRequest, grant: BreakGlassGrant, patient: Patient) -> HttpResponse:
    until = date_format(grant.expires_at, "SHORT_DATETIME_FORMAT", use_l10n=True)
    messages.warning(request, ACCESS_GRANTED % {"until": until})
    return redirect("patients:overview", patient_uuid=patient.uuid)


def _grant(user: User, patient: Patient, data: dict[str, str]) -> BreakGlassGrant:
    return break_glass_grant(
        actor=user, patient=patient, reason=data["reason"], password=data["password"]
    )


def _explanation() -> dict[str, object]:
    return {"hours": conf.break_glass_duration().total_seconds() / 3600}


@require_http_methods(["GET", "POST"])
def break_glass_start(request: HttpRequest) -> HttpResponse:
    """Ask for a case code, a reason and the password; open the record on success."""
    user = acting_user(request)
    form = BreakGlassStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = patient_get_for(
                user=user, action=Action.BREAK_GLASS, case_code=form.cleaned_data["case_code"]
            )
        except PatientNotFound:
            # The same words for "no such record" and "not for you" (already audited).
            form.add_error("case_code", NO_EMERGENCY_ACCESS)
        else:
            granted: list[BreakGlassGrant] = []
            if form_submit(form, lambda data: granted.append(_grant(user, patient, data))):
                return _granted(request, granted[0], patient)
    return render(
        request, "patients/oversight/break_glass_start.html", {"form": form, **_explanation()}
    )


@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    """Ask for a reason and the password for emergency access to one record."""
    user = acting_user(request)
    patient = patient_for_action(request, patient_uuid, Action.BREAK_GLASS)
    form = BreakGlassForm(request.POST or None)
    granted: list[BreakGlassGrant] = []
    if request.method == "POST" and form_submit(
        form, lambda data: granted.append(_grant(user, patient, data))
    ):
        return _granted(request, granted[0], patient)
    return render(
        request,
        "patients/oversight/break_glass.html",
        {"form": form, "patient": patient, **_explanation()},
    )
