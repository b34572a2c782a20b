"""Every write service against every relationship: allowed ones write one event; refused ones
get the same 404, write one ACCESS_DENIED event and change nothing."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.utils import timezone
from PIL import Image

from carecore.audit.events import EventType, Outcome
from patients import services
from patients.exceptions import PatientNotFound
from patients.models import ConsentPurpose, ConsentStatus, SafetyFlagKind, TreatmentGoal
from patients.permissions import Action

from .conftest import EXPECTED, RELATIONSHIPS, events_after, last_event_id, only_event, snapshot
from .factories import ConsentFactory, FlagFactory, GoalFactory, NoteFactory, clinician


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _attachment(world):
    return services.attachment_upload(
        actor=world["lead"], patient=world.patient, filename="scan.png", content=_png()
    )


# name -> (action that governs it, event written on success, call(world, user))
WRITES: dict[str, tuple[Action, EventType, Callable]] = {
    "note_add": (
        Action.ADD_NOTE,
        EventType.NOTE_ADDED,
        lambda w, u: services.note_add(
            actor=u,
            patient=w.patient,
            encounter_date=timezone.localdate(),
            note_type="consultation",
            body="seen today",
        ),
    ),
    "patient_update": (
        Action.EDIT_CLINICAL,
        EventType.PATIENT_UPDATED,
        lambda w, u: services.patient_update(
            actor=u, patient=w.patient, changes={"stage": "recovery"}
        ),
    ),
    "location_update": (
        Action.READ_RESTRICTED,
        EventType.PATIENT_UPDATED,
        lambda w, u: services.patient_update(
            actor=u, patient=w.patient, changes={"current_location": "Shelter south"}
        ),
    ),
    "goal_add": (
        Action.EDIT_CLINICAL,
        EventType.PLAN_GOAL_ADDED,
        lambda w, u: services.treatment_goal_add(actor=u, patient=w.patient, goal="walk daily"),
    ),
    "goal_update": (
        Action.EDIT_CLINICAL,
        EventType.PLAN_GOAL_UPDATED,
        lambda w, u: services.treatment_goal_update_status(
            actor=u, goal=TreatmentGoal.objects.get(patient=w.patient), status="achieved"
        ),
    ),
    "consent_record": (
        Action.EDIT_CLINICAL,
        EventType.CONSENT_RECORDED,
        lambda w, u: services.consent_record(
            actor=u,
            patient=w.patient,
            details=services.ConsentDetails(purpose="research", status="refused"),
        ),
    ),
    "consent_withdraw": (
        Action.EDIT_CLINICAL,
        EventType.CONSENT_WITHDRAWN,
        lambda w, u: services.consent_withdraw(actor=u, consent=w.consent),
    ),
    "flag_raise": (
        Action.EDIT_CLINICAL,
        EventType.SAFETY_FLAG_RAISED,
        lambda w, u: services.safety_flag_raise(
            actor=u, patient=w.patient, kind=SafetyFlagKind.TRAFFICKER_MAY_CONTACT
        ),
    ),
    "flag_resolve": (
        Action.EDIT_CLINICAL,
        EventType.SAFETY_FLAG_RESOLVED,
        lambda w, u: services.safety_flag_resolve(actor=u, flag=w.flag),
    ),
    "attachment_upload": (
        Action.UPLOAD,
        EventType.ATTACHMENT_UPLOADED,
        lambda w, u: services.attachment_upload(
            actor=u, patient=w.patient, filename="scan.png", content=_png()
        ),
    ),
    "attachment_download": (
        Action.DOWNLOAD,
        EventType.ATTACHMENT_DOWNLOADED,
        lambda w, u: services.attachment_download(
            actor=u, patient=w.patient, attachment_id=w.attachment.pk
        ),
    ),
    "care_team_add": (
        Action.MANAGE_CARE_TEAM,
        EventType.CARE_TEAM_CHANGED,
        lambda w, u: services.care_team_member_add(
            actor=u, patient=w.patient, clinician=w.newcomer
        ),
    ),
    "care_team_remove": (
        Action.MANAGE_CARE_TEAM,
        EventType.CARE_TEAM_CHANGED,
        lambda w, u: services.care_team_member_remove(
            actor=u, patient=w.patient, clinician=w["member"]
        ),
    ),
    "care_team_set_lead": (
        Action.MANAGE_CARE_TEAM,
        EventType.CARE_TEAM_CHANGED,
        lambda w, u: services.care_team_set_lead(actor=u, patient=w.patient, clinician=w["member"]),
    ),
}


@pytest.fixture
def arranged(world):
    world.consent = ConsentFactory(
        patient=world.patient, purpose=ConsentPurpose.CONTACT_METHODS, status=ConsentStatus.GIVEN
    )
    world.flag = FlagFactory(patient=world.patient)
    GoalFactory(patient=world.patient)
    NoteFactory(patient=world.patient)
    world.attachment = _attachment(world)
    world.newcomer = clinician(username="newcomer")
    return world


@pytest.mark.parametrize("relationship", RELATIONSHIPS)
@pytest.mark.parametrize("write", list(WRITES))
def test_write_services_follow_the_policy(arranged, relationship, write):
    action, event_type, call = WRITES[write]
    user = arranged[relationship]
    grant = user.break_glass_grants.filter(lapsed_at__isnull=True).first()
    mark, before = last_event_id(), snapshot()

    if action in EXPECTED[relationship]:
        call(arranged, user)
        event = only_event(mark, event_type)
        assert (event.actor_id, event.case_code) == (user.pk, arranged.patient.case_code)
        assert event.details.get("break_glass_grant") == (grant.pk if grant else None)
        assert snapshot() != before or write == "attachment_download"
    else:
        with pytest.raises(PatientNotFound):
            call(arranged, user)
        event = only_event(mark, EventType.ACCESS_DENIED)
        assert (event.outcome, event.actor_id, event.target_id, event.case_code) == (
            Outcome.DENIED,
            user.pk,
            str(arranged.patient.pk),
            arranged.patient.case_code,
        )
        assert event.details["action"] == action
        assert snapshot() == before


def test_services_refuse_a_patient_that_does_not_exist(world):
    from patients.models import Patient

    ghost = Patient(pk=10**9, case_code="2222-2222-2")
    mark = last_event_id()

    with pytest.raises(PatientNotFound):
        services.note_add(
            actor=world["lead"],
            patient=ghost,
            encounter_date=timezone.localdate(),
            note_type="other",
            body="x",
        )

    [event] = events_after(mark)
    assert (event.event_type, event.case_code, event.details["reason"]) == (
        EventType.ACCESS_DENIED,
        "",
        "not_found",
    )
