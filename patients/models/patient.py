"""The patient record and the first-consultation explanation given at intake."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.query import ModelIterable
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import TimeStampedModel
from carecore.crypto.blind_index import blind_index
from carecore.crypto.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedEmailField,
    EncryptedJSONField,
    EncryptedTextField,
)

from .. import case_codes
from .fields import EncryptedBooleanField, EncryptedPositiveSmallIntegerField

NAME_DOB_INDEX_PURPOSE = "patients.name_dob"
DOCUMENT_NUMBER_INDEX_PURPOSE = "patients.document_number"

FIELD_NOT_PERMITTED_MESSAGE = (
    "Field {field!r} was not loaded for this user and may not be read through this object."
)


class FieldNotPermitted(Exception):
    """A field outside the loaded scope was read from a patient fetched for a narrower action."""

    # Templates must not swallow this as an empty string: it is a bug to fix, not a blank.
    silent_variable_failure = False


class Stage(models.TextChoices):
    INTAKE = "intake", _("Intake")
    STABILISATION = "stabilisation", _("Stabilisation")
    RECOVERY = "recovery", _("Recovery")
    REINTEGRATION = "reintegration", _("Reintegration")
    CLOSED = "closed", _("Closed")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class PatientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    INTERSEX = "intersex", _("Intersex")
    NOT_STATED = "not_stated", _("Not stated")


class ContactChannel(models.TextChoices):
    PHONE_CALL = "phone_call", _("Phone call")
    TEXT_MESSAGE = "text_message", _("Text message")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    IN_PERSON = "in_person", _("In person only")
    THROUGH_SUPPORT_WORKER = "support_worker", _("Through a support worker or shelter")
    NONE = "none", _("Do not contact")


COMPLEXITY_MIN = 1
COMPLEXITY_MAX = 5


class PermittedFieldsIterable(ModelIterable):
    """Yield patients that remember which fields the policy let this query load."""

    def __iter__(self) -> Iterator[Any]:
        permitted = getattr(self.queryset, "_permitted_fields", None)
        for obj in super().__iter__():
            obj._permitted_fields = permitted
            yield obj


class PatientQuerySet(models.QuerySet["Patient"]):
    _permitted_fields: frozenset[str] | None = None

    def limited_to(self, fields: Iterable[str]) -> PatientQuerySet:
        """Load only `fields`, and make reading any other field from the results an error.

        Without the guard, touching a deferred field (say `current_location` in a template)
        would quietly run a query and load data the policy withheld.
        """
        names = frozenset(fields)
        clone = self.only(*names)
        clone._permitted_fields = names | {"id"}
        clone._iterable_class = PermittedFieldsIterable
        return clone

    def _clone(self) -> PatientQuerySet:
        clone = super()._clone()  # type: ignore[misc]  # private, absent from the stubs
        clone._permitted_fields = getattr(self, "_permitted_fields", None)
        return clone


class Patient(TimeStampedModel):
    """A person in care, known everywhere by a random case code.

    Identifying, contact, clinical and safety details are encrypted; only caseload metadata
    (stage, complexity, risk, status, dates) is clear, and lists filter on nothing else.
    `current_location` is the restricted tier: loaded only for READ_RESTRICTED.
    """

    # Clear: references and caseload metadata.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case_code = models.CharField(
        _("case code"), max_length=11, unique=True, default=case_codes.generate, editable=False
    )
    status = models.CharField(
        _("status"), max_length=16, choices=PatientStatus.choices, default=PatientStatus.ACTIVE
    )
    stage = models.CharField(
        _("stage of care"), max_length=16, choices=Stage.choices, default=Stage.INTAKE
    )
    # Null until assessed: reception registers people before anyone has assessed them.
    complexity = models.PositiveSmallIntegerField(_("complexity"), null=True, blank=True)
    risk_level = models.CharField(
        _("risk level"), max_length=8, choices=RiskLevel.choices, blank=True, default=""
    )
    registered_on = models.DateField(_("registered on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Clear on purpose: it says only that the person chose anonymity (the reason is encrypted),
    # and it lets the database refuse a legal name recorded alongside it.
    legal_name_withheld = models.BooleanField(_("legal name withheld"), default=False)

    # Encrypted: identity.
    legal_name = EncryptedCharField(_("legal name"), max_length=200, null=True, blank=True)
    legal_name_withheld_reason = EncryptedTextField(
        _("why the legal name is withheld"), null=True, blank=True
    )
    preferred_name = EncryptedCharField(
        _("name to use"),
        max_length=200,
        help_text=_("The name or alias the patient wants to be called."),
    )
    date_of_birth = EncryptedDateField(_("date of birth"), null=True, blank=True)
    approximate_age = EncryptedPositiveSmallIntegerField(
        _("approximate age"), null=True, blank=True
    )
    sex = EncryptedCharField(_("sex"), max_length=16, choices=Sex.choices, null=True, blank=True)
    gender = EncryptedCharField(_("gender"), max_length=100, null=True, blank=True)
    nationality = EncryptedCharField(_("nationality"), max_length=100, null=True, blank=True)
    languages = EncryptedJSONField(_("languages"), default=list, blank=True)
    interpreter_needed = EncryptedBooleanField(_("interpreter needed"), default=False)
    document_number = EncryptedCharField(
        _("identity document number"), max_length=100, null=True, blank=True
    )

    # Encrypted: contact and safe contact. "Not safe" is the default until someone says so.
    phone = EncryptedCharField(_("phone"), max_length=40, null=True, blank=True)
    email = EncryptedEmailField(_("email"), null=True, blank=True)
    postal_address = EncryptedTextField(_("postal address"), null=True, blank=True)
    safe_contact_channel = EncryptedCharField(
        _("safe way to make contact"),
        max_length=32,
        choices=ContactChannel.choices,
        null=True,
        blank=True,
    )
    safe_contact_times = EncryptedCharField(
        _("safe times to make contact"), max_length=200, null=True, blank=True
    )
    voicemail_safe = EncryptedBooleanField(_("safe to leave a voicemail"), default=False)
    letters_safe = EncryptedBooleanField(_("safe to send letters"), default=False)
    code_word = EncryptedCharField(_("code word"), max_length=100, null=True, blank=True)
    emergency_contact_name = EncryptedCharField(
        _("emergency contact"), max_length=200, null=True, blank=True
    )
    emergency_contact_relationship = EncryptedCharField(
        _("relationship to the patient"), max_length=100, null=True, blank=True
    )
    emergency_contact_phone = EncryptedCharField(
        _("emergency contact phone"), max_length=40, null=True, blank=True
    )

    # Encrypted, restricted tier: in no list, export or referral by default.
    current_location = EncryptedTextField(_("current location or shelter"), null=True, blank=True)

    # Blind indexes (HMAC of normalised values) for the intake duplicate check; "" when the
    # inputs are missing, so incomplete records never match each other.
    legal_name_dob_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    preferred_name_dob_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    document_number_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["-registered_on", "case_code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(complexity__isnull=True)
                | Q(complexity__gte=COMPLEXITY_MIN, complexity__lte=COMPLEXITY_MAX),
                name="patient_complexity_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(risk_level__in=["", *RiskLevel.values]),
                name="patient_risk_level_valid",
            ),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="patient_stage_valid"),
            models.CheckConstraint(
                condition=Q(status=PatientStatus.ACTIVE, closed_on__isnull=True)
                & ~Q(stage=Stage.CLOSED)
                | Q(status=PatientStatus.CLOSED, closed_on__isnull=False, stage=Stage.CLOSED),
                name="patient_closed_consistent",
            ),
            models.CheckConstraint(
                condition=Q(legal_name_withheld=False, legal_name_withheld_reason__isnull=True)
                | Q(legal_name_withheld=True, legal_name__isnull=True),
                name="patient_withheld_name_consistent",
            ),
        ]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")

    def __str__(self) -> str:
        # Never a name: this string ends up in logs, admin titles and error pages.
        return self.case_code

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Only a fully loaded record recomputes its indexes: a partial one lacks the inputs.
        if not self.get_deferred_fields():
            self.refresh_blind_indexes()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {
                    *update_fields,
                    "legal_name_dob_index",
                    "preferred_name_dob_index",
                    "document_number_index",
                }
        super().save(*args, **kwargs)

    def refresh_from_db(
        self, using: str | None = None, fields: Any = None, from_queryset: Any = None
    ) -> None:
        permitted: frozenset[str] | None = getattr(self, "_permitted_fields", None)
        if permitted is not None:
            wanted = (
                set(fields)
                if fields is not None
                else {field.attname for field in self._meta.concrete_fields}
            )
            refused = sorted(wanted - permitted)
            if refused:
                raise FieldNotPermitted(FIELD_NOT_PERMITTED_MESSAGE.format(field=refused[0]))
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)

    def limit_to(self, fields: Iterable[str]) -> Patient:
        """Drop every loaded field outside `fields` from this instance and guard it; return it."""
        permitted = frozenset(fields) | {"id"}
        for field in self._meta.concrete_fields:
            if field.attname not in permitted:
                self.__dict__.pop(field.attname, None)
        self._permitted_fields = permitted
        return self

    def refresh_blind_indexes(self) -> None:
        """Recompute the duplicate-check indexes from the current names, birth date, document."""
        self.legal_name_dob_index = name_dob_index(self.legal_name, self.date_of_birth)
        self.preferred_name_dob_index = name_dob_index(self.preferred_name, self.date_of_birth)
        self.document_number_index = document_number_index(self.document_number)


def name_dob_index(name: str | None, date_of_birth: Any) -> str:
    """Return the blind index of a name with a date of birth, or "" if either is missing."""
    if not name or date_of_birth is None:
        return ""
    try:
        return blind_index(f"{name} {date_of_birth.isoformat()}", purpose=NAME_DOB_INDEX_PURPOSE)
    except ValueError:
        return ""


def document_number_index(number: str | None) -> str:
    """Return the blind index of an identity document number, or "" if there is none."""
    if not number:
        return ""
    try:
        return blind_index(number, purpose=DOCUMENT_NUMBER_INDEX_PURPOSE, compact=True)
    except ValueError:
        return ""


class IntakeExplanation(TimeStampedModel):
    """What the patient was told at the first consultation, before any consent was asked."""

    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="intake_explanation"
    )
    scope_and_purpose_explained = models.BooleanField(
        _("scope and purpose of the consultation explained"), default=False
    )
    services_available_explained = models.BooleanField(
        _("services available explained"), default=False
    )
    services_not_available_explained = models.BooleanField(
        _("services not available explained"), default=False
    )
    privacy_explained = models.BooleanField(_("how privacy is protected explained"), default=False)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    explained_on = models.DateField(_("explained on"), default=timezone.localdate)
    note = EncryptedTextField(_("note"), null=True, blank=True)

    class Meta:
        verbose_name = _("first-consultation explanation")
        verbose_name_plural = _("first-consultation explanations")

    def __str__(self) -> str:
        return f"intake explanation of patient #{self.patient_id}"
