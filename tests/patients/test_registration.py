"""Registration, the intake duplicate check, and changes to the record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from carecore.audit.events import EventType, Outcome
from patients import services
from patients.exceptions import (
    CONSENT_BEFORE_EXPLANATION,
    CONSENT_REASON_REQUIRED,
    DUPLICATE_CHECK_NEEDS_INPUT,
    FIELD_NOT_EDITABLE,
    INVALID_CHOICE,
    LEGAL_NAME_WITH_WITHHELD,
    NO_DUPLICATE_FOUND,
    NOT_ALLOWED_TO_REGISTER,
    POSSIBLE_DUPLICATE,
    POSSIBLE_DUPLICATE_ASK_PRIVACY_OFFICER,
    PREFERRED_NAME_REQUIRED,
    ActionRefused,
    InvalidRequest,
)
from patients.models import (
    CareTeamMembership,
    Consent,
    FieldNotPermitted,
    IntakeExplanation,
    Patient,
    PatientStatus,
    Stage,
)
from patients.services import ConsentDetails, ExplanationDetails, PatientDetails
from tests.conftest import canary

from .conftest import events_after, last_event_id, only_event, snapshot
from .factories import MembershipFactory

pytestmark = pytest.mark.django_db

BORN = dt.date(1990, 5, 17)
EXPLAINED = ExplanationDetails(
    scope_and_purpose_explained=True,
    services_available_explained=True,
    services_not_available_explained=True,
    privacy_explained=True,
    note="explained with an interpreter",
)
CARE_CONSENT = ConsentDetails(purpose="care_and_data", status="given", explanation="how we use it")


def register(actor, **details):
    details.setdefault("preferred_name", "Mira")
    return services.patient_register(
        actor=actor,
        details=PatientDetails(**details),
        explanation=EXPLAINED,
        consents=[CARE_CONSENT],
    )


def test_reception_registers_a_patient_without_a_care_team(reception):
    mark = last_event_id()

    patient = register(reception, legal_name="Mira Example", date_of_birth=BORN)

    stored = Patient.objects.get(pk=patient.pk)
    assert (stored.preferred_name, stored.stage, stored.status) == ("Mira", "intake", "active")
    assert stored.registered_by == reception
    assert IntakeExplanation.objects.get(patient=stored).privacy_explained
    assert list(Consent.objects.filter(patient=stored).values_list("purpose", "status")) == [
        ("care_and_data", "given")
    ]
    assert not CareTeamMembership.objects.filter(patient=stored).exists()
    event = only_event(mark, EventType.PATIENT_REGISTERED)
    assert (event.target_id, event.case_code) == (str(stored.pk), stored.case_code)
    assert event.details == {
        "consents": [["care_and_data", "given"]],
        "care_team_lead": None,
        "possible_duplicate": False,
    }


def test_the_registering_clinician_becomes_the_lead(clinician):
    patient = register(clinician)

    [membership] = CareTeamMembership.objects.filter(patient_id=patient.pk)
    assert (membership.clinician, membership.role, membership.end_date) == (clinician, "lead", None)


def test_a_clinician_may_register_without_joining_the_team(clinician):
    patient = services.patient_register(
        actor=clinician,
        details=PatientDetails(preferred_name="Mira"),
        explanation=EXPLAINED,
        join_care_team=False,
    )

    assert not CareTeamMembership.objects.filter(patient_id=patient.pk).exists()


def test_registration_returns_identity_only(reception):
    patient = register(reception, current_location="somewhere")

    assert patient.case_code and patient.uuid
    with pytest.raises(FieldNotPermitted):
        patient.preferred_name  # noqa: B018
    with pytest.raises(FieldNotPermitted):
        patient.current_location  # noqa: B018


@pytest.mark.parametrize("persona", ["admin_user", "manager", "supervisor_only"])
def test_others_may_not_register(request, persona):
    if persona == "supervisor_only":
        from carecore.accounts.roles import Role
        from tests.factories import UserFactory

        actor = UserFactory(roles=[Role.SUPERVISOR])
    else:
        actor = request.getfixturevalue(persona)
    mark, before = last_event_id(), snapshot()

    with pytest.raises(ActionRefused) as caught:
        register(actor)

    assert str(caught.value) == NOT_ALLOWED_TO_REGISTER
    event = only_event(mark, EventType.ACCESS_DENIED)
    assert (event.outcome, event.details) == (
        Outcome.DENIED,
        {"action": "register", "reason": "role"},
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("details", "consents", "message"),
    [
        ({"preferred_name": "  "}, [], PREFERRED_NAME_REQUIRED),
        ({"legal_name": "X", "legal_name_withheld": True}, [], LEGAL_NAME_WITH_WITHHELD),
        ({"sex": "unknown"}, [], INVALID_CHOICE),
        ({}, [ConsentDetails(purpose="research", status="not_obtained")], CONSENT_REASON_REQUIRED),
    ],
)
def test_invalid_registrations_save_nothing(reception, details, consents, message):
    details.setdefault("preferred_name", "Mira")
    mark, before = last_event_id(), snapshot()

    with pytest.raises(InvalidRequest) as caught:
        services.patient_register(
            actor=reception,
            details=PatientDetails(**details),
            explanation=EXPLAINED,
            consents=consents,
        )

    assert str(caught.value) == message
    assert events_after(mark) == []
    assert snapshot() == before


def test_consent_cannot_be_given_before_privacy_was_explained(reception):
    unexplained = ExplanationDetails(True, True, True, privacy_explained=False)

    with pytest.raises(InvalidRequest) as caught:
        services.patient_register(
            actor=reception,
            details=PatientDetails(preferred_name="Mira"),
            explanation=unexplained,
            consents=[CARE_CONSENT],
        )

    assert str(caught.value) == CONSENT_BEFORE_EXPLANATION
    assert not Patient.objects.exists()


def test_consent_not_obtained_is_recorded_with_its_reason(reception):
    unexplained = ExplanationDetails(True, True, True, privacy_explained=False)

    patient = services.patient_register(
        actor=reception,
        details=PatientDetails(preferred_name="Mira"),
        explanation=unexplained,
        consents=[
            ConsentDetails(
                purpose="care_and_data",
                status="not_obtained",
                not_obtained_reason="too unwell to discuss today",
            )
        ],
    )

    consent = Consent.objects.get(patient_id=patient.pk)
    assert (consent.status, consent.not_obtained_reason) == (
        "not_obtained",
        "too unwell to discuss today",
    )


def test_a_withheld_legal_name_is_recorded_with_its_reason(reception):
    patient = register(
        reception, legal_name_withheld=True, legal_name_withheld_reason="afraid of being traced"
    )

    stored = Patient.objects.get(pk=patient.pk)
    assert (stored.legal_name, stored.legal_name_withheld, stored.legal_name_withheld_reason) == (
        None,
        True,
        "afraid of being traced",
    )


# --- Duplicate check ------------------------------------------------------------------------


@pytest.fixture
def existing(clinician):
    patient = register(
        clinician,
        legal_name="José O'Brien",
        preferred_name="Pepe",
        date_of_birth=BORN,
        document_number="AB 12-345",
    )
    return Patient.objects.get(pk=patient.pk)


@pytest.mark.parametrize(
    ("name", "born", "document"),
    [
        ("josé  obrien", BORN, None),  # legal name, normalised
        ("JOSÉ O\u2019BRIEN", BORN, None),  # a typographic apostrophe
        ("pepe", BORN, None),  # the preferred name matches too
        (None, None, "ab12345"),  # document number, compacted
        ("someone else", BORN, "AB-12 345"),
    ],
)
def test_the_duplicate_check_finds_by_name_and_birth_date_or_document(
    existing, reception, clinician, name, born, document
):
    mark = last_event_id()

    result = services.patient_duplicate_check(
        actor=reception, name=name, date_of_birth=born, document_number=document
    )

    assert result == services.DuplicateResult(possible_match=True, contact=clinician.username)
    assert result.message == POSSIBLE_DUPLICATE % {"contact": clinician.username}
    event = only_event(mark, EventType.PATIENT_DUPLICATE_CHECKED)
    assert (event.target_id, event.case_code, event.details["patients"]) == (
        str(existing.pk),
        existing.case_code,
        [existing.pk],
    )


@pytest.mark.parametrize(
    ("name", "born", "document"),
    [
        ("Jose OBrien", BORN, None),  # accents are kept
        ("José O'Brien", BORN + dt.timedelta(days=1), None),
        (None, None, "AB12346"),
    ],
)
def test_the_duplicate_check_reveals_nothing_without_a_match(
    existing, reception, name, born, document
):
    mark = last_event_id()

    result = services.patient_duplicate_check(
        actor=reception, name=name, date_of_birth=born, document_number=document
    )

    assert result == services.DuplicateResult(possible_match=False, contact="")
    assert result.message == NO_DUPLICATE_FOUND
    event = only_event(mark, EventType.PATIENT_DUPLICATE_CHECKED)
    assert (event.case_code, event.details["matches"]) == ("", 0)


def test_without_a_lead_the_contact_is_a_privacy_officer(reception, privacy_officer):
    register(reception, preferred_name="Mira", date_of_birth=BORN)

    result = services.patient_duplicate_check(actor=reception, name="mira", date_of_birth=BORN)

    assert result.contact == privacy_officer.username


def test_without_any_contact_the_message_says_ask_a_privacy_officer(reception):
    register(reception, preferred_name="Mira", date_of_birth=BORN)

    result = services.patient_duplicate_check(actor=reception, name="mira", date_of_birth=BORN)

    assert (result.contact, result.message) == ("", POSSIBLE_DUPLICATE_ASK_PRIVACY_OFFICER)


def test_the_duplicate_check_needs_enough_to_match(reception):
    with pytest.raises(InvalidRequest) as caught:
        services.patient_duplicate_check(actor=reception, name="Mira", date_of_birth=None)

    assert str(caught.value) == DUPLICATE_CHECK_NEEDS_INPUT


def test_the_duplicate_check_is_for_registrars_only(admin_user):
    mark = last_event_id()

    with pytest.raises(ActionRefused):
        services.patient_duplicate_check(actor=admin_user, name="Mira", date_of_birth=BORN)

    only_event(mark, EventType.ACCESS_DENIED)


def test_registration_flags_a_possible_duplicate(existing, reception):
    mark = last_event_id()

    register(reception, preferred_name="Pepe", date_of_birth=BORN)

    assert only_event(mark, EventType.PATIENT_REGISTERED).details["possible_duplicate"] is True


def test_duplicate_check_values_never_reach_the_audit(reception):
    register(
        reception, preferred_name=canary("name"), date_of_birth=BORN, document_number=canary("doc")
    )
    mark = last_event_id()

    services.patient_duplicate_check(
        actor=reception, name=canary("name"), date_of_birth=BORN, document_number=canary("doc")
    )

    only_event(mark, EventType.PATIENT_DUPLICATE_CHECKED)  # asserts no canary in details


# --- Updates --------------------------------------------------------------------------------


def test_update_records_changed_fields_and_metadata_values(world):
    mark = last_event_id()

    services.patient_update(
        actor=world["lead"],
        patient=world.patient,
        changes={"stage": "recovery", "risk_level": "high", "phone": canary("phone")},
    )

    stored = Patient.objects.get(pk=world.patient.pk)
    assert (stored.stage, stored.risk_level, stored.phone) == ("recovery", "high", canary("phone"))
    event = only_event(mark, EventType.PATIENT_UPDATED)
    assert event.details == {
        "fields": ["phone", "risk_level", "stage"],
        "stage": ["intake", "recovery"],
        "risk_level": ["", "high"],
    }


def test_closing_and_reopening_a_record(world):
    services.patient_update(actor=world["lead"], patient=world.patient, changes={"stage": "closed"})
    closed = Patient.objects.get(pk=world.patient.pk)
    services.patient_update(
        actor=world["lead"], patient=world.patient, changes={"stage": "recovery"}
    )
    reopened = Patient.objects.get(pk=world.patient.pk)

    assert (closed.status, closed.closed_on) == (PatientStatus.CLOSED, timezone.localdate())
    assert (reopened.status, reopened.closed_on, reopened.stage) == (
        PatientStatus.ACTIVE,
        None,
        Stage.RECOVERY,
    )


def test_an_update_that_changes_nothing_writes_nothing(world):
    mark = last_event_id()

    services.patient_update(
        actor=world["lead"], patient=world.patient, changes={"preferred_name": "Amal"}
    )

    assert events_after(mark) == []


def test_update_refuses_unknown_fields(world):
    with pytest.raises(InvalidRequest) as caught:
        services.patient_update(
            actor=world["lead"], patient=world.patient, changes={"case_code": "X"}
        )

    assert str(caught.value) == FIELD_NOT_EDITABLE


def test_update_keeps_the_blind_indexes_in_step(world):
    MembershipFactory(patient=world.patient)
    services.patient_update(
        actor=world["lead"],
        patient=world.patient,
        changes={"date_of_birth": BORN, "document_number": "ZZ 99"},
    )

    result = services.patient_duplicate_check(actor=world["lead"], name="amal", date_of_birth=BORN)
    by_document = services.patient_duplicate_check(
        actor=world["lead"], name=None, date_of_birth=None, document_number="zz99"
    )

    assert result.possible_match and by_document.possible_match
