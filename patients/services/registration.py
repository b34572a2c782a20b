"""Registering patients, the intake duplicate check, and changes to the patient record."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from carecore.accounts.models import User
from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from .. import case_codes
from ..auditing import DenialReason, access_denied_record, patient_event_record
from ..exceptions import (
    APPROXIMATE_AGE_OUT_OF_RANGE,
    CASE_CODE_EXHAUSTED,
    COMPLEXITY_OUT_OF_RANGE,
    CONSENT_BEFORE_EXPLANATION,
    DATE_OF_BIRTH_IN_FUTURE,
    DUPLICATE_CHECK_NEEDS_INPUT,
    FIELD_NOT_EDITABLE,
    INVALID_CHOICE,
    INVALID_EMAIL,
    LEGAL_NAME_WITH_WITHHELD,
    NO_DUPLICATE_FOUND,
    NOT_ALLOWED_TO_REGISTER,
    POSSIBLE_DUPLICATE,
    POSSIBLE_DUPLICATE_ASK_PRIVACY_OFFICER,
    PREFERRED_NAME_REQUIRED,
    WITHHELD_REASON_WITHOUT_WITHHELD,
    ActionRefused,
    InvalidRequest,
)
from ..models import (
    COMPLEXITY_MAX,
    COMPLEXITY_MIN,
    CareTeamMembership,
    CareTeamRole,
    ConsentStatus,
    ContactChannel,
    IntakeExplanation,
    Patient,
    PatientStatus,
    RiskLevel,
    Sex,
    Stage,
    document_number_index,
    name_dob_index,
)
from ..permissions import IDENTITY_FIELDS, Action, can
from .access import access_require, clean_text, patient_lock
from .consent import ConsentDetails, consent_create, consent_details_validate

if TYPE_CHECKING:
    from django.utils.functional import Promise

CASE_CODE_ATTEMPTS = 8
MAX_APPROXIMATE_AGE = 120
# Clear caseload metadata: their old and new values (enum values, numbers) may be audited.
METADATA_CHANGE_FIELDS = ("stage", "complexity", "risk_level")
RESTRICTED_CHANGE_FIELDS = frozenset({"current_location"})


@dataclass(frozen=True)
class PatientDetails:
    """Everything about a patient that registration collects and `patient_update` changes."""

    preferred_name: str
    legal_name: str | None = None
    legal_name_withheld: bool = False
    legal_name_withheld_reason: str | None = None
    date_of_birth: dt.date | None = None
    approximate_age: int | None = None
    sex: str | None = None
    gender: str | None = None
    nationality: str | None = None
    languages: tuple[str, ...] = ()
    interpreter_needed: bool = False
    document_number: str | None = None
    phone: str | None = None
    email: str | None = None
    postal_address: str | None = None
    safe_contact_channel: str | None = None
    safe_contact_times: str | None = None
    voicemail_safe: bool = False
    letters_safe: bool = False
    code_word: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_relationship: str | None = None
    emergency_contact_phone: str | None = None
    current_location: str | None = None
    stage: str = Stage.INTAKE
    complexity: int | None = None
    risk_level: str = ""


EDITABLE_FIELDS = frozenset(field.name for field in dataclasses.fields(PatientDetails))
BOOLEAN_FIELDS = frozenset(
    {"legal_name_withheld", "interpreter_needed", "voicemail_safe", "letters_safe"}
)


@dataclass(frozen=True)
class ExplanationDetails:
    """The first-consultation explanation (`explained_by` defaults to the actor)."""

    scope_and_purpose_explained: bool
    services_available_explained: bool
    services_not_available_explained: bool
    privacy_explained: bool
    note: str | None = None
    explained_by: User | None = None
    explained_on: dt.date | None = None


def _choice(choices: Any, value: Any, *, blank: Any = None) -> Any:
    if value in (None, ""):
        return blank
    try:
        return choices(value).value
    except ValueError:
        raise InvalidRequest(INVALID_CHOICE) from None


def patient_values_validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the patient field values cleaned, or raise InvalidRequest on the first rule broken."""
    cleaned: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        value = values.get(name)
        cleaned[name] = bool(value) if name in BOOLEAN_FIELDS else value
    for name in (
        EDITABLE_FIELDS
        - BOOLEAN_FIELDS
        - {
            "date_of_birth",
            "approximate_age",
            "complexity",
            "languages",
        }
    ):
        cleaned[name] = clean_text(cleaned[name])
    if cleaned["preferred_name"] is None:
        raise InvalidRequest(PREFERRED_NAME_REQUIRED)
    if cleaned["legal_name_withheld"] and cleaned["legal_name"] is not None:
        raise InvalidRequest(LEGAL_NAME_WITH_WITHHELD)
    if not cleaned["legal_name_withheld"] and cleaned["legal_name_withheld_reason"] is not None:
        raise InvalidRequest(WITHHELD_REASON_WITHOUT_WITHHELD)
    born = cleaned["date_of_birth"]
    if born is not None and born > timezone.localdate():
        raise InvalidRequest(DATE_OF_BIRTH_IN_FUTURE)
    age = cleaned["approximate_age"]
    if age is not None and not (0 <= int(age) <= MAX_APPROXIMATE_AGE):
        raise InvalidRequest(APPROXIMATE_AGE_OUT_OF_RANGE)
    complexity = cleaned["complexity"]
    if complexity is not None and not (COMPLEXITY_MIN <= int(complexity) <= COMPLEXITY_MAX):
        raise InvalidRequest(COMPLEXITY_OUT_OF_RANGE)
    if cleaned["email"] is not None:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            raise InvalidRequest(INVALID_EMAIL) from None
    cleaned["sex"] = _choice(Sex, cleaned["sex"])
    cleaned["safe_contact_channel"] = _choice(ContactChannel, cleaned["safe_contact_channel"])
    cleaned["stage"] = _choice(Stage, cleaned["stage"], blank=Stage.INTAKE)
    cleaned["risk_level"] = _choice(RiskLevel, cleaned["risk_level"], blank="")
    cleaned["languages"] = [
        text for text in (clean_text(item) for item in cleaned["languages"] or ()) if text
    ]
    return cleaned


def _closure_fields(stage: str, current: Patient | None) -> dict[str, Any]:
    # Stage "closed" is the one way to close a record, and leaving it reopens the record.
    if stage == Stage.CLOSED:
        closed_on = current.closed_on if current is not None and current.closed_on else None
        return {"status": PatientStatus.CLOSED, "closed_on": closed_on or timezone.localdate()}
    return {"status": PatientStatus.ACTIVE, "closed_on": None}


def _new_case_code() -> str:
    for _attempt in range(CASE_CODE_ATTEMPTS):
        code = case_codes.generate()
        if not Patient.objects.filter(case_code=code).exists():
            return code
    raise InvalidRequest(CASE_CODE_EXHAUSTED)


def _matching_patients(indexes: Iterable[str], document_index: str) -> Q | None:
    condition: Q | None = None
    for index in (index for index in indexes if index):
        part = Q(legal_name_dob_index=index) | Q(preferred_name_dob_index=index)
        condition = part if condition is None else condition | part
    if document_index:
        part = Q(document_number_index=document_index)
        condition = part if condition is None else condition | part
    return condition


def _refuse_unless_registrar(actor: User) -> None:
    if not can(actor, Action.REGISTER):
        access_denied_record(actor=actor, action=Action.REGISTER, reason=DenialReason.ROLE)
        raise ActionRefused(NOT_ALLOWED_TO_REGISTER)


@dataclass(frozen=True)
class DuplicateResult:
    """What the duplicate check may tell its caller: whether to stop, and whom to contact.

    Never which record matched, nor anything in it.
    """

    possible_match: bool
    contact: str = ""

    @property
    def message(self) -> str | Promise:
        if not self.possible_match:
            return NO_DUPLICATE_FOUND
        if not self.contact:
            return POSSIBLE_DUPLICATE_ASK_PRIVACY_OFFICER
        return POSSIBLE_DUPLICATE % {"contact": self.contact}


def _contact_for(patient_id: int) -> str:
    lead = (
        CareTeamMembership.objects.filter(
            patient_id=patient_id,
            role=CareTeamRole.LEAD,
            end_date__isnull=True,
            clinician__is_active=True,
        )
        .values_list("clinician__username", flat=True)
        .first()
    )
    if lead:
        return lead
    return (
        User.objects.filter(is_active=True, is_privacy_officer=True)
        .order_by("username")
        .values_list("username", flat=True)
        .first()
        or ""
    )


@transaction.atomic
def _duplicate_check_record(
    *, actor: User, matches: list[tuple[int, str]], inputs: list[str]
) -> DuplicateResult:
    contact = _contact_for(matches[0][0]) if matches else ""
    details = {"inputs": inputs, "matches": len(matches), "patients": [pk for pk, _ in matches]}
    if matches:
        # Target the first match, so the probe shows in that record's access log.
        audit_event_record(
            event_type=EventType.PATIENT_DUPLICATE_CHECKED,
            actor=actor,
            target_type="patients.patient",
            target_id=matches[0][0],
            case_code=matches[0][1],
            details=details,
        )
    else:
        audit_event_record(
            event_type=EventType.PATIENT_DUPLICATE_CHECKED,
            actor=actor,
            target_type="patients.patient",
            details=details,
        )
    return DuplicateResult(possible_match=bool(matches), contact=contact)


def patient_duplicate_check(
    *,
    actor: User,
    name: str | None,
    date_of_birth: dt.date | None,
    document_number: str | None = None,
) -> DuplicateResult:
    """Return whether a record may already exist for this person, and whom to contact.

    Matches the normalised name with the date of birth against both the legal and the
    preferred name, and the document number, by blind index only (nothing is decrypted).
    """
    _refuse_unless_registrar(actor)
    name_index = name_dob_index(clean_text(name), date_of_birth)
    document_index = document_number_index(clean_text(document_number))
    inputs = [
        label
        for label, index in (("name_dob", name_index), ("document_number", document_index))
        if index
    ]
    if not inputs:
        raise InvalidRequest(DUPLICATE_CHECK_NEEDS_INPUT)
    condition = _matching_patients([name_index], document_index)
    matches = list(
        Patient.objects.filter(condition).order_by("id").values_list("id", "case_code")[:20]
    )
    return _duplicate_check_record(actor=actor, matches=matches, inputs=inputs)


def patient_register(
    *,
    actor: User,
    details: PatientDetails,
    explanation: ExplanationDetails,
    consents: Sequence[ConsentDetails] = (),
    join_care_team: bool = True,
) -> Patient:
    """Register a patient with the first-consultation explanation and the consents recorded.

    A clinician who registers becomes the care team lead (unless `join_care_team` is False);
    a patient registered by reception waits for a manager to allocate a team. Consent can be
    recorded as given only once privacy was explained. One PATIENT_REGISTERED event. Returns
    the patient with identity fields only (uuid, case code, status).
    """
    _refuse_unless_registrar(actor)
    values = patient_values_validate(dataclasses.asdict(details))
    cleaned_consents = [consent_details_validate(consent) for consent in consents]
    if not explanation.privacy_explained and any(
        consent.status == ConsentStatus.GIVEN for consent in cleaned_consents
    ):
        raise InvalidRequest(CONSENT_BEFORE_EXPLANATION)
    lead = actor if join_care_team and actor.has_role(Role.CLINICIAN) else None
    with transaction.atomic():
        patient = Patient(
            case_code=_new_case_code(),
            registered_by=actor,
            **values,
            **_closure_fields(values["stage"], None),
        )
        patient.save()
        IntakeExplanation.objects.create(
            patient=patient,
            scope_and_purpose_explained=explanation.scope_and_purpose_explained,
            services_available_explained=explanation.services_available_explained,
            services_not_available_explained=explanation.services_not_available_explained,
            privacy_explained=explanation.privacy_explained,
            note=clean_text(explanation.note),
            explained_by=explanation.explained_by or actor,
            explained_on=explanation.explained_on or timezone.localdate(),
        )
        for consent in cleaned_consents:
            consent_create(actor=actor, patient=patient, details=consent)
        if lead is not None:
            CareTeamMembership.objects.create(
                patient=patient, clinician=lead, role=CareTeamRole.LEAD
            )
        condition = _matching_patients(
            [patient.legal_name_dob_index, patient.preferred_name_dob_index],
            patient.document_number_index,
        )
        possible_duplicate = condition is not None and (
            Patient.objects.filter(condition).exclude(pk=patient.pk).exists()
        )
        patient_event_record(
            event_type=EventType.PATIENT_REGISTERED,
            actor=actor,
            patient=patient,
            details={
                "consents": [[consent.purpose, consent.status] for consent in cleaned_consents],
                "care_team_lead": lead.pk if lead is not None else None,
                "possible_duplicate": possible_duplicate,
            },
            grant_id=None,
        )
    # Identity only: reception must not get the record it just typed back as an object.
    return patient.limit_to(IDENTITY_FIELDS)


def patient_update(*, actor: User, patient: Patient, changes: Mapping[str, Any]) -> Patient:
    """Change details of the record; `changes` maps PatientDetails field names to new values.

    The current location needs READ_RESTRICTED, everything else EDIT_CLINICAL. Setting the
    stage to "closed" closes the record; any other stage reopens it. One PATIENT_UPDATED
    event naming the changed fields (and old and new values of clear metadata only).
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InvalidRequest(FIELD_NOT_EDITABLE)
    action = (
        Action.READ_RESTRICTED if set(changes) & RESTRICTED_CHANGE_FIELDS else Action.EDIT_CLINICAL
    )
    grant_id = access_require(actor=actor, action=action, patient=patient)
    if action == Action.READ_RESTRICTED:
        # Restricted members may write the location; they must also have the clinical access
        # that every other field needs.
        access_require(actor=actor, action=Action.EDIT_CLINICAL, patient=patient)
    with transaction.atomic():
        patient_lock(patient)
        current = Patient.objects.get(pk=patient.pk)
        merged = {name: getattr(current, name) for name in EDITABLE_FIELDS}
        merged.update(changes)
        values = patient_values_validate(merged)
        before = {name: getattr(current, name) for name in EDITABLE_FIELDS}
        before["languages"] = list(before["languages"] or [])
        changed = sorted(name for name in EDITABLE_FIELDS if values[name] != before[name])
        if not changed:
            return current.limit_to(IDENTITY_FIELDS)
        for name in changed:
            setattr(current, name, values[name])
        closure = _closure_fields(values["stage"], current)
        for name, value in closure.items():
            setattr(current, name, value)
        current.save()
        details: dict[str, Any] = {"fields": changed}
        for name in METADATA_CHANGE_FIELDS:
            if name in changed:
                details[name] = [before[name], values[name]]
        patient_event_record(
            event_type=EventType.PATIENT_UPDATED,
            actor=actor,
            patient=current,
            details=details,
            grant_id=grant_id,
        )
    # Identity only: the caller reads the record back through an audited selector.
    return current.limit_to(IDENTITY_FIELDS)
