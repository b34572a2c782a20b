"""What the three dashboards show, each in a fixed number of queries whatever the numbers.

Dashboards compose the shared selectors (caseload against the guidelines, supervision status,
reviews due, and the wellbeing app's aggregates, shared results and job reviews); they read
the supervision tables for sessions, actions and transfers but never a transfer's reason,
handover note or any session note, and never query another app's models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User
from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record
from patients.models import Stage
from patients.selectors import OPEN_STAGES
from staffwellbeing.selectors.aggregates import AggregateReport, wellbeing_aggregates_for
from staffwellbeing.selectors.checkins import SharedRow, checkins_shared_with
from staffwellbeing.selectors.jobs import job_reviews_overdue

from ..models import (
    CaseloadGuideline,
    CaseTransferRequest,
    SessionKind,
    SessionPurpose,
    SessionStatus,
    SupervisionAction,
    SupervisionGroupMember,
    SupervisionSession,
    TransferStatus,
)
from ..models.transfers import OPEN_STATUSES
from ..permissions.dashboards import (
    Dashboard,
    DashboardNotFound,
    DenialReason,
    dashboard_denial_record,
    dashboard_require,
)
from .agreements import supervisee_ids_query
from .caseload import CaseloadAssessment, CaseloadFlag, caseload_assessments, guideline_current
from .reviews_due import ReviewStatus, review_statuses
from .status import SupervisionStatus, supervision_statuses

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser

PAGE_SIZE = 50
SESSIONS_SHOWN = 10
ACTIONS_SHOWN = 25


class ChartKind:
    """The charts each dashboard draws; the URL slug is `<dashboard>-<kind>`."""

    CASELOAD = "caseload"
    STAGES = "stages"
    ALL = (CASELOAD, STAGES)


# ---- people and their caseload rows ---------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A member of staff as a dashboard shows them: id, username and display name."""

    pk: int
    username: str
    name: str


def _person(pk: int, username: str, first_name: str, last_name: str) -> Person:
    full = f"{first_name} {last_name}".strip()
    return Person(pk=pk, username=username, name=full or username)


@dataclass(frozen=True)
class ClinicianRow:
    """One clinician's caseload against the guidelines, supervision status and review due."""

    person: Person
    caseload: CaseloadAssessment
    supervision: SupervisionStatus | None
    review: ReviewStatus | None
    now: dt.datetime

    @property
    def overdue(self) -> bool:
        return self.supervision is not None and self.supervision.overdue

    @property
    def overdue_days(self) -> int:
        """Return whole days past the due moment at `now` (0 when not overdue)."""
        if self.supervision is None or not self.overdue:
            return 0
        return max(0, (self.now - self.supervision.due_at).days)

    @property
    def review_due(self) -> bool:
        return self.review is not None and self.review.due

    @property
    def flagged(self) -> bool:
        return self.caseload.flagged

    @property
    def flag_labels(self) -> list[str]:
        return [str(CaseloadFlag(flag).label) for flag in self.caseload.flags]

    @property
    def stage_counts(self) -> list[tuple[str, int]]:
        """Return (stage label, active patients at that stage) in the order of care."""
        by_stage = self.caseload.figures.by_stage
        return [(str(Stage(stage).label), by_stage.get(stage, 0)) for stage in OPEN_STAGES]


def stage_labels() -> list[str]:
    """Return the labels of the open stages of care, in order."""
    return [str(Stage(stage).label) for stage in OPEN_STAGES]


def _people(queryset: Any) -> list[Person]:
    rows = queryset.order_by("last_name", "first_name", "username", "pk").values_list(
        "pk", "username", "first_name", "last_name"
    )
    return [_person(*row) for row in rows]


def organisation_clinicians() -> list[Person]:
    """Return every active user with the clinician role, by name."""
    return _people(User.objects.filter(is_active=True, groups__name=Role.CLINICIAN))


def supervisees_of(user: AnyUser) -> list[Person]:
    """Return `user`'s active supervisees (active agreements with `user` as supervisor)."""
    return _people(
        User.objects.filter(is_active=True, pk__in=supervisee_ids_query(user))  # type: ignore[arg-type]
    )


def clinician_rows(
    *,
    people: Sequence[Person],
    guideline: CaseloadGuideline | None = None,
    now: dt.datetime | None = None,
) -> list[ClinicianRow]:
    """Return a row per person, in the order given, in four queries whatever the number."""
    now = now or timezone.now()
    guideline = guideline or guideline_current()
    ids = [person.pk for person in people]
    if not ids:
        return []
    assessments = caseload_assessments(
        clinician_ids=ids, guideline=guideline, today=timezone.localdate(now)
    )
    statuses = {s.supervisee_id: s for s in supervision_statuses(supervisee_ids=ids, now=now)}
    reviews = {
        r.clinician_id: r
        for r in review_statuses(
            clinician_ids=ids, guideline=guideline, today=timezone.localdate(now)
        )
    }
    return [
        ClinicianRow(
            person=person,
            caseload=assessments[person.pk],
            supervision=statuses.get(person.pk),
            review=reviews.get(person.pk),
            now=now,
        )
        for person in people
    ]


def dashboard_people(*, user: AnyUser, dashboard: Dashboard) -> list[Person]:
    """Return whose caseload `dashboard` shows `user` (the caller has checked the policy)."""
    if dashboard == Dashboard.MANAGER:
        return organisation_clinicians()
    if dashboard == Dashboard.SUPERVISOR:
        return supervisees_of(user)
    return _people(User.objects.filter(pk=user.pk))  # type: ignore[misc]


def page_of(rows: Sequence[Any], page: int | str | None) -> Page:
    """Return page `page` of `rows` (past the end: the last page; not a number: the first)."""
    return Paginator(rows, PAGE_SIZE).get_page(page)


@dataclass(frozen=True)
class Summary:
    """The counts at the top of the manager's and the supervisor's dashboards."""

    people: int
    flagged: int
    overdue: int
    reviews_due: int
    open_transfers: int
    # Everyone has individual supervision (DOMAIN.md): a clinician without an agreement is a gap.
    unsupervised: int = 0


def _summary(rows: Sequence[ClinicianRow], open_transfers: int) -> Summary:
    return Summary(
        people=len(rows),
        flagged=sum(1 for row in rows if row.flagged),
        overdue=sum(1 for row in rows if row.overdue),
        reviews_due=sum(1 for row in rows if row.review_due),
        open_transfers=open_transfers,
        unsupervised=sum(1 for row in rows if row.supervision is None),
    )


# ---- transfers, sessions, actions ------------------------------------------------------------


@dataclass(frozen=True)
class TransferRow:
    """An open transfer request as metadata: never its reason or handover note."""

    uuid: UUID
    case_code: str
    requester: Person
    supervisor: Person
    receiver: Person | None
    status: str
    requested_at: dt.datetime
    age_days: int

    @property
    def status_label(self) -> str:
        return str(TransferStatus(self.status).label)


_TRANSFER_FIELDS = (
    "uuid",
    "patient__case_code",
    "status",
    "requested_at",
    "requester_id",
    "requester__username",
    "requester__first_name",
    "requester__last_name",
    "supervisor_id",
    "supervisor__username",
    "supervisor__first_name",
    "supervisor__last_name",
    "receiver_id",
    "receiver__username",
    "receiver__first_name",
    "receiver__last_name",
)


def _party(row: dict[str, Any], role: str) -> Person:
    return _person(
        row[f"{role}_id"],
        row[f"{role}__username"],
        row[f"{role}__first_name"],
        row[f"{role}__last_name"],
    )


def open_transfers(*, where: Q | None = None, now: dt.datetime | None = None) -> list[TransferRow]:
    """Return the open transfer requests matching `where`, oldest first, in one query."""
    now = now or timezone.now()
    # `values()` names its columns: the encrypted reason and handover note are never loaded.
    rows = (
        CaseTransferRequest.objects.filter(where or Q(), status__in=OPEN_STATUSES)
        .order_by("requested_at", "pk")
        .values(*_TRANSFER_FIELDS)
    )
    return [
        TransferRow(
            uuid=row["uuid"],
            case_code=row["patient__case_code"],
            requester=_party(row, "requester"),
            supervisor=_party(row, "supervisor"),
            receiver=_party(row, "receiver") if row["receiver_id"] is not None else None,
            status=row["status"],
            requested_at=row["requested_at"],
            age_days=max(0, (now - row["requested_at"]).days),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class SessionRow:
    """An upcoming session as the dashboard shows it: time, kind and place only."""

    uuid: UUID
    starts_at: dt.datetime
    ends_at: dt.datetime
    duration_minutes: int
    kind: str
    location: str

    @property
    def kind_label(self) -> str:
        return str(SessionKind(self.kind).label)


def upcoming_clinical_sessions(
    *, user: AnyUser, now: dt.datetime | None = None, limit: int = SESSIONS_SHOWN
) -> list[SessionRow]:
    """Return `user`'s next scheduled clinical sessions (as supervisee, host or group member)."""
    now = now or timezone.now()
    groups = SupervisionGroupMember.objects.filter(member_id=user.pk, left_on__isnull=True).values(
        "group_id"
    )
    sessions = (
        SupervisionSession.objects.filter(
            Q(supervisee_id=user.pk) | Q(host_id=user.pk) | Q(group_id__in=groups),
            purpose=SessionPurpose.CLINICAL,
            status=SessionStatus.SCHEDULED,
            starts_at__gt=now,
        )
        .order_by("starts_at", "pk")
        .only("uuid", "kind", "starts_at", "duration_minutes", "location")[:limit]
    )
    return [
        SessionRow(
            uuid=session.uuid,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            duration_minutes=session.duration_minutes,
            kind=session.kind,
            location=session.location,
        )
        for session in sessions
    ]


@dataclass(frozen=True)
class ActionRow:
    """An open action from clinical supervision, shown to its owner only."""

    description: str
    due_on: dt.date
    overdue: bool
    session_uuid: UUID
    session_on: dt.date


def open_clinical_actions(
    *, user: AnyUser, today: dt.date | None = None, limit: int = ACTIONS_SHOWN
) -> list[ActionRow]:
    """Return the open actions `user` owns from clinical supervision, soonest due first.

    Management meeting actions never appear: the two purposes are kept apart.
    """
    today = today or timezone.localdate()
    actions = (
        SupervisionAction.objects.filter(
            owner_id=user.pk,
            completed_at__isnull=True,
            session__purpose=SessionPurpose.CLINICAL,
        )
        .select_related("session")
        .only("description", "due_on", "session__uuid", "session__starts_at")
        .order_by("due_on", "pk")[:limit]
    )
    return [
        ActionRow(
            description=action.description,
            due_on=action.due_on,
            overdue=action.due_on < today,
            session_uuid=action.session.uuid,
            session_on=timezone.localdate(action.session.starts_at),
        )
        for action in actions
    ]


@dataclass(frozen=True)
class JobReviewRow:
    """A job description review due (or a missing job description), from the wellbeing app."""

    person: Person
    has_job_description: bool
    review_due_on: dt.date | None
    last_reviewed_on: dt.date | None


def job_review_rows(*, user: AnyUser, today: dt.date | None = None) -> list[JobReviewRow]:
    """Return the job description reviews due, for a manager (the wellbeing app audits it)."""
    return [
        JobReviewRow(
            person=_person(person.pk, person.username, person.first_name, person.last_name),
            # Annotations of the wellbeing selector; the stubs cannot see them.
            has_job_description=getattr(person, "job_id", None) is not None,
            review_due_on=getattr(person, "review_due_on", None),
            last_reviewed_on=getattr(person, "last_reviewed_on", None),
        )
        for person in job_reviews_overdue(user=user, today=today)
    ]


# ---- the three dashboards ---------------------------------------------------------------------


def _viewed(*, user: AnyUser, dashboard: Dashboard) -> None:
    audit_event_record(
        event_type=EventType.DASHBOARD_VIEWED,
        actor=user,
        details={"dashboard": dashboard.value},
    )


@dataclass(frozen=True)
class ManagerDashboard:
    guideline: CaseloadGuideline
    clinicians: list[ClinicianRow]
    summary: Summary
    transfers: list[TransferRow]
    job_reviews: list[JobReviewRow]
    wellbeing: AggregateReport


def dashboard_manager_for(*, user: AnyUser, now: dt.datetime | None = None) -> ManagerDashboard:
    """Return the organisation's dashboard if `user` is a manager (else 404, audited)."""
    dashboard = dashboard_require(user=user, dashboard=Dashboard.MANAGER, action="view_dashboard")
    now = now or timezone.now()
    guideline = guideline_current()
    rows = clinician_rows(people=organisation_clinicians(), guideline=guideline, now=now)
    transfers = open_transfers(now=now)
    result = ManagerDashboard(
        guideline=guideline,
        clinicians=rows,
        summary=_summary(rows, len(transfers)),
        transfers=transfers,
        job_reviews=job_review_rows(user=user, today=timezone.localdate(now)),
        wellbeing=wellbeing_aggregates_for(user=user),
    )
    _viewed(user=user, dashboard=dashboard)
    return result


@dataclass(frozen=True)
class SupervisorDashboard:
    guideline: CaseloadGuideline
    supervisees: list[ClinicianRow]
    summary: Summary
    transfers: list[TransferRow]
    shared_results: list[SharedRow]


def dashboard_supervisor_for(
    *, user: AnyUser, now: dt.datetime | None = None
) -> SupervisorDashboard:
    """Return `user`'s supervisees' dashboard if they are a supervisor (else 404, audited)."""
    dashboard = dashboard_require(
        user=user, dashboard=Dashboard.SUPERVISOR, action="view_dashboard"
    )
    now = now or timezone.now()
    guideline = guideline_current()
    rows = clinician_rows(people=supervisees_of(user), guideline=guideline, now=now)
    transfers = open_transfers(where=Q(supervisor_id=user.pk), now=now)
    result = SupervisorDashboard(
        guideline=guideline,
        supervisees=rows,
        summary=_summary(rows, len(transfers)),
        transfers=transfers,
        shared_results=checkins_shared_with(user=user),
    )
    _viewed(user=user, dashboard=dashboard)
    return result


def caseload_figure_rows(row: ClinicianRow) -> list[tuple[str, int, Decimal | None]]:
    """Return (label, the person's figure, the guideline's limit or None) for one caseload."""
    caseload = row.caseload
    figures = caseload.figures
    return [
        (str(_("Active patients")), figures.active_patients, caseload.max_patients),
        (str(_("Complexity points")), figures.complexity_points, caseload.max_points),
        (str(_("Stages of care (minimum)")), figures.stages_present, Decimal(caseload.min_stages)),
        (str(_("At high risk")), figures.high_risk, None),
        (str(_("New cases")), figures.new_cases, None),
        (str(_("Not yet rated for complexity")), figures.unrated, None),
    ]


@dataclass(frozen=True)
class MyDashboard:
    guideline: CaseloadGuideline
    me: ClinicianRow
    sessions: list[SessionRow]
    actions: list[ActionRow]
    transfers: list[TransferRow]
    # All open clinical actions, while `actions` lists the soonest due only.
    actions_open: int = 0

    @property
    def figures(self) -> list[tuple[str, int, Decimal | None]]:
        return caseload_figure_rows(self.me)


def dashboard_me_for(*, user: AnyUser, now: dt.datetime | None = None) -> MyDashboard:
    """Return `user`'s own dashboard if they are a clinician (else 404, audited)."""
    dashboard = dashboard_require(user=user, dashboard=Dashboard.ME, action="view_dashboard")
    now = now or timezone.now()
    guideline = guideline_current()
    (me,) = clinician_rows(
        people=dashboard_people(user=user, dashboard=dashboard), guideline=guideline, now=now
    )
    result = MyDashboard(
        guideline=guideline,
        me=me,
        sessions=upcoming_clinical_sessions(user=user, now=now),
        actions=open_clinical_actions(user=user, today=timezone.localdate(now)),
        transfers=open_transfers(where=Q(requester_id=user.pk), now=now),
        actions_open=SupervisionAction.objects.filter(
            owner_id=user.pk, completed_at__isnull=True, session__purpose=SessionPurpose.CLINICAL
        ).count(),
    )
    _viewed(user=user, dashboard=dashboard)
    return result


def dashboard_chart_rows_for(
    *,
    user: AnyUser,
    dashboard: str,
    chart: str,
    page: int | str | None = 1,
    now: dt.datetime | None = None,
) -> list[ClinicianRow]:
    """Return the rows a dashboard chart draws (the table's page), checked and audited."""
    action = "view_dashboard_chart"
    if chart not in ChartKind.ALL:
        dashboard_denial_record(actor=user, action=action, reason=DenialReason.NOT_FOUND)
        raise DashboardNotFound
    checked = dashboard_require(user=user, dashboard=dashboard, action=action)
    # Rows are in the people's (name) order, so page the people first and compute only the
    # rows the chart draws, not the whole organisation's.
    people = page_of(dashboard_people(user=user, dashboard=checked), page).object_list
    rows = clinician_rows(people=list(people), now=now)
    audit_event_record(
        event_type=EventType.DASHBOARD_CHART_VIEWED,
        actor=user,
        details={"dashboard": checked.value, "chart": chart},
    )
    return rows
