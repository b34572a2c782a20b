"""Caseload figures: a reference computation on generated data, pro-rating, the figures pages,
who may open them (audited) and their query counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from patients.models import CareTeamMembership, Patient, PatientStatus, RiskLevel, Stage
from patients.selectors import caseload_figures
from patients.selectors.caseload import OPEN_STAGES
from supervision.models import CaseloadGuideline, WorkProfile
from supervision.permissions.caseload import CaseloadAction
from supervision.selectors import CaseloadFlag, caseload_assessments, pro_rated
from tests.factories import UserFactory
from tests.patients.factories import MembershipFactory, PatientFactory, clinician

from .factories import AgreementFactory, GuidelineFactory, WorkProfileFactory, supervisor_user

pytestmark = pytest.mark.django_db

NEW_CASE_DAYS = 30

# --- the reference computation ----------------------------------------------------------------


@dataclass(frozen=True)
class GenPatient:
    stage: str
    complexity: int | None
    risk: str
    # (clinician index, ended, days since the membership started)
    memberships: tuple[tuple[int, bool, int], ...]


@dataclass(frozen=True)
class GenClinician:
    fte_cents: int | None  # None: no work profile (full time, 20 %)
    non_patient_percent: int


clinicians_st = st.lists(
    st.builds(
        GenClinician,
        fte_cents=st.one_of(st.none(), st.integers(min_value=1, max_value=100)),
        non_patient_percent=st.integers(min_value=0, max_value=100),
    ),
    min_size=1,
    max_size=3,
)


def patients_st(clinician_count: int):
    membership = st.tuples(
        st.integers(min_value=0, max_value=clinician_count - 1),
        st.booleans(),
        st.integers(min_value=0, max_value=60),
    )
    return st.lists(
        st.builds(
            GenPatient,
            stage=st.sampled_from(Stage.values),
            complexity=st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
            risk=st.sampled_from(["", *RiskLevel.values]),
            memberships=st.lists(membership, max_size=3).map(tuple),
        ),
        max_size=8,
    )


guideline_st = st.tuples(
    st.integers(min_value=1, max_value=12),  # max active patients
    st.integers(min_value=1, max_value=40),  # max complexity points
    st.integers(min_value=1, max_value=4),  # min stages
)


def expected_limit(limit: int, fte_cents: int) -> Decimal:
    """Return limit * FTE to one decimal, half up, in integer arithmetic (not `pro_rated`)."""
    hundredths = limit * fte_cents
    tenths = (hundredths + 5) // 10
    return Decimal(tenths) / 10


def expected_figures(clinicians, patients, index):
    active = []
    for patient in patients:
        if patient.stage == Stage.CLOSED:
            continue
        starts = [days for who, ended, days in patient.memberships if who == index and not ended]
        if starts:
            active.append((patient, starts[0]))
    by_stage = {stage: sum(1 for p, _ in active if p.stage == stage) for stage in OPEN_STAGES}
    return {
        "active_patients": len(active),
        "complexity_points": sum(p.complexity or 0 for p, _ in active),
        "unrated": sum(1 for p, _ in active if p.complexity is None),
        "by_stage": by_stage,
        "high_risk": sum(1 for p, _ in active if p.risk == RiskLevel.HIGH),
        "new_cases": sum(
            1
            for patient, days in active
            if days < NEW_CASE_DAYS
            and not any(
                who == index and earlier >= NEW_CASE_DAYS
                for who, _ended, earlier in patient.memberships
            )
        ),
        "stages_present": sum(1 for count in by_stage.values() if count),
    }


def expected_assessment(figures, gen: GenClinician, guideline):
    max_patients_limit, max_points_limit, min_stages = guideline
    cents = gen.fte_cents if gen.fte_cents is not None else 100
    max_patients = expected_limit(max_patients_limit, cents)
    max_points = expected_limit(max_points_limit, cents)
    flags = []
    if figures["active_patients"] > max_patients:
        flags.append(CaseloadFlag.OVER_PATIENTS)
    if figures["complexity_points"] > max_points:
        flags.append(CaseloadFlag.OVER_COMPLEXITY)
    if figures["active_patients"] >= min_stages and figures["stages_present"] < min_stages:
        flags.append(CaseloadFlag.NARROW_STAGES)
    if figures["unrated"]:
        flags.append(CaseloadFlag.UNRATED)
    return {
        "fte": Decimal(cents) / 100,
        "non_patient_percent": gen.non_patient_percent if gen.fte_cents is not None else 20,
        "max_patients": max_patients,
        "max_points": max_points,
        "flags": tuple(flag.value for flag in flags),
    }


# --- writing the generated world ----------------------------------------------------------------


def _write(clinicians, patients, registrar, today):
    users = []
    for gen in clinicians:
        user = UserFactory(roles=[Role.CLINICIAN])
        if gen.fte_cents is not None:
            WorkProfile.objects.create(
                person=user,
                fte=Decimal(gen.fte_cents) / 100,
                non_patient_percent=gen.non_patient_percent,
            )
        users.append(user)
    for gen in patients:
        closed = gen.stage == Stage.CLOSED
        patient = Patient.objects.create(
            registered_by=registrar,
            preferred_name="Generated",
            stage=gen.stage,
            status=PatientStatus.CLOSED if closed else PatientStatus.ACTIVE,
            closed_on=today if closed else None,
            complexity=gen.complexity,
            risk_level=gen.risk,
        )
        active_seen = set()
        for who, ended, days in gen.memberships:
            start = today - dt.timedelta(days=days)
            CareTeamMembership.objects.create(
                patient=patient,
                clinician=users[who],
                start_date=start,
                end_date=start if ended or who in active_seen else None,
            )
            if not ended:
                active_seen.add(who)
    return users


def _effective(patients):
    """Return the patients as written: a second active membership of a pair was ended."""
    result = []
    for gen in patients:
        seen = set()
        memberships = []
        for who, ended, days in gen.memberships:
            memberships.append((who, ended or who in seen, days))
            if not ended:
                seen.add(who)
        result.append(
            GenPatient(gen.stage, gen.complexity, gen.risk, memberships=tuple(memberships))
        )
    return result


@st.composite
def worlds(draw):
    clinicians = draw(clinicians_st)
    patients = draw(patients_st(len(clinicians)))
    return clinicians, patients, draw(guideline_st)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_figures_and_assessments_equal_a_reference_computation(world):
    clinicians, patients, guideline_values = world
    today = timezone.localdate()
    # One savepoint per example, rolled back: each example starts from an empty caseload.
    with transaction.atomic():
        registrar = UserFactory(roles=[Role.RECEPTION])
        users = _write(clinicians, patients, registrar, today)
        guideline = CaseloadGuideline.objects.create(
            max_active_patients=guideline_values[0],
            max_complexity_points=guideline_values[1],
            min_stages=guideline_values[2],
        )
        ids = [user.pk for user in users]

        figures = caseload_figures(clinician_ids=ids, new_case_days=NEW_CASE_DAYS, today=today)
        assessments = caseload_assessments(clinician_ids=ids, today=today)

        effective = _effective(patients)
        for index, user in enumerate(users):
            expected = expected_figures(clinicians, effective, index)
            got = figures[user.pk]
            assert {
                "active_patients": got.active_patients,
                "complexity_points": got.complexity_points,
                "unrated": got.unrated,
                "by_stage": got.by_stage,
                "high_risk": got.high_risk,
                "new_cases": got.new_cases,
                "stages_present": got.stages_present,
            } == expected
            assessment = assessments[user.pk]
            assert assessment.figures == got
            assert {
                "fte": assessment.fte,
                "non_patient_percent": assessment.non_patient_percent,
                "max_patients": assessment.max_patients,
                "max_points": assessment.max_points,
                "flags": assessment.flags,
            } == expected_assessment(expected, clinicians[index], guideline_values)
            assert assessment.min_stages == guideline.min_stages
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    ("limit", "fte", "expected"),
    [
        (20, "1.00", "20.0"),
        (20, "0.85", "17.0"),
        (50, "0.33", "16.5"),
        (3, "0.15", "0.5"),  # 0.45 rounds half up, not to even
        (18, "0.25", "4.5"),
        (7, "0.01", "0.1"),  # 0.07 rounds up to the first tenth
    ],
)
def test_limits_are_pro_rated_by_fte_half_up(limit, fte, expected):
    assert pro_rated(limit, Decimal(fte)) == Decimal(expected)


def test_a_case_held_before_the_window_is_not_new_after_a_role_change():
    today = timezone.localdate()
    person = clinician()
    patient = PatientFactory()
    MembershipFactory(
        patient=patient,
        clinician=person,
        start_date=today - dt.timedelta(days=200),
        end_date=today - dt.timedelta(days=3),
    )
    MembershipFactory(patient=patient, clinician=person, start_date=today - dt.timedelta(days=3))

    figures = caseload_figures(clinician_ids=[person.pk], new_case_days=30, today=today)

    assert figures[person.pk].active_patients == 1
    assert figures[person.pk].new_cases == 0


def test_new_cases_count_memberships_started_within_the_last_days():
    today = timezone.localdate()
    person = clinician()
    for days in (0, 29, 30, 45):
        MembershipFactory(clinician=person, start_date=today - dt.timedelta(days=days))

    figures = caseload_figures(clinician_ids=[person.pk], new_case_days=30, today=today)

    assert figures[person.pk].new_cases == 2
    assert figures[person.pk].active_patients == 4


def test_caseload_assessments_take_a_fixed_number_of_queries():
    people = [clinician() for _ in range(3)]
    many = [clinician() for _ in range(12)]
    for person in people + many:
        MembershipFactory(clinician=person)
        WorkProfileFactory(person=person, fte=Decimal("0.50"))
    GuidelineFactory()

    with CaptureQueriesContext(connection) as few_queries:
        caseload_assessments(clinician_ids=[p.pk for p in people])
    with CaptureQueriesContext(connection) as many_queries:
        caseload_assessments(clinician_ids=[p.pk for p in people + many])

    assert len(few_queries) == len(many_queries) == 3


# --- the figures pages ------------------------------------------------------------------------


def _denied(actor, action):
    return AuditEvent.objects.filter(
        event_type=EventType.ACCESS_DENIED,
        actor=actor,
        outcome=Outcome.DENIED,
        details__action=action,
    )


def _viewed(actor):
    return AuditEvent.objects.filter(event_type=EventType.CASELOAD_FIGURES_VIEWED, actor=actor)


@pytest.fixture
def world(clinician, supervisor, other_clinician):
    AgreementFactory(supervisor=supervisor, supervisee=clinician)
    WorkProfileFactory(person=clinician, fte=Decimal("0.50"), non_patient_percent=30)
    GuidelineFactory(max_active_patients=4, max_complexity_points=10, min_stages=2)
    today = timezone.localdate()
    rated = [(Stage.INTAKE, 5, RiskLevel.HIGH), (Stage.INTAKE, 4, RiskLevel.LOW)]
    patients = [
        PatientFactory(stage=stage, complexity=complexity, risk_level=risk)
        for stage, complexity, risk in rated
    ]
    patients.append(PatientFactory(stage=Stage.INTAKE, complexity=None))
    for patient in patients:
        MembershipFactory(patient=patient, clinician=clinician, start_date=today)
    # Someone else's patient and an ended membership count for nobody here.
    MembershipFactory(clinician=other_clinician)
    MembershipFactory(clinician=clinician, start_date=today, end_date=today)
    return patients


def test_a_clinician_sees_their_own_figures_and_flags_without_an_audit_of_it(
    client, sign_in, clinician, world
):
    sign_in(clinician)

    response = client.get(reverse("supervision:my_caseload"))

    assert response.status_code == 200
    assessment = response.context["assessment"]
    assert assessment.figures.active_patients == 3
    assert assessment.figures.complexity_points == 9
    assert assessment.figures.unrated == 1
    assert assessment.figures.high_risk == 1
    assert assessment.figures.new_cases == 3
    assert assessment.fte == Decimal("0.50")
    assert assessment.max_patients == Decimal("2.0")
    assert assessment.max_points == Decimal("5.0")
    assert assessment.patient_headroom == Decimal("-1.0")
    assert assessment.flags == (
        CaseloadFlag.OVER_PATIENTS,
        CaseloadFlag.OVER_COMPLEXITY,
        CaseloadFlag.NARROW_STAGES,
        CaseloadFlag.UNRATED,
    )
    content = response.content.decode()
    for flag in CaseloadFlag:
        assert str(flag.label) in content  # flags as text, not colour only
    for patient in world:
        assert patient.case_code not in content
    assert "30%" in content
    assert not _viewed(clinician).exists()


def test_the_own_id_url_shows_the_same_page_unaudited(client, sign_in, clinician, world):
    sign_in(clinician)

    response = client.get(reverse("supervision:clinician_caseload", args=[clinician.pk]))

    assert response.status_code == 200
    assert response.context["is_own"] is True
    assert not _viewed(clinician).exists()


@pytest.mark.parametrize("viewer", ["supervisor", "manager"])
def test_the_supervisor_and_a_manager_see_the_figures_audited(
    client, sign_in, request, clinician, world, viewer
):
    user = request.getfixturevalue(viewer)
    sign_in(user)

    response = client.get(reverse("supervision:clinician_caseload", args=[clinician.pk]))

    assert response.status_code == 200
    assert response.context["assessment"].figures.active_patients == 3
    (event,) = _viewed(user)
    assert event.details == {"clinician": clinician.pk}
    assert event.target_id == str(clinician.pk)


@pytest.mark.parametrize("viewer", ["other_clinician", "admin_user", "reception", "other_sup"])
def test_anyone_else_gets_404_and_an_audited_refusal(
    client, sign_in, request, clinician, world, viewer
):
    user = supervisor_user() if viewer == "other_sup" else request.getfixturevalue(viewer)
    sign_in(user)

    response = client.get(reverse("supervision:clinician_caseload", args=[clinician.pk]))

    assert response.status_code == 404
    (event,) = _denied(user, CaseloadAction.VIEW_FIGURES)
    assert event.details == {"action": CaseloadAction.VIEW_FIGURES, "reason": "relationship"}
    assert event.target_id == str(clinician.pk)
    assert not _viewed(user).exists()


def test_a_former_supervisor_is_refused(client, sign_in, clinician, supervisor, world):
    from supervision.models import SupervisionAgreement

    SupervisionAgreement.objects.filter(supervisor=supervisor).update(
        active=False, ended_on=timezone.localdate()
    )
    sign_in(supervisor)

    response = client.get(reverse("supervision:clinician_caseload", args=[clinician.pk]))

    assert response.status_code == 404
    assert _denied(supervisor, CaseloadAction.VIEW_FIGURES).count() == 1


def test_a_missing_or_non_clinician_user_is_the_same_404(client, sign_in, manager, reception):
    sign_in(manager)

    missing = client.get(reverse("supervision:clinician_caseload", args=[999999]))
    not_clinician = client.get(reverse("supervision:clinician_caseload", args=[reception.pk]))

    assert missing.status_code == not_clinician.status_code == 404
    reasons = list(
        _denied(manager, CaseloadAction.VIEW_FIGURES).values_list("details__reason", flat=True)
    )
    assert reasons == ["not_found", "not_found"]


@pytest.mark.parametrize("who", ["manager", "admin_user", "reception"])
def test_my_caseload_needs_the_clinician_role(client, sign_in, request, who):
    user = request.getfixturevalue(who)
    sign_in(user)

    response = client.get(reverse("supervision:my_caseload"))

    assert response.status_code == 404
    (event,) = _denied(user, CaseloadAction.VIEW_FIGURES)
    assert event.details["reason"] == "role"


def test_the_next_review_due_is_shown(client, sign_in, clinician, world):
    sign_in(clinician)

    response = client.get(reverse("supervision:my_caseload"))

    status = response.context["review_status"]
    assert status is not None and status.clinician_id == clinician.pk
    assert status.due_on == timezone.localdate() + dt.timedelta(weeks=12)
    assert response.context["may_record_review"] is False


def _count_queries(client, url) -> int:
    client.get(url)  # once-only work (session bookkeeping) stays out of the measure
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("viewer", ["self", "supervisor"])
def test_the_figures_page_query_count_does_not_grow_with_patients(client, sign_in, viewer):
    counts = []
    for size in (5, 50):
        person = clinician()
        boss = supervisor_user()
        AgreementFactory(supervisor=boss, supervisee=person)
        for index in range(size):
            patient = PatientFactory(stage=Stage.values[index % 4], complexity=index % 6 or None)
            MembershipFactory(patient=patient, clinician=person)
        sign_in(person if viewer == "self" else boss)
        counts.append(
            _count_queries(client, reverse("supervision:clinician_caseload", args=[person.pk]))
        )

    assert counts[0] == counts[1]
