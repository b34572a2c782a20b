"""Forms for case transfer requests. They parse and label; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .permissions.transfers import HANDOVER_REQUIRED, REASON_REQUIRED, TEXT_MAX_LENGTH


def add_service_error(form: forms.Form, error: Exception) -> None:
    """Attach a service refusal's message to the field it concerns, or to the whole form."""
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, str(error))


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class TransferRequestForm(forms.Form):
    patient: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Case"),
        help_text=_("Only cases whose care team you are on are listed."),
        queryset=None,  # set in __init__: the requester's own active cases
        to_field_name="uuid",
        empty_label=_("Choose a case"),
    )
    supervisor = PersonChoiceField(
        label=_("Supervisor"),
        help_text=_(
            "Only this supervisor will read your reason. Your own clinical supervisor is "
            "chosen for you if you have one."
        ),
        queryset=None,  # set in __init__: active supervisors but the requester
        empty_label=_("Choose a supervisor"),
    )
    reason = forms.CharField(
        label=_("Why do you want to hand over this case?"),
        help_text=_(
            "Write it for your supervisor. It is stored encrypted and is not shown to anyone "
            "else: not the receiving clinician, not managers, and not you after sending."
        ),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": REASON_REQUIRED},
    )

    def __init__(self, *args: Any, patients: Any, supervisors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients  # type: ignore[attr-defined]
        self.fields["supervisor"].queryset = supervisors  # type: ignore[attr-defined]


class TransferAssignForm(forms.Form):
    # Rendered by hand as one radio button per row of the caseload table.
    receiver: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Receiving clinician"),
        queryset=None,  # set in __init__: the candidates
        error_messages={"required": _("Choose the receiving clinician.")},
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["receiver"].queryset = candidates  # type: ignore[attr-defined]


class TransferAcceptForm(forms.Form):
    handover_note = forms.CharField(
        label=_("Handover note"),
        help_text=_(
            "What you agreed with the clinician handing over. The requester, you and the "
            "supervisor can read it; it is stored encrypted."
        ),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": HANDOVER_REQUIRED},
    )
