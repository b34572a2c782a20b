"""The supervision demo data gives every dashboard something true to show, once; the scale
data adds sessions for the whole roster."""

from __future__ import annotations

import re
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db.models import F

from carecore.accounts.models import User
from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from supervision.models import (
    CaseDiscussed,
    CaseloadReview,
    CaseTransferRequest,
    SessionPurpose,
    SessionStatus,
    SupervisionAgreement,
    SupervisionGroup,
    SupervisionSession,
    TransferStatus,
)
from supervision.seeding import supervision_bulk_seed
from supervision.selectors import caseload_assessments, review_statuses, supervision_statuses
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_settings(settings):
    settings.CARECORE_DEMO = True
    settings.DEBUG = False
    return settings


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _user(username: str) -> User:
    return User.objects.get(username=username)


def test_demo_shows_one_supervisee_on_time_and_one_overdue(demo_settings):
    output = _seed()

    assert re.search(r"Supervision: \d+ sessions .* \d+ reminder periods", output)
    statuses = {s.supervisee_id: s for s in supervision_statuses()}
    assert statuses[_user("clinician").pk].overdue is False
    assert statuses[_user("clinician2").pk].overdue is True
    assert statuses[_user("clinician").pk].next_scheduled_at is not None


def test_demo_caseload_flags_the_part_time_clinician_and_a_review_is_due(demo_settings):
    _seed()
    clinician, clinician2 = _user("clinician"), _user("clinician2")

    assessments = caseload_assessments(clinician_ids=[clinician.pk, clinician2.pk])
    due = {
        s.clinician_id: s.due for s in review_statuses(clinician_ids=[clinician.pk, clinician2.pk])
    }

    assert assessments[clinician.pk].flagged is False
    assert assessments[clinician2.pk].flagged is True
    assert due == {clinician.pk: False, clinician2.pk: True}
    assert CaseloadReview.objects.filter(clinician__in=[clinician, clinician2]).get().clinician == (
        clinician
    )


def test_demo_has_history_logs_cases_a_management_meeting_and_a_pending_transfer(demo_settings):
    _seed()

    held = SupervisionSession.objects.filter(status=SessionStatus.HELD)
    assert held.filter(purpose=SessionPurpose.MANAGEMENT).count() == 1
    pair = [_user("clinician"), _user("clinician2")]
    missed = SupervisionSession.objects.filter(status=SessionStatus.MISSED, supervisee__in=pair)
    assert missed.count() == 2
    assert held.filter(log__isnull=True).count() == 0
    assert CaseDiscussed.objects.exists()
    for case in CaseDiscussed.objects.select_related("session"):
        # Every case discussed is on the presenting supervisee's own caseload.
        assert case.presented_by.care_team_memberships.filter(
            patient_id=case.patient_id, end_date__isnull=True
        ).exists()
    transfer = CaseTransferRequest.objects.get()
    assert (transfer.requester.username, transfer.status) == (
        "clinician2",
        TransferStatus.REQUESTED,
    )
    assert SupervisionGroup.objects.get().memberships.count() == 2
    assert AuditEvent.objects.filter(event_type=EventType.SUPERVISION_DATA_SEEDED).count() == 1


def test_demo_supervision_is_written_once(demo_settings):
    _seed()
    counts = (SupervisionSession.objects.count(), SupervisionAgreement.objects.count())

    output = _seed()

    assert "Supervision: already present (left unchanged)." in output
    assert (SupervisionSession.objects.count(), SupervisionAgreement.objects.count()) == counts


def test_scale_seed_gives_every_clinician_an_agreement_and_sessions():
    supervisors = [UserFactory(roles=[Role.SUPERVISOR, Role.CLINICIAN]) for _ in range(2)]
    clinicians = [UserFactory(roles=[Role.CLINICIAN]) for _ in range(10)]

    counts = supervision_bulk_seed()

    everyone = [*supervisors, *clinicians]
    supervised = set(
        SupervisionAgreement.objects.filter(active=True).values_list("supervisee_id", flat=True)
    )
    assert supervised == {user.pk for user in everyone}
    assert counts["agreements"] == 12
    assert counts["sessions"] == SupervisionSession.objects.count() > 12 * 5
    assert not SupervisionAgreement.objects.filter(supervisor_id=F("supervisee_id")).exists()


def test_the_demo_never_double_books_the_supervisor(demo_settings):
    _seed()

    sessions = list(
        SupervisionSession.objects.filter(host=_user("supervisor")).order_by("starts_at")
    )
    for earlier, later in pairwise(sessions):
        assert earlier.ends_at <= later.starts_at, (earlier.pk, later.pk)
