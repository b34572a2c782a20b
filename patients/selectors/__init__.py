"""Every read of patient data, split by noun; every name is re-exported here.

Start with `patient_get_for` (fetch, check, audit), then pass its patient to the section
selectors in `record`. Lists start from the policy's queryset.
"""

from .caseload import OPEN_STAGES, ClinicianCaseload, caseload_figures
from .oversight import (
    break_glass_grant_for_review,
    break_glass_grants_in_force_for,
    break_glass_review_queue,
    patient_access_log,
    privacy_notifications_for,
    privacy_notifications_unread_count,
)
from .patients import (
    AUTOCOMPLETE_MIN_LENGTH,
    CaseloadCounts,
    FrontDeskCard,
    PatientNotFetchedError,
    PatientReference,
    Section,
    caseload_counts,
    patient_front_desk_get,
    patient_get_for,
    patient_list_require,
    patients_autocomplete,
    patients_caseload,
    patients_my_caseload,
)
from .record import (
    NoteEntry,
    attachments_for,
    care_team_for,
    consents_for,
    intake_explanation_for,
    note_get_for,
    notes_timeline,
    safety_flags_for,
    treatment_goals_for,
)

__all__ = [
    "AUTOCOMPLETE_MIN_LENGTH",
    "OPEN_STAGES",
    "CaseloadCounts",
    "ClinicianCaseload",
    "FrontDeskCard",
    "NoteEntry",
    "PatientNotFetchedError",
    "PatientReference",
    "Section",
    "attachments_for",
    "break_glass_grant_for_review",
    "break_glass_grants_in_force_for",
    "break_glass_review_queue",
    "care_team_for",
    "caseload_counts",
    "caseload_figures",
    "consents_for",
    "intake_explanation_for",
    "note_get_for",
    "notes_timeline",
    "patient_access_log",
    "patient_front_desk_get",
    "patient_get_for",
    "patient_list_require",
    "patients_autocomplete",
    "patients_caseload",
    "patients_my_caseload",
    "privacy_notifications_for",
    "privacy_notifications_unread_count",
    "safety_flags_for",
    "treatment_goals_for",
]
