"""Forms of legal requests and holds, patient access requests, the disclosure register and
its report. Forms parse and label; the rules live in the services, whose constant messages
are attached to the field they concern (`add_service_error`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.exceptions import PATIENT_NOT_FOUND

from .models import DisclosureKind, LegalBasis, RequesterKind, Section
from .services import access as access_services
from .services import disclosures as disclosure_services
from .services import legal as legal_services

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    StrOrPromise = str | _StrPromise

CONFIRM_REQUIRED = _("Tick the box to confirm.")
CASE_CODE_HELP = _("The full case code, for example ABCD-EFGH-J.")

# Which field a service's constant message belongs to; anything else is a form-wide error.
FIELD_OF_MESSAGE: tuple[tuple[object, str], ...] = (
    (PATIENT_NOT_FOUND, "case_code"),
    (legal_services.LEGAL_KIND_INVALID, "requester_kind"),
    (legal_services.LEGAL_REQUESTER_REQUIRED, "requester_name"),
    (legal_services.LEGAL_SUMMARY_REQUIRED, "request_summary"),
    (legal_services.LEGAL_RECEIVED_IN_FUTURE, "received_on"),
    (legal_services.LEGAL_BASIS_INVALID, "legal_basis"),
    (legal_services.LEGAL_ASSESSMENT_REQUIRED, "assessment"),
    (legal_services.LEGAL_SECTIONS_REQUIRED, "sections"),
    (legal_services.LEGAL_SECTIONS_INVALID, "sections"),
    (legal_services.LEGAL_REASON_REQUIRED, "reason"),
    (legal_services.HOLD_REASON_REQUIRED, "reason"),
    (legal_services.HOLD_REQUEST_MISMATCH, "legal_request"),
    (access_services.ACCESS_RECEIVED_IN_FUTURE, "received_on"),
    (access_services.ACCESS_SECTIONS_REQUIRED, "sections"),
    (access_services.ACCESS_SECTIONS_INVALID, "sections"),
    (access_services.ACCESS_REVIEW_REQUIRED, "review"),
    (access_services.ACCESS_SAFE_REQUIRED, "safe_to_release"),
    (access_services.ACCESS_STAFF_REASON_REQUIRED, "staff_reason"),
    (access_services.ACCESS_REASON_REQUIRED, "reason"),
    (disclosure_services.DISCLOSURE_KIND_INVALID, "kind"),
    (disclosure_services.DISCLOSURE_BASIS_INVALID, "legal_basis"),
    (disclosure_services.DISCLOSURE_PURPOSE_REQUIRED, "purpose"),
    (disclosure_services.DISCLOSURE_RECIPIENT_REQUIRED, "recipient"),
    (disclosure_services.DISCLOSURE_SECTIONS_INVALID, "sections"),
    (disclosure_services.DISCLOSURE_CONSENT_MISMATCH, "consent"),
    (disclosure_services.DISCLOSURE_IN_FUTURE, "disclosed_at"),
)

# Free text is stored encrypted; a bound keeps a pasted document out of a form field.
TEXT_MAX_LENGTH = 8000


def add_service_error(form: forms.Form, error: Exception) -> None:
    """Attach a service refusal's constant message to the field it concerns, or the form."""
    constant = getattr(error, "message", error)
    # Matched by identity, not text: the text depends on the language of the request.
    field = next((name for message, name in FIELD_OF_MESSAGE if message is constant), None)
    form.add_error(field if field in form.fields else None, str(constant))


class LegalRequestChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(
            _("%(case_code)s, received %(date)s (%(kind)s)")
            % {
                "case_code": obj.patient.case_code,
                "date": obj.received_on.isoformat(),
                "kind": obj.get_requester_kind_display(),
            }
        )


class ConsentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return (
            f"{obj.get_purpose_display()}: {obj.get_status_display()} "
            f"({obj.recorded_at.date().isoformat()})"
        )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _case_code_field() -> forms.CharField:
    return forms.CharField(
        label=_("Case code"),
        max_length=20,
        help_text=CASE_CODE_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def _sections_field(help_text: StrOrPromise) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Parts of the record"),
        choices=Section.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
        error_messages={"required": legal_services.LEGAL_SECTIONS_REQUIRED},
    )


def _confirm_field(label: StrOrPromise) -> forms.BooleanField:
    return forms.BooleanField(
        label=label, required=True, error_messages={"required": CONFIRM_REQUIRED}
    )


# --- Legal requests ----------------------------------------------------------------------------


class LegalRequestForm(forms.Form):
    case_code = _case_code_field()
    requester_kind = forms.ChoiceField(label=_("Request from"), choices=RequesterKind.choices)
    requester_name = forms.CharField(
        label=_("Requesting court, authority or person"),
        max_length=300,
        help_text=_("Stored encrypted."),
        error_messages={"required": legal_services.LEGAL_REQUESTER_REQUIRED},
    )
    reference = forms.CharField(
        label=_("Their reference"),
        max_length=200,
        required=False,
        help_text=_("Optional. The case or file number the requester uses."),
    )
    request_summary = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("What is asked for"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Which records, for which period, and by when. Stored encrypted."),
        error_messages={"required": legal_services.LEGAL_SUMMARY_REQUIRED},
    )
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("received_on", timezone.localdate())
        super().__init__(*args, **kwargs)


class LegalBasisForm(forms.Form):
    legal_basis = forms.ChoiceField(
        label=_("Legal basis"),
        choices=[(basis.value, basis.label) for basis in legal_services.LEGAL_REQUEST_BASES],
        widget=forms.RadioSelect,
        help_text=_(
            "Choose “No valid basis” when the request does not oblige or allow a release: "
            "the request can then only be refused."
        ),
    )
    assessment = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("Assessment"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Why this basis applies (or why none does), and any advice taken. Stored encrypted."
        ),
        error_messages={"required": legal_services.LEGAL_ASSESSMENT_REQUIRED},
    )


class LegalScopeForm(forms.Form):
    sections = _sections_field(
        _(
            "Only what the request requires. Notes means every standard note; restricted "
            "notes are never part of a legal release."
        )
    )
    redact_third_parties = forms.BooleanField(
        label=_("Redact third parties"),
        required=False,
        initial=True,
        help_text=_("Leave out the emergency contact and the details of safety flags."),
    )
    redact_staff = forms.BooleanField(
        label=_("Redact staff identities"),
        required=False,
        initial=True,
        help_text=_("Show staff as role codes (for example “Clinician 1”), not by name."),
    )
    redact_location = forms.BooleanField(
        label=_("Redact the patient's location"),
        required=False,
        initial=True,
        help_text=_(
            "Untick only when the request requires where the patient is; the location then "
            "goes with the summary."
        ),
    )


class ApproveForm(forms.Form):
    confirm = _confirm_field(
        _("I have checked the basis, the scope and the redaction, and I approve this release.")
    )
    note = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Optional. Anything the record of this release should say."),
    )
    # When the scope shown was decided: a scope decided again since is not approved unseen.
    scope_seen = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class ReleaseForm(forms.Form):
    confirm = _confirm_field(
        _("I have read the safety review and I release this copy to the patient.")
    )
    # When the review shown was done: a review redone since is not released unread.
    review_seen = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class RefuseForm(forms.Form):
    reason = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("Reasons for refusing"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Stored encrypted; say what the requester was told."),
        error_messages={"required": legal_services.LEGAL_REASON_REQUIRED},
    )
    confirm = _confirm_field(_("Refuse this request. Nothing will be released."))


class LegalHoldForm(forms.Form):
    case_code = _case_code_field()
    legal_request = LegalRequestChoiceField(
        label=_("Legal request"),
        queryset=None,
        required=False,
        help_text=_("Optional. The request the hold belongs to (same case code)."),
    )
    reason = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the record must not be destroyed. Stored encrypted."),
        error_messages={"required": legal_services.HOLD_REASON_REQUIRED},
    )

    def __init__(self, *args: Any, requests: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["legal_request"]
        field.queryset = requests  # type: ignore[attr-defined]


class LiftHoldForm(forms.Form):
    confirm = _confirm_field(
        _("Lift this hold. The record can be destroyed once its retention period has ended.")
    )


# --- Patient access ----------------------------------------------------------------------------


class AccessRequestForm(forms.Form):
    case_code = _case_code_field()
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    sections = _sections_field(_("What the patient asked for; the safety review can narrow it."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("received_on", timezone.localdate())
        initial.setdefault("sections", list(Section.values))
        super().__init__(*args, **kwargs)


SAFE_CHOICES = (("yes", _("Yes, safe to release")), ("no", _("No, not safe to release")))


class SafetyReviewForm(forms.Form):
    review = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("Safety review"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Who else could read the copy (a partner, an employer, a trafficker)? Is anything "
            "in it dangerous to the patient if others saw it? Stored encrypted."
        ),
        error_messages={"required": access_services.ACCESS_REVIEW_REQUIRED},
    )
    safe_to_release = forms.ChoiceField(
        label=_("Safe to release?"),
        choices=SAFE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": access_services.ACCESS_SAFE_REQUIRED},
    )
    sections = _sections_field(
        _(
            "The copy never holds restricted notes, the current location, third parties or "
            "contact details."
        )
    )
    name_staff = forms.BooleanField(
        label=_("Name staff instead of role codes"),
        required=False,
        initial=False,
        help_text=_("Staff identities are redacted unless you say why they should not be."),
    )
    staff_reason = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("Why staff are named"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required when staff are named."),
    )

    def safe(self) -> bool:
        return self.cleaned_data["safe_to_release"] == "yes"


# --- The disclosure register -------------------------------------------------------------------

MANUAL_KINDS = (DisclosureKind.SPOKEN, DisclosureKind.WRITTEN)


class DisclosureForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of disclosure"),
        choices=[(kind.value, kind.label) for kind in MANUAL_KINDS],
        widget=forms.RadioSelect,
    )
    recipient = forms.CharField(
        label=_("Recipient"),
        max_length=300,
        help_text=_("Who received the information (person and organisation). Stored encrypted."),
        error_messages={"required": disclosure_services.DISCLOSURE_RECIPIENT_REQUIRED},
    )
    purpose = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("Purpose"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why it was disclosed. Stored encrypted."),
        error_messages={"required": disclosure_services.DISCLOSURE_PURPOSE_REQUIRED},
    )
    legal_basis = forms.ChoiceField(label=_("Legal basis"), choices=LegalBasis.choices)
    consent = ConsentChoiceField(
        label=_("Consent relied on"),
        queryset=None,
        required=False,
        help_text=_("Optional. One of the patient's consent records."),
    )
    sections = forms.MultipleChoiceField(
        label=_("Parts of the record disclosed"),
        choices=Section.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    scope_note = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        label=_("What was disclosed, in words"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Optional. Stored encrypted."),
    )
    approved_by = StaffChoiceField(
        label=_("Approved by"), queryset=None, required=False, help_text=_("Optional.")
    )
    disclosed_at = forms.DateTimeField(label=_("When"), widget=DateTimeInput())

    def __init__(self, *args: Any, consents: Any, approvers: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault(
            "disclosed_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)
        consent = self.fields["consent"]
        consent.queryset = consents  # type: ignore[attr-defined]
        approver = self.fields["approved_by"]
        approver.queryset = approvers  # type: ignore[attr-defined]


class RegisterFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *DisclosureKind.choices], required=False
    )
    date_from = forms.DateField(label=_("From"), widget=DateInput(), required=False)
    date_to = forms.DateField(label=_("To"), widget=DateInput(), required=False)


class ReportForm(forms.Form):
    identify_staff = forms.BooleanField(
        label=_("Name staff instead of role codes"),
        required=False,
        help_text=_("Only if the patient needs the names; the report may be read by others."),
    )
