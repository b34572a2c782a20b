"""Patient data models, split by noun; every name is re-exported here."""

from .attachment import Attachment, AttachmentType
from .break_glass import (
    BreakGlassGrant,
    NotificationKind,
    PrivacyNotification,
    ReviewOutcome,
)
from .care_team import CareTeamMembership, CareTeamRole
from .clinical import ClinicalNote, GoalStatus, NoteType, Sensitivity, TreatmentGoal
from .consent import Consent, ConsentPurpose, ConsentStatus, organisation_index
from .patient import (
    COMPLEXITY_MAX,
    COMPLEXITY_MIN,
    ContactChannel,
    FieldNotPermitted,
    IntakeExplanation,
    Patient,
    PatientQuerySet,
    PatientStatus,
    RiskLevel,
    Sex,
    Stage,
    document_number_index,
    name_dob_index,
)
from .safety import FRONT_DESK_KINDS, SafetyFlag, SafetyFlagKind

__all__ = [
    "COMPLEXITY_MAX",
    "COMPLEXITY_MIN",
    "FRONT_DESK_KINDS",
    "Attachment",
    "AttachmentType",
    "BreakGlassGrant",
    "CareTeamMembership",
    "CareTeamRole",
    "ClinicalNote",
    "Consent",
    "ConsentPurpose",
    "ConsentStatus",
    "ContactChannel",
    "FieldNotPermitted",
    "GoalStatus",
    "IntakeExplanation",
    "NoteType",
    "NotificationKind",
    "Patient",
    "PatientQuerySet",
    "PatientStatus",
    "PrivacyNotification",
    "ReviewOutcome",
    "RiskLevel",
    "SafetyFlag",
    "SafetyFlagKind",
    "Sensitivity",
    "Sex",
    "Stage",
    "TreatmentGoal",
    "document_number_index",
    "name_dob_index",
    "organisation_index",
]
