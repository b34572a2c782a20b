"""The shared record layout: heading, badges, safety banner and tabs for every record page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..permissions import Action, action_annotations, allowed_actions, patients_for
from ..selectors import Section, patient_get_for, safety_flags_for
from ..selectors.patients import ACCESS_STAMP_ATTR

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.utils.functional import Promise

    from ..models import Patient

# Reads after which the patient carries clinical fields (the name, the flags).
_CLINICAL_READS = frozenset({Action.VIEW_CLINICAL, Action.READ_RESTRICTED})

# (URL name, label, any of these actions shows the tab). Order is the tab order.
_TABS: tuple[tuple[str, Promise, frozenset[Action]], ...] = (
    ("overview", _("Overview"), frozenset({Action.VIEW_CLINICAL, Action.VIEW_METADATA})),
    ("notes", _("Notes"), frozenset({Action.VIEW_CLINICAL})),
    ("plan", _("Treatment plan"), frozenset({Action.VIEW_CLINICAL})),
    ("consents", _("Consents"), frozenset({Action.VIEW_CLINICAL})),
    ("safety", _("Safety"), frozenset({Action.VIEW_CLINICAL})),
    ("attachments", _("Attachments"), frozenset({Action.VIEW_CLINICAL})),
    ("care_team", _("Care team"), frozenset({Action.VIEW_CLINICAL, Action.VIEW_METADATA})),
    ("access_log", _("Access log"), frozenset({Action.VIEW_ACCESS_LOG})),
)


class RecordTab(NamedTuple):
    """One tab of the record navigation."""

    label: Promise
    url: str
    current: bool


def _fetched_action(patient: Patient) -> Action | None:
    stamp = getattr(patient, ACCESS_STAMP_ATTR, None)
    return None if stamp is None else Action(stamp[1])


def record_tabs(patient: Patient, actions: frozenset[Action], current: str) -> list[RecordTab]:
    """Return the tabs `actions` allow, marking the one named `current`."""
    tabs = []
    for name, label, needs in _TABS:
        if not needs & actions:
            continue
        url = reverse(f"patients:{name}", kwargs={"patient_uuid": patient.uuid})
        tabs.append(RecordTab(label, url, name == current))
    return tabs


def record_context(*, request: HttpRequest, patient: Patient, current: str) -> dict[str, Any]:
    """Return the context `patients/record_base.html` needs for a patient fetched this request.

    `patient` must come from `patient_get_for` for `request.user`. The name and the safety
    flags appear only when that fetch was a clinical read (a metadata fetch does not load
    them); `break_glass` is true when the user's access comes from a grant in force.
    """
    user = request.user
    actions = allowed_actions(user, patient)
    clinical = _fetched_action(patient) in _CLINICAL_READS
    return {
        "patient": patient,
        "patient_name": patient.preferred_name if clinical else None,
        "record_tabs": record_tabs(patient, actions, current),
        "record_current": current,
        "actions": actions,
        "may": {str(action): True for action in actions},
        "safety_flags": list(safety_flags_for(user=user, patient=patient)) if clinical else [],
        "break_glass": getattr(patient, "in_force_grant_id", None) is not None,
    }


def read_action_for(user: Any, patient_uuid: Any) -> Action:
    """Return the widest read `user` may do on the patient: restricted, clinical or metadata.

    Metadata is the fallback even when nothing is allowed, so that `patient_get_for` gives
    its usual 404 and writes the denial. One query, not audited: it reads no patient data.
    """
    row = (
        patients_for(user, Action.VIEW_METADATA)
        .filter(uuid=patient_uuid)
        .annotate(**action_annotations(user, (Action.READ_RESTRICTED, Action.VIEW_CLINICAL)))
        .values(f"may_{Action.READ_RESTRICTED}", f"may_{Action.VIEW_CLINICAL}")
        .first()
    )
    if row is None:
        return Action.VIEW_METADATA
    if row[f"may_{Action.READ_RESTRICTED}"]:
        return Action.READ_RESTRICTED
    if row[f"may_{Action.VIEW_CLINICAL}"]:
        return Action.VIEW_CLINICAL
    return Action.VIEW_METADATA


def patient_read(*, request: HttpRequest, patient_uuid: Any, section: Section) -> Patient:
    """Fetch (and audit) the patient for the widest read the user may do; 404 otherwise."""
    return patient_get_for(
        user=request.user,
        action=read_action_for(request.user, patient_uuid),
        uuid=patient_uuid,
        section=section,
    )
