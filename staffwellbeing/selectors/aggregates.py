"""Aggregate wellbeing figures for managers, with minimum group size and complementary suppression.

Figures use each person's latest check-in within the period. A group (a team, the people with
no team, or the whole organisation) shows its count, median and range only when at least
`min_group_size()` distinct people contributed; see docs/decisions/0011-aggregate-suppression.md
for the complementary rule that stops a hidden group being worked out by subtraction.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import Team
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import CheckIn, SubscaleCode
from ..permissions import can_view_aggregates
from .checkins import CheckInNotFound, DenialReason, Purpose, wellbeing_denial_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

# Never fewer than five: below that a median and a range describe individuals.
MIN_GROUP_FLOOR = 5
DEFAULT_PERIOD_DAYS = 90
PERIOD_CHOICES = (30, 90, 180, 365)
NO_TEAM = _("No team")
ORGANISATION = "organisation"
NO_TEAM_KEY = "none"
SUBSCALE_ORDER = tuple(str(code) for code in SubscaleCode.values)


def configured_min_group() -> int:
    """Return the raw CARECORE_WELLBEING_MIN_GROUP setting (the system check inspects it)."""
    return int(getattr(settings, "CARECORE_WELLBEING_MIN_GROUP", MIN_GROUP_FLOOR))


def min_group_size() -> int:
    """Return the smallest number of people a shown figure may describe (never below 5)."""
    try:
        return max(MIN_GROUP_FLOOR, configured_min_group())
    except (TypeError, ValueError):
        return MIN_GROUP_FLOOR


@dataclass(frozen=True)
class SubscaleFigures:
    median: float
    minimum: int
    maximum: int


@dataclass
class GroupFigures:
    """One group's figures; `suppressed` groups carry no numbers at all."""

    key: str
    name: str
    suppressed: bool = True
    count: int | None = None
    subscales: dict[str, SubscaleFigures] = field(default_factory=dict)


@dataclass
class AggregateReport:
    period_days: int
    min_group: int
    organisation: GroupFigures
    teams: list[GroupFigures]


def suppressed_groups(
    counts: Mapping[str, int], total: int, min_group: int
) -> tuple[frozenset[str], bool]:
    """Return (hidden group keys, whether the total is hidden) for groups partitioning `total`.

    Primary: hide every group under `min_group`. Complementary: while the total is shown and
    the hidden groups are exactly one, or together number fewer than `min_group`, also hide
    the smallest shown group; with none left, hide the total. So `total - shown` never
    isolates a single hidden group nor describes fewer than `min_group` people.
    """
    hidden = {key for key, count in counts.items() if count < min_group}
    total_hidden = total < min_group
    while not total_hidden and hidden:
        hidden_count = sum(counts[key] for key in hidden)
        if len(hidden) >= 2 and hidden_count >= min_group:
            break
        shown = sorted((count, key) for key, count in counts.items() if key not in hidden)
        if shown:
            hidden.add(shown[0][1])
        else:
            total_hidden = True
    return frozenset(hidden), total_hidden


def _figures(scores: list[dict[str, int]]) -> dict[str, SubscaleFigures]:
    figures: dict[str, SubscaleFigures] = {}
    for code in SUBSCALE_ORDER:
        values = [int(row[code]) for row in scores if code in row]
        if values:
            figures[code] = SubscaleFigures(
                median=statistics.median(values), minimum=min(values), maximum=max(values)
            )
    return figures


def _latest_checkins(since: datetime) -> list[CheckIn]:
    # One query: a correlated subquery picks each person's latest check-in in the period
    # (portable to SQLite, unlike DISTINCT ON); scores are encrypted, so figures are
    # computed in Python over the decrypted rows.
    latest = (
        CheckIn.objects.filter(person_id=OuterRef("person_id"), answered_at__gte=since)
        .order_by("-answered_at", "-pk")
        .values("pk")[:1]
    )
    return list(
        CheckIn.objects.filter(answered_at__gte=since, pk=Subquery(latest))
        .annotate(team_id=F("person__team_id"))
        .only("pk", "person_id", "scores", "answered_at")
    )


def wellbeing_aggregates_for(
    *, user: User | AnonymousUser, period_days: int = DEFAULT_PERIOD_DAYS
) -> AggregateReport:
    """Return the suppressed figures if `user` is a manager; audit one event without figures."""
    if not can_view_aggregates(user):
        wellbeing_denial_record(
            actor=user, purpose=Purpose.VIEW_AGGREGATES, reason=DenialReason.ROLE, target_type=""
        )
        raise CheckInNotFound
    min_group = min_group_size()
    since = timezone.now() - timedelta(days=period_days)
    rows = _latest_checkins(since)
    by_group: dict[str, list[dict[str, int]]] = {}
    for row in rows:
        team_id = row.team_id  # type: ignore[attr-defined]
        key = str(team_id) if team_id is not None else NO_TEAM_KEY
        by_group.setdefault(key, []).append(row.scores)
    names: dict[str, str] = {str(team.pk): team.name for team in Team.objects.all()}
    names[NO_TEAM_KEY] = str(NO_TEAM)
    # Teams with no contributor are left out of the partition: they add nothing to a total,
    # so they cannot make a subtraction safe, and are shown as suppressed like any small team.
    counts = {key: len(scores) for key, scores in by_group.items()}
    hidden, total_hidden = suppressed_groups(counts, len(rows), min_group)

    def group(key: str, name: str, scores: list[dict[str, int]], is_hidden: bool) -> GroupFigures:
        if is_hidden:
            return GroupFigures(key=key, name=name)
        return GroupFigures(
            key=key, name=name, suppressed=False, count=len(scores), subscales=_figures(scores)
        )

    teams = [
        group(
            key, names.get(key) or key, by_group.get(key, []), key in hidden or key not in by_group
        )
        for key in sorted(
            set(names) | set(by_group),
            key=lambda k: (k == NO_TEAM_KEY, (names.get(k) or k).lower()),
        )
        if key != NO_TEAM_KEY or key in by_group
    ]
    organisation = group(
        ORGANISATION, str(_("Whole organisation")), [row.scores for row in rows], total_hidden
    )
    audit_event_record(
        event_type=EventType.WELLBEING_AGGREGATES_VIEWED,
        actor=user,
        details={"period_days": period_days, "min_group": min_group},
    )
    return AggregateReport(
        period_days=period_days, min_group=min_group, organisation=organisation, teams=teams
    )
