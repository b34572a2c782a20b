"""Forms for the patient lists, registration, the front desk, the record and the care team.

Forms parse and check shape only; the services hold the rules and raise InvalidRequest with
a constant message, which the views put back on the form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .exceptions import (
    CONSENT_BEFORE_EXPLANATION,
    CONSENT_EXPLANATION_REQUIRED,
    CONSENT_REASON_REQUIRED,
    DUPLICATE_CHECK_NEEDS_INPUT,
    LEGAL_NAME_WITH_WITHHELD,
)
from .models import (
    COMPLEXITY_MAX,
    COMPLEXITY_MIN,
    ConsentStatus,
    ContactChannel,
    RiskLevel,
    Sex,
    Stage,
)

ANY = [("", _("Any"))]
NOT_SET = [("", _("Not recorded"))]
RESTRICTED_LABEL = _("Restricted: visible to the care team lead and granted members only.")
CARE_CONSENT_STATUSES = [
    (ConsentStatus.GIVEN, ConsentStatus.GIVEN.label),
    (ConsentStatus.REFUSED, ConsentStatus.REFUSED.label),
    (ConsentStatus.NOT_OBTAINED, ConsentStatus.NOT_OBTAINED.label),
]
COMPLEXITY_CHOICES = [("", _("Not assessed"))] + [
    (str(level), str(level)) for level in range(COMPLEXITY_MIN, COMPLEXITY_MAX + 1)
]


class CaseloadFilterForm(forms.Form):
    """The filters of "My patients"."""

    stage = forms.ChoiceField(label=_("Stage of care"), choices=ANY + Stage.choices, required=False)
    risk_level = forms.ChoiceField(
        label=_("Risk level"), choices=ANY + RiskLevel.choices, required=False
    )
    include_closed = forms.BooleanField(label=_("Include closed records"), required=False)

    def filters(self) -> dict[str, Any]:
        """Return the selector keyword arguments (no filter when the form is invalid)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "stage": data["stage"] or None,
            "risk_level": data["risk_level"] or None,
            "include_closed": data["include_closed"],
        }


class OversightFilterForm(CaseloadFilterForm):
    """The filters of the caseload page, with the clinician whose caseload to show."""

    clinician = forms.ModelChoiceField(
        label=_("Clinician"), queryset=None, required=False, empty_label=_("Everyone")
    )

    field_order = ["clinician", "stage", "risk_level", "include_closed"]

    def __init__(self, *args: Any, clinicians: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = clinicians
        self.fields["clinician"].label_from_instance = lambda user: user.get_username()

    def filters(self) -> dict[str, Any]:
        """Return the selector keyword arguments, with the chosen clinician."""
        filters = super().filters()
        if filters:
            filters["clinician"] = self.cleaned_data["clinician"]
        return filters


class DuplicateCheckForm(forms.Form):
    """Step 1 of registration: is there already a record for this person?"""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("The legal name or the name the person uses; both are checked."),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    document_number = forms.CharField(
        label=_("Identity document number"),
        max_length=100,
        required=False,
        help_text=_("Optional. Only if the person chooses to show a document."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        has_name_and_dob = data.get("name") and data.get("date_of_birth")
        if not (has_name_and_dob or data.get("document_number")) and not self.errors:
            raise forms.ValidationError(DUPLICATE_CHECK_NEEDS_INPUT)
        return data


class PatientDetailsForm(forms.Form):
    """The details of a patient, as registration collects them and the record changes them."""

    preferred_name = forms.CharField(
        label=_("Name to use"),
        max_length=200,
        help_text=_("The name or alias the patient wants to be called."),
    )
    legal_name = forms.CharField(label=_("Legal name"), max_length=200, required=False)
    legal_name_withheld = forms.BooleanField(
        label=_("The patient withholds their legal name"), required=False
    )
    legal_name_withheld_reason = forms.CharField(
        label=_("Why the legal name is withheld"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    approximate_age = forms.IntegerField(
        label=_("Approximate age"),
        min_value=0,
        max_value=120,
        required=False,
        help_text=_("When the date of birth is not known."),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=NOT_SET + Sex.choices, required=False)
    gender = forms.CharField(label=_("Gender"), max_length=100, required=False)
    nationality = forms.CharField(label=_("Nationality"), max_length=100, required=False)
    languages = forms.CharField(
        label=_("Languages"),
        max_length=300,
        required=False,
        help_text=_("Separate languages with commas."),
    )
    interpreter_needed = forms.BooleanField(label=_("Interpreter needed"), required=False)
    document_number = forms.CharField(
        label=_("Identity document number"), max_length=100, required=False
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    postal_address = forms.CharField(
        label=_("Postal address"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    safe_contact_channel = forms.ChoiceField(
        label=_("Safe way to make contact"),
        choices=NOT_SET + ContactChannel.choices,
        required=False,
    )
    safe_contact_times = forms.CharField(
        label=_("Safe times to make contact"), max_length=200, required=False
    )
    voicemail_safe = forms.BooleanField(label=_("Safe to leave a voicemail"), required=False)
    letters_safe = forms.BooleanField(label=_("Safe to send letters"), required=False)
    code_word = forms.CharField(
        label=_("Code word"),
        max_length=100,
        required=False,
        help_text=_("A word the patient uses to confirm it is safe to talk."),
    )
    emergency_contact_name = forms.CharField(
        label=_("Emergency contact"), max_length=200, required=False
    )
    emergency_contact_relationship = forms.CharField(
        label=_("Relationship to the patient"), max_length=100, required=False
    )
    emergency_contact_phone = forms.CharField(
        label=_("Emergency contact phone"), max_length=40, required=False
    )
    current_location = forms.CharField(
        label=_("Current location or shelter"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=RESTRICTED_LABEL,
    )

    def clean_languages(self) -> list[str]:
        text = self.cleaned_data["languages"] or ""
        return [part.strip() for part in text.split(",") if part.strip()]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("legal_name_withheld") and data.get("legal_name"):
            self.add_error("legal_name", LEGAL_NAME_WITH_WITHHELD)
        return data

    def details(self) -> dict[str, Any]:
        """Return the cleaned values under PatientDetails field names."""
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}


class IntakeForm(PatientDetailsForm):
    """Step 2 of registration: the explanation, consent for care, and the patient's details."""

    scope_and_purpose_explained = forms.BooleanField(
        label=_("The scope and purpose of the consultation were explained"), required=False
    )
    services_available_explained = forms.BooleanField(
        label=_("The services available here were explained"), required=False
    )
    services_not_available_explained = forms.BooleanField(
        label=_("The services not available here were explained"), required=False
    )
    privacy_explained = forms.BooleanField(
        label=_("How privacy is protected was explained"),
        required=False,
        help_text=_("Consent can be recorded as given only after this was explained."),
    )
    explanation_note = forms.CharField(
        label=_("Note on the explanation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example, why a part could not be explained yet."),
    )
    consent_status = forms.ChoiceField(
        label=_("Consent for care and data collection"),
        choices=CARE_CONSENT_STATUSES,
        widget=forms.RadioSelect,
    )
    consent_explanation = forms.CharField(
        label=_("What was explained about how the data will be used"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when consent is given."),
    )
    consent_not_obtained_reason = forms.CharField(
        label=_("Why consent could not be obtained"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    EXPLANATION_FIELDS = (
        "scope_and_purpose_explained",
        "services_available_explained",
        "services_not_available_explained",
        "privacy_explained",
    )
    field_order = [
        *EXPLANATION_FIELDS,
        "explanation_note",
        "consent_status",
        "consent_explanation",
        "consent_not_obtained_reason",
    ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        status = data.get("consent_status")
        if status == ConsentStatus.GIVEN and not data.get("privacy_explained"):
            self.add_error("consent_status", CONSENT_BEFORE_EXPLANATION)
        if status == ConsentStatus.GIVEN and not data.get("consent_explanation", "").strip():
            self.add_error("consent_explanation", CONSENT_EXPLANATION_REQUIRED)
        if (
            status == ConsentStatus.NOT_OBTAINED
            and not data.get("consent_not_obtained_reason", "").strip()
        ):
            self.add_error("consent_not_obtained_reason", CONSENT_REASON_REQUIRED)
        return data

    def details(self) -> dict[str, Any]:
        """Return the cleaned values under PatientDetails field names."""
        names = set(PatientDetailsForm.base_fields)
        return {name: value for name, value in self.cleaned_data.items() if name in names}


class PatientEditForm(PatientDetailsForm):
    """The record's details and caseload metadata, for the clinical care team."""

    stage = forms.ChoiceField(label=_("Stage of care"), choices=Stage.choices)
    complexity = forms.TypedChoiceField(
        label=_("Complexity"),
        choices=COMPLEXITY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("1 (least) to 5 (most complex)."),
    )
    risk_level = forms.ChoiceField(
        label=_("Risk level"), choices=[("", _("Not assessed")), *RiskLevel.choices], required=False
    )

    field_order = ["stage", "complexity", "risk_level"]

    def __init__(self, *args: Any, restricted: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not restricted:
            # Without restricted access the location is neither shown nor changed.
            del self.fields["current_location"]

    def changes(self) -> dict[str, Any]:
        """Return only the changed values, so an untouched restricted field needs no access."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class FrontDeskLookupForm(forms.Form):
    """An exact case code, posted so that it stays out of URLs and access logs."""

    case_code = forms.CharField(
        label=_("Case code"),
        max_length=20,
        help_text=_("The full case code, for example ABCD-EFGH-J."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class CareTeamAddForm(forms.Form):
    """Add an active clinician to the care team."""

    clinician = forms.ModelChoiceField(label=_("Clinician"), queryset=None)
    role = forms.ChoiceField(
        label=_("Role on the team"),
        choices=[("member", _("Member")), ("lead", _("Lead"))],
        initial="member",
    )
    restricted_access = forms.BooleanField(
        label=_("May read restricted entries"),
        required=False,
        help_text=_("Restricted notes and the current location; the lead always may."),
    )

    def __init__(self, *args: Any, clinicians: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = clinicians
        self.fields["clinician"].label_from_instance = lambda user: user.get_username()


class CareTeamMemberForm(forms.Form):
    """Pick a current member for a change (remove, make lead, restricted access)."""

    clinician = forms.ModelChoiceField(label=_("Clinician"), queryset=None)
    allowed = forms.BooleanField(required=False)

    def __init__(self, *args: Any, clinicians: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = clinicians
