"""Forms of the record pages (notes, plan, consents, safety, attachments) and of oversight.

Forms parse and label; the rules of the record live in the services, whose constant messages
are attached to the field they concern (`add_service_error`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import conf
from . import exceptions as errors
from .models import (
    ConsentPurpose,
    ConsentStatus,
    GoalStatus,
    NoteType,
    ReviewOutcome,
    SafetyFlagKind,
    Sensitivity,
)
from .services.consent import RECORDABLE_STATUSES

DESCRIPTION_MAX_LENGTH = 1000

SENSITIVITY_HELP = _(
    "Choose Restricted for sexual and reproductive health, HIV status, mental health, details "
    "of the exploitation, or the person's current location. Only the author, the care team "
    "lead and members granted restricted access can read a restricted entry; others on the "
    "team see only that it exists."
)
AMEND_RESTRICTED_HELP = _("An amendment of a restricted entry is always restricted.")

# Which field a service's constant message belongs to; anything else is a form-wide error.
FIELD_OF_MESSAGE: tuple[tuple[object, str], ...] = (
    (errors.NOTE_BODY_REQUIRED, "body"),
    (errors.ENCOUNTER_IN_FUTURE, "encounter_date"),
    (errors.GOAL_REQUIRED, "goal"),
    (errors.REVIEW_BEFORE_AGREEMENT, "review_on"),
    (errors.CONSENT_REASON_REQUIRED, "not_obtained_reason"),
    (errors.CONSENT_EXPLANATION_REQUIRED, "explanation"),
    (errors.CONSENT_ORGANISATION_REQUIRED, "organisation"),
    (errors.CONSENT_ORGANISATION_NOT_APPLICABLE, "organisation"),
    (errors.CONSENT_EXPIRY_IN_PAST, "expires_on"),
    (errors.ATTACHMENT_EMPTY, "file"),
    (errors.ATTACHMENT_TYPE_NOT_ALLOWED, "file"),
    (errors.ATTACHMENT_IMAGE_TOO_LARGE, "file"),
    (errors.ATTACHMENT_UNREADABLE, "file"),
    (errors.BREAK_GLASS_REASON_REQUIRED, "reason"),
    (errors.BREAK_GLASS_CREDENTIALS_INVALID, "password"),
    (errors.BREAK_GLASS_OUTCOME_INVALID, "outcome"),
)


def add_service_error(form: forms.Form, error: Exception) -> None:
    """Attach a service refusal's constant message to the field it concerns, or the form."""
    constant = getattr(error, "message", None)
    # Matched by identity, not text: the text depends on the language of the request.
    field = next(
        (name for message, name in FIELD_OF_MESSAGE if message is constant),
        getattr(form, "service_error_field", None),
    )
    form.add_error(field if field in form.fields else None, str(error))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class NoteForm(forms.Form):
    encounter_date = forms.DateField(
        label=_("Date of the encounter"),
        widget=DateInput(),
        help_text=_("The day the consultation, call or session took place."),
    )
    note_type = forms.ChoiceField(label=_("Type"), choices=NoteType.choices)
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"),
        choices=Sensitivity.choices,
        initial=Sensitivity.STANDARD,
        widget=forms.RadioSelect,
        help_text=SENSITIVITY_HELP,
    )
    body = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 8}),
        strip=True,
        error_messages={"required": errors.NOTE_BODY_REQUIRED},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("encounter_date", timezone.localdate())
        super().__init__(*args, **kwargs)


class NoteAmendForm(NoteForm):
    def __init__(self, *args: Any, original_restricted: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Amendment")
        self.fields["body"].help_text = _(
            "Say what is corrected or added. The original entry stays in the record unchanged."
        )
        if original_restricted:
            # The service keeps the amendment restricted whatever is submitted; say so.
            self.fields["sensitivity"].disabled = True
            self.fields["sensitivity"].help_text = AMEND_RESTRICTED_HELP


class GoalForm(forms.Form):
    goal = forms.CharField(
        label=_("Goal agreed with the patient"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("In words the patient agreed to."),
        error_messages={"required": errors.GOAL_REQUIRED},
    )
    agreed_on = forms.DateField(label=_("Agreed on"), widget=DateInput())
    review_on = forms.DateField(
        label=_("Review on"),
        widget=DateInput(),
        required=False,
        help_text=_("Optional. When to review progress with the patient."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("agreed_on", timezone.localdate())
        super().__init__(*args, **kwargs)


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=GoalStatus.choices)
    review_on = forms.DateField(
        label=_("Next review"),
        widget=DateInput(),
        required=False,
        help_text=_("Optional. Leave empty to keep the current review date."),
    )


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=ConsentPurpose.choices,
        help_text=_(
            "One record per purpose. Research use is always asked for separately: consent to "
            "care never covers it."
        ),
    )
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (value, label) for value, label in ConsentStatus.choices if value in RECORDABLE_STATUSES
        ],
        widget=forms.RadioSelect,
    )
    explanation = forms.CharField(
        label=_("What was explained"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required when consent is given: how the data will be used, and by whom."),
    )
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=200,
        required=False,
        help_text=_("Only for sharing: the organisation the data may be shared with."),
    )
    scope = forms.CharField(
        label=_("Scope"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Optional. What the consent covers and what it does not."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        widget=DateInput(),
        required=False,
        help_text=_("Optional. The last day on which the consent holds."),
    )
    not_obtained_reason = forms.CharField(
        label=_("Why consent could not be obtained"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required when consent could not be obtained."),
    )


class SafetyFlagForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Risk"),
        choices=SafetyFlagKind.choices,
        help_text=_(
            "“Do not confirm presence” and “a trafficker may try to make contact” are also "
            "shown to reception on every lookup (the kind only, never the details)."
        ),
    )
    details = forms.CharField(
        label=_("Details"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Optional. Seen by the care team only."),
    )


class AttachmentForm(forms.Form):
    # Every refusal of an upload is about the file (the "too large" text carries the limit,
    # so it matches no constant by identity).
    service_error_field = "file"

    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        help_text=_("Optional. For example: discharge letter from the hospital."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "PDF documents and JPEG or PNG images up to %(limit)s. Location and camera details "
            "are removed from images."
        ) % {"limit": filesizeformat(conf.attachment_max_bytes())}

    def refuse_file(self, message: str) -> None:
        """Show `message` as the file's only error (for a file refused before parsing)."""
        self.is_valid()
        self.errors.pop("file", None)
        self.add_error("file", message)


def _reason_field() -> forms.CharField:
    # Not required here: an empty reason goes to the service, which audits the refusal.
    return forms.CharField(
        label=_("Why do you need emergency access?"),
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
        required=False,
        help_text=_("Privacy officers read this when they review the access."),
    )


def _password_field() -> forms.CharField:
    return forms.CharField(
        label=_("Your password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "required": True}),
        help_text=_("Re-enter the password you sign in with, to confirm it is you."),
    )


class BreakGlassForm(forms.Form):
    reason = _reason_field()
    password = _password_field()


class BreakGlassStartForm(forms.Form):
    case_code = forms.CharField(
        label=_("Case code"),
        max_length=32,
        help_text=_("The case code of the record you need to open."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    reason = _reason_field()
    password = _password_field()


class BreakGlassReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (ReviewOutcome.JUSTIFIED.value, ReviewOutcome.JUSTIFIED.label),
            (ReviewOutcome.NOT_JUSTIFIED.value, ReviewOutcome.NOT_JUSTIFIED.label),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": errors.BREAK_GLASS_OUTCOME_INVALID},
    )
    note = forms.CharField(
        label=_("Review note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("What you checked and, if not justified, what follows."),
    )
