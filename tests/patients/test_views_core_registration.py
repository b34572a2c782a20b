"""Registration (duplicate check, then intake) and the front-desk lookup, through the pages.

Personal data typed at the desk must never reach a URL: every redirect is checked for a
canary name.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from carecore.audit.events import EventType
from patients.exceptions import (
    CONSENT_BEFORE_EXPLANATION,
    DUPLICATE_CHECK_NEEDS_INPUT,
    PATIENT_NOT_FOUND,
)
from patients.models import (
    CareTeamMembership,
    CareTeamRole,
    Consent,
    ConsentStatus,
    IntakeExplanation,
    Patient,
    SafetyFlagKind,
)
from tests.conftest import CANARY_MARKER, canary

from .conftest import events_after, last_event_id, snapshot
from .factories import FlagFactory, PatientFactory

pytestmark = pytest.mark.django_db

REGISTER = "/patients/register/"
DOB = dt.date(1990, 4, 2)


def _check(client, name, date_of_birth=DOB, document_number=""):
    return client.post(
        REGISTER,
        {
            "step": "check",
            "name": name,
            "date_of_birth": date_of_birth.isoformat() if date_of_birth else "",
            "document_number": document_number,
        },
    )


def _intake(name, **overrides):
    data = {
        "step": "intake",
        "scope_and_purpose_explained": "on",
        "services_available_explained": "on",
        "services_not_available_explained": "on",
        "privacy_explained": "on",
        "consent_status": ConsentStatus.GIVEN,
        "consent_explanation": "how the data is used and who sees it",
        "preferred_name": name,
        "date_of_birth": DOB.isoformat(),
        "languages": "Tigrinya, English",
        "interpreter_needed": "on",
        "safe_contact_channel": "",
        "sex": "",
        "current_location": canary("location"),
    }
    data.update(overrides)
    return data


def _assert_no_canary_in_urls(response) -> None:
    for url, _status in getattr(response, "redirect_chain", []):
        assert CANARY_MARKER not in url
    if response.has_header("Location"):
        assert CANARY_MARKER not in response["Location"]
    assert CANARY_MARKER not in response.request["PATH_INFO"]
    assert CANARY_MARKER not in response.request.get("QUERY_STRING", "")


def test_a_clinician_registers_a_patient_and_leads_the_team(client, clinician, sign_in):
    sign_in(clinician)
    name = canary("name")

    checked = _check(client, name)
    assert checked.status_code == 200
    assert "No existing record matches these details." in checked.content.decode()
    assert checked.context["form"].initial["preferred_name"] == name
    response = client.post(REGISTER, _intake(name), follow=True)

    patient = Patient.objects.get()
    assert response.redirect_chain[-1][0] == f"/patients/{patient.uuid}/"
    assert response.status_code == 200
    assert f"Patient registered as {patient.case_code}." in response.content.decode()
    assert CareTeamMembership.objects.get(patient=patient).clinician == clinician
    assert CareTeamMembership.objects.get(patient=patient).role == CareTeamRole.LEAD
    explanation = IntakeExplanation.objects.get(patient=patient)
    assert explanation.privacy_explained and explanation.scope_and_purpose_explained
    assert Consent.objects.get(patient=patient).status == ConsentStatus.GIVEN
    assert patient.languages == ["Tigrinya", "English"]
    assert patient.current_location == canary("location")
    _assert_no_canary_in_urls(checked)
    _assert_no_canary_in_urls(response)
    # The step-1 flag does not outlive the registration.
    assert "patients_register_checked" not in client.session


def test_reception_registers_and_gets_the_case_code(client, reception, sign_in):
    sign_in(reception)
    name = canary("name")

    _check(client, name)
    response = client.post(
        REGISTER,
        _intake(name, consent_status=ConsentStatus.NOT_OBTAINED, consent_not_obtained_reason="x"),
        follow=True,
    )

    patient = Patient.objects.get()
    assert response.redirect_chain[-1][0] == f"/patients/registered/{patient.uuid}/"
    html = response.content.decode()
    assert patient.case_code in html
    assert name not in html
    assert not CareTeamMembership.objects.filter(patient=patient).exists()
    _assert_no_canary_in_urls(response)


def test_a_possible_duplicate_stops_registration(client, reception, sign_in):
    PatientFactory(preferred_name="Existing Person", date_of_birth=DOB)
    sign_in(reception)
    mark = last_event_id()

    response = _check(client, "existing   person")

    html = response.content.decode()
    assert response.status_code == 200
    assert "A record that may belong to this person already exists." in html
    assert 'name="step" value="intake"' not in html
    assert [e.event_type for e in events_after(mark)] == [EventType.PATIENT_DUPLICATE_CHECKED]
    # The intake step cannot be reached after a match.
    before = Patient.objects.count()
    client.post(REGISTER, _intake("Existing Person"))
    assert Patient.objects.count() == before


def test_the_check_needs_a_name_and_date_or_a_document(client, clinician, sign_in):
    sign_in(clinician)

    response = _check(client, "Only A Name", date_of_birth=None)

    assert str(DUPLICATE_CHECK_NEEDS_INPUT) in response.content.decode()


def test_the_intake_step_cannot_be_skipped(client, clinician, sign_in):
    sign_in(clinician)

    response = client.post(REGISTER, _intake("Skipped Check"))

    assert response.status_code == 200
    assert 'name="step" value="check"' in response.content.decode()
    assert Patient.objects.count() == 0


def test_an_invalid_intake_shows_errors_and_saves_nothing(client, clinician, sign_in):
    sign_in(clinician)
    _check(client, "Someone New")
    before = snapshot()

    response = client.post(
        REGISTER, _intake("", privacy_explained="", consent_status=ConsentStatus.GIVEN)
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in html
    assert str(CONSENT_BEFORE_EXPLANATION) in html
    assert 'aria-invalid="true"' in html
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["admin_user", "manager"])
def test_registration_is_refused_to_other_roles(client, request, persona, sign_in):
    sign_in(request.getfixturevalue(persona))
    mark = last_event_id()

    for response in (client.get(REGISTER), _check(client, "Anyone")):
        assert response.status_code == 403
    events = events_after(mark)
    assert [e.event_type for e in events] == [EventType.ACCESS_DENIED] * 2
    assert Patient.objects.count() == 0


# --- Front desk -----------------------------------------------------------------------------


def test_reception_sees_the_card_and_the_do_not_confirm_warning(world, client, sign_in):
    FlagFactory(
        patient=world.patient,
        kind=SafetyFlagKind.DO_NOT_CONFIRM_PRESENCE,
        details=canary("flag details"),
    )
    sign_in(world["reception"])

    response = client.post(reverse("patients:front_desk"), {"case_code": world.patient.case_code})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Amal" in html
    assert 'aria-labelledby="do-not-confirm-heading"' in html
    assert "Do not confirm this person is a patient here" in html
    # Kinds only: the details of a flag are clinical content, and no clinical field shows.
    assert canary("flag details") not in html
    assert "Shelter north" not in html
    _assert_no_canary_in_urls(response)


def test_the_lookup_code_is_posted_not_put_in_the_url(client, reception, sign_in):
    sign_in(reception)

    html = client.get(reverse("patients:front_desk")).content.decode()

    assert 'method="post"' in html


def test_an_unknown_code_and_a_forbidden_one_get_the_same_message(world, client, sign_in):
    sign_in(world["not_on_team"])
    mark = last_event_id()

    forbidden = client.post(reverse("patients:front_desk"), {"case_code": world.patient.case_code})
    unknown = client.post(reverse("patients:front_desk"), {"case_code": "AAAA-AAAA-A"})

    for response in (forbidden, unknown):
        assert response.status_code == 200
        assert response.context["card"] is None
        assert response.context["form"].errors["case_code"] == [str(PATIENT_NOT_FOUND)]
        assert "Amal" not in response.content.decode()
    assert [e.event_type for e in events_after(mark)] == [EventType.ACCESS_DENIED] * 2


@pytest.mark.parametrize("relationship", ["admin", "manager", "supervisor_of_member"])
def test_the_front_desk_is_refused_to_other_roles(world, client, sign_in, relationship):
    sign_in(world[relationship])
    mark = last_event_id()

    response = client.post(reverse("patients:front_desk"), {"case_code": world.patient.case_code})

    assert response.status_code == 403
    assert [e.event_type for e in events_after(mark)] == [EventType.ACCESS_DENIED]
    assert "Amal" not in response.content.decode()


def test_the_reception_home_offers_the_lookup_and_registration(client, reception, sign_in):
    sign_in(reception)

    html = client.get(reverse("home:home")).content.decode()

    assert f'action="{reverse("patients:front_desk")}"' in html
    assert f'href="{REGISTER}"' in html


def test_the_clinician_home_counts_active_patients(world, client, sign_in):
    sign_in(world["member"])

    response = client.get(reverse("home:home"))

    section = next(s for s in response.context["page"].sections if s.key == "clinician")
    assert section.data["active_patients"] == 1
    assert f'href="{reverse("patients:list")}"' in response.content.decode()
