"""Forms for the partner register and referrals. They parse and label; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .models import PartnerKind, PartnerOrganisation, ReferralKind, ReferralStatus, Section
from .selectors.referrals import PrepareContext
from .services.partners import PartnerDetails
from .services.referrals import ReferralChoice

TEXT_MAX_LENGTH = 4000


def add_service_error(form: forms.Form, error: Exception) -> None:
    """Show a service refusal at the top of the form."""
    form.add_error(None, str(error))


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    country = forms.CharField(label=_("Country"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind of organisation"), choices=PartnerKind.choices)
    secure_contact_route = forms.CharField(
        label=_("Secure contact route"),
        help_text=_(
            "How to send data to them safely: secure e-mail address, portal, or a named "
            "contact. Shown only to managers, privacy officers and the approver of a referral."
        ),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    active = forms.BooleanField(
        label=_("Active (offered for new referrals)"), required=False, initial=True
    )

    def details(self) -> PartnerDetails:
        data = self.cleaned_data
        return PartnerDetails(
            name=data["name"],
            country=data["country"],
            kind=data["kind"],
            secure_contact_route=data["secure_contact_route"],
            active=data.get("active", True),
        )


class ReferralForm(forms.Form):
    partner: forms.ModelChoiceField[PartnerOrganisation] = forms.ModelChoiceField(
        label=_("Partner organisation"),
        queryset=PartnerOrganisation.objects.none(),  # set in __init__: active partners
        empty_label=_("Choose an organisation"),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ReferralKind.choices, widget=forms.RadioSelect
    )
    purpose = forms.CharField(
        label=_("Purpose"),
        help_text=_("Why the partner needs this information. It goes into the package."),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    sections = forms.MultipleChoiceField(
        label=_("What to include"),
        help_text=_("Send no more than the partner needs."),
        choices=Section.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.TypedMultipleChoiceField(
        label=_("Notes"),
        help_text=_(
            "Only with “Selected notes”. Restricted notes go only with the restricted tier."
        ),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attachments = forms.TypedMultipleChoiceField(
        label=_("Attachments"),
        help_text=_("Only with “Selected attachments”."),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    include_restricted = forms.BooleanField(
        label=_("Include the restricted tier (current location and restricted notes)"),
        required=False,
    )
    restricted_reason = forms.CharField(
        label=_("Why the restricted tier is needed"),
        help_text=_("Required when the restricted tier is included."),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    identify_staff = forms.BooleanField(
        label=_("Name staff instead of role codes"),
        help_text=_("By default staff appear as role codes such as “Clinician 1”."),
        required=False,
    )
    staff_reason = forms.CharField(
        label=_("Why staff must be named"),
        help_text=_("Required when staff are named."),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, context: PrepareContext, partners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners  # type: ignore[attr-defined]
        self.fields["notes"].choices = [  # type: ignore[attr-defined]
            (
                note.id,
                f"{date_filter(note.encounter_date, 'DATE_FORMAT')} · {note.note_type_label}"
                + (f" · {_('restricted')}" if note.restricted else ""),
            )
            for note in context.notes
        ]
        self.fields["attachments"].choices = [  # type: ignore[attr-defined]
            (
                attachment.id,
                f"{date_filter(attachment.uploaded_at, 'DATE_FORMAT')} · {attachment.filename} "
                f"({attachment.type_label}, {filesizeformat(attachment.size)})",
            )
            for attachment in context.attachments
        ]
        if not context.may_add_restricted:
            self.fields["include_restricted"].disabled = True
            self.fields["include_restricted"].help_text = _(
                "Only the care team lead or a member with restricted access can add it."
            )

    def choice(self) -> ReferralChoice:
        data = self.cleaned_data
        return ReferralChoice(
            partner=data["partner"],
            kind=data["kind"],
            purpose=data["purpose"],
            sections=tuple(data["sections"]),
            note_ids=tuple(data.get("notes") or ()),
            attachment_ids=tuple(data.get("attachments") or ()),
            include_restricted=bool(data.get("include_restricted")),
            restricted_reason=data.get("restricted_reason") or None,
            identify_staff=bool(data.get("identify_staff")),
            staff_reason=data.get("staff_reason") or None,
        )


class RejectForm(forms.Form):
    note = forms.CharField(
        label=_("Why it is not approved"),
        help_text=_("The preparer reads this. Do not copy clinical details into it."),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


STATUS_CHOICES = [
    (ReferralStatus.SENT.value, _("Sent to the partner")),
    (ReferralStatus.ACKNOWLEDGED.value, _("Acknowledged by the partner")),
    (ReferralStatus.DECLINED.value, _("Declined by the partner")),
]


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"), choices=STATUS_CHOICES, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, allowed: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in STATUS_CHOICES if value in allowed
        ]
