"""Forms for retention: the confirmation steps before proposing and approving destruction."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

CONFIRM_PROPOSAL_REQUIRED = _("Confirm that you have checked this case before proposing it.")
CONFIRMATION_REQUIRED = _("Type the case code to confirm the destruction.")


class ProposeForm(forms.Form):
    checked = forms.BooleanField(
        label=_("I have checked that nothing requires keeping this case any longer."),
        help_text=_(
            "For example an open complaint, a claim, a request from the patient, or a legal "
            "matter that has not been recorded as a hold yet."
        ),
        error_messages={"required": CONFIRM_PROPOSAL_REQUIRED},
    )


class ApproveForm(forms.Form):
    confirmation = forms.CharField(
        label=_("Case code"),
        help_text=_("Type the case code of the case to be destroyed, exactly as shown above."),
        max_length=20,
        error_messages={"required": CONFIRMATION_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
