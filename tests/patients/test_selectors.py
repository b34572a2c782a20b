"""Reads: fetch-and-check, lists, counts, search, the notes timeline, and their audit events."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from patients import selectors
from patients.exceptions import PATIENT_NOT_FOUND, PatientNotFound
from patients.models import (
    FieldNotPermitted,
    PatientStatus,
    RiskLevel,
    SafetyFlagKind,
    Sensitivity,
    Stage,
)
from patients.permissions import READ_ACTIONS, Action
from patients.selectors import PatientNotFetchedError, Section
from tests.factories import UserFactory

from .conftest import (
    EXPECTED,
    PATIENT_ACTIONS,
    RELATIONSHIPS,
    events_after,
    last_event_id,
    snapshot,
)
from .factories import FlagFactory, MembershipFactory, NoteFactory, PatientFactory, clinician

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("relationship", RELATIONSHIPS)
def test_patient_get_for_matrix(world, relationship):
    """Allowed: the patient (PATIENT_VIEWED for reads). Refused: 404, one denial, no change."""
    user = world[relationship]
    grant = user.break_glass_grants.filter(lapsed_at__isnull=True).first()
    # Under break-glass, every event (denials too) names the grant in force.
    flag = {"break_glass_grant": grant.pk} if grant is not None else {}
    problems = []
    for action in PATIENT_ACTIONS:
        mark, before = last_event_id(), snapshot()
        allowed = action in EXPECTED[relationship]
        try:
            patient = selectors.patient_get_for(
                user=user, action=action, case_code=world.patient.case_code
            )
        except PatientNotFound as error:
            events = events_after(mark)
            if allowed:
                problems.append(f"{action}: refused")
            elif str(error) != PATIENT_NOT_FOUND:
                problems.append(f"{action}: message {error}")
            elif [(e.event_type, e.outcome, e.target_id, e.case_code) for e in events] != [
                (
                    EventType.ACCESS_DENIED,
                    Outcome.DENIED,
                    str(world.patient.pk),
                    world.patient.case_code,
                )
            ]:
                problems.append(f"{action}: denial events {events}")
            elif events[0].details != {"action": str(action), "reason": "policy", **flag}:
                problems.append(f"{action}: denial details {events[0].details}")
            if snapshot() != before:
                problems.append(f"{action}: data changed")
            continue
        events = events_after(mark)
        if not allowed:
            problems.append(f"{action}: allowed")
        elif patient.pk != world.patient.pk:
            problems.append(f"{action}: wrong patient")
        elif action in READ_ACTIONS:
            if [(e.event_type, e.details) for e in events] != [
                (EventType.PATIENT_VIEWED, {"action": str(action), "section": "overview", **flag})
            ]:
                problems.append(f"{action}: read events {events}")
        elif events:
            problems.append(f"{action}: unexpected events {events}")
    assert problems == []


@pytest.mark.parametrize(
    "reference",
    [
        {"case_code": "2222-2222-2"},  # well formed, wrong check symbol
        {"case_code": "not a code"},
        {"uuid": uuid.uuid4()},
        {"uuid": "not-a-uuid"},
    ],
)
def test_missing_and_malformed_references_get_the_same_404(world, reference):
    mark = last_event_id()

    with pytest.raises(PatientNotFound) as caught:
        selectors.patient_get_for(user=world["lead"], action=Action.VIEW_CLINICAL, **reference)

    assert str(caught.value) == PATIENT_NOT_FOUND
    [event] = events_after(mark)
    assert (event.event_type, event.outcome, event.target_id, event.case_code) == (
        EventType.ACCESS_DENIED,
        Outcome.DENIED,
        "",
        "",
    )
    assert event.details == {"action": "view_clinical", "reason": "not_found"}


def test_case_codes_are_accepted_in_any_case_and_spacing(world):
    code = world.patient.case_code.lower().replace("-", " ")

    patient = selectors.patient_get_for(
        user=world["lead"], action=Action.VIEW_METADATA, case_code=code
    )

    assert patient.pk == world.patient.pk


def test_exactly_one_reference_is_required(world):
    with pytest.raises(TypeError):
        selectors.patient_get_for(user=world["lead"], action=Action.VIEW_CLINICAL)


def test_the_viewed_event_names_the_section(world):
    mark = last_event_id()

    selectors.patient_get_for(
        user=world["lead"],
        action=Action.VIEW_CLINICAL,
        uuid=world.patient.uuid,
        section=Section.NOTES,
    )

    [event] = events_after(mark)
    assert event.details == {"action": "view_clinical", "section": "notes"}
    assert (event.target_type, event.target_id, event.case_code) == (
        "patients.patient",
        str(world.patient.pk),
        world.patient.case_code,
    )


@pytest.mark.parametrize(
    ("action", "readable", "withheld"),
    [
        (Action.VIEW_FRONT_DESK, "preferred_name", "stage"),
        (Action.VIEW_METADATA, "risk_level", "preferred_name"),
        (Action.VIEW_CLINICAL, "preferred_name", "current_location"),
        (Action.ADD_NOTE, "case_code", "preferred_name"),
    ],
)
def test_a_fetched_patient_holds_only_what_its_action_allows(world, action, readable, withheld):
    patient = selectors.patient_get_for(
        user=world["lead"], action=action, case_code=world.patient.case_code
    )

    getattr(patient, readable)
    with pytest.raises(FieldNotPermitted):
        getattr(patient, withheld)


def test_read_restricted_loads_the_current_location(world):
    patient = selectors.patient_get_for(
        user=world["lead"], action=Action.READ_RESTRICTED, case_code=world.patient.case_code
    )

    assert patient.current_location == "Shelter north"


def test_if_the_audit_write_fails_no_patient_is_returned(world, monkeypatch):
    def refuse(*args, **kwargs):
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr(AuditEvent, "save", refuse)
    result = None

    with pytest.raises(DatabaseError):
        result = selectors.patient_get_for(
            user=world["lead"], action=Action.VIEW_CLINICAL, case_code=world.patient.case_code
        )
    with pytest.raises(DatabaseError):
        result = selectors.patients_my_caseload(user=world["lead"])
    with pytest.raises(DatabaseError):
        result = selectors.patients_caseload(user=world["manager"])
    assert result is None


def test_if_the_audit_write_fails_no_restricted_note_is_returned(world, monkeypatch):
    NoteFactory(patient=world.patient, sensitivity=Sensitivity.RESTRICTED, body="restricted")
    patient = selectors.patient_get_for(
        user=world["lead"], action=Action.VIEW_CLINICAL, case_code=world.patient.case_code
    )
    monkeypatch.setattr(AuditEvent, "save", lambda *a, **k: (_ for _ in ()).throw(DatabaseError()))

    with pytest.raises(DatabaseError):
        selectors.notes_timeline(user=world["lead"], patient=patient)


# --- Lists, counts and search ---------------------------------------------------------------


@pytest.mark.parametrize("relationship", RELATIONSHIPS)
def test_lists_counts_and_search_follow_the_policy(world, relationship):
    user = world[relationship]
    prefix = world.patient.case_code[:4]
    on_team = relationship in {"lead", "member", "member_restricted"}
    sees_metadata = Action.VIEW_METADATA in EXPECTED[relationship]

    caseload = list(selectors.patients_my_caseload(user=user))
    metadata = list(selectors.patients_caseload(user=user))
    counts = selectors.caseload_counts(user=user)
    found = selectors.patients_autocomplete(user=user, prefix=prefix)

    assert [p.pk for p in caseload] == ([world.patient.pk] if on_team else [])
    assert [p.pk for p in metadata] == ([world.patient.pk] if sees_metadata else [])
    assert counts.total == (1 if sees_metadata else 0)
    assert [r.case_code for r in found] == ([world.patient.case_code] if sees_metadata else [])


def test_a_patient_outside_the_team_is_in_no_list(world):
    other = PatientFactory()
    MembershipFactory(patient=other, clinician=world["not_on_team"])
    user = world["member"]

    assert other.pk not in {p.pk for p in selectors.patients_my_caseload(user=user)}
    assert other.pk not in {p.pk for p in selectors.patients_caseload(user=user)}
    assert selectors.caseload_counts(user=user).total == 1
    assert selectors.patients_autocomplete(user=user, prefix=other.case_code) == []


def test_my_caseload_rows_carry_role_flags_and_filters(world):
    world.patient.stage = Stage.RECOVERY
    world.patient.risk_level = RiskLevel.HIGH
    world.patient.save()
    FlagFactory(patient=world.patient, kind=SafetyFlagKind.DO_NOT_CONFIRM_PRESENCE)
    FlagFactory(patient=world.patient)
    mark = last_event_id()

    [row] = selectors.patients_my_caseload(user=world["lead"], stage="recovery", risk_level="high")
    empty = list(selectors.patients_my_caseload(user=world["lead"], stage="intake"))

    assert (row.care_team_role, row.active_safety_flags, row.do_not_confirm_presence) == (
        "lead",
        2,
        True,
    )
    assert row.preferred_name == "Amal"
    with pytest.raises(FieldNotPermitted):
        row.current_location  # noqa: B018
    assert empty == []
    first, second = events_after(mark)
    assert first.event_type == EventType.PATIENT_LIST_VIEWED
    assert first.details == {
        "list": "my_caseload",
        "stage": "recovery",
        "risk_level": "high",
        "include_closed": False,
    }
    assert second.details["stage"] == "intake"


def test_list_filters_accept_only_choices(world):
    with pytest.raises(ValueError):
        selectors.patients_my_caseload(user=world["lead"], stage="anything else")


def test_closed_patients_are_listed_only_when_asked(world):
    world.patient.stage = Stage.CLOSED
    world.patient.status = PatientStatus.CLOSED
    world.patient.closed_on = world.patient.registered_on
    world.patient.save()

    assert list(selectors.patients_my_caseload(user=world["lead"])) == []
    assert len(selectors.patients_my_caseload(user=world["lead"], include_closed=True)) == 1


def test_caseload_metadata_rows_never_carry_names(world):
    [row] = selectors.patients_caseload(user=world["supervisor_of_member"])

    assert (row.care_team_size, row.lead_id) == (5, world["lead"].pk)
    with pytest.raises(FieldNotPermitted):
        row.preferred_name  # noqa: B018


def test_caseload_can_be_narrowed_to_one_clinician(world):
    other = PatientFactory()
    MembershipFactory(patient=other, clinician=world["not_on_team"])

    rows = selectors.patients_caseload(user=world["manager"], clinician=world["not_on_team"])
    counts = selectors.caseload_counts(user=world["manager"], clinician=world["member"])

    assert [p.pk for p in rows] == [other.pk]
    assert counts.total == 1


def test_caseload_counts_by_stage_risk_and_complexity(world):
    PatientFactory(stage=Stage.RECOVERY, risk_level=RiskLevel.HIGH, complexity=4)

    counts = selectors.caseload_counts(user=world["manager"])

    assert counts.total == 2
    assert (counts.by_stage["intake"], counts.by_stage["recovery"]) == (1, 1)
    assert (counts.by_risk_level[""], counts.by_risk_level["high"]) == (1, 1)
    assert (counts.by_complexity[None], counts.by_complexity[4]) == (1, 1)


def test_autocomplete_needs_three_valid_characters(world):
    lead = world["lead"]

    assert selectors.patients_autocomplete(user=lead, prefix=world.patient.case_code[:2]) == []
    assert selectors.patients_autocomplete(user=lead, prefix="O0I1") == []
    assert len(selectors.patients_autocomplete(user=lead, prefix=world.patient.case_code)) == 1
    typed = world.patient.case_code.replace("-", " ").lower()[:7]
    assert [r.uuid for r in selectors.patients_autocomplete(user=lead, prefix=typed)] == [
        world.patient.uuid
    ]


def test_reception_is_not_served_by_search(world):
    assert (
        selectors.patients_autocomplete(user=world["reception"], prefix=world.patient.case_code)
        == []
    )


# --- Front desk -----------------------------------------------------------------------------


def test_reception_sees_the_front_desk_card_with_warnings(world):
    FlagFactory(patient=world.patient, kind=SafetyFlagKind.DO_NOT_CONFIRM_PRESENCE)
    FlagFactory(patient=world.patient, kind=SafetyFlagKind.VIOLENCE_RISK)
    mark = last_event_id()

    card = selectors.patient_front_desk_get(
        user=world["reception"], case_code=world.patient.case_code
    )

    assert (card.case_code, card.preferred_name) == (world.patient.case_code, "Amal")
    assert card.do_not_confirm_presence
    assert card.warnings == (SafetyFlagKind.DO_NOT_CONFIRM_PRESENCE,)
    [event] = events_after(mark)
    assert event.details == {"action": "view_front_desk", "section": "front_desk"}


def test_a_resolved_flag_no_longer_warns_reception(world):
    FlagFactory(
        patient=world.patient,
        kind=SafetyFlagKind.DO_NOT_CONFIRM_PRESENCE,
        resolved_at=world.patient.created_at,
        resolved_by=world["lead"],
    )

    card = selectors.patient_front_desk_get(
        user=world["reception"], case_code=world.patient.case_code
    )

    assert not card.do_not_confirm_presence


def test_admins_get_no_front_desk_card(world):
    with pytest.raises(PatientNotFound):
        selectors.patient_front_desk_get(user=world["admin"], case_code=world.patient.case_code)


# --- Notes timeline and restricted entries --------------------------------------------------


@pytest.fixture
def restricted_note(world):
    return NoteFactory(
        patient=world.patient,
        author=world["member"],
        sensitivity=Sensitivity.RESTRICTED,
        body="restricted body",
    )


@pytest.mark.parametrize(
    ("relationship", "readable"),
    [
        ("member", True),  # the author
        ("lead", True),
        ("member_restricted", True),
        ("break_glass_active", False),
    ],
)
def test_restricted_notes_are_readable_by_author_lead_and_granted_members(
    world, restricted_note, relationship, readable
):
    user = world[relationship]
    NoteFactory(patient=world.patient, body="standard body")
    patient = selectors.patient_get_for(
        user=user, action=Action.VIEW_CLINICAL, case_code=world.patient.case_code
    )
    mark = last_event_id()

    entries = selectors.notes_timeline(user=user, patient=patient)

    [entry] = [e for e in entries if e.id == restricted_note.pk]
    [standard] = [e for e in entries if e.id != restricted_note.pk]
    assert standard.body == "standard body"
    if readable:
        assert (entry.body, entry.hidden) == ("restricted body", False)
        [event] = events_after(mark)
        assert (event.event_type, event.details.get("restricted_notes")) == (
            EventType.NOTE_VIEWED,
            [restricted_note.pk],
        )
    else:
        assert (entry.body, entry.hidden, entry.is_restricted) == (None, True, True)
        assert (entry.author_username, entry.note_type) == ("member", "consultation")
        assert events_after(mark) == []


def test_other_members_see_only_that_a_restricted_note_exists(world, restricted_note):
    other = clinician(username="other_member")
    MembershipFactory(patient=world.patient, clinician=other)
    patient = selectors.patient_get_for(
        user=other, action=Action.VIEW_CLINICAL, case_code=world.patient.case_code
    )

    [entry] = selectors.notes_timeline(user=other, patient=patient)
    single = selectors.note_get_for(user=other, patient=patient, note_id=restricted_note.pk)

    assert (entry.id, entry.hidden, entry.body) == (restricted_note.pk, True, None)
    assert single == entry


def test_the_timeline_links_amendments_both_ways(world):
    original = NoteFactory(patient=world.patient, author=world["lead"])
    amendment = NoteFactory(patient=world.patient, author=world["lead"], amends=original)
    patient = selectors.patient_get_for(
        user=world["lead"], action=Action.VIEW_CLINICAL, case_code=world.patient.case_code
    )

    entries = {e.id: e for e in selectors.notes_timeline(user=world["lead"], patient=patient)}

    assert entries[original.pk].amended_by == (amendment.pk,)
    assert entries[amendment.pk].amends_id == original.pk


def test_note_of_another_patient_is_not_found(world):
    elsewhere = NoteFactory()
    patient = selectors.patient_get_for(
        user=world["lead"], action=Action.VIEW_CLINICAL, case_code=world.patient.case_code
    )

    with pytest.raises(PatientNotFound):
        selectors.note_get_for(user=world["lead"], patient=patient, note_id=elsewhere.pk)


def test_section_selectors_need_a_patient_fetched_for_this_user(world):
    patient = selectors.patient_get_for(
        user=world["lead"], action=Action.VIEW_CLINICAL, case_code=world.patient.case_code
    )
    metadata_only = selectors.patient_get_for(
        user=world["lead"], action=Action.VIEW_METADATA, case_code=world.patient.case_code
    )

    with pytest.raises(PatientNotFetchedError):
        selectors.notes_timeline(user=world["member"], patient=patient)
    with pytest.raises(PatientNotFetchedError):
        selectors.consents_for(user=world["lead"], patient=world.patient)
    with pytest.raises(PatientNotFetchedError):
        selectors.treatment_goals_for(user=world["lead"], patient=metadata_only)
    assert selectors.care_team_for(user=world["lead"], patient=metadata_only).count() == 5


def test_care_team_is_visible_to_a_supervisor_of_a_member(world):
    patient = selectors.patient_get_for(
        user=world["supervisor_of_member"],
        action=Action.VIEW_METADATA,
        case_code=world.patient.case_code,
    )

    team = selectors.care_team_for(user=world["supervisor_of_member"], patient=patient)
    history = selectors.care_team_for(
        user=world["supervisor_of_member"], patient=patient, include_past=True
    )

    assert [m.role for m in team][:1] == ["lead"]
    assert len(history) == len(team) + 1


# --- Query counts ---------------------------------------------------------------------------


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured.captured_queries)


@pytest.mark.parametrize("size", [5, 50])
def test_my_caseload_query_count_does_not_grow(size, django_assert_num_queries):
    lead = clinician()
    lead.role_names  # noqa: B018  # roles are read once per request, like a page would
    for _ in range(size):
        patient = PatientFactory()
        MembershipFactory(patient=patient, clinician=lead, role="lead")
        FlagFactory(patient=patient)

    # One audit insert and one list query, whatever the number of patients.
    with django_assert_num_queries(2):
        rows = list(selectors.patients_my_caseload(user=lead))
        assert len(rows) == size
        [(row.preferred_name, row.active_safety_flags) for row in rows]


@pytest.mark.parametrize("size", [5, 50])
def test_overview_and_timeline_query_counts_do_not_grow(size, django_assert_num_queries):
    lead = clinician()
    lead.role_names  # noqa: B018
    patient = PatientFactory()
    MembershipFactory(patient=patient, clinician=lead, role="lead")
    for _ in range(size):
        MembershipFactory(patient=patient)
        NoteFactory(patient=patient)

    # Fetch with the check and grant id, the audit insert; team list; notes and links.
    with django_assert_num_queries(5):
        fetched = selectors.patient_get_for(
            user=lead, action=Action.VIEW_CLINICAL, uuid=patient.uuid
        )
        members = list(selectors.care_team_for(user=lead, patient=fetched))
        [m.clinician.username for m in members]
        notes = selectors.notes_timeline(user=lead, patient=fetched)
    assert (len(members), len(notes)) == (size + 1, size)


@pytest.mark.parametrize("size", [5, 50])
def test_metadata_list_query_count_does_not_grow(size, django_assert_num_queries):
    manager = UserFactory(roles=[Role.MANAGER])
    manager.role_names  # noqa: B018
    for _ in range(size):
        MembershipFactory(patient=PatientFactory())

    with django_assert_num_queries(3):
        rows = list(selectors.patients_caseload(user=manager))
        selectors.caseload_counts(user=manager)
    assert len(rows) == size
