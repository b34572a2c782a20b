from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .events import EventType, Outcome
from .selectors import AuditEventFilters

DATE_ORDER_MESSAGE = _("The start date must not be after the end date.")


class AuditEventFilterForm(forms.Form):
    person = forms.CharField(
        label=_("Person (username)"), max_length=150, required=False, strip=True
    )
    action = forms.TypedChoiceField(
        label=_("Action"),
        choices=[("", _("Any action")), *EventType.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", _("Any outcome")), *Outcome.choices], required=False
    )
    target_type = forms.CharField(
        label=_("Target type"),
        max_length=64,
        required=False,
        help_text=_("For example accounts.user"),
    )
    target_id = forms.CharField(label=_("Target id"), max_length=64, required=False)
    case_code = forms.CharField(label=_("Case code"), max_length=16, required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(DATE_ORDER_MESSAGE, code="date_order")
        return cleaned

    def submitted_keys(self) -> list[str]:
        """Return the names of the fields given a value, valid or not (never the values)."""
        return [name for name in self.fields if self.data.get(name, "").strip()]

    def filters(self) -> AuditEventFilters:
        """Return the cleaned filters; call only after `is_valid()`."""
        data = self.cleaned_data
        return AuditEventFilters(
            person=data["person"],
            action=EventType(data["action"]) if data["action"] is not None else None,
            outcome=Outcome(data["outcome"]) if data["outcome"] else None,
            target_type=data["target_type"],
            target_id=data["target_id"],
            case_code=data["case_code"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
