"""Demo and scale data: the demo caseload's shape, idempotence, and the bulk load's exact counts."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from carecore.home.seeding import REFUSED_NOT_DEMO
from patients.models import (
    Attachment,
    BreakGlassGrant,
    CareTeamMembership,
    CareTeamRole,
    ClinicalNote,
    Consent,
    ConsentPurpose,
    ConsentStatus,
    GoalStatus,
    NoteType,
    Patient,
    PatientStatus,
    PrivacyNotification,
    ReviewOutcome,
    SafetyFlag,
    SafetyFlagKind,
    Sensitivity,
    TreatmentGoal,
)
from patients.seeding import DEMO_PATIENTS, SCALE_NOTE_BODIES, Volume, patients_bulk_seed
from supervision.models import SupervisionAgreement

pytestmark = pytest.mark.django_db

TINY = Volume(staff=3, patients=20, notes=100)


@pytest.fixture
def demo_settings(settings):
    settings.CARECORE_DEMO = True
    settings.DEBUG = False
    return settings


def _seed(command: str = "seed_demo", *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Patient,
            CareTeamMembership,
            ClinicalNote,
            Consent,
            TreatmentGoal,
            SafetyFlag,
            Attachment,
            BreakGlassGrant,
            SupervisionAgreement,
            AuditEvent,
        )
    }


def _leads(username: str) -> int:
    return (
        CareTeamMembership.objects.active()
        .filter(clinician__username=username, role=CareTeamRole.LEAD)
        .count()
    )


def test_demo_caseload_has_the_documented_shape(demo_settings):
    output = _seed()

    assert "Demo patients: 12 created with 16 notes" in output
    assert Patient.objects.count() == len(DEMO_PATIENTS) == 12
    assert Patient.objects.filter(status=PatientStatus.CLOSED).count() == 1
    assert Patient.objects.filter(legal_name_withheld=True).count() == 1
    assert (_leads("clinician"), _leads("clinician2"), _leads("supervisor")) == (6, 4, 2)
    assert CareTeamMembership.objects.active().count() == 18
    restricted_members = CareTeamMembership.objects.filter(
        role=CareTeamRole.MEMBER, restricted_access=True
    )
    assert list(restricted_members.values_list("clinician__username", flat=True)) == ["clinician2"]


def test_demo_notes_cover_every_type_with_a_restricted_note_and_an_amendment(demo_settings):
    _seed()

    assert ClinicalNote.objects.count() == 16
    assert set(ClinicalNote.objects.values_list("note_type", flat=True)) == set(NoteType.values)
    assert ClinicalNote.objects.filter(sensitivity=Sensitivity.RESTRICTED).count() == 1
    amendment = ClinicalNote.objects.get(amends__isnull=False)
    assert amendment.amends.author_id == amendment.author_id
    assert AuditEvent.objects.filter(event_type=EventType.NOTE_ADDED).count() == 15
    assert AuditEvent.objects.filter(event_type=EventType.NOTE_AMENDED).count() == 1


def test_demo_consents_goals_flags_and_attachment(demo_settings):
    _seed()

    def consents(purpose: str, status: str) -> int:
        return Consent.objects.filter(purpose=purpose, status=status).count()

    assert consents(ConsentPurpose.CARE_AND_DATA, ConsentStatus.GIVEN) == 12
    assert consents(ConsentPurpose.RESEARCH, ConsentStatus.GIVEN) == 3
    assert consents(ConsentPurpose.RESEARCH, ConsentStatus.NOT_OBTAINED) == 1
    assert consents(ConsentPurpose.SHARING_WITH_ORGANISATION, ConsentStatus.REFUSED) == 1
    assert consents(ConsentPurpose.LEGAL_PROCEEDINGS, ConsentStatus.GIVEN) == 1
    # The lifecycle demo records two consents to share with its partners (lifecycle/seeding.py).
    assert consents(ConsentPurpose.SHARING_WITH_ORGANISATION, ConsentStatus.GIVEN) == 2
    assert Consent.objects.count() == 20
    assert Consent.objects.get(status=ConsentStatus.NOT_OBTAINED).not_obtained_reason
    assert TreatmentGoal.objects.count() == 7
    assert TreatmentGoal.objects.filter(status=GoalStatus.ACHIEVED).count() == 2
    kinds = sorted(SafetyFlag.objects.values_list("kind", flat=True))
    assert kinds == sorted(
        [
            SafetyFlagKind.DO_NOT_CONFIRM_PRESENCE,
            SafetyFlagKind.TRAFFICKER_MAY_CONTACT,
            SafetyFlagKind.VIOLENCE_RISK,
        ]
    )
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png"
    assert attachment.size > 0
    assert bytes(attachment.content)[:8] != b"\x89PNG\r\n\x1a\n"  # stored encrypted


def test_demo_supervision_and_break_glass_give_the_oversight_pages_something(demo_settings):
    _seed()

    # The supervision demo adds clinician2 and the roster colleagues to the same supervisor.
    agreements = SupervisionAgreement.objects.filter(active=True).values_list(
        "supervisor__username", "supervisee__username"
    )
    assert {("supervisor", "clinician"), ("supervisor", "clinician2")} <= set(agreements)
    assert {supervisor for supervisor, _supervisee in agreements} == {"supervisor"}
    grant = BreakGlassGrant.objects.get()
    assert grant.clinician.username == "supervisor"
    assert grant.review_outcome == ReviewOutcome.PENDING
    assert list(PrivacyNotification.objects.values_list("recipient__username", flat=True)) == [
        "privacy"
    ]


def test_demo_writes_go_through_the_services_as_the_demo_staff(demo_settings):
    _seed()

    registered = AuditEvent.objects.filter(event_type=EventType.PATIENT_REGISTERED)
    assert registered.count() == 12
    registrars = set(registered.values_list("actor__username", flat=True))
    assert registrars == {"clinician", "clinician2", "supervisor", "reception"}
    team_changes = AuditEvent.objects.filter(event_type=EventType.CARE_TEAM_CHANGED)
    assert set(team_changes.values_list("actor__username", flat=True)) == {"manager"}
    summary = AuditEvent.objects.get(event_type=EventType.DEMO_DATA_SEEDED)
    assert summary.details == {
        "source": "seed_demo",
        "scale": "demo",
        "patients": 12,
        "notes": 16,
        "supervision_agreements": 1,
        "break_glass_grants": 1,
    }


def test_running_seed_demo_twice_adds_no_patients_and_no_events(demo_settings):
    _seed()
    before = _counts()

    output = _seed()

    assert _counts() == before
    assert "Demo patients: already present (left unchanged)." in output


def test_demo_caseload_is_written_at_large_scale_too(demo_settings):
    _seed("seed_demo", "--scale", "large")

    assert Patient.objects.count() == 12


def test_bulk_seed_writes_exactly_the_volume_asked_with_one_summary_event():
    events_before = AuditEvent.objects.count()

    counts = patients_bulk_seed(volume=TINY)

    assert (counts["staff"], counts["patients"], counts["notes"]) == (3, 20, 100)
    assert User.objects.count() == 3
    assert Patient.objects.count() == 20
    assert ClinicalNote.objects.count() == 100
    assert ClinicalNote.objects.filter(sensitivity=Sensitivity.RESTRICTED).count() == 10
    assert AuditEvent.objects.count() == events_before + 1
    summary = AuditEvent.objects.get()
    assert summary.event_type == EventType.DEMO_DATA_SEEDED
    assert summary.details["source"] == "seed_scale"
    assert summary.details["patients"] == 20
    assert all(isinstance(value, int | str) for value in summary.details.values())


def test_bulk_rows_are_complete_records():
    patients_bulk_seed(volume=TINY)

    assert CareTeamMembership.objects.filter(role=CareTeamRole.LEAD).count() == 20
    assert not Patient.objects.filter(preferred_name_dob_index="").exists()
    assert Consent.objects.filter(status=ConsentStatus.GIVEN).count() == 20
    # Each note's author is on that patient's team.
    for note in ClinicalNote.objects.all()[:20]:
        assert CareTeamMembership.objects.filter(
            patient_id=note.patient_id, clinician_id=note.author_id
        ).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM patients_clinicalnote")
        stored = b"".join(bytes(row[0]) for row in cursor.fetchall())
    assert SCALE_NOTE_BODIES[0].encode() not in stored


def test_bulk_seed_gives_the_benchmark_a_heavy_and_a_light_caseload():
    patients_bulk_seed(
        volume=Volume(staff=5, patients=40, notes=40, heavy_caseload=12, light_caseload=3)
    )

    leads = sorted(
        CareTeamMembership.objects.filter(role=CareTeamRole.LEAD).values_list(
            "clinician__username", flat=True
        )
    )
    assert leads.count("scale-clinician-0001") == 12
    assert leads.count("scale-clinician-0002") == 3


def test_seed_scale_refuses_outside_a_demo_installation(settings):
    settings.CARECORE_DEMO = False
    settings.DEBUG = False

    with pytest.raises(CommandError) as refused:
        _seed("seed_scale", "--staff", "3", "--patients", "20", "--notes", "100")

    assert str(refused.value) == str(REFUSED_NOT_DEMO)
    assert not Patient.objects.exists()


def test_seed_scale_runs_once(demo_settings):
    first = _seed("seed_scale", "--staff", "3", "--patients", "20", "--notes", "100")
    before = _counts()

    second = _seed("seed_scale", "--staff", "3", "--patients", "20", "--notes", "100")

    assert "Scale data: 3 staff, 20 patients, 100 notes" in first
    assert "Scale data already present" in second
    assert _counts() == before
    assert Patient.objects.count() == 12 + 20
    assert AuditEvent.objects.filter(event_type=EventType.DEMO_DATA_SEEDED).count() == 2
