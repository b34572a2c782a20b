"""The scale data set for benchmarks: thousands of rows with bulk_create, one summary event."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from carecore.accounts.models import User
from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record
from supervision.models import SupervisionAgreement

from .. import case_codes
from ..models import (
    CareTeamMembership,
    CareTeamRole,
    ClinicalNote,
    Consent,
    ConsentPurpose,
    ConsentStatus,
    IntakeExplanation,
    NoteType,
    Patient,
    RiskLevel,
    SafetyFlag,
    SafetyFlagKind,
    Sensitivity,
    Sex,
    Stage,
    TreatmentGoal,
)
from .demo_caseload import STANDARD_EXPLANATION

SCALE_SOURCE = "seed_scale"
BATCH_SIZE = 2_000


@dataclass(frozen=True)
class Volume:
    """How much `patients_bulk_seed` writes, with one heavy and one light caseload to compare."""

    staff: int
    patients: int
    notes: int
    # Patients led by the first and the second bulk clinician; the rest are shared evenly.
    heavy_caseload: int = 0
    light_caseload: int = 0


LARGE_VOLUME = Volume(
    staff=200, patients=10_000, notes=200_000, heavy_caseload=300, light_caseload=30
)
SCALE_USERNAME = "scale-clinician-{n:04d}"
SCALE_FIRST_NAMES = ("Ash", "Bo", "Cai", "Dee", "Eun", "Fen", "Gil", "Hal", "Ivo", "Jem")
SCALE_LAST_NAMES = ("Ambler", "Birchall", "Coldwell", "Dewhirst", "Eastham", "Foxley")
SCALE_PREFERRED_NAMES = ("Alias A", "Alias B", "Alias C", "Alias D", "Alias E", "Alias F")
SCALE_NOTE_BODIES = (
    "Routine review (generated for benchmarks). Sleep and appetite discussed.",
    "Follow-up (generated for benchmarks). Medication reviewed, no changes.",
    "Phone check-in (generated for benchmarks). Appointment confirmed.",
    "Group session (generated for benchmarks). Attended and took part.",
    "Referral written (generated for benchmarks) to a partner service.",
)
SCALE_GOAL = "Generated goal for benchmarks: attend appointments regularly."
SCALE_STAGES = (Stage.INTAKE, Stage.STABILISATION, Stage.RECOVERY, Stage.REINTEGRATION)
NOTE_TYPES = tuple(NoteType)
RESTRICTED_EVERY = 10  # one note in ten is restricted
FLAG_EVERY = 25  # one patient in twenty-five has a safety flag
MEMBER_EVERY = 2  # one patient in two has a second clinician on the team
SUPERVISEES_PER_SUPERVISOR = 12

Progress = Callable[[str], None]


def scale_data_present() -> bool:
    """Return whether `patients_bulk_seed` has already run on this database."""
    return User.objects.filter(username=SCALE_USERNAME.format(n=1)).exists()


def _leads(volume: Volume, clinician_ids: Sequence[int]) -> list[int]:
    # One heavy and one light caseload for the benchmark, then round robin over the rest.
    heavy = min(volume.heavy_caseload, volume.patients) if len(clinician_ids) > 2 else 0
    light = min(volume.light_caseload, volume.patients - heavy) if len(clinician_ids) > 2 else 0
    leads = [clinician_ids[0]] * heavy + [clinician_ids[1]] * light
    rest = clinician_ids[2:] if heavy or light else clinician_ids
    leads.extend(itertools.islice(itertools.cycle(rest), volume.patients - len(leads)))
    return leads


def _bulk_staff(volume: Volume) -> list[int]:
    clinician_group = Group.objects.get(name=Role.CLINICIAN)
    users = []
    for n in range(1, volume.staff + 1):
        user = User(
            username=SCALE_USERNAME.format(n=n),
            first_name=SCALE_FIRST_NAMES[n % len(SCALE_FIRST_NAMES)],
            last_name=SCALE_LAST_NAMES[n % len(SCALE_LAST_NAMES)],
            email=f"{SCALE_USERNAME.format(n=n)}@example.org",
        )
        # They exist to fill caseloads, not to sign in.
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users, batch_size=BATCH_SIZE)
    ids = list(
        User.objects.filter(username__in=[u.username for u in users])
        .order_by("username")
        .values_list("pk", flat=True)
    )
    Membership = User.groups.through
    Membership.objects.bulk_create(
        [Membership(user_id=pk, group_id=clinician_group.pk) for pk in ids],
        batch_size=BATCH_SIZE,
    )
    return ids


def _unique_case_codes(count: int) -> list[str]:
    taken = set(Patient.objects.values_list("case_code", flat=True))
    codes: list[str] = []
    while len(codes) < count:
        code = case_codes.generate()
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return codes


def _bulk_patients(
    volume: Volume, leads: list[int], rng: random.Random, today: dt.date
) -> list[int]:
    codes = _unique_case_codes(volume.patients)
    patients = []
    for i in range(volume.patients):
        stage = SCALE_STAGES[i % len(SCALE_STAGES)]
        patient = Patient(
            case_code=codes[i],
            registered_by_id=leads[i],
            registered_on=today - dt.timedelta(days=400 + rng.randrange(700)),
            stage=stage,
            complexity=None if stage == Stage.INTAKE else 1 + i % 5,
            risk_level="" if stage == Stage.INTAKE else RiskLevel.values[i % 3],
            preferred_name=f"{SCALE_PREFERRED_NAMES[i % len(SCALE_PREFERRED_NAMES)]} {i + 1}",
            date_of_birth=dt.date(1960 + i % 45, 1 + i % 12, 1 + i % 28),
            sex=Sex.values[i % 2],
        )
        # bulk_create skips save(), where the duplicate-check indexes are normally computed.
        patient.refresh_blind_indexes()
        patients.append(patient)
    created = Patient.objects.bulk_create(patients, batch_size=BATCH_SIZE)
    return [patient.pk for patient in created]


def _bulk_care_teams(
    patient_ids: list[int],
    leads: list[int],
    clinician_ids: list[int],
    registered: dict[int, dt.date],
) -> dict[int, list[int]]:
    teams: dict[int, list[int]] = {}
    position = {pk: k for k, pk in enumerate(clinician_ids)}
    rows = []
    for i, (patient_id, lead_id) in enumerate(zip(patient_ids, leads, strict=True)):
        start = registered[patient_id]
        rows.append(
            CareTeamMembership(
                patient_id=patient_id,
                clinician_id=lead_id,
                role=CareTeamRole.LEAD,
                start_date=start,
            )
        )
        teams[patient_id] = [lead_id]
        if i % MEMBER_EVERY == 0 and len(clinician_ids) > 1:
            member = clinician_ids[(position[lead_id] + 1 + i % 7) % len(clinician_ids)]
            if member != lead_id:
                rows.append(
                    CareTeamMembership(
                        patient_id=patient_id,
                        clinician_id=member,
                        role=CareTeamRole.MEMBER,
                        restricted_access=i % 4 == 0,
                        start_date=start,
                    )
                )
                teams[patient_id].append(member)
    CareTeamMembership.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return teams


def _bulk_notes(
    volume: Volume,
    patient_ids: list[int],
    teams: dict[int, list[int]],
    registered: dict[int, dt.date],
    rng: random.Random,
    today: dt.date,
    progress: Progress,
) -> int:
    base, extra = divmod(volume.notes, len(patient_ids))
    written = 0
    batch: list[ClinicalNote] = []
    for i, patient_id in enumerate(patient_ids):
        team = teams[patient_id]
        span = max(1, (today - registered[patient_id]).days)
        for j in range(base + (1 if i < extra else 0)):
            batch.append(
                ClinicalNote(
                    patient_id=patient_id,
                    author_id=team[j % len(team)],
                    encounter_date=today - dt.timedelta(days=rng.randrange(span)),
                    note_type=NOTE_TYPES[(i + j) % len(NOTE_TYPES)],
                    sensitivity=(
                        Sensitivity.RESTRICTED
                        if (i + j) % RESTRICTED_EVERY == 0
                        else Sensitivity.STANDARD
                    ),
                    body=SCALE_NOTE_BODIES[(i + j) % len(SCALE_NOTE_BODIES)],
                )
            )
            if len(batch) == BATCH_SIZE:
                ClinicalNote.objects.bulk_create(batch)
                written += len(batch)
                batch = []
                if written % (BATCH_SIZE * 10) == 0:
                    progress(f"  notes: {written:,} of {volume.notes:,}")
    if batch:
        ClinicalNote.objects.bulk_create(batch)
        written += len(batch)
    return written


def _bulk_supporting_rows(
    patient_ids: list[int], leads: list[int], registered: dict[int, dt.date], today: dt.date
) -> dict[str, int]:
    explanations = [
        IntakeExplanation(
            patient_id=pk,
            scope_and_purpose_explained=True,
            services_available_explained=True,
            services_not_available_explained=True,
            privacy_explained=True,
            explained_by_id=lead,
            explained_on=registered[pk],
        )
        for pk, lead in zip(patient_ids, leads, strict=True)
    ]
    IntakeExplanation.objects.bulk_create(explanations, batch_size=BATCH_SIZE)
    consents = [
        Consent(
            patient_id=pk,
            purpose=ConsentPurpose.CARE_AND_DATA,
            status=ConsentStatus.GIVEN,
            explanation=STANDARD_EXPLANATION,
            explained_by_id=lead,
            recorded_by_id=lead,
        )
        for pk, lead in zip(patient_ids, leads, strict=True)
    ]
    Consent.objects.bulk_create(consents, batch_size=BATCH_SIZE)
    goals = [
        TreatmentGoal(
            patient_id=pk,
            goal=SCALE_GOAL,
            agreed_on=registered[pk],
            review_on=today + dt.timedelta(days=30),
            created_by_id=lead,
        )
        for pk, lead in zip(patient_ids, leads, strict=True)
    ]
    TreatmentGoal.objects.bulk_create(goals, batch_size=BATCH_SIZE)
    flags = [
        SafetyFlag(
            patient_id=pk,
            kind=(
                SafetyFlagKind.DO_NOT_CONFIRM_PRESENCE
                if i % (FLAG_EVERY * 2) == 0
                else SafetyFlagKind.TRAFFICKER_MAY_CONTACT
            ),
            raised_by_id=lead,
        )
        for i, (pk, lead) in enumerate(zip(patient_ids, leads, strict=True))
        if i % FLAG_EVERY == 0
    ]
    SafetyFlag.objects.bulk_create(flags, batch_size=BATCH_SIZE)
    return {
        "intake_explanations": len(explanations),
        "consents": len(consents),
        "goals": len(goals),
        "safety_flags": len(flags),
    }


def _bulk_supervision(clinician_ids: list[int]) -> int:
    # Supervisors of the staff roster (`seed_demo --scale large`), if it is there, each take
    # a share of the bulk clinicians, so caseload pages have realistic supervisees.
    supervisor_ids = list(
        User.objects.filter(username__startswith="supervisor-", groups__name=Role.SUPERVISOR)
        .order_by("username")
        .values_list("pk", flat=True)
    )
    rows = [
        SupervisionAgreement(
            supervisor_id=supervisor_ids[k // SUPERVISEES_PER_SUPERVISOR], supervisee_id=pk
        )
        for k, pk in enumerate(clinician_ids)
        if k // SUPERVISEES_PER_SUPERVISOR < len(supervisor_ids)
    ]
    SupervisionAgreement.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)


def _no_progress(message: str) -> None:
    return None


@transaction.atomic
def patients_bulk_seed(
    *, volume: Volume = LARGE_VOLUME, progress: Progress = _no_progress, seed: int = 2026
) -> dict[str, int]:
    """Write `volume` of clinicians, patients and notes in bulk, with one summary audit event.

    For benchmarks only: no per-row events (the one DEMO_DATA_SEEDED event records the
    counts), clinicians without usable passwords, generated text. Deterministic for a given
    `seed`, except the random case codes and UUIDs. Returns the counts written.
    """
    if volume.staff < 1 or volume.patients < 1:
        raise ValueError("A scale data set needs at least one clinician and one patient.")
    rng = random.Random(seed)  # noqa: S311  # invented data, not a secret
    today = timezone.localdate()
    progress(f"Clinicians: {volume.staff:,}")
    clinician_ids = _bulk_staff(volume)
    leads = _leads(volume, clinician_ids)
    progress(f"Patients: {volume.patients:,}")
    patient_ids = _bulk_patients(volume, leads, rng, today)
    registered = dict(Patient.objects.filter(pk__in=patient_ids).values_list("pk", "registered_on"))
    progress("Care teams, intake explanations, consents, goals, safety flags")
    teams = _bulk_care_teams(patient_ids, leads, clinician_ids, registered)
    supporting = _bulk_supporting_rows(patient_ids, leads, registered, today)
    agreements = _bulk_supervision(clinician_ids)
    progress(f"Notes: {volume.notes:,}")
    notes = _bulk_notes(volume, patient_ids, teams, registered, rng, today, progress)
    counts = {
        "staff": len(clinician_ids),
        "patients": len(patient_ids),
        "notes": notes,
        "care_team_memberships": sum(len(team) for team in teams.values()),
        "supervision_agreements": agreements,
        **supporting,
    }
    audit_event_record(
        event_type=EventType.DEMO_DATA_SEEDED,
        target_type="patients.patient",
        details={"source": SCALE_SOURCE, "scale": "large", **counts},
    )
    return counts
