"""Caseload reviews: the snapshot is today's figures computed on the server and never changes;
who may record, list and read reviews (the actions text above all); audit; query counts."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from patients.models import RiskLevel, Stage
from supervision.models import CaseloadReview, ReviewOutcome, SupervisionAgreement
from supervision.permissions.caseload import (
    NOT_THE_SUPERVISOR,
    CaseloadAction,
    CaseloadActionRefused,
    CaseloadInvalid,
)
from supervision.selectors import caseload_assessments, guideline_current
from supervision.selectors.caseload import caseload_snapshot
from supervision.selectors.reviews import latest_reviews, reviews_for_clinician
from supervision.services.caseload import (
    ACTIONS_REQUIRED,
    HELD_ON_IN_FUTURE,
    INVALID_OUTCOME,
    caseload_review_record,
)
from tests.conftest import CANARY_MARKER, canary
from tests.patients.factories import MembershipFactory, PatientFactory, clinician

from .factories import (
    AgreementFactory,
    GuidelineFactory,
    ReviewFactory,
    WorkProfileFactory,
    supervisor_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(clinician, supervisor):
    AgreementFactory(supervisor=supervisor, supervisee=clinician)
    WorkProfileFactory(person=clinician, fte=Decimal("0.80"), non_patient_percent=25)
    GuidelineFactory(max_active_patients=10, max_complexity_points=12, min_stages=2)
    for stage, complexity, risk in [
        (Stage.INTAKE, 5, RiskLevel.HIGH),
        (Stage.RECOVERY, 4, RiskLevel.LOW),
        (Stage.RECOVERY, None, ""),
    ]:
        patient = PatientFactory(stage=stage, complexity=complexity, risk_level=risk)
        MembershipFactory(patient=patient, clinician=clinician)


def _post_review(client, clinician, **overrides):
    data = {
        "held_on": timezone.localdate().isoformat(),
        "outcome": ReviewOutcome.NEEDS_ADJUSTMENT,
        "actions": canary("actions"),
        **overrides,
    }
    return client.post(reverse("supervision:review_new", args=[clinician.pk]), data)


def _denied(actor, action):
    return AuditEvent.objects.filter(
        event_type=EventType.ACCESS_DENIED,
        actor=actor,
        outcome=Outcome.DENIED,
        details__action=action,
    )


# --- recording ------------------------------------------------------------------------------


def test_the_supervisor_records_a_review_with_a_snapshot_of_todays_figures(
    client, sign_in, clinician, supervisor, setup
):
    guideline = guideline_current()
    assessment = caseload_assessments(clinician_ids=[clinician.pk])[clinician.pk]
    sign_in(supervisor)

    # Figures posted with the form are ignored: the snapshot is computed on the server.
    response = _post_review(client, clinician, active_patients="999", snapshot="{}")

    review = CaseloadReview.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("supervision:review_detail", kwargs={"uuid": review.uuid})
    assert review.snapshot == caseload_snapshot(assessment, guideline=guideline)
    assert review.snapshot == {
        "active_patients": 3,
        "complexity_points": 9,
        "unrated": 1,
        "by_stage": {"intake": 1, "stabilisation": 0, "recovery": 2, "reintegration": 0},
        "high_risk": 1,
        "new_cases": 3,
        "new_case_days": 30,
        "fte": 0.8,
        "non_patient_percent": 25,
        "max_patients": 8.0,
        "max_points": 9.6,
        "min_stages": 2,
        "flags": ["unrated"],
        "guideline_id": guideline.pk,
    }
    assert (review.clinician, review.reviewer) == (clinician, supervisor)
    assert review.outcome == ReviewOutcome.NEEDS_ADJUSTMENT
    assert review.actions == canary("actions")
    assert review.held_on == timezone.localdate()


def test_the_snapshot_does_not_change_when_the_caseload_does(
    client, sign_in, clinician, supervisor, setup
):
    sign_in(supervisor)
    _post_review(client, clinician)
    review = CaseloadReview.objects.get()
    before = dict(review.snapshot)

    for _ in range(4):
        MembershipFactory(clinician=clinician, patient=PatientFactory(complexity=5))
    GuidelineFactory(max_active_patients=2)
    response = client.get(reverse("supervision:review_detail", kwargs={"uuid": review.uuid}))

    review.refresh_from_db()
    assert review.snapshot == before
    assert response.context["snapshot"]["active_patients"] == 3
    now = caseload_assessments(clinician_ids=[clinician.pk])[clinician.pk]
    assert now.figures.active_patients == 7


def test_the_audit_holds_ids_and_enums_only(client, sign_in, clinician, supervisor, setup):
    sign_in(supervisor)
    _post_review(client, clinician)
    review = CaseloadReview.objects.get()
    client.get(reverse("supervision:review_detail", kwargs={"uuid": review.uuid}))

    (recorded,) = AuditEvent.objects.filter(event_type=EventType.CASELOAD_REVIEW_RECORDED)
    assert recorded.actor == supervisor
    assert recorded.target_type == "supervision.caseloadreview"
    assert recorded.target_id == str(review.pk)
    assert recorded.details == {
        "clinician": clinician.pk,
        "reviewer": supervisor.pk,
        "outcome": "needs_adjustment",
        "guideline": guideline_current().pk,
        "flags": ["unrated"],
    }
    (viewed,) = AuditEvent.objects.filter(event_type=EventType.CASELOAD_REVIEW_VIEWED)
    assert viewed.details == {"clinician": clinician.pk, "actions_shown": True}
    for event in AuditEvent.objects.all():
        assert CANARY_MARKER not in json.dumps(event.details)
        assert CANARY_MARKER not in event.target_id + event.case_code


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"held_on": "tomorrow"}, "held_on", HELD_ON_IN_FUTURE),
        ({"outcome": "fine"}, "outcome", INVALID_OUTCOME),
        ({"outcome": ""}, "outcome", INVALID_OUTCOME),
        ({"actions": "   "}, "actions", ACTIONS_REQUIRED),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(
    client, sign_in, clinician, supervisor, setup, overrides, field, message
):
    if overrides.get("held_on") == "tomorrow":
        overrides = {"held_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}
    sign_in(supervisor)

    response = _post_review(client, clinician, **overrides)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [str(message)]
    assert not CaseloadReview.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.CASELOAD_REVIEW_RECORDED).exists()


def test_a_balanced_review_needs_no_actions(client, sign_in, clinician, supervisor, setup):
    sign_in(supervisor)

    response = _post_review(client, clinician, outcome=ReviewOutcome.BALANCED, actions="")

    assert response.status_code == 302
    assert CaseloadReview.objects.get().actions == ""


def test_the_service_checks_the_future_date_itself(clinician, supervisor, setup):
    with pytest.raises(CaseloadInvalid) as invalid:
        caseload_review_record(
            actor=supervisor,
            clinician=clinician,
            held_on=timezone.localdate() + dt.timedelta(days=1),
            outcome=ReviewOutcome.BALANCED,
            actions="",
        )
    assert str(invalid.value) == str(HELD_ON_IN_FUTURE)
    assert not CaseloadReview.objects.exists()


@pytest.mark.parametrize("who", ["clinician", "manager", "other_supervisor", "admin_user"])
def test_only_the_active_supervisor_may_record(client, sign_in, request, clinician, setup, who):
    user = supervisor_user() if who == "other_supervisor" else request.getfixturevalue(who)
    sign_in(user)

    page = client.get(reverse("supervision:review_new", args=[clinician.pk]))
    post = _post_review(client, clinician)

    assert page.status_code == post.status_code == 404
    assert not CaseloadReview.objects.exists()
    assert _denied(user, CaseloadAction.RECORD_REVIEW).count() == 2


def test_the_service_refuses_anyone_but_the_supervisor(manager, clinician, setup):
    with pytest.raises(CaseloadActionRefused) as refused:
        caseload_review_record(
            actor=manager,
            clinician=clinician,
            held_on=timezone.localdate(),
            outcome=ReviewOutcome.BALANCED,
            actions="",
        )

    assert str(refused.value) == str(NOT_THE_SUPERVISOR)
    assert not CaseloadReview.objects.exists()
    assert _denied(manager, CaseloadAction.RECORD_REVIEW).count() == 1


# --- who sees what --------------------------------------------------------------------------


@pytest.fixture
def reviewed(clinician, supervisor, setup):
    return caseload_review_record(
        actor=supervisor,
        clinician=clinician,
        held_on=timezone.localdate(),
        outcome=ReviewOutcome.NEEDS_ADJUSTMENT,
        actions=canary("actions"),
    )


# viewer -> (sees the history and the review, reads the actions)
MATRIX = {
    "clinician": (True, True),
    "supervisor": (True, True),
    "other_supervisor": (False, False),
    "manager": (True, False),
    "admin_user": (False, False),
    "other_clinician": (False, False),
}


def _user(request, who):
    return supervisor_user() if who == "other_supervisor" else request.getfixturevalue(who)


@pytest.mark.parametrize("who", MATRIX)
def test_the_review_history_visibility_matrix(client, sign_in, request, clinician, reviewed, who):
    user = _user(request, who)
    sign_in(user)
    sees, _reads = MATRIX[who]

    response = client.get(reverse("supervision:reviews", args=[clinician.pk]))

    if sees:
        assert response.status_code == 200
        assert [r.pk for r in response.context["page_obj"]] == [reviewed.pk]
        assert canary("actions") not in response.content.decode()
        assert str(reviewed.uuid) in response.content.decode()
    else:
        assert response.status_code == 404
        assert _denied(user, CaseloadAction.VIEW_REVIEWS).count() == 1


@pytest.mark.parametrize("who", MATRIX)
def test_the_review_detail_visibility_matrix(client, sign_in, request, reviewed, who):
    user = _user(request, who)
    sign_in(user)
    sees, reads = MATRIX[who]

    response = client.get(reverse("supervision:review_detail", kwargs={"uuid": reviewed.uuid}))

    viewed = AuditEvent.objects.filter(event_type=EventType.CASELOAD_REVIEW_VIEWED, actor=user)
    if not sees:
        assert response.status_code == 404
        (event,) = _denied(user, CaseloadAction.VIEW_REVIEW)
        assert event.target_id == str(reviewed.pk)
        assert not viewed.exists()
        return
    assert response.status_code == 200
    content = response.content.decode()
    assert "needs adjustment" in content.lower()
    assert '<td class="numeric">3</td>' in content  # the snapshot as a table
    assert (canary("actions") in content) is reads
    assert response.context["detail"].actions_shown is reads
    (event,) = viewed
    assert event.details == {"clinician": reviewed.clinician_id, "actions_shown": reads}


def test_a_missing_review_is_the_same_404(client, sign_in, manager):
    sign_in(manager)

    response = client.get(
        reverse(
            "supervision:review_detail", kwargs={"uuid": "00000000-0000-4000-8000-000000000000"}
        )
    )

    assert response.status_code == 404
    (event,) = _denied(manager, CaseloadAction.VIEW_REVIEW)
    assert event.details["reason"] == "not_found"
    assert event.target_id == ""


def test_the_own_history_has_its_own_url(client, sign_in, clinician, reviewed):
    sign_in(clinician)

    response = client.get(reverse("supervision:my_reviews"))

    assert response.status_code == 200
    assert response.context["is_own"] is True
    assert [r.pk for r in response.context["page_obj"]] == [reviewed.pk]


def test_a_new_supervisor_reads_the_actions_and_the_former_one_no_longer_sees_the_review(
    client, sign_in, clinician, supervisor, reviewed
):
    SupervisionAgreement.objects.filter(supervisee=clinician).update(
        active=False, ended_on=timezone.localdate()
    )
    successor = supervisor_user()
    AgreementFactory(supervisor=successor, supervisee=clinician)
    url = reverse("supervision:review_detail", kwargs={"uuid": reviewed.uuid})

    sign_in(successor)
    as_successor = client.get(url)
    sign_in(supervisor)
    as_former = client.get(url)

    assert as_successor.status_code == 200
    assert canary("actions") in as_successor.content.decode()
    assert as_former.status_code == 404


def test_reviews_for_clinician_is_empty_for_outsiders_and_never_loads_actions(
    clinician, other_clinician, manager, reviewed
):
    assert list(reviews_for_clinician(user=other_clinician, clinician=clinician)) == []
    (row,) = reviews_for_clinician(user=manager, clinician=clinician)
    assert "actions" in row.get_deferred_fields()


def test_latest_reviews_gives_each_clinicians_newest(clinician, other_clinician):
    today = timezone.localdate()
    ReviewFactory(clinician=clinician, held_on=today - dt.timedelta(days=90))
    newest = ReviewFactory(
        clinician=clinician, held_on=today, outcome=ReviewOutcome.NEEDS_ADJUSTMENT
    )

    latest = latest_reviews(clinician_ids=[clinician.pk, other_clinician.pk])

    assert set(latest) == {clinician.pk}
    assert latest[clinician.pk].uuid == newest.uuid
    assert latest[clinician.pk].outcome == ReviewOutcome.NEEDS_ADJUSTMENT


def test_the_history_shows_when_the_next_review_is_due(client, sign_in, clinician, reviewed):
    sign_in(clinician)

    response = client.get(reverse("supervision:my_reviews"))

    status = response.context["review_status"]
    assert status.last_review_on == timezone.localdate()
    assert status.due_on == timezone.localdate() + dt.timedelta(weeks=12)
    assert status.due is False


# --- query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["clinician", "manager"])
def test_the_history_query_count_does_not_grow_with_reviews(client, sign_in, request, viewer):
    counts = []
    for size in (5, 50):
        person = clinician()
        boss = supervisor_user()
        AgreementFactory(supervisor=boss, supervisee=person)
        for index in range(size):
            ReviewFactory(
                clinician=person,
                reviewer=boss if index % 2 else supervisor_user(),
                held_on=timezone.localdate() - dt.timedelta(days=index),
                snapshot={"active_patients": index, "flags": ["unrated"]},
            )
        sign_in(person if viewer == "clinician" else request.getfixturevalue("manager"))
        url = reverse("supervision:reviews", args=[person.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
