"""Record pages over HTTP: notes, plan, consents and safety; access matrix, audit, no leaks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from patients.exceptions import (
    CONSENT_EXPLANATION_REQUIRED,
    CONSENT_REASON_REQUIRED,
    NOTE_BODY_REQUIRED,
    REVIEW_BEFORE_AGREEMENT,
)
from patients.models import (
    ClinicalNote,
    Consent,
    ConsentPurpose,
    ConsentStatus,
    GoalStatus,
    SafetyFlag,
    SafetyFlagKind,
    Sensitivity,
    TreatmentGoal,
)
from tests.conftest import CANARY_MARKER, canary

from .conftest import events_after, last_event_id, only_event, snapshot
from .factories import ConsentFactory, FlagFactory, GoalFactory, NoteFactory

pytestmark = pytest.mark.django_db

PAGES = ("notes", "plan", "consents", "safety", "attachments")
ALLOWED = ("lead", "member", "member_restricted", "break_glass_active")
REFUSED = (
    "not_on_team",
    "former_member",
    "supervisor_of_member",
    "manager",
    "admin",
    "reception",
    "privacy_officer",
    "break_glass_lapsed",
    "clinician_role_removed",
)


def url(name: str, patient, **kwargs) -> str:
    return reverse(f"patients:{name}", kwargs={"patient_uuid": patient.uuid, **kwargs})


def valid_post(page: str) -> dict[str, str]:
    today = timezone.localdate().isoformat()
    return {
        "notes": {
            "encounter_date": today,
            "note_type": "consultation",
            "sensitivity": "standard",
            "body": canary("note"),
        },
        "plan": {"goal": canary("goal"), "agreed_on": today},
        "consents": {
            "purpose": ConsentPurpose.RESEARCH,
            "status": ConsentStatus.GIVEN,
            "explanation": canary("explained"),
        },
        "safety": {"kind": SafetyFlagKind.VIOLENCE_RISK, "details": canary("risk")},
        "attachments": {"description": "scan"},
    }[page]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("relationship", ALLOWED)
def test_page_opens_for_clinical_access_with_one_read_event(
    world, sign_in, client, page, relationship
):
    sign_in(world[relationship])
    mark = last_event_id()

    response = client.get(url(page, world.patient))

    assert response.status_code == 200
    event = only_event(mark, EventType.PATIENT_VIEWED)
    assert event.details["section"] == page
    assert event.case_code == world.patient.case_code
    assert ("break_glass_grant" in event.details) == (relationship == "break_glass_active")


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("relationship", REFUSED)
def test_page_is_404_and_audited_for_anyone_else(world, sign_in, client, page, relationship):
    sign_in(world[relationship])
    mark = last_event_id()

    response = client.get(url(page, world.patient))

    assert response.status_code == 404
    event = only_event(mark, EventType.ACCESS_DENIED)
    assert event.details["action"] == "view_clinical"
    assert event.case_code == world.patient.case_code
    assert "Amal" not in response.content.decode()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("relationship", ("not_on_team", "manager", "reception", "admin"))
def test_refused_post_changes_nothing(world, sign_in, client, page, relationship):
    sign_in(world[relationship])
    mark, before = last_event_id(), snapshot()

    response = client.post(url(page, world.patient), valid_post(page))

    assert response.status_code == 404
    assert snapshot() == before
    assert only_event(mark, EventType.ACCESS_DENIED).details["reason"] == "policy"


def test_missing_patient_is_the_same_404(world, sign_in, client):
    sign_in(world["lead"])
    mark = last_event_id()

    response = client.get(
        reverse("patients:notes", kwargs={"patient_uuid": "00000000-0000-0000-0000-000000000001"})
    )

    assert response.status_code == 404
    assert only_event(mark, EventType.ACCESS_DENIED).case_code == ""


# --- Notes -----------------------------------------------------------------------------------


def test_add_note_then_it_is_on_the_timeline(world, sign_in, client):
    sign_in(world["member"])
    mark = last_event_id()

    response = client.post(url("notes", world.patient), valid_post("notes"))

    assert response.status_code == 302
    assert response["Location"] == url("notes", world.patient)
    note = ClinicalNote.objects.get()
    assert note.author == world["member"]
    assert only_event(mark, EventType.NOTE_ADDED).target_id == str(note.pk)
    page = client.get(response["Location"]).content.decode()
    assert canary("note") in page
    assert "The note was added to the record." in page


def test_add_note_shows_errors_and_saves_nothing(world, sign_in, client):
    sign_in(world["member"])
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()

    response = client.post(
        url("notes", world.patient),
        {"encounter_date": tomorrow, "note_type": "consultation", "sensitivity": "standard"},
    )

    assert response.status_code == 200
    assert ClinicalNote.objects.count() == 0
    assert response.context["form"].errors == {"body": [str(NOTE_BODY_REQUIRED)]}


def test_add_note_in_the_future_is_refused_by_the_service(world, sign_in, client):
    sign_in(world["member"])
    data = valid_post("notes") | {
        "encounter_date": (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    }

    response = client.post(url("notes", world.patient), data)

    assert response.status_code == 200
    assert ClinicalNote.objects.count() == 0
    assert "encounter_date" in response.context["form"].errors


def test_restricted_note_body_for_author_lead_and_granted_only(world, sign_in, client):
    author = world["member"]
    NoteFactory(
        patient=world.patient,
        author=author,
        sensitivity=Sensitivity.RESTRICTED,
        body=canary("restricted"),
    )
    for relationship, sees in (
        ("member", True),
        ("lead", True),
        ("member_restricted", True),
        ("break_glass_active", False),
    ):
        sign_in(world[relationship])
        page = client.get(url("notes", world.patient)).content.decode()
        assert (canary("restricted") in page) is sees, relationship
        assert ("Restricted entry — you do not have access" in page) is not sees, relationship


def test_other_member_sees_only_that_a_restricted_entry_exists(world, sign_in, client):
    NoteFactory(
        patient=world.patient,
        author=world["lead"],
        sensitivity=Sensitivity.RESTRICTED,
        body=canary("restricted"),
    )
    sign_in(world["member"])
    mark = last_event_id()

    page = client.get(url("notes", world.patient)).content.decode()

    assert canary("restricted") not in page
    assert "Restricted entry — you do not have access" in page
    assert "lead" in page
    only_event(mark, EventType.PATIENT_VIEWED)


def test_reading_a_restricted_body_names_it_in_the_audit(world, sign_in, client):
    note = NoteFactory(patient=world.patient, sensitivity=Sensitivity.RESTRICTED)
    sign_in(world["lead"])
    mark = last_event_id()

    client.get(url("notes", world.patient))

    events = events_after(mark)
    assert [e.event_type for e in events] == [EventType.PATIENT_VIEWED, EventType.NOTE_VIEWED]
    assert events[1].details["restricted_notes"] == [note.pk]


def test_amendment_keeps_both_entries_visible_and_linked(world, sign_in, client):
    original = NoteFactory(
        patient=world.patient,
        author=world["member"],
        body=canary("original"),
        encounter_date=timezone.localdate() - dt.timedelta(days=3),
    )
    sign_in(world["member"])
    form_page = client.get(url("note_amend", world.patient, note_id=original.pk))
    assert form_page.status_code == 200
    assert canary("original") in form_page.content.decode()

    response = client.post(
        url("note_amend", world.patient, note_id=original.pk),
        {
            "encounter_date": original.encounter_date.isoformat(),
            "note_type": "consultation",
            "sensitivity": "standard",
            "body": canary("correction"),
        },
    )

    assert response.status_code == 302
    amendment = ClinicalNote.objects.get(amends=original)
    page = client.get(url("notes", world.patient)).content.decode()
    assert canary("original") in page
    assert canary("correction") in page
    assert f'href="?page=1#note-{original.pk}"' in page
    assert f'href="?page=1#note-{amendment.pk}"' in page
    assert "Amended by" in page
    assert "Amends" in page


def test_only_author_or_lead_may_amend(world, sign_in, client):
    original = NoteFactory(patient=world.patient, author=world["lead"])
    sign_in(world["member"])

    response = client.post(
        url("note_amend", world.patient, note_id=original.pk),
        {
            "encounter_date": original.encounter_date.isoformat(),
            "note_type": "consultation",
            "sensitivity": "standard",
            "body": "correction",
        },
    )

    assert response.status_code == 200
    assert "Only the author of a note or the care team lead can amend it." in (
        response.content.decode()
    )
    assert ClinicalNote.objects.count() == 1


def test_amend_links_only_for_the_author_and_the_lead(world, sign_in, client):
    own = NoteFactory(patient=world.patient, author=world["member"])
    other = NoteFactory(patient=world.patient, author=world["member_restricted"])

    def links(relationship: str) -> set[int]:
        sign_in(world[relationship])
        rows = client.get(url("notes", world.patient)).context["rows"]
        return {row.entry.id for row in rows if row.may_amend}

    assert links("member") == {own.pk}
    assert links("lead") == {own.pk, other.pk}
    assert links("break_glass_active") == set()


def test_amending_a_note_of_another_patient_is_404(world, sign_in, client):
    elsewhere = NoteFactory()
    sign_in(world["lead"])

    response = client.get(url("note_amend", world.patient, note_id=elsewhere.pk))

    assert response.status_code == 404


def _timeline_queries(world, client, count: int) -> int:
    ClinicalNote.objects.all().delete()
    for index in range(count):
        NoteFactory(
            patient=world.patient,
            author=world["member"],
            sensitivity=Sensitivity.RESTRICTED if index % 3 == 0 else Sensitivity.STANDARD,
        )
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("notes", world.patient)).status_code == 200
    return len(queries)


def test_timeline_query_count_does_not_grow_with_notes(world, sign_in, client):
    sign_in(world["lead"])
    # The first request of a session does its own once-only work (session, activity stamp).
    client.get(url("notes", world.patient))

    assert _timeline_queries(world, client, 5) == _timeline_queries(world, client, 50)


def test_timeline_is_paginated_newest_first(world, sign_in, client):
    today = timezone.localdate()
    for days in range(30):
        NoteFactory(
            patient=world.patient,
            encounter_date=today - dt.timedelta(days=days),
            body=f"entry-{days:02d}-",
        )
    sign_in(world["member"])

    first = client.get(url("notes", world.patient)).content.decode()
    second = client.get(url("notes", world.patient) + "?page=2").content.decode()

    assert first.index("entry-00-") < first.index("entry-01-")
    assert "entry-24-" in first and "entry-25-" not in first
    assert "entry-25-" in second and "entry-29-" in second


# --- Plan ------------------------------------------------------------------------------------


def test_add_goal_and_update_its_status(world, sign_in, client):
    sign_in(world["member"])

    response = client.post(url("plan", world.patient), valid_post("plan"))

    assert response.status_code == 302
    goal = TreatmentGoal.objects.get()
    assert canary("goal") in client.get(url("plan", world.patient)).content.decode()
    mark = last_event_id()
    response = client.post(
        url("goal_status", world.patient, goal_id=goal.pk), {"status": GoalStatus.ACHIEVED}
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACHIEVED
    types = [e.event_type for e in events_after(mark)]
    assert types == [EventType.PATIENT_VIEWED, EventType.PLAN_GOAL_UPDATED]


def test_goal_review_before_agreement_is_an_error(world, sign_in, client):
    sign_in(world["member"])
    today = timezone.localdate()

    response = client.post(
        url("plan", world.patient),
        {
            "goal": "walk",
            "agreed_on": today.isoformat(),
            "review_on": (today - dt.timedelta(days=1)).isoformat(),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"review_on": [str(REVIEW_BEFORE_AGREEMENT)]}
    assert TreatmentGoal.objects.count() == 0


def test_goal_of_another_patient_is_404(world, sign_in, client):
    goal = GoalFactory()
    sign_in(world["lead"])

    response = client.post(
        url("goal_status", world.patient, goal_id=goal.pk), {"status": GoalStatus.ACHIEVED}
    )

    assert response.status_code == 404
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE


# --- Consents --------------------------------------------------------------------------------


def _permitted(response, purpose: str) -> list[bool]:
    section = next(s for s in response.context["sections"] if s.purpose == purpose)
    return [permission.permitted for permission in section.permissions]


def test_withdrawal_takes_effect_at_once(world, sign_in, client):
    consent = ConsentFactory(patient=world.patient, purpose=ConsentPurpose.RESEARCH)
    sign_in(world["member"])
    assert _permitted(client.get(url("consents", world.patient)), "research") == [True]

    confirm = client.get(url("consent_withdraw", world.patient, consent_id=consent.pk))
    assert confirm.status_code == 200
    assert "Withdrawal takes effect at once" in confirm.content.decode()
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.GIVEN

    mark = last_event_id()
    response = client.post(url("consent_withdraw", world.patient, consent_id=consent.pk))

    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.WITHDRAWN
    assert EventType.CONSENT_WITHDRAWN in [e.event_type for e in events_after(mark)]
    page = client.get(url("consents", world.patient))
    assert _permitted(page, "research") == [False]
    assert "Use not permitted now" in page.content.decode()


def test_consents_show_each_purpose_separately(world, sign_in, client):
    ConsentFactory(patient=world.patient, purpose=ConsentPurpose.CARE_AND_DATA)
    ConsentFactory(
        patient=world.patient,
        purpose=ConsentPurpose.SHARING_WITH_ORGANISATION,
        organisation="Red Cross",
    )
    sign_in(world["member"])

    response = client.get(url("consents", world.patient))

    assert _permitted(response, "care_and_data") == [True]
    assert _permitted(response, "research") == [False]
    assert _permitted(response, "sharing_with_organisation") == [True]
    assert "Red Cross" in response.content.decode()


def test_record_consent_not_obtained_needs_a_reason(world, sign_in, client):
    sign_in(world["member"])

    response = client.post(
        url("consents", world.patient),
        {"purpose": ConsentPurpose.CARE_AND_DATA, "status": ConsentStatus.NOT_OBTAINED},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "not_obtained_reason": [str(CONSENT_REASON_REQUIRED)]
    }
    assert Consent.objects.count() == 0


def test_record_consent_given_needs_an_explanation_then_records(world, sign_in, client):
    sign_in(world["member"])
    data = {"purpose": ConsentPurpose.RESEARCH, "status": ConsentStatus.GIVEN}

    refused = client.post(url("consents", world.patient), data)
    assert refused.context["form"].errors == {"explanation": [str(CONSENT_EXPLANATION_REQUIRED)]}
    assert Consent.objects.count() == 0

    response = client.post(url("consents", world.patient), valid_post("consents"))

    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.explained_by == world["member"]
    assert consent.status == ConsentStatus.GIVEN


def test_withdrawing_refused_consent_changes_nothing(world, sign_in, client):
    consent = ConsentFactory(patient=world.patient, status=ConsentStatus.REFUSED)
    sign_in(world["member"])

    response = client.post(
        url("consent_withdraw", world.patient, consent_id=consent.pk), follow=True
    )

    assert "Only consent that was given can be withdrawn." in response.content.decode()
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.REFUSED


@pytest.mark.parametrize("relationship", ("not_on_team", "manager", "reception"))
def test_refused_withdrawal_changes_nothing(world, sign_in, client, relationship):
    consent = ConsentFactory(patient=world.patient)
    sign_in(world[relationship])
    mark, before = last_event_id(), snapshot()

    response = client.post(url("consent_withdraw", world.patient, consent_id=consent.pk))

    assert response.status_code == 404
    assert snapshot() == before
    only_event(mark, EventType.ACCESS_DENIED)


# --- Safety ----------------------------------------------------------------------------------


def test_raise_then_resolve_a_flag_after_confirmation(world, sign_in, client):
    sign_in(world["member"])

    client.post(url("safety", world.patient), valid_post("safety"))
    flag = SafetyFlag.objects.get()
    page = client.get(url("safety", world.patient)).content.decode()
    assert canary("risk") in page

    confirm = client.get(url("safety_flag_resolve", world.patient, flag_id=flag.pk))
    assert confirm.status_code == 200
    flag.refresh_from_db()
    assert flag.resolved_at is None

    response = client.post(url("safety_flag_resolve", world.patient, flag_id=flag.pk))

    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.resolved_by == world["member"]
    page = client.get(url("safety", world.patient))
    assert page.context["active_flags"] == []
    assert [f.pk for f in page.context["resolved_flags"]] == [flag.pk]


@pytest.mark.parametrize("relationship", ("not_on_team", "supervisor_of_member", "admin"))
def test_refused_resolve_changes_nothing(world, sign_in, client, relationship):
    flag = FlagFactory(patient=world.patient)
    sign_in(world[relationship])
    mark, before = last_event_id(), snapshot()

    response = client.post(url("safety_flag_resolve", world.patient, flag_id=flag.pk))

    assert response.status_code == 404
    assert snapshot() == before
    only_event(mark, EventType.ACCESS_DENIED)


def test_invalid_flag_kind_saves_nothing(world, sign_in, client):
    sign_in(world["member"])

    response = client.post(url("safety", world.patient), {"kind": "made_up"})

    assert response.status_code == 200
    assert "kind" in response.context["form"].errors
    assert SafetyFlag.objects.count() == 0


# --- Leaks -----------------------------------------------------------------------------------


def test_no_canary_in_urls_or_other_users_responses(world, sign_in, client):
    sign_in(world["member"])
    for page in ("notes", "plan", "consents", "safety"):
        response = client.post(url(page, world.patient), valid_post(page))
        assert CANARY_MARKER not in response.get("Location", "")
    sign_in(world["not_on_team"])
    for page in PAGES:
        response = client.get(url(page, world.patient))
        assert CANARY_MARKER not in response.content.decode()
    assert not AuditEvent.objects.filter(details__icontains=CANARY_MARKER).exists()
