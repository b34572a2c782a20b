"""The shared selectors: supervision status at the cadence boundary, review due dates, and the
caseload assessment against pro-rated guidelines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from patients.models import CareTeamMembership, RiskLevel, Stage
from supervision.models import SessionStatus
from supervision.selectors import (
    CaseloadFlag,
    caseload_assessments,
    review_statuses,
    supervision_statuses,
)
from tests.patients.factories import MembershipFactory, PatientFactory

from .factories import (
    AgreementFactory,
    GuidelineFactory,
    ReviewFactory,
    SessionFactory,
    WorkProfileFactory,
)

pytestmark = pytest.mark.django_db


def test_overdue_is_exact_at_the_cadence_boundary():
    agreement = AgreementFactory(cadence_weeks=2)
    held = timezone.now() - dt.timedelta(days=30)
    SessionFactory(
        host=agreement.supervisor,
        supervisee=agreement.supervisee,
        starts_at=held,
        status=SessionStatus.HELD,
    )
    boundary = held + dt.timedelta(weeks=2)

    (at_boundary,) = supervision_statuses(supervisee_ids=[agreement.supervisee_id], now=boundary)
    (after,) = supervision_statuses(
        supervisee_ids=[agreement.supervisee_id], now=boundary + dt.timedelta(microseconds=1)
    )

    assert at_boundary.last_held_at == held
    assert at_boundary.due_at == boundary
    assert at_boundary.overdue is False
    assert after.overdue is True


def test_missed_and_cancelled_sessions_do_not_count_as_held():
    agreement = AgreementFactory(cadence_weeks=1, started_on=timezone.localdate())
    for status in (SessionStatus.MISSED, SessionStatus.SCHEDULED):
        SessionFactory(
            host=agreement.supervisor,
            supervisee=agreement.supervisee,
            starts_at=timezone.now() - dt.timedelta(days=1),
            status=status,
        )
    upcoming = SessionFactory(host=agreement.supervisor, supervisee=agreement.supervisee)

    (status,) = supervision_statuses(supervisor_id=agreement.supervisor_id)

    assert status.last_held_at is None
    assert status.next_scheduled_at == upcoming.starts_at
    assert status.due_at.date() == timezone.localdate() + dt.timedelta(weeks=1)


def test_review_due_from_the_last_review_or_the_agreement_start():
    GuidelineFactory(review_cadence_weeks=4)
    today = timezone.localdate()
    never = AgreementFactory(started_on=today - dt.timedelta(weeks=4))
    recent = AgreementFactory(started_on=today - dt.timedelta(weeks=30))
    ReviewFactory(clinician=recent.supervisee, held_on=today - dt.timedelta(weeks=4, days=-1))

    statuses = {s.clinician_id: s for s in review_statuses(today=today)}

    assert statuses[never.supervisee_id].due is True
    assert statuses[never.supervisee_id].due_on == today
    assert statuses[recent.supervisee_id].due is False


def test_caseload_assessment_pro_rates_limits_by_fte_and_flags():
    guideline = GuidelineFactory(max_active_patients=4, max_complexity_points=10, min_stages=2)
    half = WorkProfileFactory(fte=Decimal("0.50"))
    for complexity in (3, 3, 1):
        MembershipFactory(
            clinician=half.person,
            patient=PatientFactory(
                stage=Stage.RECOVERY, complexity=complexity, risk_level=RiskLevel.HIGH
            ),
        )

    assessment = caseload_assessments(clinician_ids=[half.person_id], guideline=guideline)[
        half.person_id
    ]

    assert assessment.max_patients == Decimal("2.0")
    assert assessment.max_points == Decimal("5.0")
    assert assessment.figures.active_patients == 3
    assert assessment.figures.complexity_points == 7
    assert assessment.figures.high_risk == 3
    assert assessment.flags == (
        CaseloadFlag.OVER_PATIENTS,
        CaseloadFlag.OVER_COMPLEXITY,
        CaseloadFlag.NARROW_STAGES,
    )
    assert assessment.patient_headroom == Decimal("-1.0")


def test_ended_memberships_and_closed_patients_are_not_counted():
    membership = MembershipFactory(patient=PatientFactory(stage=Stage.INTAKE, complexity=2))
    MembershipFactory(
        clinician=membership.clinician, end_date=timezone.localdate(), patient=PatientFactory()
    )
    CareTeamMembership.objects.create(
        clinician=membership.clinician,
        patient=PatientFactory(status="closed", stage=Stage.CLOSED, closed_on=timezone.localdate()),
    )

    figures = caseload_assessments(clinician_ids=[membership.clinician_id])[
        membership.clinician_id
    ].figures

    assert figures.active_patients == 1
    assert figures.by_stage[Stage.INTAKE] == 1
    assert figures.new_cases == 1
