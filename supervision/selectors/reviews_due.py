"""When each supervised clinician's next caseload review is due.

Reviews are held by the supervisor with the clinician every `review_cadence_weeks` of the
guidelines in force. With no review yet, the clock starts at the supervision agreement's
start. Due on the day the cadence has passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from ..models import CaseloadGuideline, CaseloadReview, SupervisionAgreement
from .caseload import guideline_current


@dataclass(frozen=True)
class ReviewStatus:
    """The caseload review status of one supervised clinician."""

    clinician_id: int
    supervisor_id: int
    last_review_on: dt.date | None
    due_on: dt.date
    due: bool


def review_statuses(
    *,
    clinician_ids: Iterable[int] | None = None,
    supervisor_id: int | None = None,
    guideline: CaseloadGuideline | None = None,
    today: dt.date | None = None,
) -> list[ReviewStatus]:
    """Return the review status of each actively supervised clinician, due first."""
    today = today or timezone.localdate()
    guideline = guideline or guideline_current()
    cadence = dt.timedelta(weeks=guideline.review_cadence_weeks)
    agreements = SupervisionAgreement.objects.filter(active=True)
    if clinician_ids is not None:
        agreements = agreements.filter(supervisee_id__in=list(clinician_ids))
    if supervisor_id is not None:
        agreements = agreements.filter(supervisor_id=supervisor_id)
    latest = (
        CaseloadReview.objects.filter(clinician_id=OuterRef("supervisee_id"))
        .order_by()
        .values("clinician_id")
        .annotate(latest=Max("held_on"))
        .values("latest")
    )
    rows = agreements.annotate(last_review_on=Subquery(latest)).values_list(
        "supervisee_id", "supervisor_id", "started_on", "last_review_on"
    )
    statuses = []
    for clinician_id, supervisor, started_on, last_review_on in rows:
        due_on = (last_review_on or started_on) + cadence
        statuses.append(
            ReviewStatus(
                clinician_id=clinician_id,
                supervisor_id=supervisor,
                last_review_on=last_review_on,
                due_on=due_on,
                due=today >= due_on,
            )
        )
    statuses.sort(key=lambda s: (not s.due, s.due_on, s.clinician_id))
    return statuses
