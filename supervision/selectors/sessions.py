"""Reads of supervision sessions and management meetings, always for one purpose.

Every selector takes the purpose: a session of the other purpose is answered as missing, so
a page under `sessions/` can never show a management meeting and the other way round. Reads
of notes or a group summary write their audit event before the data is returned.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import (
    CaseDiscussed,
    SessionAttendance,
    SessionKind,
    SessionLog,
    SessionPurpose,
    SessionReschedule,
    SessionStatus,
    SupervisionAction,
    SupervisionGroup,
    SupervisionGroupMember,
    SupervisionSession,
)
from ..permissions.sessions import (
    DenialReason,
    SessionNotFound,
    access_denied_record,
    actions_for,
    groups_of,
    is_active_user,
    may_manage,
    may_read_notes,
    may_read_summary,
    sessions_for,
    supervisees_of,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser


def session_get_for(
    *,
    user: AnyUser,
    purpose: str,
    uuid: uuid_module.UUID | str,
    action: str = "view",
    manage: bool = False,
) -> SupervisionSession:
    """Return the session of `purpose` if `user` is a party (the host, if `manage`), or 404.

    Missing, of the other purpose and forbidden all answer the same 404 and write one
    ACCESS_DENIED event: nobody can probe for sessions or learn a meeting's purpose.
    """
    try:
        key = uuid if isinstance(uuid, uuid_module.UUID) else uuid_module.UUID(str(uuid))
    except ValueError:
        key = None
    session = None
    if key is not None and is_active_user(user):
        session = (
            sessions_for(user, purpose)
            .select_related("host", "supervisee", "group", "series")
            .filter(uuid=key)
            .first()
        )
    if session is None:
        exists_id = (
            SupervisionSession.objects.filter(uuid=key).values_list("pk", flat=True).first()
            if key is not None
            else None
        )
        access_denied_record(
            actor=user,
            action=action,
            reason=DenialReason.POLICY if exists_id else DenialReason.NOT_FOUND,
            target_id=exists_id or "",
        )
        raise SessionNotFound
    if manage and not may_manage(user, session):
        access_denied_record(
            actor=user, action=action, reason=DenialReason.POLICY, target_id=session.pk
        )
        raise SessionNotFound
    return session


@dataclass(frozen=True)
class AttendanceRow:
    name: str
    attended: bool


@dataclass(frozen=True)
class ActionRow:
    pk: int
    description: str
    owner_name: str
    owner_is_user: bool
    due_on: dt.date
    completed_at: dt.datetime | None


@dataclass(frozen=True)
class RescheduleRow:
    previous_starts_at: dt.datetime
    new_starts_at: dt.datetime
    reason: str | None


@dataclass(frozen=True)
class SessionDetail:
    """What one party may see of a session; the log parts are empty when not theirs to read."""

    session: SupervisionSession
    logged: bool
    may_manage: bool
    notes_visible: bool = False
    summary_visible: bool = False
    logged_at: dt.datetime | None = None
    logged_by_name: str = ""
    topics: str = ""
    notes: str = ""
    summary: str = ""
    invited_names: list[str] = field(default_factory=list)
    attendance: list[AttendanceRow] = field(default_factory=list)
    case_codes: list[str] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    reschedules: list[RescheduleRow] = field(default_factory=list)
    cancel_reason: str | None = None


def _name(user: User) -> str:
    return user.get_full_name() or user.username


def _invited_names(session: SupervisionSession) -> list[str]:
    if session.kind == SessionKind.INDIVIDUAL:
        return [_name(session.supervisee)] if session.supervisee else []
    members = SupervisionGroupMember.objects.filter(
        group_id=session.group_id, left_on__isnull=True
    ).select_related("member")
    return sorted(_name(m.member) for m in members)


def session_detail_for(*, user: User, session: SupervisionSession) -> SessionDetail:
    """Return what `user` (a party, from `session_get_for`) may see of `session`.

    Notes, topics and cases go to the host and an individual session's supervisee, with a
    SESSION_NOTES_VIEWED event; a group's attendees who attended get the summary, with a
    SESSION_SUMMARY_VIEWED event. Both are written before anything is returned.
    """
    log = SessionLog.objects.select_related("logged_by").filter(session_id=session.pk).first()
    attendance = list(
        SessionAttendance.objects.filter(session_id=session.pk)
        .select_related("person")
        .order_by("person__last_name", "person__username")
    )
    attended_ids = {row.person_id for row in attendance if row.attended}
    notes_visible = log is not None and may_read_notes(user, session)
    summary_visible = (
        log is not None
        and session.kind == SessionKind.GROUP
        and (notes_visible or may_read_summary(user, session, attended_ids))
    )
    base = {"session_id": session.pk, "purpose": session.purpose}
    if notes_visible:
        audit_event_record(
            event_type=EventType.SESSION_NOTES_VIEWED, actor=user, target=session, details=base
        )
    elif summary_visible:
        audit_event_record(
            event_type=EventType.SESSION_SUMMARY_VIEWED, actor=user, target=session, details=base
        )
    parties_only = may_read_notes(user, session)
    detail = SessionDetail(
        session=session,
        logged=log is not None,
        may_manage=may_manage(user, session),
        notes_visible=notes_visible,
        summary_visible=summary_visible,
        logged_at=log.logged_at if log else None,
        logged_by_name=_name(log.logged_by) if log else "",
        invited_names=_invited_names(session),
        attendance=[AttendanceRow(_name(row.person), row.attended) for row in attendance],
        reschedules=_reschedules(session, with_reason=parties_only),
        cancel_reason=session.cancel_reason if parties_only else None,
    )
    if log is None:
        return detail
    actions = SupervisionAction.objects.filter(session_id=session.pk).select_related("owner")
    if not notes_visible:
        # A group attendee sees only the actions they own.
        actions = actions.filter(owner_id=user.pk)
    return _with_log(detail, log, user, notes_visible, summary_visible, list(actions))


def _with_log(
    detail: SessionDetail,
    log: SessionLog,
    user: User,
    notes_visible: bool,
    summary_visible: bool,
    actions: list[SupervisionAction],
) -> SessionDetail:
    codes: list[str] = []
    if notes_visible and detail.session.purpose == SessionPurpose.CLINICAL:
        codes = list(
            CaseDiscussed.objects.filter(session_id=detail.session.pk)
            .order_by("patient__case_code")
            .values_list("patient__case_code", flat=True)
        )
    return SessionDetail(
        **{
            **detail.__dict__,
            "topics": log.topics if notes_visible else "",
            "notes": log.notes if notes_visible else "",
            "summary": log.summary if summary_visible else "",
            "case_codes": codes,
            "actions": [
                ActionRow(
                    pk=a.pk,
                    description=a.description,
                    owner_name=_name(a.owner),
                    owner_is_user=a.owner_id == user.pk,
                    due_on=a.due_on,
                    completed_at=a.completed_at,
                )
                for a in actions
            ],
        }
    )


def _reschedules(session: SupervisionSession, *, with_reason: bool) -> list[RescheduleRow]:
    rows = SessionReschedule.objects.filter(session_id=session.pk).order_by("rescheduled_at")
    return [
        RescheduleRow(r.previous_starts_at, r.new_starts_at, r.reason if with_reason else None)
        for r in rows
    ]


# --- lists ----------------------------------------------------------------------------------


def sessions_list_for(
    *, user: AnyUser, purpose: str, past: bool = False, now: dt.datetime | None = None
) -> QuerySet[SupervisionSession, SupervisionSession]:
    """Return `user`'s sessions of `purpose`, upcoming (soonest first) or past (latest first).

    Rows carry host, supervisee and group, and `has_log`; ready to paginate.
    """
    now = now or timezone.now()
    sessions = (
        sessions_for(user, purpose)
        .select_related("host", "supervisee", "group")
        .annotate(has_log=Exists(SessionLog.objects.filter(session_id=OuterRef("pk"))))
    )
    if past:
        return sessions.filter(starts_at__lte=now).order_by("-starts_at", "-id")
    return sessions.filter(starts_at__gt=now).order_by("starts_at", "id")


def sessions_upcoming_for(*, user: AnyUser, purpose: str, limit: int) -> list[SupervisionSession]:
    """Return `user`'s next `limit` scheduled sessions of `purpose` (for dashboards)."""
    return list(
        sessions_list_for(user=user, purpose=purpose).filter(status=SessionStatus.SCHEDULED)[:limit]
    )


def actions_list_for(
    *, user: AnyUser, purpose: str
) -> QuerySet[SupervisionAction, SupervisionAction]:
    """Return the actions `user` owns from sessions of `purpose`: open first, by due date.

    The descriptions are encrypted free text from the session log, so the read is audited.
    """
    audit_event_record(
        event_type=EventType.SUPERVISION_ACTIONS_VIEWED,
        actor=user,
        target_type="supervision.supervisionaction",
        details={"purpose": str(purpose)},
    )
    return (
        actions_for(user, purpose)
        .select_related("session")
        .order_by(F("completed_at").desc(nulls_first=True), "due_on", "id")
    )


def actions_open_for(*, user: AnyUser) -> list[SupervisionAction]:
    """Return `user`'s open actions from clinical supervision, soonest due first."""
    return list(
        actions_for(user, SessionPurpose.CLINICAL)
        .filter(completed_at__isnull=True)
        .select_related("session")
        .order_by("due_on", "id")
    )


# --- forms ----------------------------------------------------------------------------------


def schedule_choices(*, user: AnyUser, purpose: str) -> tuple[list[User], list[SupervisionGroup]]:
    """Return the people and groups `user` may arrange a session of `purpose` with."""
    people = list(supervisees_of(user, purpose).order_by("last_name", "first_name", "username"))
    groups = list(groups_of(user, purpose).order_by("name"))
    return people, groups


def log_people(session: SupervisionSession) -> list[User]:
    """Return who is invited to `session`: its supervisee, or its group's current members."""
    if session.kind == SessionKind.INDIVIDUAL:
        return [session.supervisee] if session.supervisee else []
    members = (
        SupervisionGroupMember.objects.filter(group_id=session.group_id, left_on__isnull=True)
        .select_related("member")
        .order_by("member_id")
    )
    return [m.member for m in members]
