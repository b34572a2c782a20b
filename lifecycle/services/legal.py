"""Legal requests (courts, police, lawyers, immigration authorities) and legal holds.

A request moves received -> legal basis reviewed -> scope and redaction decided -> released
(by a second privacy officer) or refused with reasons, each step dated and attributed. A
release builds the encrypted package and writes the disclosure register entry in the same
transaction as the status change. Restricted notes never go out in a legal release; the
current location goes only when the scope decision leaves it unredacted. A legal hold on a
patient suspends destruction (read by the retention code) until it is lifted.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.audit.events import EventType
from patients.auditing import patient_event_record
from patients.exceptions import InvalidRequest
from patients.models import (
    Attachment,
    ClinicalNote,
    Consent,
    ConsentPurpose,
    ConsentStatus,
    Patient,
    Sensitivity,
)
from patients.services.access import clean_text, patient_identity
from patients.services.consent import consent_permits

from ..models import (
    DisclosureKind,
    LegalBasis,
    LegalHold,
    LegalRequest,
    LegalRequestStatus,
    PackageKind,
    RequesterKind,
    Section,
)
from ..packaging import BuiltPackage, PackageOptions, package_build
from ..permissions.legal import (
    LEGAL_HOLD_TARGET,
    LEGAL_REQUEST_TARGET,
    LegalAction,
    legal_require,
    second_person_refuse,
)
from .disclosures import disclosure_record

if TYPE_CHECKING:
    from carecore.accounts.models import User

LEGAL_KIND_INVALID = _("Choose who the request is from.")
LEGAL_REQUESTER_REQUIRED = _("Name the court, authority or person making the request.")
LEGAL_SUMMARY_REQUIRED = _("Describe what the request asks for.")
LEGAL_RECEIVED_IN_FUTURE = _("The date the request was received cannot be in the future.")
LEGAL_BASIS_INVALID = _("Choose the legal basis from the options offered.")
LEGAL_ASSESSMENT_REQUIRED = _("Record your assessment of the legal basis.")
LEGAL_BASIS_NONE = _(
    "There is no valid legal basis for this request, so nothing can be released. "
    "Refuse the request with your reasons."
)
LEGAL_CONSENT_MISSING = _(
    "The basis is the patient's consent, but the patient's consent to use in legal "
    "proceedings is not in force (never given, refused, withdrawn or expired). Record the "
    "consent first, or choose another basis."
)
LEGAL_SECTIONS_REQUIRED = _("Choose at least one part of the record to release.")
LEGAL_SECTIONS_INVALID = _("Choose the parts of the record from the options offered.")
LEGAL_CLOSED = _("This request has already been released or refused.")
LEGAL_BASIS_FIRST = _("Review the legal basis before deciding the scope and redaction.")
LEGAL_SCOPE_FIRST = _("Decide the scope and redaction before the release is approved.")
LEGAL_SECOND_PERSON = _(
    "You decided the scope of this release: another privacy officer must approve it."
)
LEGAL_SCOPE_CHANGED = _(
    "The scope or redaction was decided again while you were reviewing it. Check what will "
    "be released now, then approve."
)
LEGAL_REASON_REQUIRED = _("Give the reasons for refusing the request.")
HOLD_REASON_REQUIRED = _("Give the reason for the legal hold.")
HOLD_REQUEST_MISMATCH = _("The legal request chosen is about another patient.")
HOLD_ALREADY_LIFTED = _("This legal hold has already been lifted.")

# A legal request names its own basis; "the patient's own request" belongs to patient access.
LEGAL_REQUEST_BASES = tuple(basis for basis in LegalBasis if basis != LegalBasis.PATIENT_REQUEST)
P = ParamSpec("P")
T = TypeVar("T")

OPEN_STATUSES = frozenset(
    {
        LegalRequestStatus.RECEIVED,
        LegalRequestStatus.BASIS_REVIEWED,
        LegalRequestStatus.SCOPE_DECIDED,
    }
)


def privacy_officer_step(
    action: LegalAction, target_type: str = LEGAL_REQUEST_TARGET
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Run a service atomically for privacy officers only.

    Anyone else gets the 404, its ACCESS_DENIED event written before the transaction opens
    (a rolled-back transaction would take the event with it).
    """

    def wrap(service: Callable[P, T]) -> Callable[P, T]:
        atomic_service = transaction.atomic(service)

        @functools.wraps(service)
        def step(*args: P.args, **kwargs: P.kwargs) -> T:
            legal_require(user=kwargs["actor"], action=action, target_type=target_type)  # type: ignore[arg-type]
            return atomic_service(*args, **kwargs)

        return step

    return wrap


def _required(value: str | None, message: object) -> str:
    text = clean_text(value)
    if text is None:
        raise InvalidRequest(message)
    return text


def _sections(sections: Iterable[str]) -> list[str]:
    chosen = set()
    for value in sections:
        try:
            chosen.add(Section(value).value)
        except ValueError:
            raise InvalidRequest(LEGAL_SECTIONS_INVALID) from None
    if not chosen:
        raise InvalidRequest(LEGAL_SECTIONS_REQUIRED)
    return [value for value in Section.values if value in chosen]


def _locked(legal_request: LegalRequest) -> LegalRequest:
    return LegalRequest.objects.select_for_update().get(pk=legal_request.pk)


def _event(
    event_type: EventType, *, actor: User, legal_request: LegalRequest, details: dict
) -> None:
    patient_event_record(
        event_type=event_type,
        actor=actor,
        patient=patient_identity(legal_request.patient_id),
        target=legal_request,
        details={"legal_request": legal_request.pk, **details},
        grant_id=None,
    )


def _consent_in_force(patient_id: int) -> Consent | None:
    """Return the consent to legal use relied on, if `consent_permits` says it is in force."""
    patient = patient_identity(patient_id)
    if not consent_permits(patient=patient, purpose=ConsentPurpose.LEGAL_PROCEEDINGS):
        return None
    # consent_permits decided; this only names the record it relied on for the register.
    return (
        Consent.objects.filter(
            patient_id=patient_id,
            purpose=ConsentPurpose.LEGAL_PROCEEDINGS,
            status=ConsentStatus.GIVEN,
        )
        .order_by("-recorded_at", "-id")
        .first()
    )


@privacy_officer_step(LegalAction.LEGAL_REGISTER)
def legal_request_register(
    *,
    actor: User,
    patient: Patient,
    requester_kind: RequesterKind | str,
    requester_name: str,
    request_summary: str,
    reference: str = "",
    received_on: dt.date | None = None,
) -> LegalRequest:
    """Register a request received from a court, police, lawyer or immigration authority."""
    try:
        kind = RequesterKind(requester_kind)
    except ValueError:
        raise InvalidRequest(LEGAL_KIND_INVALID) from None
    name = _required(requester_name, LEGAL_REQUESTER_REQUIRED)
    summary = _required(request_summary, LEGAL_SUMMARY_REQUIRED)
    received = received_on or timezone.localdate()
    if received > timezone.localdate():
        raise InvalidRequest(LEGAL_RECEIVED_IN_FUTURE)
    legal_request = LegalRequest.objects.create(
        patient_id=patient.pk,
        requester_kind=kind.value,
        requester_name=name,
        reference=clean_text(reference) or "",
        request_summary=summary,
        received_on=received,
        received_by=actor,
    )
    _event(
        EventType.LEGAL_REQUEST_RECEIVED,
        actor=actor,
        legal_request=legal_request,
        details={"requester_kind": kind.value},
    )
    return legal_request


@privacy_officer_step(LegalAction.LEGAL_BASIS)
def legal_basis_review(
    *, actor: User, legal_request: LegalRequest, legal_basis: LegalBasis | str, assessment: str
) -> LegalRequest:
    """Record the legal basis and its assessment; a new review reopens the scope decision."""
    try:
        basis = LegalBasis(legal_basis)
    except ValueError:
        raise InvalidRequest(LEGAL_BASIS_INVALID) from None
    if basis not in LEGAL_REQUEST_BASES:
        raise InvalidRequest(LEGAL_BASIS_INVALID)
    text = _required(assessment, LEGAL_ASSESSMENT_REQUIRED)
    locked = _locked(legal_request)
    if locked.status not in OPEN_STATUSES:
        raise InvalidRequest(LEGAL_CLOSED)
    locked.legal_basis = basis.value
    locked.basis_assessment = text
    locked.basis_reviewed_by = actor
    locked.basis_reviewed_at = timezone.now()
    # The scope was decided on the old basis: it must be decided again on the new one.
    locked.scope_decided_by = None
    locked.scope_decided_at = None
    locked.status = LegalRequestStatus.BASIS_REVIEWED
    locked.save(
        update_fields=[
            "legal_basis",
            "basis_assessment",
            "basis_reviewed_by",
            "basis_reviewed_at",
            "scope_decided_by",
            "scope_decided_at",
            "status",
            "updated_at",
        ]
    )
    _event(
        EventType.LEGAL_BASIS_REVIEWED,
        actor=actor,
        legal_request=locked,
        details={"legal_basis": basis.value},
    )
    return locked


@privacy_officer_step(LegalAction.LEGAL_SCOPE)
def legal_scope_decide(
    *,
    actor: User,
    legal_request: LegalRequest,
    sections: Iterable[str],
    redact_third_parties: bool = True,
    redact_staff: bool = True,
    redact_location: bool = True,
) -> LegalRequest:
    """Decide which parts of the record go and what is redacted (all redactions by default)."""
    scope = _sections(sections)
    locked = _locked(legal_request)
    if locked.status not in OPEN_STATUSES:
        raise InvalidRequest(LEGAL_CLOSED)
    if locked.status == LegalRequestStatus.RECEIVED:
        raise InvalidRequest(LEGAL_BASIS_FIRST)
    if locked.legal_basis == LegalBasis.NONE:
        raise InvalidRequest(LEGAL_BASIS_NONE)
    locked.sections = scope
    locked.redact_third_parties = bool(redact_third_parties)
    locked.redact_staff = bool(redact_staff)
    locked.redact_location = bool(redact_location)
    locked.scope_decided_by = actor
    locked.scope_decided_at = timezone.now()
    locked.status = LegalRequestStatus.SCOPE_DECIDED
    locked.save(
        update_fields=[
            "sections",
            "redact_third_parties",
            "redact_staff",
            "redact_location",
            "scope_decided_by",
            "scope_decided_at",
            "status",
            "updated_at",
        ]
    )
    _event(
        EventType.LEGAL_SCOPE_DECIDED,
        actor=actor,
        legal_request=locked,
        details={
            "sections": scope,
            "redact_third_parties": locked.redact_third_parties,
            "redact_staff": locked.redact_staff,
            "redact_location": locked.redact_location,
        },
    )
    return locked


def record_part_ids(
    patient_id: int, sections: tuple[str, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Return the ids of the patient's standard notes and attachments the sections cover."""
    note_ids: tuple[int, ...] = ()
    if Section.NOTES in sections:
        note_ids = tuple(
            ClinicalNote.objects.filter(patient_id=patient_id, sensitivity=Sensitivity.STANDARD)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    attachment_ids: tuple[int, ...] = ()
    if Section.ATTACHMENTS in sections:
        attachment_ids = tuple(
            Attachment.objects.filter(patient_id=patient_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return note_ids, attachment_ids


def legal_release_options(legal_request: LegalRequest) -> PackageOptions:
    """Return the package options that carry out the scope and redaction decided.

    Every standard note and every attachment of the chosen sections go; restricted notes
    never do (a release of them would need its own decision, see docs/legal-requests.md).
    The current location goes only if the location is not redacted.
    """
    sections = tuple(legal_request.sections)
    note_ids, attachment_ids = record_part_ids(legal_request.patient_id, sections)
    return PackageOptions(
        sections=sections,
        note_ids=note_ids,
        attachment_ids=attachment_ids,
        # Only standard notes are chosen above, so this opens the location and nothing else.
        include_restricted=not legal_request.redact_location,
        identify_staff=not legal_request.redact_staff,
        redact_location=legal_request.redact_location,
        redact_third_parties=legal_request.redact_third_parties,
        include_contact_details=False,
        recipient_label=legal_request.requester_name,
        purpose_label=str(_("Release for a legal request")),
    )


def _scope_note(legal_request: LegalRequest) -> str:
    redacted = [
        str(label)
        for flag, label in (
            (legal_request.redact_third_parties, _("third parties")),
            (legal_request.redact_staff, _("staff identities")),
            (legal_request.redact_location, _("location")),
        )
        if flag
    ]
    note = str(_("Restricted notes left out."))
    if redacted:
        note += " " + str(_("Redacted: %(list)s.") % {"list": ", ".join(redacted)})
    return note


def _release_check(actor: User, legal_request: LegalRequest) -> None:
    """Refuse, before any write, an approval that cannot go ahead (second person audited)."""
    if legal_request.status not in OPEN_STATUSES:
        raise InvalidRequest(LEGAL_CLOSED)
    if legal_request.legal_basis == LegalBasis.NONE:
        raise InvalidRequest(LEGAL_BASIS_NONE)
    if legal_request.status != LegalRequestStatus.SCOPE_DECIDED:
        raise InvalidRequest(LEGAL_SCOPE_FIRST)
    if legal_request.scope_decided_by_id == actor.pk:
        second_person_refuse(
            user=actor,
            action=LegalAction.LEGAL_APPROVE,
            target_type=LEGAL_REQUEST_TARGET,
            target_id=legal_request.pk,
            patient_id=legal_request.patient_id,
            message=LEGAL_SECOND_PERSON,
        )


def legal_release_approve(
    *,
    actor: User,
    legal_request: LegalRequest,
    note: str | None = None,
    scope_seen: str | None = None,
) -> BuiltPackage:
    """Approve the release as the second privacy officer: build the package, write the
    disclosure entry, mark the request released. Return the package and its passphrase
    (the only copy: show it once to `actor`).

    `scope_seen` is the `scope_decided_at` (ISO) of the scope the approver was shown; if the
    scope was decided again since, refuse (LEGAL_SCOPE_CHANGED) and release nothing.
    """
    legal_require(user=actor, action=LegalAction.LEGAL_APPROVE)
    _release_check(actor, LegalRequest.objects.get(pk=legal_request.pk))
    try:
        with transaction.atomic():
            return _release(
                actor=actor, legal_request=legal_request, note=note, scope_seen=scope_seen
            )
    except IntegrityError:
        # The database's second-person constraint: a race with a new scope decision.
        raise InvalidRequest(LEGAL_SECOND_PERSON) from None


def _release(
    *, actor: User, legal_request: LegalRequest, note: str | None, scope_seen: str | None
) -> BuiltPackage:
    locked = _locked(legal_request)
    if locked.status != LegalRequestStatus.SCOPE_DECIDED or locked.scope_decided_by_id == actor.pk:
        raise InvalidRequest(LEGAL_SCOPE_FIRST)
    # The second person approves what they were shown, not a scope changed under them.
    if scope_seen is not None and (
        locked.scope_decided_at is None or locked.scope_decided_at.isoformat() != scope_seen
    ):
        raise InvalidRequest(LEGAL_SCOPE_CHANGED)
    consent = None
    if locked.legal_basis == LegalBasis.CONSENT:
        consent = _consent_in_force(locked.patient_id)
        if consent is None:
            raise InvalidRequest(LEGAL_CONSENT_MISSING)
    patient = patient_identity(locked.patient_id)
    built = package_build(
        actor=actor,
        patient=patient,
        kind=PackageKind.LEGAL_RELEASE,
        options=legal_release_options(locked),
    )
    now = timezone.now()
    kind_label = RequesterKind(locked.requester_kind).label
    entry = disclosure_record(
        actor=actor,
        patient=patient,
        kind=DisclosureKind.LEGAL_RELEASE,
        legal_basis=locked.legal_basis,
        purpose=str(_("Legal request (%(kind)s): %(summary)s"))
        % {"kind": kind_label, "summary": locked.request_summary},
        sections=locked.sections,
        recipient=locked.requester_name,
        consent=consent,
        approved_by=actor,
        approved_at=now,
        scope_note=_scope_note(locked),
        legal_request=locked,
        disclosed_at=now,
    )
    locked.approved_by = actor
    locked.approved_at = now
    locked.outcome_reason = clean_text(note)
    locked.closed_by = actor
    locked.closed_at = now
    locked.package = built.package
    locked.status = LegalRequestStatus.RELEASED
    locked.save(
        update_fields=[
            "approved_by",
            "approved_at",
            "outcome_reason",
            "closed_by",
            "closed_at",
            "package",
            "status",
            "updated_at",
        ]
    )
    _event(
        EventType.LEGAL_RELEASE_APPROVED,
        actor=actor,
        legal_request=locked,
        details={
            "package": built.package.pk,
            "disclosure": entry.pk,
            "legal_basis": locked.legal_basis,
            "sections": list(locked.sections),
        },
    )
    return built


@privacy_officer_step(LegalAction.LEGAL_REFUSE)
def legal_request_refuse(*, actor: User, legal_request: LegalRequest, reason: str) -> LegalRequest:
    """Refuse the request with reasons, at any step before release; nothing leaves."""
    text = _required(reason, LEGAL_REASON_REQUIRED)
    locked = _locked(legal_request)
    if locked.status not in OPEN_STATUSES:
        raise InvalidRequest(LEGAL_CLOSED)
    previous = locked.status
    locked.outcome_reason = text
    locked.closed_by = actor
    locked.closed_at = timezone.now()
    locked.status = LegalRequestStatus.REFUSED
    locked.save(update_fields=["outcome_reason", "closed_by", "closed_at", "status", "updated_at"])
    _event(
        EventType.LEGAL_REQUEST_REFUSED,
        actor=actor,
        legal_request=locked,
        details={"from_status": previous},
    )
    return locked


@privacy_officer_step(LegalAction.HOLD_PLACE, LEGAL_HOLD_TARGET)
def legal_hold_place(
    *,
    actor: User,
    patient: Patient,
    reason: str,
    legal_request: LegalRequest | None = None,
) -> LegalHold:
    """Place a legal hold on the patient: their record cannot be destroyed until it is lifted."""
    text = _required(reason, HOLD_REASON_REQUIRED)
    if legal_request is not None and legal_request.patient_id != patient.pk:
        raise InvalidRequest(HOLD_REQUEST_MISMATCH)
    hold = LegalHold.objects.create(
        patient_id=patient.pk,
        legal_request=legal_request,
        reason=text,
        placed_by=actor,
        placed_at=timezone.now(),
    )
    patient_event_record(
        event_type=EventType.LEGAL_HOLD_PLACED,
        actor=actor,
        patient=patient_identity(patient.pk),
        target=hold,
        details={
            "hold": hold.pk,
            "legal_request": legal_request.pk if legal_request is not None else None,
        },
        grant_id=None,
    )
    return hold


@privacy_officer_step(LegalAction.HOLD_LIFT, LEGAL_HOLD_TARGET)
def legal_hold_lift(*, actor: User, hold: LegalHold) -> LegalHold:
    """Lift a legal hold; destruction is possible again once no other hold is in force."""
    locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if locked.lifted_at is not None:
        raise InvalidRequest(HOLD_ALREADY_LIFTED)
    locked.lifted_by = actor
    locked.lifted_at = timezone.now()
    locked.save(update_fields=["lifted_by", "lifted_at"])
    patient_event_record(
        event_type=EventType.LEGAL_HOLD_LIFTED,
        actor=actor,
        patient=patient_identity(locked.patient_id),
        target=locked,
        details={"hold": locked.pk, "legal_request": locked.legal_request_id},
        grant_id=None,
    )
    return locked
