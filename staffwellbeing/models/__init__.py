"""Staff wellbeing models, split by noun; every name is re-exported here."""

from .checkins import CheckIn, ResultShare
from .guidelines import GuidelinesReceipt, SelfCareGuidelines
from .instruments import (
    CFS_CODE,
    CFS_LETTERS,
    CFS_MAX_RATING,
    CFS_MIN_RATING,
    CFS_SUBSCALES,
    Instrument,
    InstrumentItem,
    InstrumentVersion,
    Subscale,
    SubscaleCode,
    WordingSource,
)
from .jobs import JobDescription
from .leave import LeaveRecord
from .reminders import NotificationKind, ReminderPreference, WellbeingNotification
from .support import (
    EarlySign,
    EarlySignCheck,
    PatientWork,
    SupportPlan,
    SupportPlanMember,
    SupportPlanStatus,
)

__all__ = [
    "CFS_CODE",
    "CFS_LETTERS",
    "CFS_MAX_RATING",
    "CFS_MIN_RATING",
    "CFS_SUBSCALES",
    "CheckIn",
    "EarlySign",
    "EarlySignCheck",
    "GuidelinesReceipt",
    "Instrument",
    "InstrumentItem",
    "InstrumentVersion",
    "JobDescription",
    "LeaveRecord",
    "NotificationKind",
    "PatientWork",
    "ReminderPreference",
    "ResultShare",
    "SelfCareGuidelines",
    "Subscale",
    "SubscaleCode",
    "SupportPlan",
    "SupportPlanMember",
    "SupportPlanStatus",
    "WellbeingNotification",
    "WordingSource",
]
