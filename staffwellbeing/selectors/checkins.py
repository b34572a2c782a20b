"""Reads of instrument versions and check-in results, each audited and policy-checked.

Detail reads answer 404 both for a missing and for a forbidden check-in (no probing) and
write an ACCESS_DENIED event; every read of a result writes an event holding ids only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from carecore.audit.services import audit_access_denied, audit_event_record
from supervision.models import SupervisionAgreement

from ..models import (
    CFS_CODE,
    CheckIn,
    InstrumentItem,
    InstrumentVersion,
    ResultShare,
    Subscale,
    SubscaleCode,
    WordingSource,
)
from ..permissions import active_shares_to, can_check_in, can_share_checkin, checkins_readable_by
from ..scoring import score_differences

if TYPE_CHECKING:
    from carecore.accounts.models import User

CHECKIN_NOT_FOUND = _("No check-in result matches this reference.")
NO_INSTRUMENT = _("The wellbeing scale has not been set up.")
STRUCTURE_ONLY_POINTER = _("See item %(letter)s in your organisation's copy of the guide.")
CHECKIN_TARGET = "staffwellbeing.checkin"


class CheckInNotFound(Http404):
    """A check-in is missing or the user may not see it: the same 404 either way."""

    def __init__(self) -> None:
        super().__init__(CHECKIN_NOT_FOUND)


class DenialReason(models.TextChoices):
    NOT_FOUND = "not_found"
    POLICY = "policy"
    ROLE = "role"


class Purpose(models.TextChoices):
    READ = "read"
    SHARE = "share"
    CHECK_IN = "check_in"
    VIEW_AGGREGATES = "view_aggregates"
    LOAD_INSTRUMENT = "load_instrument"


def wellbeing_denial_record(
    *,
    actor: User | AnonymousUser | None,
    purpose: Purpose,
    reason: DenialReason,
    target_type: str = CHECKIN_TARGET,
    target_id: str | int = "",
) -> AuditEvent:
    """Write the ACCESS_DENIED event for a refusal; call it outside the refused transaction."""
    return audit_access_denied(
        actor=actor, action=purpose, reason=reason, target_type=target_type, target_id=target_id
    )


# ---- instrument versions ---------------------------------------------------------------------


@dataclass(frozen=True)
class ItemDisplay:
    """One item as shown on a form or a result: wording, or a pointer to the guide."""

    letter: str
    position: int
    wording: str
    subscale_names: tuple[str, ...]
    pointer: str


@dataclass(frozen=True)
class VersionDisplay:
    version: InstrumentVersion
    items: tuple[ItemDisplay, ...]

    @property
    def is_demonstration(self) -> bool:
        return self.version.wording_source == WordingSource.DEMONSTRATION

    @property
    def is_structure_only(self) -> bool:
        return self.version.wording_source == WordingSource.STRUCTURE_ONLY

    @property
    def subscale_names(self) -> dict[str, str]:
        return {subscale.code: subscale.name for subscale in self.version.subscales.all()}


def _versions_with_structure() -> models.QuerySet[InstrumentVersion]:
    return InstrumentVersion.objects.select_related("instrument").prefetch_related(
        Prefetch("items", queryset=InstrumentItem.objects.order_by("position")),
        Prefetch(
            "subscales",
            queryset=Subscale.objects.order_by("position").prefetch_related("items"),
        ),
    )


def instrument_current_version(*, code: str = CFS_CODE) -> InstrumentVersion:
    """Return the newest version of instrument `code` with its structure prefetched."""
    version = _versions_with_structure().filter(instrument__code=code).order_by("-number").first()
    if version is None:
        raise Http404(NO_INSTRUMENT)
    return version


def version_with_structure(version_id: int) -> InstrumentVersion:
    """Return version `version_id` with its items and subscales prefetched."""
    return _versions_with_structure().get(pk=version_id)


def version_display(version: InstrumentVersion) -> VersionDisplay:
    """Return the items of `version` as shown to a respondent (structure prefetched)."""
    memberships: dict[int, list[str]] = {}
    for subscale in version.subscales.all():
        for item in subscale.items.all():
            memberships.setdefault(item.pk, []).append(str(subscale.name))
    return VersionDisplay(
        version=version,
        items=tuple(
            ItemDisplay(
                letter=item.letter,
                position=item.position,
                wording=item.wording,
                subscale_names=tuple(memberships.get(item.pk, ())),
                pointer=str(STRUCTURE_ONLY_POINTER % {"letter": item.letter}),
            )
            for item in version.items.all()
        ),
    )


# ---- single results --------------------------------------------------------------------------


def _checkin_lookup(checkin_id: object) -> int | None:
    try:
        value = int(str(checkin_id))
    except ValueError:
        return None
    return value if value > 0 else None


def checkin_get_for(*, user: User | AnonymousUser, checkin_id: object) -> CheckIn:
    """Return the check-in if `user` may read its result, or raise CheckInNotFound (404).

    Writes CHECKIN_VIEWED (the check-in id only) before returning it.
    """
    pk = _checkin_lookup(checkin_id)
    checkin = (
        checkins_readable_by(user).select_related("version__instrument").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if checkin is None:
        exists = pk is not None and CheckIn.objects.filter(pk=pk).exists()
        wellbeing_denial_record(
            actor=user,
            purpose=Purpose.READ,
            reason=DenialReason.POLICY if exists else DenialReason.NOT_FOUND,
            target_id=pk if exists and pk is not None else "",
        )
        raise CheckInNotFound
    audit_event_record(
        event_type=EventType.CHECKIN_VIEWED,
        actor=user,
        target=checkin,
        details={"checkin_id": checkin.pk},
    )
    return checkin


def checkin_get_own(*, user: User | AnonymousUser, checkin_id: object) -> CheckIn:
    """Return `user`'s own check-in for sharing, or raise CheckInNotFound (404, audited)."""
    pk = _checkin_lookup(checkin_id)
    checkin = CheckIn.objects.filter(pk=pk).first() if pk is not None else None
    if checkin is None or not can_share_checkin(user, checkin):
        wellbeing_denial_record(
            actor=user,
            purpose=Purpose.SHARE,
            reason=DenialReason.POLICY if checkin is not None else DenialReason.NOT_FOUND,
            target_id=checkin.pk if checkin is not None else "",
        )
        raise CheckInNotFound
    return checkin


# ---- the person's history --------------------------------------------------------------------


def signed(value: int | None) -> str:
    """Return a difference as "+3", "-2" or "0"; an en dash when there is nothing to compare."""
    if value is None:
        return "\u2013"
    return f"+{value}" if value > 0 else str(value)


@dataclass
class HistoryRow:
    """One of the person's results with its differences from the previous and the first."""

    checkin: CheckIn
    scores: dict[str, int]
    from_previous: dict[str, int | None]
    from_first: dict[str, int | None]
    shared_with: list[int] = field(default_factory=list)

    @property
    def cells(self) -> list[tuple[str, int | None, str, str]]:
        """Return (code, score, change from previous, change from first) in subscale order."""
        return [
            (
                code,
                self.scores.get(code),
                signed(self.from_previous.get(code)),
                signed(self.from_first.get(code)),
            )
            for code in SubscaleCode.values
        ]


@dataclass
class History:
    rows: list[HistoryRow]  # oldest first

    @property
    def newest_first(self) -> list[HistoryRow]:
        return list(reversed(self.rows))

    @property
    def latest(self) -> HistoryRow | None:
        return self.rows[-1] if self.rows else None


def _history_rows(checkins: list[CheckIn]) -> list[HistoryRow]:
    rows: list[HistoryRow] = []
    first: dict[str, int] | None = None
    previous: dict[str, int] | None = None
    for checkin in checkins:
        scores = {str(code): int(value) for code, value in checkin.scores.items()}
        rows.append(
            HistoryRow(
                checkin=checkin,
                scores=scores,
                from_previous=score_differences(scores, previous),
                from_first=score_differences(scores, first),
                shared_with=[
                    share.supervisor_id for share in getattr(checkin, "active_shares", [])
                ],
            )
        )
        first = first or scores
        previous = scores
    return rows


def _own_checkins(user: User) -> list[CheckIn]:
    return list(
        CheckIn.objects.filter(person_id=user.pk)
        .order_by("answered_at", "pk")
        .prefetch_related(
            Prefetch(
                "shares",
                queryset=ResultShare.objects.filter(revoked_at__isnull=True),
                to_attr="active_shares",
            )
        )
    )


def checkin_history_for(*, user: User | AnonymousUser, event: EventType | None = None) -> History:
    """Return `user`'s own results, oldest first, and audit the read (check-in ids only).

    A constant number of queries whatever the number of check-ins.
    """
    if not can_check_in(user):
        wellbeing_denial_record(
            actor=user, purpose=Purpose.READ, reason=DenialReason.ROLE, target_type=""
        )
        raise CheckInNotFound
    checkins = _own_checkins(user)  # type: ignore[arg-type]
    audit_event_record(
        event_type=event or EventType.CHECKIN_HISTORY_VIEWED,
        actor=user,
        target_type=CHECKIN_TARGET,
        details={"checkin_ids": [checkin.pk for checkin in checkins]},
    )
    return History(rows=_history_rows(checkins))


def checkin_comparison_for(*, user: User, checkin: CheckIn) -> HistoryRow | None:
    """Return `checkin` compared with the owner's previous and first results, for the owner only.

    A supervisor reading a shared result gets None: differences would disclose unshared results.
    """
    if checkin.person_id != user.pk:
        return None
    earlier = list(
        CheckIn.objects.filter(person_id=user.pk, answered_at__lte=checkin.answered_at)
        .exclude(answered_at=checkin.answered_at, pk__gt=checkin.pk)
        .order_by("answered_at", "pk")
    )
    rows = _history_rows(earlier)
    return rows[-1] if rows else None


def supervisors_of(user: User) -> list[User]:
    """Return the people who actively supervise `user`."""
    agreements = SupervisionAgreement.objects.filter(
        supervisee_id=user.pk, active=True
    ).select_related("supervisor")
    seen: dict[int, User] = {}
    for agreement in agreements:
        seen.setdefault(agreement.supervisor_id, agreement.supervisor)
    return sorted(seen.values(), key=lambda person: person.get_full_name() or person.username)


# ---- results shared with a supervisor --------------------------------------------------------


@dataclass(frozen=True)
class SharedRow:
    share: ResultShare
    checkin: CheckIn
    scores: dict[str, int]
    person_name: str


def checkins_shared_with(*, user: User | AnonymousUser) -> list[SharedRow]:
    """Return the results shared with `user` in force now; audit the list (ids only)."""
    if not user.is_authenticated:
        raise CheckInNotFound
    shares = list(
        active_shares_to(user)  # type: ignore[arg-type]
        .select_related("checkin", "checkin__person")
        .order_by("-checkin__answered_at", "-pk")
    )
    audit_event_record(
        event_type=EventType.SHARED_RESULTS_VIEWED,
        actor=user,
        target_type=CHECKIN_TARGET,
        details={"checkin_ids": [share.checkin_id for share in shares]},
    )
    return [
        SharedRow(
            share=share,
            checkin=share.checkin,
            scores={str(code): int(value) for code, value in share.checkin.scores.items()},
            person_name=share.checkin.person.get_full_name() or share.checkin.person.username,
        )
        for share in shares
    ]


def checkin_item_answers(
    checkin: CheckIn, display: VersionDisplay
) -> list[tuple[ItemDisplay, Any]]:
    """Return each item of the check-in's own version with the person's answer."""
    answers: dict[str, Any] = checkin.answers or {}
    return [(item, answers.get(item.letter)) for item in display.items]


def wellbeing_access_require(
    *, user: User | AnonymousUser, allowed: bool, purpose: Purpose
) -> None:
    """Refuse with a 404 and an ACCESS_DENIED event when `allowed` is false."""
    if not allowed:
        wellbeing_denial_record(
            actor=user, purpose=purpose, reason=DenialReason.ROLE, target_type=""
        )
        raise CheckInNotFound


def subscale_labels() -> dict[str, str]:
    """Return {subscale code: display name} in the built-in order."""
    return {str(code): str(label) for code, label in SubscaleCode.choices}
