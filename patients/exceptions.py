"""Errors raised by patient services and selectors, and their constant, translatable messages.

`str(error)` is always one of the constants below: safe to show, never a value from a record.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _

# Same text for a missing and a forbidden record: nothing to learn by probing.
PATIENT_NOT_FOUND = _("No patient record matches this reference.")

# Refusals that do not depend on one patient (roles and designations).
NOT_ALLOWED_TO_REGISTER = _("Only reception staff and clinicians can register patients.")
NOT_A_CLINICIAN_LIST = _("Only clinicians have a list of their own patients.")
NOT_AN_OVERSEER = _("Only supervisors and managers can see the caseload.")
NOT_AT_THE_FRONT_DESK = _(
    "Only reception staff and clinicians can look patients up at the front desk."
)
NOT_A_PRIVACY_OFFICER = _("Only privacy officers can review emergency access.")
NOT_YOUR_NOTIFICATION = _("This notification is addressed to someone else.")

# Any form.
INVALID_CHOICE = _("Choose one of the options offered.")

# Registration and the patient record.
INVALID_EMAIL = _("Enter a valid email address.")
PREFERRED_NAME_REQUIRED = _("Enter the name the patient wants to be called.")
LEGAL_NAME_WITH_WITHHELD = _(
    "The legal name is marked as withheld: leave the legal name empty or clear the mark."
)
WITHHELD_REASON_WITHOUT_WITHHELD = _(
    "A reason for withholding the legal name was given, but the name is not marked as withheld."
)
DATE_OF_BIRTH_IN_FUTURE = _("The date of birth cannot be in the future.")
APPROXIMATE_AGE_OUT_OF_RANGE = _("Enter an approximate age between 0 and 120.")
COMPLEXITY_OUT_OF_RANGE = _("Complexity is a whole number from 1 to 5.")
FIELD_NOT_EDITABLE = _("This detail cannot be changed here.")
CONSENT_BEFORE_EXPLANATION = _(
    "Consent can only be recorded as given after how the data will be used was explained."
)
DUPLICATE_CHECK_NEEDS_INPUT = _(
    "Enter a name and date of birth, or a document number, to check for an existing record."
)
CASE_CODE_EXHAUSTED = _("A new case code could not be allocated. Try again.")
NO_DUPLICATE_FOUND = _("No existing record matches these details.")
POSSIBLE_DUPLICATE = _(
    "A record that may belong to this person already exists. Contact %(contact)s before "
    "registering a new one."
)
POSSIBLE_DUPLICATE_ASK_PRIVACY_OFFICER = _(
    "A record that may belong to this person already exists. Contact a privacy officer "
    "before registering a new one."
)

# Care team.
NOT_A_CLINICIAN = _("Only active clinicians can be on a care team.")
ALREADY_ON_CARE_TEAM = _("This clinician is already on the care team.")
NOT_ON_CARE_TEAM = _("This clinician is not on the care team.")
ALREADY_LEAD = _("This clinician is already the lead.")

# Notes and plan.
NOTE_BODY_REQUIRED = _("Write the note before saving it.")
ENCOUNTER_IN_FUTURE = _("The encounter date cannot be in the future.")
NOT_ALLOWED_TO_AMEND = _("Only the author of a note or the care team lead can amend it.")
GOAL_REQUIRED = _("Describe the goal agreed with the patient.")
REVIEW_BEFORE_AGREEMENT = _("The review date cannot be before the date the goal was agreed.")

# Consent.
CONSENT_REASON_REQUIRED = _("Say why consent could not be obtained.")
CONSENT_EXPLANATION_REQUIRED = _("Record what was explained to the patient.")
CONSENT_ORGANISATION_REQUIRED = _("Name the organisation the data may be shared with.")
CONSENT_ORGANISATION_NOT_APPLICABLE = _(
    "An organisation is only recorded for consent to share with a named organisation."
)
CONSENT_STATUS_NOT_RECORDABLE = _(
    "Record consent as given, refused or could not be obtained; withdraw it with its own action."
)
CONSENT_EXPIRY_IN_PAST = _("The expiry date cannot be in the past.")
CONSENT_NOT_WITHDRAWABLE = _("Only consent that was given can be withdrawn.")

# Safety.
FLAG_ALREADY_RESOLVED = _("This safety flag has already been resolved.")

# Attachments.
ATTACHMENT_TOO_LARGE = _("The file is larger than the %(limit)s limit.")
ATTACHMENT_EMPTY = _("The file is empty.")
ATTACHMENT_TYPE_NOT_ALLOWED = _("Only PDF documents and JPEG or PNG images can be uploaded.")
ATTACHMENT_IMAGE_TOO_LARGE = _(
    "The image has too many pixels. Reduce its resolution and upload it again."
)
ATTACHMENT_UNREADABLE = _("The image could not be read. Upload it again or scan it as a PDF.")

# Break-glass.
BREAK_GLASS_REASON_REQUIRED = _("State why you need emergency access to this record.")
BREAK_GLASS_CREDENTIALS_INVALID = _("Your password was not accepted.")
BREAK_GLASS_TOO_MANY_ATTEMPTS = _(
    "Too many wrong passwords. Wait a few minutes, or ask the care team lead for access."
)
BREAK_GLASS_ALREADY_REVIEWED = _("This emergency access has already been reviewed.")
BREAK_GLASS_OWN_GRANT = _("You cannot review your own emergency access.")
BREAK_GLASS_OUTCOME_INVALID = _("Choose whether the emergency access was justified.")


class PatientNotFound(Http404):
    """The record does not exist or the user may not do this to it: always the same 404."""

    def __init__(self) -> None:
        super().__init__(PATIENT_NOT_FOUND)


class PatientServiceError(Exception):
    """Base of the refusals below; `str()` and `.message` give the constant message."""

    def __init__(self, message: object) -> None:
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.message)


class ActionRefused(PatientServiceError, PermissionDenied):
    """The user lacks the role, designation or credentials for an action (a 403 page)."""


class InvalidRequest(PatientServiceError):
    """The request breaks a rule of the record (a form error); nothing was saved."""
