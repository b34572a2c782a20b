"""Referrals and transfers of care out: prepare, approve (a second person), track, withdraw.

Consent is checked when the referral is prepared and again when it is approved; the
package is built only on approval, and every release writes a disclosure entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.audit.events import EventType, Outcome
from carecore.audit.services import audit_access_denied
from patients.auditing import DenialReason, access_denied_record, patient_event_record
from patients.exceptions import InvalidRequest
from patients.models import (
    Attachment,
    ClinicalNote,
    Consent,
    ConsentPurpose,
    ConsentStatus,
    Patient,
    Sensitivity,
    organisation_index,
)
from patients.permissions import Action, can, note_readable_condition
from patients.services.consent import consent_permits

from ..models import (
    DisclosureKind,
    LegalBasis,
    PackageKind,
    PartnerOrganisation,
    Referral,
    ReferralKind,
    ReferralStatus,
    Section,
)
from ..packaging import PackageOptions, package_build
from ..packaging.content import sections_clean
from ..permissions.referrals import (
    RELEASED_STATUSES,
    ReferralAction,
    can_prepare_referral,
    can_referral,
)
from .disclosures import disclosure_record

if TYPE_CHECKING:
    import datetime as dt

    from carecore.accounts.models import User

REFERRAL_TARGET = "lifecycle.referral"

REFERRAL_NO_CONSENT = _(
    "This patient has not consented to sharing with %(partner)s or to sharing outside the "
    "organisation. Record the patient's consent first."
)
REFERRAL_BLOCKED_MESSAGE = _(
    "The patient's consent no longer permits sharing with %(partner)s: the referral is "
    "blocked and no package was made. Record the patient's consent again and prepare a new "
    "referral if they agree."
)
REFERRAL_CONSENT_GONE_BEFORE_SENDING = _(
    "The patient's consent no longer permits sharing with this organisation: the package must "
    "not be sent, and the referral is now blocked."
)
REFERRAL_PURPOSE_REQUIRED = _("State the purpose of the referral.")
REFERRAL_PARTNER_INACTIVE = _("Choose an active partner organisation.")
REFERRAL_KIND_INVALID = _("Choose whether this is a referral or a transfer of care.")
REFERRAL_NOTES_NEED_SECTION = _(
    "You chose notes but not the “Selected notes” section: tick it or clear the notes."
)
REFERRAL_NOTES_REQUIRED = _("Choose at least one note, or untick “Selected notes”.")
REFERRAL_ATTACHMENTS_NEED_SECTION = _(
    "You chose attachments but not the “Selected attachments” section: tick it or clear them."
)
REFERRAL_ATTACHMENTS_REQUIRED = _(
    "Choose at least one attachment, or untick “Selected attachments”."
)
REFERRAL_NOTE_UNAVAILABLE = _("Choose notes from the list offered.")
REFERRAL_ATTACHMENT_UNAVAILABLE = _("Choose attachments from the list offered.")
REFERRAL_RESTRICTED_NOTE_NEEDS_TIER = _(
    "A chosen note is restricted: add the restricted tier, with a reason, or leave it out."
)
REFERRAL_RESTRICTED_REASON_REQUIRED = _("Say why the restricted tier has to be included.")
REFERRAL_RESTRICTED_NOT_PERMITTED = _(
    "Only the care team lead or a member with restricted access can add the restricted tier."
)
REFERRAL_STAFF_REASON_REQUIRED = _("Say why staff have to be named instead of role codes.")
REFERRAL_NOT_AWAITING = _("This referral is no longer awaiting approval.")
REFERRAL_REJECT_NOTE_REQUIRED = _("Say why the referral is not approved.")
REFERRAL_STATUS_CHANGE_INVALID = _("The referral cannot move to that status from its current one.")
REFERRAL_NOT_WITHDRAWABLE = _("Only a referral that has not been sent yet can be withdrawn.")

# The steps recorded after approval, from each status.
STATUS_STEPS: dict[str, frozenset[str]] = {
    ReferralStatus.APPROVED: frozenset({ReferralStatus.SENT}),
    ReferralStatus.SENT: frozenset({ReferralStatus.ACKNOWLEDGED, ReferralStatus.DECLINED}),
}
WITHDRAWABLE = frozenset({ReferralStatus.AWAITING_APPROVAL, ReferralStatus.APPROVED})


class ConsentMissing(InvalidRequest):
    """No consent permits sharing with this partner; nothing was saved."""


@dataclass(frozen=True)
class ReferralChoice:
    """What the preparer chose; validated by `referral_prepare`."""

    partner: PartnerOrganisation
    kind: str
    purpose: str
    sections: tuple[str, ...]
    note_ids: tuple[int, ...] = ()
    attachment_ids: tuple[int, ...] = ()
    include_restricted: bool = False
    restricted_reason: str | None = None
    identify_staff: bool = False
    staff_reason: str | None = None


@dataclass(frozen=True)
class ReferralApproval:
    """The outcome of an approval: the passphrase (shown once) or a blocked referral."""

    referral: Referral
    passphrase: str | None = field(default=None, repr=False)

    @property
    def blocked(self) -> bool:
        return self.referral.status == ReferralStatus.BLOCKED


@dataclass(frozen=True)
class PackageDownload:
    """The sealed archive and the file name to serve it under."""

    content: bytes = field(repr=False)
    filename: str
    sha256: str


def _clean(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def sharing_consent_for(
    *, patient: Patient, partner: PartnerOrganisation, at: dt.datetime | None = None
) -> Consent | None:
    """Return the consent record that permits sharing with `partner` now, or None.

    Consent naming the organisation comes first; otherwise general consent to sharing
    outside the organisation, unless the latest decision naming it is a refusal or a
    withdrawal. `consent_permits` decides; the row found is the one relied on.
    """
    moment = at or timezone.now()
    # A refusal or withdrawal naming this organisation is the patient's word about it:
    # general consent to share outside the organisation does not override it.
    named = (
        Consent.objects.filter(
            patient_id=patient.pk,
            purpose=ConsentPurpose.SHARING_WITH_ORGANISATION,
            organisation_index=organisation_index(partner.name),
            recorded_at__lte=moment,
        )
        .order_by("-recorded_at", "-id")
        .values("status", "withdrawn_at")
        .first()
    )
    if named is not None and (
        named["status"] == ConsentStatus.REFUSED
        or (
            named["status"] == ConsentStatus.WITHDRAWN
            and named["withdrawn_at"] is not None
            and named["withdrawn_at"] <= moment
        )
    ):
        return None
    for purpose, organisation in (
        (ConsentPurpose.SHARING_WITH_ORGANISATION, partner.name),
        (ConsentPurpose.EXTERNAL_SHARING, None),
    ):
        if not consent_permits(
            patient=patient, purpose=purpose, organisation=organisation, at=moment
        ):
            continue
        records = Consent.objects.filter(
            patient_id=patient.pk, purpose=purpose, recorded_at__lte=moment
        )
        if organisation is not None:
            records = records.filter(organisation_index=organisation_index(organisation))
        return records.order_by("-recorded_at", "-id").first()
    return None


def _referral_denied(
    *, actor: User, referral: Referral, action: ReferralAction, reason: DenialReason
) -> None:
    audit_access_denied(
        actor=actor,
        action=action,
        reason=reason,
        target_type=REFERRAL_TARGET,
        target_id=referral.pk,
        case_code=Patient.objects.filter(pk=referral.patient_id)
        .values_list("case_code", flat=True)
        .first()
        or "",
    )


def referral_require(*, actor: User, action: ReferralAction, referral: Referral) -> None:
    """Raise Http404, with ACCESS_DENIED written, unless `actor` may do `action` to it.

    Same 404 for "cannot see it" and "cannot do this to it": nobody learns what exists.
    Call before opening the service's transaction, so the denial outlives the refusal.
    """
    if can_referral(actor, action, referral):
        return
    _referral_denied(actor=actor, referral=referral, action=action, reason=DenialReason.POLICY)
    raise Http404


def _validate_selection(*, actor: User, patient: Patient, choice: ReferralChoice) -> ReferralChoice:
    try:
        kind = ReferralKind(choice.kind).value
    except ValueError:
        raise InvalidRequest(REFERRAL_KIND_INVALID) from None
    if not choice.partner.active:
        raise InvalidRequest(REFERRAL_PARTNER_INACTIVE)
    purpose = _clean(choice.purpose)
    if purpose is None:
        raise InvalidRequest(REFERRAL_PURPOSE_REQUIRED)
    sections = sections_clean(choice.sections)
    note_ids = tuple(sorted(set(choice.note_ids)))
    attachment_ids = tuple(sorted(set(choice.attachment_ids)))
    if note_ids and Section.NOTES not in sections:
        raise InvalidRequest(REFERRAL_NOTES_NEED_SECTION)
    if Section.NOTES in sections and not note_ids:
        raise InvalidRequest(REFERRAL_NOTES_REQUIRED)
    if attachment_ids and Section.ATTACHMENTS not in sections:
        raise InvalidRequest(REFERRAL_ATTACHMENTS_NEED_SECTION)
    if Section.ATTACHMENTS in sections and not attachment_ids:
        raise InvalidRequest(REFERRAL_ATTACHMENTS_REQUIRED)
    restricted_reason = _clean(choice.restricted_reason) if choice.include_restricted else None
    staff_reason = _clean(choice.staff_reason) if choice.identify_staff else None
    if choice.include_restricted:
        if restricted_reason is None:
            raise InvalidRequest(REFERRAL_RESTRICTED_REASON_REQUIRED)
        if not can(actor, Action.READ_RESTRICTED, patient):
            raise InvalidRequest(REFERRAL_RESTRICTED_NOT_PERMITTED)
    if choice.identify_staff and staff_reason is None:
        raise InvalidRequest(REFERRAL_STAFF_REASON_REQUIRED)
    if note_ids:
        # Only notes the preparer may read themselves can go out.
        readable = dict(
            ClinicalNote.objects.filter(patient_id=patient.pk, pk__in=note_ids)
            .filter(note_readable_condition(actor))
            .values_list("pk", "sensitivity")
        )
        if set(readable) != set(note_ids):
            raise InvalidRequest(REFERRAL_NOTE_UNAVAILABLE)
        if not choice.include_restricted and Sensitivity.RESTRICTED in readable.values():
            raise InvalidRequest(REFERRAL_RESTRICTED_NOTE_NEEDS_TIER)
    if attachment_ids:
        found = Attachment.objects.filter(patient_id=patient.pk, pk__in=attachment_ids).count()
        if found != len(attachment_ids):
            raise InvalidRequest(REFERRAL_ATTACHMENT_UNAVAILABLE)
    return ReferralChoice(
        partner=choice.partner,
        kind=kind,
        purpose=purpose,
        sections=sections,
        note_ids=note_ids,
        attachment_ids=attachment_ids,
        include_restricted=choice.include_restricted,
        restricted_reason=restricted_reason,
        identify_staff=choice.identify_staff,
        staff_reason=staff_reason,
    )


def referral_prepare(*, actor: User, patient: Patient, choice: ReferralChoice) -> Referral:
    """Prepare a referral for approval (REFERRAL_PREPARED); no package is built yet.

    Only a clinician on the patient's active care team (404 and ACCESS_DENIED otherwise).
    Without consent to share with the partner, or to share outside the organisation,
    raise ConsentMissing, save nothing, and audit the refusal.
    """
    if not can_prepare_referral(actor, patient):
        access_denied_record(
            actor=actor, action="referral_prepare", reason=DenialReason.POLICY, patient=patient
        )
        raise Http404
    cleaned = _validate_selection(actor=actor, patient=patient, choice=choice)
    consent = sharing_consent_for(patient=patient, partner=cleaned.partner)
    if consent is None:
        patient_event_record(
            event_type=EventType.REFERRAL_PREPARED,
            actor=actor,
            patient=patient,
            outcome=Outcome.DENIED,
            details={"reason": "no_consent", "partner": cleaned.partner.pk, "kind": cleaned.kind},
            grant_id=None,
        )
        raise ConsentMissing(REFERRAL_NO_CONSENT % {"partner": cleaned.partner.name})
    now = timezone.now()
    with transaction.atomic():
        referral = Referral.objects.create(
            patient_id=patient.pk,
            partner=cleaned.partner,
            kind=cleaned.kind,
            purpose=cleaned.purpose,
            sections=list(cleaned.sections),
            note_ids=list(cleaned.note_ids),
            attachment_ids=list(cleaned.attachment_ids),
            include_restricted=cleaned.include_restricted,
            restricted_reason=cleaned.restricted_reason,
            identify_staff=cleaned.identify_staff,
            staff_reason=cleaned.staff_reason,
            consent=consent,
            prepared_by=actor,
            prepared_at=now,
            status_changed_at=now,
        )
        patient_event_record(
            event_type=EventType.REFERRAL_PREPARED,
            actor=actor,
            patient=patient,
            target=referral,
            details={
                "status": referral.status,
                "partner": cleaned.partner.pk,
                "kind": cleaned.kind,
                "sections": list(cleaned.sections),
                "notes": list(cleaned.note_ids),
                "attachments": list(cleaned.attachment_ids),
                "include_restricted": cleaned.include_restricted,
                "identify_staff": cleaned.identify_staff,
                "consent": consent.pk,
            },
            grant_id=None,
        )
    return referral


def _package_options(referral: Referral) -> PackageOptions:
    return PackageOptions(
        sections=tuple(referral.sections),
        note_ids=tuple(referral.note_ids),
        attachment_ids=tuple(referral.attachment_ids),
        include_restricted=referral.include_restricted,
        identify_staff=referral.identify_staff,
        # The restricted tier is the location and restricted notes: adding it adds both.
        redact_location=not referral.include_restricted,
        # A referral carries the patient's own information, not that of people around them.
        redact_third_parties=True,
        recipient_label=referral.partner.name,
        purpose_label=referral.purpose,
    )


def _locked(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().select_related("partner").get(pk=referral.pk)


def _event(
    event_type: EventType, *, actor: User, referral: Referral, details: dict[str, object]
) -> None:
    patient_event_record(
        event_type=event_type,
        actor=actor,
        patient=Patient.objects.only("id", "case_code").get(pk=referral.patient_id),
        target=referral,
        details={"status": referral.status, **details},
        grant_id=None,
    )


def referral_approve(*, actor: User, referral: Referral) -> ReferralApproval:
    """Approve as the second person: re-check consent, build the package, register it.

    If consent no longer permits the sharing, the referral becomes BLOCKED (REFERRAL_BLOCKED)
    and no package is made. Otherwise it becomes APPROVED with its package, a disclosure
    entry is written, and the passphrase is returned: show it once, never store it.
    """
    referral_require(actor=actor, action=ReferralAction.APPROVE, referral=referral)
    with transaction.atomic():
        locked = _locked(referral)
        if locked.status != ReferralStatus.AWAITING_APPROVAL:
            raise InvalidRequest(REFERRAL_NOT_AWAITING)
        # A partner taken off the register since preparation receives nothing.
        if not PartnerOrganisation.objects.filter(pk=locked.partner_id, active=True).exists():
            raise InvalidRequest(REFERRAL_PARTNER_INACTIVE)
        now = timezone.now()
        patient = Patient.objects.only("id", "uuid", "case_code").get(pk=locked.patient_id)
        consent = sharing_consent_for(patient=patient, partner=locked.partner, at=now)
        locked.decided_by = actor
        locked.decided_at = now
        locked.status_changed_at = now
        if consent is None:
            locked.status = ReferralStatus.BLOCKED
            locked.save(update_fields=["status", "decided_by", "decided_at", "status_changed_at"])
            _event(
                EventType.REFERRAL_BLOCKED,
                actor=actor,
                referral=locked,
                details={"reason": "no_consent", "partner": locked.partner_id},
            )
            return ReferralApproval(referral=locked)
        built = package_build(
            actor=actor,
            patient=patient,
            kind=PackageKind.REFERRAL,
            options=_package_options(locked),
        )
        locked.status = ReferralStatus.APPROVED
        locked.consent = consent
        locked.package = built.package
        locked.save(
            update_fields=[
                "status",
                "decided_by",
                "decided_at",
                "status_changed_at",
                "consent",
                "package",
                "updated_at",
            ]
        )
        entry = disclosure_record(
            actor=actor,
            patient=patient,
            kind=(
                DisclosureKind.TRANSFER_OF_CARE
                if locked.kind == ReferralKind.TRANSFER_OF_CARE
                else DisclosureKind.REFERRAL
            ),
            legal_basis=LegalBasis.CONSENT,
            purpose=locked.purpose,
            sections=locked.sections,
            partner=locked.partner,
            consent=consent,
            approved_by=actor,
            approved_at=now,
            referral=locked,
            disclosed_at=now,
        )
        _event(
            EventType.REFERRAL_APPROVED,
            actor=actor,
            referral=locked,
            details={
                "package": built.package.pk,
                "consent": consent.pk,
                "disclosure": entry.pk,
                "partner": locked.partner_id,
            },
        )
    return ReferralApproval(referral=locked, passphrase=built.passphrase)


def referral_reject(*, actor: User, referral: Referral, note: str) -> Referral:
    """Decline to approve, with a note for the preparer (REFERRAL_REJECTED)."""
    referral_require(actor=actor, action=ReferralAction.APPROVE, referral=referral)
    text = _clean(note)
    if text is None:
        raise InvalidRequest(REFERRAL_REJECT_NOTE_REQUIRED)
    with transaction.atomic():
        locked = _locked(referral)
        if locked.status != ReferralStatus.AWAITING_APPROVAL:
            raise InvalidRequest(REFERRAL_NOT_AWAITING)
        now = timezone.now()
        locked.status = ReferralStatus.REJECTED
        locked.decided_by = actor
        locked.decided_at = now
        locked.decision_note = text
        locked.status_changed_at = now
        locked.save(
            update_fields=[
                "status",
                "decided_by",
                "decided_at",
                "decision_note",
                "status_changed_at",
                "updated_at",
            ]
        )
        _event(EventType.REFERRAL_REJECTED, actor=actor, referral=locked, details={})
    return locked


def referral_status_set(*, actor: User, referral: Referral, status: str) -> Referral:
    """Record that the package was sent, acknowledged or declined (REFERRAL_STATUS_CHANGED)."""
    referral_require(actor=actor, action=ReferralAction.CHANGE_STATUS, referral=referral)
    with transaction.atomic():
        locked = _locked(referral)
        previous = locked.status
        if status not in STATUS_STEPS.get(previous, frozenset()):
            raise InvalidRequest(REFERRAL_STATUS_CHANGE_INVALID)
        # Until it is sent the data has not left: a consent withdrawn since the approval
        # stops it here, and the block is committed before the refusal is raised.
        blocked = (
            previous == ReferralStatus.APPROVED
            and status == ReferralStatus.SENT
            and not _consent_still_permits(locked)
        )
        locked.status = ReferralStatus.BLOCKED if blocked else ReferralStatus(status).value
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at", "updated_at"])
        _event(
            EventType.REFERRAL_BLOCKED if blocked else EventType.REFERRAL_STATUS_CHANGED,
            actor=actor,
            referral=locked,
            details=(
                {"reason": "no_consent_before_sending", "partner": locked.partner_id}
                if blocked
                else {"from": previous}
            ),
        )
    if blocked:
        raise InvalidRequest(REFERRAL_CONSENT_GONE_BEFORE_SENDING)
    return locked


def _consent_still_permits(referral: Referral) -> bool:
    patient = Patient.objects.only("id").get(pk=referral.patient_id)
    return sharing_consent_for(patient=patient, partner=referral.partner) is not None


def referral_withdraw(*, actor: User, referral: Referral) -> Referral:
    """Withdraw a referral that has not been sent (REFERRAL_WITHDRAWN); its package is kept
    for the record but can no longer be downloaded."""
    referral_require(actor=actor, action=ReferralAction.WITHDRAW, referral=referral)
    with transaction.atomic():
        locked = _locked(referral)
        previous = locked.status
        if previous not in WITHDRAWABLE:
            raise InvalidRequest(REFERRAL_NOT_WITHDRAWABLE)
        locked.status = ReferralStatus.WITHDRAWN
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at", "updated_at"])
        _event(
            EventType.REFERRAL_WITHDRAWN,
            actor=actor,
            referral=locked,
            details={"from": previous},
        )
    return locked


def referral_package_download(*, actor: User, referral: Referral) -> PackageDownload:
    """Return the sealed archive of an approved referral (PACKAGE_DOWNLOADED).

    The preparer, the approver and privacy officers; 404 for anyone else and before
    approval or after withdrawal.
    """
    referral_require(actor=actor, action=ReferralAction.DOWNLOAD, referral=referral)
    row = (
        Referral.objects.filter(pk=referral.pk, status__in=RELEASED_STATUSES)
        .select_related("package", "partner")
        .only(
            "id",
            "status",
            "partner__name",
            "patient_id",
            "package__id",
            "package__uuid",
            "package__archive",
            "package__archive_sha256",
        )
        .first()
    )
    # Not sent yet and consent withdrawn since the approval: the package stays here.
    unsendable = (
        row is not None
        and row.status == ReferralStatus.APPROVED
        and not _consent_still_permits(row)
    )
    if row is None or row.package is None or unsendable:
        _referral_denied(
            actor=actor,
            referral=referral,
            action=ReferralAction.DOWNLOAD,
            reason=DenialReason.NOT_FOUND,
        )
        raise Http404
    package = row.package
    with transaction.atomic():
        _event(
            EventType.PACKAGE_DOWNLOADED,
            actor=actor,
            referral=referral,
            details={"package": package.pk},
        )
    return PackageDownload(
        content=bytes(package.archive),
        filename=f"referral-package-{str(package.uuid)[:8]}.zip",
        sha256=package.archive_sha256,
    )
