"""Break-glass: emergency access outside the care team, its lapse, and its review.

A clinician states a reason and re-enters their password; the grant lasts
`CARECORE_BREAK_GLASS_HOURS` (4 by default), notifies every privacy officer with a durable
in-app notification, and waits in the review queue. While it is in force, every event the
clinician causes on that patient carries `{"break_glass_grant": id}`. It gives standard
clinical access only: restricted entries and the current location stay closed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from carecore.audit.services import audit_event_record

from .. import conf
from ..auditing import DenialReason, access_denied_record, patient_event_record
from ..exceptions import (
    BREAK_GLASS_ALREADY_REVIEWED,
    BREAK_GLASS_CREDENTIALS_INVALID,
    BREAK_GLASS_OUTCOME_INVALID,
    BREAK_GLASS_OWN_GRANT,
    BREAK_GLASS_REASON_REQUIRED,
    BREAK_GLASS_TOO_MANY_ATTEMPTS,
    NOT_A_PRIVACY_OFFICER,
    NOT_YOUR_NOTIFICATION,
    ActionRefused,
    InvalidRequest,
)
from ..models import (
    BreakGlassGrant,
    NotificationKind,
    Patient,
    PrivacyNotification,
    ReviewOutcome,
)
from ..permissions import Action, can_review_break_glass
from .access import access_require, clean_text, patient_identity

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

REVIEW_ACTION = "review_break_glass"
REVIEW_OUTCOMES = frozenset({ReviewOutcome.JUSTIFIED, ReviewOutcome.NOT_JUSTIFIED})


def _recent_credential_failures(actor: User) -> int:
    since = timezone.now() - conf.break_glass_failure_window()
    return AuditEvent.objects.filter(
        actor_id=actor.pk,
        event_type=EventType.ACCESS_DENIED,
        occurred_at__gte=since,
        details__action=str(Action.BREAK_GLASS),
        details__reason=str(DenialReason.CREDENTIALS),
    ).count()


def _lapse(grants: list[BreakGlassGrant]) -> int:
    for grant in grants:
        # The grant ended at its expiry, not when the sweep noticed: record that moment.
        grant.lapsed_at = grant.expires_at
        grant.save(update_fields=["lapsed_at"])
        audit_event_record(
            event_type=EventType.BREAK_GLASS_LAPSED,
            target=grant,
            case_code=grant.patient.case_code,
            details={"grant": grant.pk, "clinician": grant.clinician_id},
        )
    return len(grants)


def _due(now: dt.datetime) -> list[BreakGlassGrant]:
    return list(
        BreakGlassGrant.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(lapsed_at__isnull=True, expires_at__lte=now)
        .select_related("patient")
        .only("id", "clinician_id", "patient_id", "expires_at", "lapsed_at", "patient__case_code")
        .order_by("expires_at", "id")
    )


def break_glass_grant(
    *, actor: User, patient: Patient, reason: str, password: str
) -> BreakGlassGrant:
    """Give `actor` emergency access to `patient` after a stated reason and their password.

    Refused (each refusal audited as ACCESS_DENIED): a clinician on the care team or already
    holding a grant, and anyone not a clinician (PatientNotFound); no reason (InvalidRequest);
    a wrong password, or too many in the last minutes (ActionRefused).
    """
    access_require(actor=actor, action=Action.BREAK_GLASS, patient=patient)
    target = patient_identity(patient.pk)
    # Throttled before the password is even checked: a stolen session must not become a
    # password-guessing oracle.
    if _recent_credential_failures(actor) >= conf.break_glass_max_failures():
        access_denied_record(
            actor=actor,
            action=Action.BREAK_GLASS,
            reason=DenialReason.THROTTLED,
            patient=target,
            grant_id=None,
        )
        raise ActionRefused(BREAK_GLASS_TOO_MANY_ATTEMPTS)
    stated = clean_text(reason)
    if stated is None:
        access_denied_record(
            actor=actor,
            action=Action.BREAK_GLASS,
            reason=DenialReason.NO_REASON,
            patient=target,
            grant_id=None,
        )
        raise InvalidRequest(BREAK_GLASS_REASON_REQUIRED)
    if not password or not actor.check_password(password):
        access_denied_record(
            actor=actor,
            action=Action.BREAK_GLASS,
            reason=DenialReason.CREDENTIALS,
            patient=target,
            grant_id=None,
        )
        raise ActionRefused(BREAK_GLASS_CREDENTIALS_INVALID)
    now = timezone.now()
    with transaction.atomic():
        # An earlier grant past its expiry but not yet swept would block the new one.
        _lapse(
            list(
                BreakGlassGrant.objects.select_for_update(of=("self",))
                .filter(
                    clinician_id=actor.pk,
                    patient_id=patient.pk,
                    lapsed_at__isnull=True,
                    expires_at__lte=now,
                )
                .select_related("patient")
            )
        )
        grant = BreakGlassGrant.objects.create(
            clinician=actor,
            patient_id=patient.pk,
            reason=stated,
            granted_at=now,
            expires_at=now + conf.break_glass_duration(),
        )
        officers = list(
            User.objects.filter(is_active=True, is_privacy_officer=True)
            .exclude(pk=actor.pk)
            .values_list("pk", flat=True)
        )
        PrivacyNotification.objects.bulk_create(
            PrivacyNotification(
                recipient_id=officer_id,
                kind=NotificationKind.BREAK_GLASS_GRANTED,
                break_glass_grant=grant,
            )
            for officer_id in officers
        )
        patient_event_record(
            event_type=EventType.BREAK_GLASS_GRANTED,
            actor=actor,
            patient=target,
            target=grant,
            details={"notified": len(officers)},
            grant_id=grant.pk,
        )
    grant.__dict__.pop("reason", None)
    return grant


def break_glass_lapse_expired(*, now: dt.datetime | None = None) -> int:
    """Lapse every grant past its expiry, one BREAK_GLASS_LAPSED event each; return how many.

    Idempotent and safe to run concurrently (locked rows are skipped, left to the other run).
    Access already stopped at the expiry: the policy compares `expires_at` with the clock.
    """
    with transaction.atomic():
        return _lapse(_due(now or timezone.now()))


def break_glass_review(
    *,
    actor: User | AnonymousUser,
    grant: BreakGlassGrant,
    outcome: str,
    note: str | None = None,
) -> BreakGlassGrant:
    """Record a privacy officer's review of a grant: justified or not justified, with a note."""
    if not can_review_break_glass(actor):
        access_denied_record(
            actor=actor,
            action=REVIEW_ACTION,
            reason=DenialReason.ROLE,
            target_type="patients.breakglassgrant",
            target_id=grant.pk,
        )
        raise ActionRefused(NOT_A_PRIVACY_OFFICER)
    if grant.clinician_id == actor.pk:
        access_denied_record(
            actor=actor,
            action=REVIEW_ACTION,
            reason=DenialReason.POLICY,
            target_type="patients.breakglassgrant",
            target_id=grant.pk,
        )
        raise ActionRefused(BREAK_GLASS_OWN_GRANT)
    if outcome not in REVIEW_OUTCOMES:
        raise InvalidRequest(BREAK_GLASS_OUTCOME_INVALID)
    with transaction.atomic():
        locked = (
            BreakGlassGrant.objects.select_for_update()
            .defer("reason", "review_note")
            .get(pk=grant.pk)
        )
        if locked.review_outcome != ReviewOutcome.PENDING:
            raise InvalidRequest(BREAK_GLASS_ALREADY_REVIEWED)
        locked.review_outcome = ReviewOutcome(outcome)
        locked.reviewed_by = actor  # type: ignore[assignment]
        locked.reviewed_at = timezone.now()
        locked.review_note = clean_text(note)
        locked.save(update_fields=["review_outcome", "reviewed_by", "reviewed_at", "review_note"])
        patient_event_record(
            event_type=EventType.BREAK_GLASS_REVIEWED,
            actor=actor,
            patient=patient_identity(locked.patient_id),
            target=locked,
            details={"grant": locked.pk, "outcome": str(locked.review_outcome)},
        )
    return locked


def privacy_notification_mark_read(*, actor: User, notification: PrivacyNotification) -> None:
    """Mark one of the actor's notifications read (interface state: not audited)."""
    if notification.recipient_id != actor.pk:
        access_denied_record(
            actor=actor,
            action="mark_notification_read",
            reason=DenialReason.POLICY,
            target_type="patients.privacynotification",
            target_id=notification.pk,
        )
        raise ActionRefused(NOT_YOUR_NOTIFICATION)
    PrivacyNotification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
