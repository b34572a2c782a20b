"""Every audit event type, as one enum with a numbered range per app.

Ranges: 1000-1999 accounts and sign-in; 2000-2099 audit trail; 2100-2199 encryption and
security; 3000-3999 patients; 4000-4999 staff wellbeing; 5000-5999 supervision and caseload.
Numbers are stored, so never renumber or reuse one.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.IntegerChoices):
    # accounts and sign-in
    LOGIN = 1001, _("Signed in")
    LOGOUT = 1002, _("Signed out")
    LOGIN_FAILED = 1003, _("Sign-in failed")
    LOCKOUT = 1004, _("Locked out")
    LOCKOUT_CLEARED = 1005, _("Lockout cleared")
    OTP_ENROLLED = 1010, _("Second factor enrolled")
    OTP_FAILED = 1011, _("Second factor failed")
    OTP_VERIFIED = 1012, _("Second factor verified")
    OTP_RESET = 1013, _("Second factor reset")
    RECOVERY_CODES_ISSUED = 1014, _("Recovery codes issued")
    USER_CREATED = 1020, _("User created")
    USER_DEACTIVATED = 1021, _("User deactivated")
    USER_REACTIVATED = 1022, _("User reactivated")
    ROLE_CHANGED = 1023, _("Roles changed")
    PRIVACY_OFFICER_CHANGED = 1024, _("Privacy officer designation changed")
    PASSWORD_CHANGED = 1025, _("Password changed")
    SESSION_EXPIRED = 1026, _("Session expired")
    ONBOARDING_LINK_ISSUED = 1027, _("Set-password link issued")
    USER_TEAM_CHANGED = 1028, _("Team changed")
    TEAM_CREATED = 1029, _("Team created")
    RULES_PUBLISHED = 1030, _("Confidentiality rules published")
    RULES_ACKNOWLEDGED = 1031, _("Confidentiality rules acknowledged")
    # audit trail
    AUDIT_LOG_VIEWED = 2001, _("Audit log viewed")
    AUDIT_CHAIN_VERIFIED = 2002, _("Audit chain verified")
    AUDIT_CHAIN_BROKEN = 2003, _("Audit chain broken")
    # encryption and security
    INTEGRITY_ERROR = 2101, _("Encrypted value failed its integrity check")
    ACCESS_DENIED = 2102, _("Access denied")
    # patients (details: ids and enum values; see docs/decisions/0008-patient-access-policy.md)
    PATIENT_REGISTERED = 3001, _("Patient registered")
    PATIENT_VIEWED = 3002, _("Patient record viewed")
    PATIENT_UPDATED = 3003, _("Patient record updated")
    PATIENT_DUPLICATE_CHECKED = 3004, _("Duplicate check at intake")
    PATIENT_LIST_VIEWED = 3005, _("Patient list viewed")
    PATIENT_ACCESS_LOG_VIEWED = 3006, _("Patient access log viewed")
    CARE_TEAM_CHANGED = 3010, _("Care team changed")
    RESTRICTED_NOTE_ACCESS_GRANTED = 3011, _("Restricted access granted to a care team member")
    RESTRICTED_NOTE_ACCESS_REVOKED = 3012, _("Restricted access revoked from a care team member")
    NOTE_ADDED = 3020, _("Clinical note added")
    NOTE_AMENDED = 3021, _("Clinical note amended")
    NOTE_VIEWED = 3022, _("Restricted clinical notes read")
    PLAN_GOAL_ADDED = 3030, _("Treatment goal added")
    PLAN_GOAL_UPDATED = 3031, _("Treatment goal updated")
    CONSENT_RECORDED = 3040, _("Consent recorded")
    CONSENT_WITHDRAWN = 3041, _("Consent withdrawn")
    SAFETY_FLAG_RAISED = 3050, _("Safety flag raised")
    SAFETY_FLAG_RESOLVED = 3051, _("Safety flag resolved")
    ATTACHMENT_UPLOADED = 3060, _("Attachment uploaded")
    ATTACHMENT_DOWNLOADED = 3061, _("Attachment downloaded")
    BREAK_GLASS_GRANTED = 3070, _("Emergency access granted")
    BREAK_GLASS_LAPSED = 3071, _("Emergency access lapsed")
    BREAK_GLASS_REVIEWED = 3072, _("Emergency access reviewed")
    BREAK_GLASS_GRANT_VIEWED = 3073, _("Emergency access grant opened for review")
    DEMO_DATA_SEEDED = 3090, _("Demo or benchmark patient data seeded")
    # staff wellbeing: instruments, check-ins, sharing, aggregates (4000-4499; details hold
    # ids and enum values only, never an answer or a score)
    INSTRUMENT_VERSION_LOADED = 4001, _("Wellbeing instrument version loaded")
    CHECKIN_RECORDED = 4010, _("Wellbeing check-in recorded")
    CHECKIN_VIEWED = 4011, _("Wellbeing check-in result viewed")
    CHECKIN_HISTORY_VIEWED = 4012, _("Own wellbeing history viewed")
    CHECKIN_CHART_VIEWED = 4013, _("Own wellbeing chart viewed")
    RESULT_SHARED = 4020, _("Wellbeing result shared with a supervisor")
    RESULT_SHARE_REVOKED = 4021, _("Wellbeing result share revoked")
    SHARED_RESULTS_VIEWED = 4022, _("Wellbeing results shared with me listed")
    WELLBEING_AGGREGATES_VIEWED = 4030, _("Wellbeing aggregates viewed")
    # staff wellbeing: early signs, reminders, support plans, job descriptions, guidelines, leave
    # (4500-4999; details hold ids and enum values only, never text from a plan or a note)
    EARLY_SIGNS_CHANGED = 4500, _("Early signs list changed")
    EARLY_SIGN_CHECK_KEPT = 4501, _("Early signs self-check kept")
    EARLY_SIGN_CHECKS_VIEWED = 4502, _("Own early signs self-checks viewed")
    EARLY_SIGN_CHECK_DELETED = 4503, _("Early signs self-check deleted")
    REMINDER_PREFERENCE_CHANGED = 4510, _("Wellbeing reminder preference changed")
    WELLBEING_NOTIFICATIONS_CREATED = 4511, _("Wellbeing reminders created")
    WELLBEING_NOTIFICATION_READ = 4512, _("Wellbeing notification marked as read")
    SUPPORT_MEETING_REQUESTED = 4520, _("Support meeting requested")
    SUPPORT_PLAN_OPENED = 4521, _("Support plan opened")
    SUPPORT_PLAN_VIEWED = 4522, _("Support plan viewed")
    SUPPORT_PLAN_UPDATED = 4523, _("Support plan updated")
    SUPPORT_PLAN_CLOSED = 4524, _("Support plan closed")
    SUPPORT_PLAN_LIST_VIEWED = 4525, _("Support plan list viewed")
    JOB_DESCRIPTION_VIEWED = 4530, _("Job description viewed")
    JOB_DESCRIPTION_UPDATED = 4531, _("Job description updated")
    JOB_REVIEWS_VIEWED = 4532, _("Overdue job description reviews viewed")
    GUIDELINES_PUBLISHED = 4540, _("Self-care guidelines published")
    GUIDELINES_ACKNOWLEDGED = 4541, _("Self-care guidelines acknowledged")
    GUIDELINES_STATUS_VIEWED = 4542, _("Self-care guidelines receipt status viewed")
    LEAVE_RECORDED = 4550, _("Leave recorded")
    LEAVE_DELETED = 4551, _("Leave record deleted")
    LEAVE_VIEWED = 4552, _("Own leave records viewed")


class Outcome(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")
    DENIED = "denied", _("Denied")
