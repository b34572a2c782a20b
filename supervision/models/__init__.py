"""Supervision and caseload: agreements, groups, sessions and their logs, calendar feeds,
caseload guidelines and reviews, case transfer requests, and due reminders."""

from .agreements import SupervisionAgreement, SupervisionGroup, SupervisionGroupMember, WorkProfile
from .caseload import CaseloadGuideline, CaseloadReview, ReviewOutcome
from .reminders import DueKind, SupervisionDue, SupervisionNotification
from .sessions import (
    CalendarFeed,
    CaseDiscussed,
    SessionAttendance,
    SessionKind,
    SessionLog,
    SessionPurpose,
    SessionReschedule,
    SessionSeries,
    SessionStatus,
    SupervisionAction,
    SupervisionSession,
)
from .transfers import CaseTransferRequest, TransferStatus

__all__ = [
    "CalendarFeed",
    "CaseDiscussed",
    "CaseTransferRequest",
    "CaseloadGuideline",
    "CaseloadReview",
    "DueKind",
    "ReviewOutcome",
    "SessionAttendance",
    "SessionKind",
    "SessionLog",
    "SessionPurpose",
    "SessionReschedule",
    "SessionSeries",
    "SessionStatus",
    "SupervisionAction",
    "SupervisionAgreement",
    "SupervisionDue",
    "SupervisionGroup",
    "SupervisionGroupMember",
    "SupervisionNotification",
    "SupervisionSession",
    "TransferStatus",
    "WorkProfile",
]
