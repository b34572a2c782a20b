"""Gathering what a package holds: the chosen parts of one record, staff as role codes.

Everything the HTML document and the FHIR bundle show comes from `PackageContent`, so the
two cannot disagree about what left, and a redaction is applied once, here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User
from carecore.accounts.roles import Role
from carecore.crypto.cipher import decrypt_bytes
from patients.exceptions import InvalidRequest
from patients.file_checks import safe_filename
from patients.models import (
    Attachment,
    AttachmentType,
    ClinicalNote,
    Consent,
    Patient,
    SafetyFlag,
    Sensitivity,
    TreatmentGoal,
)

from ..models import Section

if TYPE_CHECKING:
    from .options import PackageOptions

PACKAGE_SECTIONS_REQUIRED = _("Choose at least one part of the record to include.")
PACKAGE_SECTION_INVALID = _("Choose the parts of the record from the options offered.")
PACKAGE_NOTE_UNAVAILABLE = _("A chosen note is not on this patient's record.")
PACKAGE_ATTACHMENT_UNAVAILABLE = _("A chosen attachment is not on this patient's record.")

ATTACHMENT_MODEL_LABEL = "patients.Attachment"

# Role codes, most specific clinical role first: a person holding several is labelled by
# the first that applies.
ROLE_CODES: tuple[tuple[str, str, object], ...] = (
    (Role.CLINICIAN.value, "CLIN", _("Clinician")),
    (Role.SUPERVISOR.value, "SUP", _("Supervisor")),
    (Role.MANAGER.value, "MGR", _("Manager")),
    (Role.RECEPTION.value, "RECP", _("Reception")),
    (Role.ADMIN.value, "ADM", _("Administrator")),
)
STAFF_CODE = ("STAFF", _("Staff member"))

SUMMARY_FIELDS = (
    "id",
    "uuid",
    "case_code",
    "status",
    "stage",
    "risk_level",
    "legal_name",
    "legal_name_withheld",
    "preferred_name",
    "date_of_birth",
    "approximate_age",
    "sex",
    "gender",
    "nationality",
    "languages",
    "interpreter_needed",
    "safe_contact_channel",
    "safe_contact_times",
    "voicemail_safe",
    "letters_safe",
)
CONTACT_FIELDS = ("phone", "email", "postal_address")
THIRD_PARTY_FIELDS = (
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
)


@dataclass(frozen=True)
class StaffRef:
    """How one member of staff appears in a package: a role code, or their name if asked."""

    code: str
    display: str


class StaffLabels:
    """Hand out one stable label per member of staff, in order of first appearance."""

    def __init__(self, users: dict[int, User], *, identify: bool) -> None:
        self._users = users
        self._identify = identify
        self._labels: dict[int, StaffRef] = {}
        self._counts: dict[str, int] = {}

    def __call__(self, user_id: int | None) -> StaffRef | None:
        if user_id is None:
            return None
        if user_id not in self._labels:
            self._labels[user_id] = self._label(user_id)
        return self._labels[user_id]

    def _label(self, user_id: int) -> StaffRef:
        user = self._users.get(user_id)
        prefix: str = STAFF_CODE[0]
        title: object = STAFF_CODE[1]
        if user is not None:
            roles = {group.name for group in user.groups.all()}
            for role, code, label in ROLE_CODES:
                if role in roles:
                    prefix, title = code, label
                    break
        number = self._counts.get(prefix, 0) + 1
        self._counts[prefix] = number
        if self._identify and user is not None:
            return StaffRef(
                code=f"staff-{prefix}-{number}",
                display=user.get_full_name() or user.get_username(),
            )
        return StaffRef(code=f"role-{prefix}-{number}", display=f"{title} {number}")

    @property
    def used(self) -> list[StaffRef]:
        return list(self._labels.values())


@dataclass(frozen=True)
class SummaryPart:
    preferred_name: str
    legal_name: str | None
    date_of_birth: dt.date | None
    approximate_age: int | None
    sex: str | None
    sex_label: str
    gender: str | None
    nationality: str | None
    languages: list[str]
    interpreter_needed: bool
    stage: str
    stage_label: str
    risk_level: str
    risk_label: str
    safe_contact_label: str
    safe_contact_times: str | None
    voicemail_safe: bool
    letters_safe: bool
    phone: str | None = None
    email: str | None = None
    postal_address: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_relationship: str | None = None
    emergency_contact_phone: str | None = None


@dataclass(frozen=True)
class FlagPart:
    kind_label: str
    details: str | None
    raised_at: dt.datetime
    raised_by: StaffRef | None


@dataclass(frozen=True)
class GoalPart:
    id: int
    goal: str
    status: str
    status_label: str
    agreed_on: dt.date
    review_on: dt.date | None
    created_by: StaffRef | None


@dataclass(frozen=True)
class NotePart:
    id: int
    encounter_date: dt.date
    recorded_at: dt.datetime
    note_type_label: str
    restricted: bool
    body: str
    author: StaffRef | None
    amends_id: int | None


@dataclass(frozen=True)
class ConsentPart:
    id: int
    purpose: str
    purpose_label: str
    status: str
    status_label: str
    organisation: str | None
    scope: str | None
    expires_on: dt.date | None
    recorded_at: dt.datetime
    withdrawn_at: dt.datetime | None
    explained_by: StaffRef | None


@dataclass(frozen=True)
class AttachmentPart:
    id: int
    number: int
    filename: str
    description: str | None
    content_type: str
    type_label: str
    uploaded_at: dt.datetime
    uploaded_by: StaffRef | None
    data: bytes

    @property
    def is_image(self) -> bool:
        return self.content_type in (AttachmentType.JPEG, AttachmentType.PNG)


@dataclass
class PackageContent:
    """The chosen parts of one record, redacted, ready to render."""

    case_code: str
    sections: tuple[str, ...]
    summary: SummaryPart | None = None
    current_location: str | None = None
    flags: list[FlagPart] = field(default_factory=list)
    goals: list[GoalPart] = field(default_factory=list)
    notes: list[NotePart] = field(default_factory=list)
    consents: list[ConsentPart] = field(default_factory=list)
    attachments: list[AttachmentPart] = field(default_factory=list)
    staff: list[StaffRef] = field(default_factory=list)

    @property
    def location_included(self) -> bool:
        return self.current_location is not None


def sections_clean(sections: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Return `sections` as Section values in a fixed order, or raise InvalidRequest."""
    chosen = set()
    for value in sections:
        try:
            chosen.add(Section(value).value)
        except ValueError:
            raise InvalidRequest(PACKAGE_SECTION_INVALID) from None
    if not chosen:
        raise InvalidRequest(PACKAGE_SECTIONS_REQUIRED)
    return tuple(value for value in Section.values if value in chosen)


def _load_patient(patient_id: int, *, summary: bool, location: bool, options: PackageOptions):
    fields = ["id", "uuid", "case_code"]
    if summary:
        fields += SUMMARY_FIELDS
        if options.include_contact_details:
            fields += CONTACT_FIELDS
        if not options.redact_third_parties:
            fields += THIRD_PARTY_FIELDS
    if location:
        fields.append("current_location")
    return Patient.objects.only(*fields).get(pk=patient_id)


def _label(choices: object, value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(choices(value).label)  # type: ignore[operator]
    except ValueError:
        return value


def _summary(patient: Patient, options: PackageOptions) -> SummaryPart:
    from patients.models import ContactChannel, RiskLevel, Sex, Stage

    contact = options.include_contact_details
    third = not options.redact_third_parties
    return SummaryPart(
        preferred_name=patient.preferred_name,
        legal_name=None if patient.legal_name_withheld else patient.legal_name,
        date_of_birth=patient.date_of_birth,
        approximate_age=patient.approximate_age,
        sex=patient.sex,
        sex_label=_label(Sex, patient.sex),
        gender=patient.gender,
        nationality=patient.nationality,
        languages=[str(language) for language in (patient.languages or [])],
        interpreter_needed=bool(patient.interpreter_needed),
        stage=patient.stage,
        stage_label=_label(Stage, patient.stage),
        risk_level=patient.risk_level,
        risk_label=_label(RiskLevel, patient.risk_level),
        safe_contact_label=_label(ContactChannel, patient.safe_contact_channel),
        safe_contact_times=patient.safe_contact_times,
        voicemail_safe=bool(patient.voicemail_safe),
        letters_safe=bool(patient.letters_safe),
        phone=patient.phone if contact else None,
        email=patient.email if contact else None,
        postal_address=patient.postal_address if contact else None,
        emergency_contact_name=patient.emergency_contact_name if third else None,
        emergency_contact_relationship=patient.emergency_contact_relationship if third else None,
        emergency_contact_phone=patient.emergency_contact_phone if third else None,
    )


def _staff_users(user_ids: set[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    users = User.objects.filter(pk__in=user_ids).prefetch_related("groups")
    return {user.pk: user for user in users}


def _chosen_notes(patient_id: int, options: PackageOptions) -> list[ClinicalNote]:
    wanted = set(options.note_ids)
    if not wanted:
        return []
    notes = list(
        ClinicalNote.objects.filter(patient_id=patient_id, pk__in=wanted).order_by(
            "encounter_date", "recorded_at", "id"
        )
    )
    if {note.pk for note in notes} != wanted:
        raise InvalidRequest(PACKAGE_NOTE_UNAVAILABLE)
    # Restricted notes stay out unless the restricted tier was added, whatever was chosen.
    return [
        note
        for note in notes
        if options.include_restricted or note.sensitivity != Sensitivity.RESTRICTED
    ]


def _chosen_attachments(patient_id: int, options: PackageOptions) -> list[Attachment]:
    wanted = set(options.attachment_ids)
    if not wanted:
        return []
    attachments = list(
        Attachment.objects.filter(patient_id=patient_id, pk__in=wanted).order_by(
            "uploaded_at", "id"
        )
    )
    if {attachment.pk for attachment in attachments} != wanted:
        raise InvalidRequest(PACKAGE_ATTACHMENT_UNAVAILABLE)
    return attachments


def package_content_collect(*, patient: Patient, options: PackageOptions) -> PackageContent:
    """Return the parts of `patient`'s record that `options` choose, redacted as they say."""
    sections = sections_clean(options.sections)
    summary = Section.SUMMARY in sections
    location = summary and options.include_restricted and not options.redact_location
    full = _load_patient(patient.pk, summary=summary, location=location, options=options)
    content = PackageContent(case_code=full.case_code, sections=sections)

    flags = (
        list(SafetyFlag.objects.filter(patient_id=full.pk, resolved_at__isnull=True))
        if summary
        else []
    )
    goals = (
        list(TreatmentGoal.objects.filter(patient_id=full.pk))
        if Section.TREATMENT_PLAN in sections
        else []
    )
    notes = _chosen_notes(full.pk, options) if Section.NOTES in sections else []
    consents = (
        list(Consent.objects.filter(patient_id=full.pk).order_by("purpose", "-recorded_at", "-id"))
        if Section.CONSENTS in sections
        else []
    )
    attachments = _chosen_attachments(full.pk, options) if Section.ATTACHMENTS in sections else []
    staff_ids = {
        *(flag.raised_by_id for flag in flags),
        *(goal.created_by_id for goal in goals),
        *(note.author_id for note in notes),
        *(consent.explained_by_id for consent in consents),
        *(attachment.uploaded_by_id for attachment in attachments),
    }
    staff = StaffLabels(_staff_users(staff_ids), identify=options.identify_staff)
    _fill(content, full, options, flags, goals, notes, consents, attachments, staff)
    if location:
        content.current_location = full.current_location or ""
    content.staff = staff.used
    return content


def _consent_goes_to(consent: Consent, options: PackageOptions) -> bool:
    """Return whether a consent record may travel to this package's recipient.

    With third parties redacted, a consent to share with some other named organisation stays
    out entirely: its name would tell the recipient (or whoever finds a patient's copy) where
    else the person has been or may go.
    """
    from patients.models import ConsentPurpose, organisation_index

    if not options.redact_third_parties:
        return True
    if consent.purpose != ConsentPurpose.SHARING_WITH_ORGANISATION:
        return True
    recipient = organisation_index(options.recipient_label) if options.recipient_label else ""
    return bool(recipient) and consent.organisation_index == recipient


def _fill(
    content: PackageContent,
    patient: Patient,
    options: PackageOptions,
    flags: list[SafetyFlag],
    goals: list[TreatmentGoal],
    notes: list[ClinicalNote],
    consents: list[Consent],
    attachments: list[Attachment],
    staff: StaffLabels,
) -> None:
    from patients.models import (
        ConsentPurpose,
        ConsentStatus,
        GoalStatus,
        NoteType,
        SafetyFlagKind,
    )

    if Section.SUMMARY in content.sections:
        content.summary = _summary(patient, options)
    content.flags = [
        FlagPart(
            kind_label=_label(SafetyFlagKind, flag.kind),
            # The details of a flag may name the people the patient is at risk from.
            details=None if options.redact_third_parties else flag.details,
            raised_at=flag.raised_at,
            raised_by=staff(flag.raised_by_id),
        )
        for flag in flags
    ]
    content.goals = [
        GoalPart(
            id=goal.pk,
            goal=goal.goal,
            status=goal.status,
            status_label=_label(GoalStatus, goal.status),
            agreed_on=goal.agreed_on,
            review_on=goal.review_on,
            created_by=staff(goal.created_by_id),
        )
        for goal in goals
    ]
    content.notes = [
        NotePart(
            id=note.pk,
            encounter_date=note.encounter_date,
            recorded_at=note.recorded_at,
            note_type_label=_label(NoteType, note.note_type),
            restricted=note.sensitivity == Sensitivity.RESTRICTED,
            body=note.body,
            author=staff(note.author_id),
            amends_id=note.amends_id,
        )
        for note in notes
    ]
    content.consents = [
        ConsentPart(
            id=consent.pk,
            purpose=consent.purpose,
            purpose_label=_label(ConsentPurpose, consent.purpose),
            status=consent.status,
            status_label=_label(ConsentStatus, consent.status),
            organisation=consent.organisation,
            scope=consent.scope,
            expires_on=consent.expires_on,
            recorded_at=consent.recorded_at,
            withdrawn_at=consent.withdrawn_at,
            explained_by=staff(consent.explained_by_id),
        )
        for consent in consents
        if _consent_goes_to(consent, options)
    ]
    content.attachments = [
        AttachmentPart(
            id=attachment.pk,
            number=number,
            filename=safe_filename(
                attachment.original_filename, AttachmentType(attachment.content_type)
            ),
            description=attachment.description,
            content_type=attachment.content_type,
            type_label=_label(AttachmentType, attachment.content_type),
            uploaded_at=attachment.uploaded_at,
            uploaded_by=staff(attachment.uploaded_by_id),
            data=decrypt_bytes(
                attachment.content, model_label=ATTACHMENT_MODEL_LABEL, field_name="content"
            ),
        )
        for number, attachment in enumerate(attachments, start=1)
    ]
