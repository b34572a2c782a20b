"""Factories for patient data. They write rows directly (no audit): for arranging tests only.

Anything under test goes through the services.
"""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from carecore.accounts.roles import Role
from patients.models import (
    BreakGlassGrant,
    CareTeamMembership,
    CareTeamRole,
    ClinicalNote,
    Consent,
    ConsentPurpose,
    ConsentStatus,
    NoteType,
    Patient,
    SafetyFlag,
    SafetyFlagKind,
    Sensitivity,
    TreatmentGoal,
    organisation_index,
)
from supervision.models import SupervisionAgreement
from tests.factories import UserFactory


def clinician(**kwargs: object):
    """Return a new user with the clinician role."""
    return UserFactory(roles=[Role.CLINICIAN], **kwargs)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    registered_by = factory.SubFactory(UserFactory)
    preferred_name = factory.Sequence(lambda n: f"Patient {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeamMembership

    patient = factory.SubFactory(PatientFactory)
    clinician = factory.LazyFunction(clinician)
    role = CareTeamRole.MEMBER


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClinicalNote

    patient = factory.SubFactory(PatientFactory)
    author = factory.LazyFunction(clinician)
    encounter_date = factory.LazyFunction(timezone.localdate)
    note_type = NoteType.CONSULTATION
    sensitivity = Sensitivity.STANDARD
    body = factory.Sequence(lambda n: f"note body {n}")


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentGoal

    patient = factory.SubFactory(PatientFactory)
    goal = "sleep through the night"
    created_by = factory.LazyFunction(clinician)


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    patient = factory.SubFactory(PatientFactory)
    purpose = ConsentPurpose.CARE_AND_DATA
    status = ConsentStatus.GIVEN
    explanation = "how the data is used"
    explained_by = factory.LazyFunction(clinician)
    recorded_by = factory.SelfAttribute("explained_by")
    organisation_index = factory.LazyAttribute(lambda o: organisation_index(o.organisation))
    organisation = None
    not_obtained_reason = factory.LazyAttribute(
        lambda o: "too distressed" if o.status == ConsentStatus.NOT_OBTAINED else None
    )
    withdrawn_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == ConsentStatus.WITHDRAWN else None
    )
    withdrawn_by = factory.LazyAttribute(
        lambda o: o.explained_by if o.status == ConsentStatus.WITHDRAWN else None
    )


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SafetyFlag

    patient = factory.SubFactory(PatientFactory)
    kind = SafetyFlagKind.VIOLENCE_RISK
    details = "details of the risk"
    raised_by = factory.LazyFunction(clinician)


class GrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BreakGlassGrant

    patient = factory.SubFactory(PatientFactory)
    clinician = factory.LazyFunction(clinician)
    reason = "emergency"
    granted_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.granted_at + dt.timedelta(hours=4))


class SupervisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionAgreement

    supervisor = factory.LazyFunction(lambda: UserFactory(roles=[Role.SUPERVISOR]))
    supervisee = factory.LazyFunction(clinician)
