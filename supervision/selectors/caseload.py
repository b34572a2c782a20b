"""Each clinician's caseload against the organisation's guidelines, pro-rated by FTE."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from patients.selectors import ClinicianCaseload, caseload_figures

from .. import conf
from ..models import CaseloadGuideline, WorkProfile

FULL_TIME = Decimal("1.00")
DEFAULT_NON_PATIENT_PERCENT = 20


class CaseloadFlag(models.TextChoices):
    OVER_PATIENTS = "over_patients", _("More active patients than the guideline")
    OVER_COMPLEXITY = "over_complexity", _("More complexity points than the guideline")
    NARROW_STAGES = "narrow_stages", _("Too few stages of care")
    UNRATED = "unrated", _("Patients without a complexity rating")


def guideline_current() -> CaseloadGuideline:
    """Return the guidelines in force: the newest row, or the defaults (unsaved) if none."""
    latest = CaseloadGuideline.objects.order_by("-changed_at", "-id").first()
    return latest if latest is not None else CaseloadGuideline()


def pro_rated(limit: int, fte: Decimal) -> Decimal:
    """Return `limit` scaled by `fte`, to one decimal place (half up)."""
    return (Decimal(limit) * fte).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CaseloadAssessment:
    """One clinician's caseload figures beside their pro-rated limits, with the flags raised."""

    figures: ClinicianCaseload
    fte: Decimal
    non_patient_percent: int
    max_patients: Decimal
    max_points: Decimal
    min_stages: int
    flags: tuple[str, ...]

    @property
    def clinician_id(self) -> int:
        return self.figures.clinician_id

    @property
    def patient_headroom(self) -> Decimal:
        """Return how many more active patients fit under the guideline (negative: over)."""
        return self.max_patients - self.figures.active_patients

    @property
    def points_headroom(self) -> Decimal:
        """Return how many more complexity points fit under the guideline (negative: over)."""
        return self.max_points - self.figures.complexity_points

    @property
    def flagged(self) -> bool:
        """Return whether a limit is exceeded or the stage mix is too narrow."""
        return any(flag != CaseloadFlag.UNRATED for flag in self.flags)


def assess(
    figures: ClinicianCaseload,
    *,
    guideline: CaseloadGuideline,
    fte: Decimal = FULL_TIME,
    non_patient_percent: int = DEFAULT_NON_PATIENT_PERCENT,
) -> CaseloadAssessment:
    """Return `figures` assessed against `guideline` for a clinician working `fte`."""
    max_patients = pro_rated(guideline.max_active_patients, fte)
    max_points = pro_rated(guideline.max_complexity_points, fte)
    flags = []
    if figures.active_patients > max_patients:
        flags.append(CaseloadFlag.OVER_PATIENTS.value)
    if figures.complexity_points > max_points:
        flags.append(CaseloadFlag.OVER_COMPLEXITY.value)
    # The spread is judged only once the caseload could span that many stages.
    if (
        figures.active_patients >= guideline.min_stages
        and figures.stages_present < guideline.min_stages
    ):
        flags.append(CaseloadFlag.NARROW_STAGES.value)
    if figures.unrated:
        flags.append(CaseloadFlag.UNRATED.value)
    return CaseloadAssessment(
        figures=figures,
        fte=fte,
        non_patient_percent=non_patient_percent,
        max_patients=max_patients,
        max_points=max_points,
        min_stages=guideline.min_stages,
        flags=tuple(flags),
    )


def caseload_assessments(
    *,
    clinician_ids: Iterable[int],
    guideline: CaseloadGuideline | None = None,
    today: dt.date | None = None,
) -> dict[int, CaseloadAssessment]:
    """Return each clinician's assessed caseload, in three queries whatever the number."""
    ids = sorted(set(clinician_ids))
    guideline = guideline or guideline_current()
    figures = caseload_figures(clinician_ids=ids, new_case_days=conf.new_case_days(), today=today)
    profiles = {
        person_id: (fte, percent)
        for person_id, fte, percent in WorkProfile.objects.filter(person_id__in=ids).values_list(
            "person_id", "fte", "non_patient_percent"
        )
    }
    # Without a work profile a clinician counts as full time with the default share.
    default = (FULL_TIME, DEFAULT_NON_PATIENT_PERCENT)
    assessments = {}
    for clinician_id in ids:
        fte, percent = profiles.get(clinician_id, default)
        assessments[clinician_id] = assess(
            figures[clinician_id], guideline=guideline, fte=fte, non_patient_percent=percent
        )
    return assessments


def caseload_assessment_of(
    clinician_id: int, *, guideline: CaseloadGuideline | None = None, today: dt.date | None = None
) -> CaseloadAssessment:
    """Return one clinician's assessed caseload (no access check: callers decide who sees it)."""
    return caseload_assessments(clinician_ids=[clinician_id], guideline=guideline, today=today)[
        clinician_id
    ]


def caseload_snapshot(
    assessment: CaseloadAssessment, *, guideline: CaseloadGuideline
) -> dict[str, object]:
    """Return the figures of `assessment` as a JSON-ready dict of numbers and flag codes.

    Counts, limits (as JSON numbers) and enum codes only, never a case code: a review keeps
    this for good.
    """
    figures = assessment.figures
    return {
        "active_patients": figures.active_patients,
        "complexity_points": figures.complexity_points,
        "unrated": figures.unrated,
        "by_stage": dict(figures.by_stage),
        "high_risk": figures.high_risk,
        "new_cases": figures.new_cases,
        "new_case_days": conf.new_case_days(),
        "fte": float(assessment.fte),
        "non_patient_percent": assessment.non_patient_percent,
        "max_patients": float(assessment.max_patients),
        "max_points": float(assessment.max_points),
        "min_stages": assessment.min_stages,
        "flags": list(assessment.flags),
        "guideline_id": guideline.pk,
    }
