"""Factories for legal requests, holds, access requests and register entries.

They write rows directly (no audit): for arranging tests only. Anything under test goes
through the services.
"""

from __future__ import annotations

import factory
from django.utils import timezone

from carecore.accounts.roles import Role
from lifecycle.models import (
    DisclosureEntry,
    DisclosureKind,
    LegalBasis,
    LegalHold,
    LegalRequest,
    LegalRequestStatus,
    PatientAccessRequest,
    RequesterKind,
    Section,
)
from tests.factories import UserFactory
from tests.patients.factories import PatientFactory


def privacy_officer(**kwargs: object):
    """Return a new privacy officer (a manager by role, as in the personas)."""
    return UserFactory(roles=[Role.MANAGER], is_privacy_officer=True, **kwargs)


class LegalRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalRequest

    patient = factory.SubFactory(PatientFactory)
    requester_kind = RequesterKind.COURT
    requester_name = "District court"
    reference = "2024/123"
    request_summary = "the medical file for the asylum hearing"
    received_by = factory.LazyFunction(privacy_officer)


def scoped_request(*, decided_by=None, basis=LegalBasis.COURT_ORDER, **kwargs):
    """Return a legal request whose basis is reviewed and scope decided (all redactions on)."""
    decided_by = decided_by or privacy_officer()
    now = timezone.now()
    return LegalRequestFactory(
        status=LegalRequestStatus.SCOPE_DECIDED,
        legal_basis=basis,
        basis_assessment="order of the court seen",
        basis_reviewed_by=decided_by,
        basis_reviewed_at=now,
        sections=kwargs.pop("sections", [Section.SUMMARY.value, Section.NOTES.value]),
        scope_decided_by=decided_by,
        scope_decided_at=now,
        **kwargs,
    )


class HoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalHold

    patient = factory.SubFactory(PatientFactory)
    reason = "proceedings pending"
    placed_by = factory.LazyFunction(privacy_officer)


class AccessRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientAccessRequest

    patient = factory.SubFactory(PatientFactory)
    received_by = factory.LazyFunction(privacy_officer)
    sections = factory.LazyFunction(lambda: list(Section.values))


class DisclosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DisclosureEntry

    patient = factory.SubFactory(PatientFactory)
    kind = DisclosureKind.SPOKEN
    recipient = "a GP by phone"
    purpose = "continuity of care"
    legal_basis = LegalBasis.CONSENT
    sections = factory.LazyFunction(lambda: [Section.SUMMARY.value])
    approved_by = factory.LazyFunction(privacy_officer)
    approved_at = factory.LazyFunction(timezone.now)
    recorded_by = factory.SelfAttribute("approved_by")
