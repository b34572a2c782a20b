"""Demo and scale data for supervision and caseload.

`seed_demo_supervision` is a seed step (`carecore.home.seeding.SEED_STEPS`): agreements, a
group, a few months of held and missed sessions with their logs, caseload guidelines and
working time, a caseload review and a pending transfer request, so every dashboard has
something true to show. History is written as rows (the services refuse to schedule in the
past), with one summary audit event. `supervision_bulk_seed` adds agreements, working time and
half a year of sessions for every clinician of the scale data set (`manage.py seed_scale`).

Every note, topic and reason here is invented for this project.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from carecore.accounts.models import User
from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record
from patients.models import CareTeamMembership

from .models import (
    CaseDiscussed,
    CaseloadGuideline,
    CaseloadReview,
    CaseTransferRequest,
    ReviewOutcome,
    SessionAttendance,
    SessionKind,
    SessionLog,
    SessionPurpose,
    SessionStatus,
    SupervisionAction,
    SupervisionAgreement,
    SupervisionGroup,
    SupervisionGroupMember,
    SupervisionSession,
    WorkProfile,
)
from .selectors import caseload_assessments
from .selectors.caseload import caseload_snapshot
from .services.reminders import supervision_reminders_sweep

if TYPE_CHECKING:
    from carecore.home.seeding import SeedContext

DEMO_GROUP_NAME = "Thursday reflective practice"
DEMO_ROOM = "Supervision room, first floor"
BATCH_SIZE = 2000

# (username, FTE, share of time without patient contact, line manager)
DEMO_WORK: tuple[tuple[str, str, int, str | None], ...] = (
    ("clinician", "1.00", 20, "manager"),
    ("clinician2", "0.60", 25, "manager"),
    ("supervisor", "0.80", 40, "manager"),
)

DEMO_TOPICS = (
    "Boundaries with a patient who asks for personal contact; planning the next appointments.",
    "Preparing a patient for a court date; what to say about the limits of our role.",
    "Own reactions after hearing a detailed account of exploitation.",
    "Caseload balance and the waiting list; planning leave.",
)
DEMO_NOTES = (
    "Talked through the difficult session. Agreed to use the grounding plan and to ask for an "
    "interpreter the patient chooses. The clinician feels supported and will bring it back.",
    "Reviewed safety planning. The clinician noticed tiredness at the end of the week; we "
    "agreed to protect the Friday afternoon for notes and supervision.",
)
DEMO_MANAGEMENT_NOTES = (
    "Annual leave for the spring agreed; training budget for trauma-informed care approved."
)
DEMO_GROUP_SUMMARY = (
    "The group shared ways of closing the working day. Next time: working with interpreters."
)
DEMO_TRANSFER_REASON = (
    "The patient's account mirrors something in my own family history and I find the sessions "
    "hard to hold. I would like the case to pass to a colleague."
)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _session(
    *,
    host: User,
    when: dt.datetime,
    status: str,
    supervisee: User | None = None,
    group: SupervisionGroup | None = None,
    purpose: str = SessionPurpose.CLINICAL,
) -> SupervisionSession:
    return SupervisionSession.objects.create(
        kind=SessionKind.GROUP if group is not None else SessionKind.INDIVIDUAL,
        purpose=purpose,
        host=host,
        supervisee=supervisee,
        group=group,
        starts_at=when,
        duration_minutes=60 if group is None else 90,
        location=DEMO_ROOM,
        status=status,
        created_by=host,
    )


def _log(session: SupervisionSession, *, notes: str, topics: str, summary: str = "") -> None:
    SessionLog.objects.create(
        session=session,
        topics=topics,
        notes=notes,
        summary=summary,
        logged_by=session.host,
        logged_at=session.ends_at,
    )


def _own_patient_ids(clinician: User) -> list[int]:
    return list(
        CareTeamMembership.objects.active()
        .filter(clinician=clinician, patient__status="active")
        .order_by("patient__case_code")
        .values_list("patient_id", flat=True)
    )


def _roster_clinicians() -> list[User]:
    # Imported on use: the wellbeing seeding imports this app's models.
    from staffwellbeing.seeding import roster_usernames

    return list(
        User.objects.filter(
            username__in=roster_usernames(), groups__name=Role.CLINICIAN, is_active=True
        ).order_by("username")
    )


def _individual_history(
    *,
    supervisor: User,
    supervisee: User,
    today: dt.date,
    last_held_weeks_ago: int,
    hour: int = 14,
) -> int:
    """Write five months of four-weekly sessions, the last held `last_held_weeks_ago` weeks ago."""
    created = 0
    patient_ids = _own_patient_ids(supervisee)
    for n, weeks_ago in enumerate(range(last_held_weeks_ago + 16, last_held_weeks_ago - 1, -4)):
        missed = n == 1
        session = _session(
            host=supervisor,
            supervisee=supervisee,
            when=_at(today - dt.timedelta(weeks=weeks_ago), hour),
            status=SessionStatus.MISSED if missed else SessionStatus.HELD,
        )
        created += 1
        if missed:
            SessionAttendance.objects.create(session=session, person=supervisee, attended=False)
            _log(session, notes="", topics="")
            continue
        SessionAttendance.objects.create(session=session, person=supervisee, attended=True)
        _log(session, notes=DEMO_NOTES[n % len(DEMO_NOTES)], topics=DEMO_TOPICS[n % 4])
        for patient_id in patient_ids[n % 2 : n % 2 + 2]:
            CaseDiscussed.objects.create(
                session=session, patient_id=patient_id, presented_by=supervisee
            )
        SupervisionAction.objects.create(
            session=session,
            description="Bring the updated safety plan to the next session.",
            owner=supervisee,
            due_on=session.starts_at.date() + dt.timedelta(weeks=4),
            completed_at=None if weeks_ago == last_held_weeks_ago else session.starts_at,
        )
    return created


@transaction.atomic
def demo_supervision_seed(*, users: dict[str, User]) -> dict[str, int]:
    """Write the demo supervision data for the demo accounts; return counts."""
    today = timezone.localdate()
    supervisor, manager = users["supervisor"], users["manager"]
    clinician, clinician2 = users["clinician"], users["clinician2"]
    guideline = CaseloadGuideline.objects.create(
        max_active_patients=10,
        max_complexity_points=25,
        min_stages=2,
        review_cadence_weeks=12,
        changed_by=manager,
    )
    for username, fte, percent, line_manager in DEMO_WORK:
        WorkProfile.objects.update_or_create(
            person=users[username],
            defaults={
                "fte": Decimal(fte),
                "non_patient_percent": percent,
                "line_manager": users[line_manager] if line_manager else None,
            },
        )
    # The patients demo already made supervisor -> clinician; clinician2 joins the same
    # supervisor, so the supervisor's dashboard has one supervisee on time and one overdue.
    for supervisee in (clinician, clinician2):
        SupervisionAgreement.objects.get_or_create(
            supervisee=supervisee,
            active=True,
            defaults={
                "supervisor": supervisor,
                "cadence_weeks": 4,
                "started_on": today - dt.timedelta(days=365),
            },
        )
    sessions = _individual_history(
        supervisor=supervisor, supervisee=clinician, today=today, last_held_weeks_ago=2
    )
    # Seven weeks since clinician2's last held session against a four-week cadence: overdue.
    sessions += _individual_history(
        supervisor=supervisor, supervisee=clinician2, today=today, last_held_weeks_ago=7
    )
    # The wellbeing roster colleagues have the same supervisor, on time. The supervisor is left
    # without one on purpose: the manager's dashboard shows that gap.
    for weeks, colleague in enumerate(_roster_clinicians(), start=1):
        SupervisionAgreement.objects.get_or_create(
            supervisee=colleague,
            active=True,
            defaults={
                "supervisor": supervisor,
                "cadence_weeks": 4,
                "started_on": today - dt.timedelta(days=365),
            },
        )
        sessions += _individual_history(
            supervisor=supervisor,
            supervisee=colleague,
            today=today,
            last_held_weeks_ago=weeks % 3 + 1,
            # One colleague per hour of the morning: the supervisor is never double-booked.
            hour=8 + weeks // 3,
        )
        colleague_figures = caseload_assessments(clinician_ids=[colleague.pk], guideline=guideline)
        CaseloadReview.objects.create(
            clinician=colleague,
            reviewer=supervisor,
            held_on=today - dt.timedelta(weeks=weeks % 6 + 1),
            snapshot=caseload_snapshot(colleague_figures[colleague.pk], guideline=guideline),
            outcome=ReviewOutcome.BALANCED,
        )
    upcoming = [
        _session(
            host=supervisor,
            supervisee=clinician,
            when=_at(today + dt.timedelta(weeks=weeks), 14),
            status=SessionStatus.SCHEDULED,
        )
        for weeks in (2, 6)
    ]
    sessions += len(upcoming)
    group = SupervisionGroup.objects.create(
        name=DEMO_GROUP_NAME, facilitator=supervisor, cadence_weeks=2
    )
    for member in (clinician, clinician2):
        SupervisionGroupMember.objects.create(
            group=group, member=member, joined_on=today - dt.timedelta(days=120)
        )
    for weeks_ago in (5, 3, 1):
        held = _session(
            host=supervisor,
            group=group,
            when=_at(today - dt.timedelta(weeks=weeks_ago), 16),
            status=SessionStatus.HELD,
        )
        for member in (clinician, clinician2):
            SessionAttendance.objects.create(session=held, person=member, attended=True)
        _log(held, notes="Facilitator's notes.", topics=DEMO_TOPICS[3], summary=DEMO_GROUP_SUMMARY)
        sessions += 1
    _session(
        host=supervisor,
        group=group,
        when=_at(today + dt.timedelta(weeks=1), 16),
        status=SessionStatus.SCHEDULED,
    )
    sessions += 1
    # Management is kept apart: the line manager's meeting with the clinician.
    meeting = _session(
        host=manager,
        supervisee=clinician,
        when=_at(today - dt.timedelta(weeks=3), 11),
        status=SessionStatus.HELD,
        purpose=SessionPurpose.MANAGEMENT,
    )
    SessionAttendance.objects.create(session=meeting, person=clinician, attended=True)
    _log(meeting, notes=DEMO_MANAGEMENT_NOTES, topics="Leave and training.")
    sessions += 1
    figures = caseload_assessments(clinician_ids=[clinician.pk], guideline=guideline)
    CaseloadReview.objects.create(
        clinician=clinician,
        reviewer=supervisor,
        held_on=today - dt.timedelta(weeks=10),
        snapshot=caseload_snapshot(figures[clinician.pk], guideline=guideline),
        outcome=ReviewOutcome.BALANCED,
        actions="Keep two places free for new referrals; review again in three months.",
    )
    transfers = 0
    clinician2_patients = _own_patient_ids(clinician2)
    if clinician2_patients:
        CaseTransferRequest.objects.create(
            patient_id=clinician2_patients[0],
            requester=clinician2,
            supervisor=supervisor,
            reason=DEMO_TRANSFER_REASON,
        )
        transfers = 1
    counts = {"sessions": sessions, "groups": 1, "reviews": 1, "transfer_requests": transfers}
    audit_event_record(
        event_type=EventType.SUPERVISION_DATA_SEEDED,
        target_type="supervision.supervisionsession",
        details={"source": "seed_demo", **counts},
    )
    return counts


def demo_supervision_present() -> bool:
    """Return whether the demo supervision data is already there."""
    return SupervisionGroup.objects.filter(name=DEMO_GROUP_NAME).exists()


def seed_demo_supervision(ctx: SeedContext) -> None:
    """Seed step: add the demo supervision data unless it is already there."""
    if demo_supervision_present():
        ctx.report.append("Supervision: already present (left unchanged).")
        return
    missing = [
        u for u in ("clinician", "clinician2", "supervisor", "manager") if u not in ctx.users
    ]
    if missing:
        ctx.report.append("Supervision: demo accounts missing, nothing added.")
        return
    counts = demo_supervision_seed(users=ctx.users)
    # Without a broker no beat runs in the demo: sweep once so the reminders are there.
    reminders = supervision_reminders_sweep()
    ctx.report.append(
        f"Supervision: {counts['sessions']} sessions (held, missed and upcoming), a group, "
        "caseload guidelines, a caseload review, a pending transfer request and "
        f"{reminders} reminder periods."
    )


@transaction.atomic
def supervision_bulk_seed(*, seed: int = 2026) -> dict[str, int]:
    """Give every clinician without one an agreement, working time and half a year of sessions.

    For benchmarks (`manage.py seed_scale`): bulk rows, one summary audit event. About one
    supervisee in six is left overdue. Returns the counts written.
    """
    rng = random.Random(seed)  # noqa: S311  # invented data, not a secret
    now = timezone.now()
    clinicians = list(
        User.objects.filter(groups__name=Role.CLINICIAN, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    supervisors = list(
        User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not supervisors:
        return {"agreements": 0, "sessions": 0, "work_profiles": 0}
    supervised = set(
        SupervisionAgreement.objects.filter(active=True).values_list("supervisee_id", flat=True)
    )
    new_agreements = []
    for k, pk in enumerate(c for c in clinicians if c not in supervised):
        supervisor_id = supervisors[k % len(supervisors)]
        if supervisor_id == pk:
            supervisor_id = supervisors[(k + 1) % len(supervisors)]
            if supervisor_id == pk:
                continue
        new_agreements.append(
            SupervisionAgreement(
                supervisor_id=supervisor_id,
                supervisee_id=pk,
                cadence_weeks=4,
                started_on=now.date() - dt.timedelta(days=365),
            )
        )
    SupervisionAgreement.objects.bulk_create(new_agreements, batch_size=BATCH_SIZE)
    profiled = set(WorkProfile.objects.values_list("person_id", flat=True))
    profiles = [
        WorkProfile(
            person_id=pk,
            fte=rng.choice([Decimal("1.00"), Decimal("1.00"), Decimal("0.80"), Decimal("0.60")]),
            non_patient_percent=rng.choice([15, 20, 25, 30]),
        )
        for pk in clinicians
        if pk not in profiled
    ]
    WorkProfile.objects.bulk_create(profiles, batch_size=BATCH_SIZE)
    agreements = SupervisionAgreement.objects.filter(
        Q(active=True), supervisee_id__in=clinicians
    ).values_list("supervisor_id", "supervisee_id")
    sessions = []
    for supervisor_id, supervisee_id in agreements:
        overdue = rng.random() < 1 / 6
        last_held_weeks_ago = rng.choice([6, 8, 10]) if overdue else rng.choice([1, 2, 3])
        for weeks_ago in range(last_held_weeks_ago + 20, last_held_weeks_ago - 1, -4):
            status = SessionStatus.MISSED if rng.random() < 0.1 else SessionStatus.HELD
            if weeks_ago == last_held_weeks_ago:
                status = SessionStatus.HELD
            sessions.append(
                SupervisionSession(
                    kind=SessionKind.INDIVIDUAL,
                    purpose=SessionPurpose.CLINICAL,
                    host_id=supervisor_id,
                    supervisee_id=supervisee_id,
                    starts_at=now - dt.timedelta(weeks=weeks_ago, hours=rng.randint(0, 40)),
                    duration_minutes=60,
                    location=DEMO_ROOM,
                    status=status,
                    created_by_id=supervisor_id,
                )
            )
        if not overdue:
            sessions.append(
                SupervisionSession(
                    kind=SessionKind.INDIVIDUAL,
                    purpose=SessionPurpose.CLINICAL,
                    host_id=supervisor_id,
                    supervisee_id=supervisee_id,
                    starts_at=now + dt.timedelta(weeks=4 - last_held_weeks_ago, hours=2),
                    duration_minutes=60,
                    location=DEMO_ROOM,
                    status=SessionStatus.SCHEDULED,
                    created_by_id=supervisor_id,
                )
            )
    SupervisionSession.objects.bulk_create(sessions, batch_size=BATCH_SIZE)
    counts = {
        "agreements": len(new_agreements),
        "work_profiles": len(profiles),
        "sessions": len(sessions),
    }
    audit_event_record(
        event_type=EventType.SUPERVISION_DATA_SEEDED,
        target_type="supervision.supervisionsession",
        details={"source": "seed_scale", **counts},
    )
    return counts
