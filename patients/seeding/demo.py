"""The demo seed step: the demo caseload written through the services, as the demo staff."""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record
from carecore.home.seeding import DEMO_PASSWORD
from supervision.models import SupervisionAgreement

from ..models import (
    CareTeamMembership,
    ClinicalNote,
    GoalStatus,
    Patient,
    Stage,
    name_dob_index,
)
from ..services import (
    ExplanationDetails,
    attachment_upload,
    break_glass_grant,
    care_team_member_add,
    care_team_set_lead,
    consent_record,
    note_add,
    note_amend,
    patient_register,
    patient_update,
    safety_flag_raise,
    treatment_goal_add,
    treatment_goal_update_status,
)
from .demo_caseload import DEMO_BREAK_GLASS, DEMO_BREAK_GLASS_REASON, DEMO_PATIENTS, DemoPatient

if TYPE_CHECKING:
    from carecore.home.seeding import SeedContext

SEED_SOURCE = "seed_demo"


def demo_scan_png() -> bytes:
    """Return a small PNG that looks like a scanned form (drawn here, no real document)."""
    image = Image.new("RGB", (160, 100), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, 155, 95), outline=(60, 60, 60), width=2)
    for y in range(18, 90, 12):
        draw.line((14, y, 146, y), fill=(150, 150, 150), width=1)
    draw.rectangle((110, 10, 146, 40), fill=(210, 225, 240))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def demo_patients_present() -> bool:
    """Return whether the demo patients were already seeded (matched by blind index)."""
    indexes = [
        name_dob_index(spec.details.preferred_name, spec.details.date_of_birth)
        for spec in DEMO_PATIENTS
        if spec.details.date_of_birth is not None
    ]
    return Patient.objects.filter(preferred_name_dob_index__in=indexes).exists()


def _seed_one(spec: DemoPatient, users: dict[str, User], today: dt.date) -> Patient:
    lead = users[spec.lead]
    registrar = users[spec.registered_by] if spec.registered_by else lead
    registered_on = today - dt.timedelta(days=spec.registered_days_ago)
    patient = patient_register(
        actor=registrar,
        details=spec.details,
        explanation=ExplanationDetails(
            scope_and_purpose_explained=True,
            services_available_explained=True,
            services_not_available_explained=True,
            privacy_explained=True,
            note="Explained with the leaflet in the patient's language (demo).",
            explained_on=registered_on,
        ),
        consents=spec.consents,
    )
    manager = users["manager"]
    if spec.registered_by:
        care_team_set_lead(actor=manager, patient=patient, clinician=lead)
    for username, restricted in spec.members:
        care_team_member_add(
            actor=manager,
            patient=patient,
            clinician=users[username],
            restricted_access=restricted,
        )
    for consent in spec.later_consents:
        consent_record(actor=lead, patient=patient, details=consent)
    for kind, details in spec.flags:
        safety_flag_raise(actor=lead, patient=patient, kind=kind, details=details)
    for goal in spec.goals:
        agreed_on = today - dt.timedelta(days=goal.agreed_days_ago)
        created = treatment_goal_add(
            actor=lead,
            patient=patient,
            goal=goal.goal,
            agreed_on=agreed_on,
            review_on=today + dt.timedelta(days=goal.review_in_days),
        )
        if goal.status != GoalStatus.ACTIVE:
            treatment_goal_update_status(actor=lead, goal=created, status=goal.status)
    written: list[ClinicalNote] = []
    for note in spec.notes:
        author = users[note.author]
        encounter = today - dt.timedelta(days=note.days_ago)
        if note.amends is not None:
            written.append(
                note_amend(
                    actor=author,
                    patient=patient,
                    note_id=written[note.amends].pk,
                    body=note.body,
                    encounter_date=encounter,
                )
            )
        else:
            written.append(
                note_add(
                    actor=author,
                    patient=patient,
                    encounter_date=encounter,
                    note_type=note.note_type,
                    body=note.body,
                    sensitivity=note.sensitivity,
                )
            )
    if spec.attachment:
        attachment_upload(
            actor=lead,
            patient=patient,
            filename="registration-form-scan.png",
            content=demo_scan_png(),
            description="Scan of the demo registration form.",
        )
    if spec.close:
        patient_update(actor=lead, patient=patient, changes={"stage": Stage.CLOSED})
    # The services stamp today; a demo caseload needs a history of months. Dates only: no
    # content changes, and the events above already record who did what.
    Patient.objects.filter(pk=patient.pk).update(registered_on=registered_on)
    CareTeamMembership.objects.filter(patient_id=patient.pk).update(start_date=registered_on)
    return patient


@transaction.atomic
def demo_patients_seed(*, users: dict[str, User]) -> dict[str, int]:
    """Write the demo caseload through the services, as the demo staff; return counts.

    `users` maps the demo usernames (`carecore.home.seeding.DEMO_USERS`) to their accounts.
    """
    today = timezone.localdate()
    patients = [_seed_one(spec, users, today) for spec in DEMO_PATIENTS]
    agreements = 0
    supervisor, supervisee = users["supervisor"], users["clinician"]
    if not SupervisionAgreement.objects.filter(
        supervisor=supervisor, supervisee=supervisee, active=True
    ).exists():
        # The supervision app has no services yet (issue 5): the agreement is its one row.
        SupervisionAgreement.objects.create(
            supervisor=supervisor,
            supervisee=supervisee,
            started_on=today - dt.timedelta(days=365),
        )
        agreements = 1
    grants = 0
    username, index = DEMO_BREAK_GLASS
    clinician = users[username]
    # An account that already existed keeps its own password; then there is no grant to show.
    if clinician.check_password(DEMO_PASSWORD):
        break_glass_grant(
            actor=clinician,
            patient=patients[index],
            reason=DEMO_BREAK_GLASS_REASON,
            password=DEMO_PASSWORD,
        )
        grants = 1
    counts = {
        "patients": len(patients),
        "notes": sum(len(spec.notes) for spec in DEMO_PATIENTS),
        "supervision_agreements": agreements,
        "break_glass_grants": grants,
    }
    audit_event_record(
        event_type=EventType.DEMO_DATA_SEEDED,
        target_type="patients.patient",
        details={"source": SEED_SOURCE, "scale": "demo", **counts},
    )
    return counts


def seed_demo_patients(ctx: SeedContext) -> None:
    """Seed step: add the demo caseload unless it is already there."""
    if demo_patients_present():
        ctx.report.append("Demo patients: already present (left unchanged).")
        return
    counts = demo_patients_seed(users=ctx.users)
    ctx.report.append(
        f"Demo patients: {counts['patients']} created with {counts['notes']} notes, care teams, "
        "consents, plans, safety flags and one attachment."
    )
