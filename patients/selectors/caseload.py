"""Caseload figures per clinician, computed from active care team memberships in one query.

Counts only, never a case code: the dashboards that compose these figures decide whose
figures a user may see, and audit the view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import CareTeamMembership, PatientStatus, RiskLevel, Stage

# The stages of an open case; a closed patient is never on a caseload.
OPEN_STAGES: tuple[str, ...] = tuple(s for s in Stage.values if s != Stage.CLOSED)
# (code, label) of the open stages, in care order, for pages that show the stage mix.
OPEN_STAGE_CHOICES: tuple[tuple[str, Any], ...] = tuple(
    (code, label) for code, label in Stage.choices if code != Stage.CLOSED
)


@dataclass(frozen=True)
class ClinicianCaseload:
    """One clinician's active caseload.

    `complexity_points` sums the complexity ratings (1-5) of the active patients; patients not
    yet rated count in `unrated` and add no points. `new_cases` are memberships that started
    within the last `new_case_days` days, for a patient the clinician was not already on the
    team of before then (new to this clinician, whatever the patient's age).
    """

    clinician_id: int
    active_patients: int
    complexity_points: int
    unrated: int
    by_stage: dict[str, int]
    high_risk: int
    new_cases: int

    @property
    def stages_present(self) -> int:
        """Return how many different stages of care the caseload spans."""
        return sum(1 for count in self.by_stage.values() if count)


def _empty(clinician_id: int) -> ClinicianCaseload:
    return ClinicianCaseload(
        clinician_id=clinician_id,
        active_patients=0,
        complexity_points=0,
        unrated=0,
        by_stage=dict.fromkeys(OPEN_STAGES, 0),
        high_risk=0,
        new_cases=0,
    )


def caseload_figures(
    *, clinician_ids: Iterable[int], new_case_days: int = 30, today: dt.date | None = None
) -> dict[int, ClinicianCaseload]:
    """Return the caseload of each clinician in `clinician_ids` (zeros for an empty one)."""
    ids = sorted(set(clinician_ids))
    if not ids:
        return {}
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=new_case_days)
    aggregates: dict[str, Any] = {
        "active_patients": Count("patient_id", distinct=True),
        "complexity_points": Coalesce(Sum("patient__complexity"), 0),
        "unrated": Count("patient_id", filter=Q(patient__complexity__isnull=True)),
        "high_risk": Count("patient_id", filter=Q(patient__risk_level=RiskLevel.HIGH)),
        # New to this clinician: a role change or a transfer ends one membership and starts
        # another, so a case the clinician already held before the window is not new.
        "new_cases": Count(
            "patient_id",
            filter=Q(start_date__gt=since)
            & ~Q(
                Exists(
                    CareTeamMembership.objects.filter(
                        patient_id=OuterRef("patient_id"),
                        clinician_id=OuterRef("clinician_id"),
                        start_date__lte=since,
                    )
                )
            ),
        ),
    }
    for stage in OPEN_STAGES:
        aggregates[f"stage_{stage}"] = Count("patient_id", filter=Q(patient__stage=stage))
    rows = (
        CareTeamMembership.objects.active()
        .filter(clinician_id__in=ids, patient__status=PatientStatus.ACTIVE)
        .order_by()
        .values("clinician_id")
        .annotate(**aggregates)
    )
    figures = {clinician_id: _empty(clinician_id) for clinician_id in ids}
    for row in rows:
        figures[row["clinician_id"]] = ClinicianCaseload(
            clinician_id=row["clinician_id"],
            active_patients=row["active_patients"],
            complexity_points=row["complexity_points"],
            unrated=row["unrated"],
            by_stage={stage: row[f"stage_{stage}"] for stage in OPEN_STAGES},
            high_risk=row["high_risk"],
            new_cases=row["new_cases"],
        )
    return figures
