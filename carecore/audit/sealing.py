"""The hash chain over audit events: sealing (off the request path) and verification.

Requests only INSERT their event. The sealer, a periodic task, links unsealed events into the
insert-only `AuditSeal` table in id order:

    hash = SHA-256( "carecore-audit-seal-v1" LF sequence LF previous_hash LF canonical(event) )

`canonical(event)` is the event as JSON with sorted keys, no whitespace, ASCII only, holding every
column: id, occurred_at (ISO 8601 in UTC with microseconds), event_type (integer), outcome,
actor_id (integer or null), target_type, target_id, case_code, request_id, ip_address (string or
null) and details (nested JSON, also key-sorted). The first seal's previous hash is 64 zeros.

Chain order is seal order, not id order. Transactions commit out of id order, so an event can
become visible after a higher id was sealed; the sealer seals it on its next run, later in the
chain, and verification walks seals by sequence. See docs/decisions/0004-audit-sealing.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, AuditSeal

CANONICAL_VERSION = "carecore-audit-seal-v1"
GENESIS_HASH = "0" * 64

# Tunables, overridable in settings under the same names.
# An event unsealed for longer than this is an alarm (ARCHITECTURE.md: one minute).
DEFAULT_STALE_AFTER = timedelta(minutes=1)
# Below the highest sealed id, the sealer only looks this far back for late-committed events;
# older stragglers are left to `audit_seal --full` and flagged by verification.
DEFAULT_LOOKBACK = timedelta(minutes=10)
DEFAULT_BATCH_SIZE = 1000
_VERIFY_CHUNK = 2000

# Any constant bigint: the key of the PostgreSQL advisory lock that serialises sealers.
SEAL_LOCK_KEY = 0x6361_7265_5345_414C


class ChainStatus(models.TextChoices):
    INTACT = "intact", _("Intact")
    BROKEN = "broken", _("Broken")
    STALE = "stale", _("Events left unsealed")


class BreakReason(models.TextChoices):
    CONTENT_CHANGED = "content_changed", _("the event or its seal was changed")
    LINK_BROKEN = "link_broken", _("the seal does not link to the seal before it")
    SEQUENCE_GAP = "sequence_gap", _("a seal before this one is missing")
    EVENT_MISSING = "event_missing", _("the sealed event is missing")
    UNSEALED = "unsealed", _("the event has stayed unsealed too long")


@dataclass(frozen=True)
class SealResult:
    sealed: int
    # True when another sealer held the lock and this run stood aside.
    busy: bool = False


@dataclass(frozen=True)
class VerifyResult:
    status: ChainStatus
    checked: int
    head_sequence: int
    head_hash: str
    event_id: int | None = None
    reason: BreakReason | None = None
    unsealed_overdue: int = 0

    @property
    def ok(self) -> bool:
        return self.status == ChainStatus.INTACT


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def _isoformat(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def event_canonical(*, event: AuditEvent) -> bytes:
    """Return the stable byte serialisation of every column of `event`."""
    document = {
        "id": event.pk,
        "occurred_at": _isoformat(event.occurred_at),
        "event_type": int(event.event_type),
        "outcome": str(event.outcome),
        "actor_id": event.actor_id,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "case_code": event.case_code,
        "request_id": event.request_id,
        "ip_address": event.ip_address,
        "details": event.details,
    }
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def seal_hash(*, event: AuditEvent, sequence: int, previous_hash: str) -> str:
    """Return the chain hash of `event` sealed at `sequence` after `previous_hash`."""
    digest = hashlib.sha256()
    digest.update(f"{CANONICAL_VERSION}\n{sequence}\n{previous_hash}\n".encode("ascii"))
    digest.update(event_canonical(event=event))
    return digest.hexdigest()


def _seal_lock_acquire(*, wait: bool) -> bool:
    # Sealing runs off the request path, so serialising sealers costs requests nothing. The
    # lock is transaction-scoped and released by commit or rollback. SQLite serialises writers
    # itself; the unique sequence and event columns catch a racing second sealer there.
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
        row = cursor.fetchone()
        return bool(row and row[0])


def _unsealed_events(*, full: bool) -> models.QuerySet[AuditEvent]:
    unsealed = AuditEvent.objects.filter(seal__isnull=True)
    if not full:
        highest = AuditSeal.objects.aggregate(highest=Max("event_id"))["highest"]
        if highest is not None:
            # Above the highest sealed id is new work; below it, only late commits are
            # possible, and they are recent: this keeps the scan off the whole table.
            since = timezone.now() - _setting("CARECORE_AUDIT_SEAL_LOOKBACK", DEFAULT_LOOKBACK)
            unsealed = unsealed.filter(Q(id__gt=highest) | Q(occurred_at__gte=since))
    return unsealed.order_by("id")


def _seal_batch(*, wait: bool, full: bool, batch_size: int) -> int | None:
    """Seal up to `batch_size` events in one transaction; None when another sealer is busy."""
    with transaction.atomic():
        if not _seal_lock_acquire(wait=wait):
            return None
        head = AuditSeal.objects.order_by("-sequence").only("sequence", "hash").first()
        sequence = head.sequence if head else 0
        previous_hash = head.hash if head else GENESIS_HASH
        events = list(_unsealed_events(full=full)[:batch_size])
        sealed_at = timezone.now()
        seals = []
        for event in events:
            sequence += 1
            digest = seal_hash(event=event, sequence=sequence, previous_hash=previous_hash)
            seals.append(
                AuditSeal(
                    sequence=sequence,
                    event=event,
                    previous_hash=previous_hash,
                    hash=digest,
                    sealed_at=sealed_at,
                )
            )
            previous_hash = digest
        AuditSeal.objects.bulk_create(seals)
        return len(seals)


def audit_seal_pending(
    *, wait: bool = True, full: bool = False, batch_size: int | None = None
) -> SealResult:
    """Seal every committed, unsealed event into the hash chain, lowest id first.

    `wait=False` returns at once when another sealer holds the lock (the periodic task);
    `full=True` also looks for stragglers older than the lookback window.
    """
    size = batch_size or _setting("CARECORE_AUDIT_SEAL_BATCH_SIZE", DEFAULT_BATCH_SIZE)
    total = 0
    while True:
        try:
            sealed = _seal_batch(wait=wait, full=full, batch_size=size)
        except IntegrityError:
            # Only a concurrent sealer on a database without the advisory lock gets here.
            return SealResult(sealed=total, busy=True)
        if sealed is None:
            return SealResult(sealed=total, busy=True)
        total += sealed
        if sealed < size:
            return SealResult(sealed=total)


def _broken(
    *, event_id: int, reason: BreakReason, checked: int, head_sequence: int, head_hash: str
) -> VerifyResult:
    return VerifyResult(
        status=ChainStatus.BROKEN,
        checked=checked,
        head_sequence=head_sequence,
        head_hash=head_hash,
        event_id=event_id,
        reason=reason,
    )


def audit_verify(*, stale_after: timedelta | None = None) -> VerifyResult:
    """Walk the seals in sequence order, recompute every hash, and report the first break.

    Then report events left unsealed for longer than `stale_after` (the sealer alarm).
    """
    expected_sequence = 1
    previous_hash = GENESIS_HASH
    checked = 0
    while True:
        seals = list(
            AuditSeal.objects.filter(sequence__gte=expected_sequence).order_by("sequence")[
                :_VERIFY_CHUNK
            ]
        )
        if not seals:
            break
        # Fetched apart from the seals: a join would silently drop a seal whose event is gone.
        events = AuditEvent.objects.in_bulk([seal.event_id for seal in seals])
        for seal in seals:
            reason = None
            event = events.get(seal.event_id)
            if seal.sequence != expected_sequence:
                reason = BreakReason.SEQUENCE_GAP
            elif seal.previous_hash != previous_hash:
                reason = BreakReason.LINK_BROKEN
            elif event is None:
                reason = BreakReason.EVENT_MISSING
            elif seal.hash != seal_hash(
                event=event, sequence=seal.sequence, previous_hash=seal.previous_hash
            ):
                reason = BreakReason.CONTENT_CHANGED
            if reason is not None:
                return _broken(
                    event_id=seal.event_id,
                    reason=reason,
                    checked=checked,
                    head_sequence=expected_sequence - 1,
                    head_hash=previous_hash,
                )
            checked += 1
            expected_sequence += 1
            previous_hash = seal.hash

    limit = stale_after or _setting("CARECORE_AUDIT_SEAL_STALE_AFTER", DEFAULT_STALE_AFTER)
    overdue = AuditEvent.objects.filter(
        seal__isnull=True, occurred_at__lt=timezone.now() - limit
    ).order_by("id")
    first_overdue = overdue.values_list("id", flat=True).first()
    if first_overdue is not None:
        return VerifyResult(
            status=ChainStatus.STALE,
            checked=checked,
            head_sequence=expected_sequence - 1,
            head_hash=previous_hash,
            event_id=first_overdue,
            reason=BreakReason.UNSEALED,
            unsealed_overdue=overdue.count(),
        )
    return VerifyResult(
        status=ChainStatus.INTACT,
        checked=checked,
        head_sequence=expected_sequence - 1,
        head_hash=previous_hash,
    )
