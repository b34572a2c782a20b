"""Dashboards: query counts do not grow with the number of clinicians, patients or sessions.

Each page, chart and CSV is measured with 5 clinicians, then again with 50 (each with patients,
held and scheduled sessions, an agreement, an action, a transfer request, a caseload review, a
job description and a shared wellbeing result); the counts must be equal.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecore.accounts.models import Team
from carecore.accounts.roles import Role
from patients.models import RiskLevel, Stage
from staffwellbeing.models import JobDescription
from supervision.models import SessionKind, SessionStatus
from tests.factories import UserFactory
from tests.patients.factories import MembershipFactory, PatientFactory
from tests.staffwellbeing.factories import make_checkin, share

from .factories import (
    ActionFactory,
    AgreementFactory,
    GroupFactory,
    GroupMemberFactory,
    ReviewFactory,
    SessionFactory,
    TransferFactory,
    WorkProfileFactory,
)

pytestmark = pytest.mark.django_db

STAGES = [Stage.INTAKE, Stage.STABILISATION, Stage.RECOVERY, Stage.REINTEGRATION]


def _add_clinicians(count: int, *, prefix: str, supervisor) -> None:
    """Add `count` clinicians supervised by `supervisor`, each with a full set of rows."""
    team = Team.objects.create(name=f"Team {prefix}")
    now = timezone.now()
    for index in range(count):
        person = UserFactory(username=f"{prefix}{index}", roles=[Role.CLINICIAN], team=team)
        WorkProfileFactory(person=person, fte="0.80")
        AgreementFactory(
            supervisor=supervisor,
            supervisee=person,
            started_on=timezone.localdate() - dt.timedelta(days=120),
        )
        patients = []
        for stage_index in range(2):
            patient = PatientFactory(
                stage=STAGES[(index + stage_index) % 4],
                complexity=1 + index % 5,
                risk_level=RiskLevel.HIGH if index % 3 == 0 else RiskLevel.LOW,
            )
            MembershipFactory(patient=patient, clinician=person)
            patients.append(patient)
        held = SessionFactory(
            host=supervisor,
            supervisee=person,
            status=SessionStatus.HELD,
            starts_at=now - dt.timedelta(days=10 + index * 2),
        )
        SessionFactory(host=supervisor, supervisee=person, starts_at=now + dt.timedelta(days=3))
        ActionFactory(session=held, owner=person, description="Action")
        TransferFactory(patient=patients[0], requester=person, supervisor=supervisor)
        ReviewFactory(clinician=person, reviewer=supervisor)
        JobDescription.objects.create(
            person=person,
            goals="Goals",
            limits="Limits",
            support_options="Support",
            review_due_on=timezone.localdate() - dt.timedelta(days=1),
        )
        share(make_checkin(person, value=1 + index % 10), supervisor)


def _add_own_rows(count: int, *, person) -> None:
    """Give `person` `count` more patients, sessions, group sessions, actions and requests."""
    now = timezone.now()
    for index in range(count):
        patient = PatientFactory(stage=STAGES[index % 4], complexity=1 + index % 5)
        MembershipFactory(patient=patient, clinician=person)
        session = SessionFactory(supervisee=person, starts_at=now + dt.timedelta(days=1 + index))
        SessionFactory(
            supervisee=person, status=SessionStatus.HELD, starts_at=now - dt.timedelta(days=index)
        )
        group = GroupFactory()
        GroupMemberFactory(group=group, member=person)
        SessionFactory(
            kind=SessionKind.GROUP,
            host=group.facilitator,
            supervisee=None,
            group=group,
            starts_at=now + dt.timedelta(hours=5 + index),
        )
        ActionFactory(session=session, owner=person, description=f"Action {index}")
        TransferFactory(patient=patient, requester=person)


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def _counts(client, urls: list[str]) -> dict[str, int]:
    for url in urls:
        client.get(url)  # warm per-process caches (content types, sessions)
    return {url: _count(client, url) for url in urls}


def _urls(dashboard: str, page_name: str, tables: list[str]) -> list[str]:
    return [
        reverse(page_name),
        *(
            reverse("supervision:dashboard_chart", args=[f"{dashboard}-{kind}"])
            for kind in ("caseload", "stages")
        ),
        *(reverse("supervision:dashboard_csv", args=[dashboard, table]) for table in tables),
    ]


def test_manager_dashboard_queries_do_not_grow_from_5_to_50_clinicians(
    manager, supervisor, sign_in
):
    client = sign_in(manager)
    urls = _urls(
        "manager",
        "supervision:dashboard_manager",
        ["clinicians", "stages", "transfers", "job-reviews"],
    )
    _add_clinicians(5, prefix="few", supervisor=supervisor)
    few = _counts(client, urls)
    _add_clinicians(45, prefix="many", supervisor=supervisor)

    many = _counts(client, urls)

    assert many == few
    page = client.get(urls[0])
    assert page.context["data"].summary.people == 51  # the supervisor is a clinician too
    assert len(page.context["page_obj"].object_list) == 50


def test_supervisor_dashboard_queries_do_not_grow_from_5_to_50_supervisees(supervisor, sign_in):
    client = sign_in(supervisor)
    urls = _urls(
        "supervisor", "supervision:dashboard_supervisor", ["supervisees", "stages", "transfers"]
    )
    _add_clinicians(5, prefix="few", supervisor=supervisor)
    few = _counts(client, urls)
    _add_clinicians(45, prefix="many", supervisor=supervisor)

    many = _counts(client, urls)

    assert many == few
    data = client.get(urls[0]).context["data"]
    assert data.summary.people == 50
    assert len(data.transfers) == 50
    assert len(data.shared_results) == 50


def test_my_dashboard_queries_do_not_grow_from_5_to_50_sessions_and_patients(
    clinician, supervisor, sign_in
):
    client = sign_in(clinician)
    AgreementFactory(supervisor=supervisor, supervisee=clinician)
    urls = _urls(
        "me",
        "supervision:dashboard_me",
        ["caseload", "stages", "sessions", "actions", "transfers"],
    )
    _add_own_rows(5, person=clinician)
    # Other clinicians' rows must not change the count either.
    _add_clinicians(5, prefix="few", supervisor=supervisor)
    few = _counts(client, urls)
    _add_own_rows(45, person=clinician)
    _add_clinicians(45, prefix="many", supervisor=supervisor)

    many = _counts(client, urls)

    assert many == few
    data = client.get(urls[0]).context["data"]
    assert data.me.caseload.figures.active_patients == 50
    assert len(data.sessions) == 10
