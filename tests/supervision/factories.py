"""Factories for supervision data. They write rows directly (no audit): for arranging tests only.

Anything under test goes through the services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from carecore.accounts.roles import Role
from supervision.models import (
    CaseloadGuideline,
    CaseloadReview,
    CaseTransferRequest,
    ReviewOutcome,
    SessionKind,
    SessionLog,
    SessionPurpose,
    SessionStatus,
    SupervisionAction,
    SupervisionAgreement,
    SupervisionGroup,
    SupervisionGroupMember,
    SupervisionSession,
    WorkProfile,
)
from tests.factories import UserFactory
from tests.patients.factories import PatientFactory, clinician


def supervisor_user(**kwargs: object):
    """Return a new user with the supervisor and clinician roles."""
    return UserFactory(roles=[Role.SUPERVISOR, Role.CLINICIAN], **kwargs)


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionAgreement

    supervisor = factory.LazyFunction(supervisor_user)
    supervisee = factory.LazyFunction(clinician)
    cadence_weeks = 4


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionGroup

    name = factory.Sequence(lambda n: f"Reflective group {n}")
    facilitator = factory.LazyFunction(supervisor_user)
    cadence_weeks = 2


class GroupMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionGroupMember

    group = factory.SubFactory(GroupFactory)
    member = factory.LazyFunction(clinician)


class WorkProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkProfile

    person = factory.LazyFunction(clinician)
    fte = Decimal("1.00")
    non_patient_percent = 20


class SessionFactory(factory.django.DjangoModelFactory):
    """An individual clinical session a week from now; pass `host`/`supervisee` to match an
    agreement."""

    class Meta:
        model = SupervisionSession

    kind = SessionKind.INDIVIDUAL
    purpose = SessionPurpose.CLINICAL
    host = factory.LazyFunction(supervisor_user)
    supervisee = factory.LazyFunction(clinician)
    group = None
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    duration_minutes = 60
    location = "Room 2"
    status = SessionStatus.SCHEDULED
    created_by = factory.SelfAttribute("host")


class SessionLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionLog

    session = factory.SubFactory(SessionFactory, status=SessionStatus.HELD)
    topics = "Topics"
    notes = "Notes"
    summary = ""
    logged_by = factory.SelfAttribute("session.host")


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionAction

    session = factory.SubFactory(SessionFactory, status=SessionStatus.HELD)
    description = "Action"
    owner = factory.SelfAttribute("session.supervisee")
    due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=14))


class GuidelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseloadGuideline

    max_active_patients = 20
    max_complexity_points = 50
    min_stages = 2
    review_cadence_weeks = 12


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseloadReview

    clinician = factory.LazyFunction(clinician)
    reviewer = factory.LazyFunction(supervisor_user)
    snapshot = factory.LazyFunction(lambda: {"active_patients": 0})
    outcome = ReviewOutcome.BALANCED
    actions = ""


class TransferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseTransferRequest

    patient = factory.SubFactory(PatientFactory)
    requester = factory.LazyFunction(clinician)
    supervisor = factory.LazyFunction(supervisor_user)
    reason = "Reason"
