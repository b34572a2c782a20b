"""Logging a session after it started, and completing the actions agreed in it.

A log is written once, by the host: held or missed, attendance, topics, notes, a group's
summary, cases discussed (clinical only, by case code, each on the active care team of the
supervisee or of a group member who attended) and agreed actions. Every part is checked
before anything is written: one refused case code saves nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record
from patients import case_codes
from patients.models import CareTeamMembership

from ..models import (
    CaseDiscussed,
    SessionAttendance,
    SessionKind,
    SessionLog,
    SessionPurpose,
    SessionStatus,
    SupervisionAction,
    SupervisionSession,
)
from ..permissions.sessions import (
    ACTION_TARGET,
    NOT_THE_HOST,
    DenialReason,
    SessionActionRefused,
    SessionInvalid,
    SessionNotFound,
    access_denied_record,
    actions_for,
    active_member_ids,
    may_manage,
)

ALREADY_LOGGED = _("This session has already been logged. A log cannot be changed.")
NOT_LOGGABLE = _("Only a scheduled session can be logged; this one was cancelled.")
TOO_EARLY = _("A session can be logged only after it has started.")
INVALID_OUTCOME = _("Choose whether the session was held or missed.")
# One message for malformed, unknown and not-on-the-caseload codes: it must not tell whether
# a case code exists.
CASES_REFUSED = _(
    "Some case codes cannot be recorded. Enter only case codes of patients on the current "
    "care team of the supervisee (in a group: of a member who attended). Nothing was saved."
)
NO_CASES_IN_MEETINGS = _("Cases are not discussed in management meetings.")
NO_CASES_WHEN_MISSED = _("A missed session has no cases discussed.")
NOT_AN_ATTENDEE = _("Choose attendees from the group's members.")
ACTION_INCOMPLETE = _("Give each action a description, an owner and a due date.")
ACTION_OWNER_INVALID = _("An action's owner must be the host or someone invited to the session.")
SUMMARY_GROUP_ONLY = _("Only a group session has a summary for attendees.")
ALREADY_DONE = _("This action is already done.")

_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class ActionInput:
    """One agreed action as entered."""

    description: str
    owner_id: int
    due_on: dt.date | None


@dataclass(frozen=True)
class LogInput:
    """What the host records after the session."""

    status: str
    attended_ids: frozenset[int] = frozenset()
    topics: str = ""
    notes: str = ""
    summary: str = ""
    case_codes_text: str = ""
    actions: Sequence[ActionInput] = field(default_factory=tuple)


def parse_case_codes(text: str) -> list[str]:
    """Return the normalised case codes in `text` (one a line or comma-separated), in order.

    Raises SessionInvalid(CASES_REFUSED) if any is malformed.
    """
    codes: list[str] = []
    # Codes are grouped with hyphens, not spaces: split on whitespace, commas and semicolons.
    for token in _SEPARATORS.split(text.strip()):
        if not token:
            continue
        try:
            code = case_codes.normalise(token)
        except ValueError:
            raise SessionInvalid(CASES_REFUSED, field="cases") from None
        if code not in codes:
            codes.append(code)
    return codes


def _invited_ids(session: SupervisionSession) -> list[int]:
    if session.kind == SessionKind.INDIVIDUAL:
        return [session.supervisee_id] if session.supervisee_id else []
    return active_member_ids(session.group_id) if session.group_id else []


def _cases(
    session: SupervisionSession, codes: list[str], presenters: list[int]
) -> list[tuple[int, int]]:
    """Return (patient id, presenter id) per code, or refuse them all."""
    if not codes:
        return []
    if session.purpose != SessionPurpose.CLINICAL:
        raise SessionInvalid(NO_CASES_IN_MEETINGS, field="cases")
    rows = (
        CareTeamMembership.objects.filter(
            end_date__isnull=True,
            clinician_id__in=presenters,
            patient__case_code__in=codes,
        )
        .order_by("clinician_id")
        .values_list("patient__case_code", "patient_id", "clinician_id")
    )
    found: dict[str, tuple[int, int]] = {}
    for code, patient_id, clinician_id in rows:
        # With several attendees on one care team, the first in a stable order presents it.
        found.setdefault(code, (patient_id, clinician_id))
    if len(found) != len(codes):
        raise SessionInvalid(CASES_REFUSED, field="cases")
    return [found[code] for code in codes]


def _validate(session: SupervisionSession, entry: LogInput) -> tuple[list[int], list[int]]:
    """Return (invited ids, attended ids) after checking every rule that does not need codes."""
    if entry.status not in (SessionStatus.HELD, SessionStatus.MISSED):
        raise SessionInvalid(INVALID_OUTCOME, field="status")
    if session.status != SessionStatus.SCHEDULED:
        raise SessionInvalid(NOT_LOGGABLE)
    if session.starts_at > timezone.now():
        raise SessionInvalid(TOO_EARLY)
    if entry.summary.strip() and session.kind != SessionKind.GROUP:
        raise SessionInvalid(SUMMARY_GROUP_ONLY, field="summary")
    invited = _invited_ids(session)
    if not set(entry.attended_ids) <= set(invited):
        raise SessionInvalid(NOT_AN_ATTENDEE, field="attended")
    # Nobody attends a missed session, whatever boxes were left ticked.
    held = entry.status == SessionStatus.HELD
    attended = [pk for pk in invited if held and pk in entry.attended_ids]
    owners = {session.host_id, *invited}
    for action in entry.actions:
        if not action.description.strip() or action.due_on is None:
            raise SessionInvalid(ACTION_INCOMPLETE, field="actions")
        if action.owner_id not in owners:
            raise SessionInvalid(ACTION_OWNER_INVALID, field="actions")
    return invited, attended


def supervision_session_log(
    *, actor: User, session: SupervisionSession, entry: LogInput
) -> SessionLog:
    """Write the log of `session` once, by its host; refuse it whole if any part is invalid."""
    if not may_manage(actor, session):
        access_denied_record(
            actor=actor, action="log", reason=DenialReason.POLICY, target_id=session.pk
        )
        raise SessionActionRefused(NOT_THE_HOST)
    if SessionLog.objects.filter(session_id=session.pk).exists():
        raise SessionInvalid(ALREADY_LOGGED)
    invited, attended = _validate(session, entry)
    codes = parse_case_codes(entry.case_codes_text)
    if codes and session.purpose != SessionPurpose.CLINICAL:
        raise SessionInvalid(NO_CASES_IN_MEETINGS, field="cases")
    if codes and entry.status == SessionStatus.MISSED:
        raise SessionInvalid(NO_CASES_WHEN_MISSED, field="cases")
    presenters = invited if session.kind == SessionKind.INDIVIDUAL else attended
    cases = _cases(session, codes, presenters)
    return _write(actor, session, entry, invited, attended, cases)


@transaction.atomic
def _write(
    actor: User,
    session: SupervisionSession,
    entry: LogInput,
    invited: list[int],
    attended: list[int],
    cases: list[tuple[int, int]],
) -> SessionLog:
    # Lock the session row: two hosts' tabs submitting at once must not log it twice.
    locked = SupervisionSession.objects.select_for_update().get(pk=session.pk)
    if (
        locked.status != SessionStatus.SCHEDULED
        or SessionLog.objects.filter(session_id=session.pk).exists()
    ):
        raise SessionInvalid(ALREADY_LOGGED)
    log = SessionLog.objects.create(
        session=session,
        topics=entry.topics.strip(),
        notes=entry.notes.strip(),
        summary=entry.summary.strip(),
        logged_by=actor,
    )
    SessionAttendance.objects.bulk_create(
        [
            SessionAttendance(session=session, person_id=pk, attended=pk in attended)
            for pk in invited
        ]
    )
    CaseDiscussed.objects.bulk_create(
        [
            CaseDiscussed(session=session, patient_id=patient_id, presented_by_id=presenter)
            for patient_id, presenter in cases
        ]
    )
    SupervisionAction.objects.bulk_create(
        [
            SupervisionAction(
                session=session,
                description=action.description.strip(),
                owner_id=action.owner_id,
                due_on=cast("dt.date", action.due_on),  # checked in _validate
            )
            for action in entry.actions
        ]
    )
    session.status = entry.status
    session.save(update_fields=["status", "updated_at"])
    audit_event_record(
        event_type=EventType.SESSION_LOGGED,
        actor=actor,
        target=session,
        details={
            "session_id": session.pk,
            "purpose": session.purpose,
            "status": entry.status,
            "invited": len(invited),
            "attended": len(attended),
            "cases": len(cases),
            "actions": len(entry.actions),
        },
    )
    return log


def supervision_action_complete(*, actor: User, action_id: int, purpose: str) -> SupervisionAction:
    """Mark an action `actor` owns (from a session of `purpose`) done; 404 for any other."""
    action = actions_for(actor, purpose).select_related("session").filter(pk=action_id).first()
    if action is None:
        access_denied_record(
            actor=actor,
            action="complete_action",
            reason=DenialReason.POLICY,
            target_type=ACTION_TARGET,
            target_id=action_id,
        )
        raise SessionNotFound
    if action.completed_at is not None:
        raise SessionInvalid(ALREADY_DONE)
    with transaction.atomic():
        now = timezone.now()
        # Conditional update: of two requests at once, only one completes it (and audits it).
        done = SupervisionAction.objects.filter(pk=action.pk, completed_at__isnull=True).update(
            completed_at=now, updated_at=now
        )
        if not done:
            raise SessionInvalid(ALREADY_DONE)
        action.completed_at = now
        audit_event_record(
            event_type=EventType.SUPERVISION_ACTION_COMPLETED,
            actor=actor,
            target=action,
            details={
                "action_id": action.pk,
                "session_id": action.session_id,
                "purpose": purpose,
            },
        )
    return action
