"""Forms for the caseload guidelines and caseload reviews.

Bounds and messages come from the service, which checks them again: a form is a convenience,
never the rule.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ReviewOutcome
from .services.caseload import (
    ACTIONS_MAX_LENGTH,
    ACTIONS_REQUIRED,
    ACTIONS_TOO_LONG,
    GUIDELINE_BOUNDS,
    HELD_ON_IN_FUTURE,
    INVALID_OUTCOME,
)


def add_service_error(form: forms.Form, error: Exception) -> None:
    """Attach a service refusal's message to the field it concerns, or to the whole form."""
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, str(error))


def _bounded(name: str, label: Any, help_text: Any) -> forms.IntegerField:
    lowest, highest, message = GUIDELINE_BOUNDS[name]
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=lowest,
        max_value=highest,
        error_messages={
            "required": message,
            "invalid": message,
            "min_value": message,
            "max_value": message,
        },
    )


class CaseloadGuidelineForm(forms.Form):
    max_active_patients = _bounded(
        "max_active_patients",
        _("Maximum active patients per full-time clinician"),
        _(
            "The most patients a full-time clinician should have on their caseload at once. "
            "For part-time staff the limit is scaled by their FTE (0.5 FTE: half)."
        ),
    )
    max_complexity_points = _bounded(
        "max_complexity_points",
        _("Maximum complexity points per full-time clinician"),
        _(
            "The most complexity points (the sum of each active patient's complexity rating, "
            "1 to 5) a full-time clinician should carry. Scaled by FTE like the patient limit."
        ),
    )
    min_stages = _bounded(
        "min_stages",
        _("Minimum number of stages of care"),
        _(
            "A varied caseload has patients at different stages (intake, stabilisation, "
            "recovery, reintegration). Checked only once a caseload has at least this many "
            "patients. 1 switches the check off."
        ),
    )
    review_cadence_weeks = _bounded(
        "review_cadence_weeks",
        _("Caseload review every (weeks)"),
        _("How often a supervisor reviews each clinician's caseload with them, 1 to 52 weeks."),
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class CaseloadReviewForm(forms.Form):
    held_on = forms.DateField(
        label=_("Date of the review"),
        widget=DateInput(),
        initial=timezone.localdate,
        help_text=_("The day you met. It cannot be in the future."),
        error_messages={"required": _("Enter the date of the review.")},
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=ReviewOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": INVALID_OUTCOME, "invalid_choice": INVALID_OUTCOME},
    )
    actions = forms.CharField(
        label=_("Agreed actions"),
        required=False,
        max_length=ACTIONS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "What you agreed, for example cases to transfer or a pause in new referrals. "
            "Stored encrypted; readable only by the clinician and their supervisor. "
            "Do not write patients' names: use case codes."
        ),
        error_messages={"max_length": ACTIONS_TOO_LONG},
    )

    def clean_held_on(self) -> Any:
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise forms.ValidationError(HELD_ON_IN_FUTURE)
        return held_on

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        actions = (cleaned.get("actions") or "").strip()
        if cleaned.get("outcome") == ReviewOutcome.NEEDS_ADJUSTMENT and not actions:
            self.add_error("actions", ACTIONS_REQUIRED)
        return cleaned
