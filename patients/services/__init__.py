"""Every write to patient data, split by noun; every name is re-exported here.

Services take keyword arguments and an explicit actor, check the policy first (a refusal
writes ACCESS_DENIED and raises PatientNotFound, a 404), validate (InvalidRequest with a
constant message from `patients.exceptions`), then change the data and write exactly one
audit event in one transaction. They return model instances holding what the caller just
wrote; read data back through `patients.selectors`, which audit the read.
"""

from .access import access_require
from .attachments import AttachmentDownload, attachment_download, attachment_upload
from .break_glass import (
    break_glass_grant,
    break_glass_lapse_expired,
    break_glass_review,
    privacy_notification_mark_read,
)
from .care_team import (
    care_team_member_add,
    care_team_member_remove,
    care_team_restricted_access_set,
    care_team_set_lead,
    care_team_transfer,
)
from .consent import ConsentDetails, consent_permits, consent_record, consent_withdraw
from .notes import note_add, note_amend
from .plan import treatment_goal_add, treatment_goal_update_status
from .registration import (
    DuplicateResult,
    ExplanationDetails,
    PatientDetails,
    patient_duplicate_check,
    patient_register,
    patient_update,
)
from .safety import safety_flag_raise, safety_flag_resolve

__all__ = [
    "AttachmentDownload",
    "ConsentDetails",
    "DuplicateResult",
    "ExplanationDetails",
    "PatientDetails",
    "access_require",
    "attachment_download",
    "attachment_upload",
    "break_glass_grant",
    "break_glass_lapse_expired",
    "break_glass_review",
    "care_team_member_add",
    "care_team_member_remove",
    "care_team_restricted_access_set",
    "care_team_set_lead",
    "care_team_transfer",
    "consent_permits",
    "consent_record",
    "consent_withdraw",
    "note_add",
    "note_amend",
    "patient_duplicate_check",
    "patient_register",
    "patient_update",
    "privacy_notification_mark_read",
    "safety_flag_raise",
    "safety_flag_resolve",
    "treatment_goal_add",
    "treatment_goal_update_status",
]
