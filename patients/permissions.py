"""Who may do what with patient data: the one policy, expressed as database conditions.

The vocabulary is small and symmetric:
- `can(user, action)`: may this user do `action` to any patient at all (menus, buttons);
- `can(user, action, patient)`: may this user do `action` to this patient;
- `patients_for(user, action)`: the queryset of patients this user may do `action` to;
- `allowed_actions(user, patient)`: every action allowed on one patient, in one query.

All of them are built from one function, `_condition`, that turns (user, action) into a `Q`
over `Patient`. A check is that queryset filtered to one row, so a list can never contain a
patient that the detail page would refuse, and the rules live in exactly one place.
docs/decisions/0008-patient-access-policy.md explains the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.roles import Role
from supervision.selectors import supervisee_ids_query

from .models import (
    BreakGlassGrant,
    CareTeamMembership,
    CareTeamRole,
    Patient,
    PatientQuerySet,
    Sensitivity,
)

if TYPE_CHECKING:
    from datetime import datetime

    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser


class Action(models.TextChoices):
    # Reads. A successful fetch for one of these writes PATIENT_VIEWED.
    VIEW_FRONT_DESK = "view_front_desk", _("See the front-desk card")
    VIEW_METADATA = "view_metadata", _("See caseload metadata")
    VIEW_CLINICAL = "view_clinical", _("Open the clinical record")
    READ_RESTRICTED = "read_restricted", _("Read restricted entries and the current location")
    # Writes and other actions. The service or selector that follows writes the event.
    ADD_NOTE = "add_note", _("Add or amend notes")
    EDIT_CLINICAL = "edit_clinical", _("Update the record, plan, consents and safety flags")
    UPLOAD = "upload", _("Upload attachments")
    DOWNLOAD = "download", _("Download attachments")
    MANAGE_CARE_TEAM = "manage_care_team", _("Change the care team")
    VIEW_ACCESS_LOG = "view_access_log", _("See who accessed the record")
    BREAK_GLASS = "break_glass", _("Request emergency access")
    # Not about one patient: ask `can(user, Action.REGISTER)`.
    REGISTER = "register", _("Register patients")


class PatientList(models.TextChoices):
    """Pages that list or look up patients; rows on them still come from `patients_for`."""

    MY_PATIENTS = "my_patients", _("My patients")
    CASELOAD = "caseload", _("Caseload")
    FRONT_DESK = "front_desk", _("Front desk")


# Who may open each list page at all, and the action its refusal is audited under.
LIST_ROLES: dict[PatientList, tuple[frozenset[str], Action]] = {
    PatientList.MY_PATIENTS: (frozenset({Role.CLINICIAN.value}), Action.VIEW_CLINICAL),
    PatientList.CASELOAD: (
        frozenset({Role.SUPERVISOR.value, Role.MANAGER.value}),
        Action.VIEW_METADATA,
    ),
    PatientList.FRONT_DESK: (
        frozenset({Role.RECEPTION.value, Role.CLINICIAN.value}),
        Action.VIEW_FRONT_DESK,
    ),
}


READ_ACTIONS = frozenset(
    {Action.VIEW_FRONT_DESK, Action.VIEW_METADATA, Action.VIEW_CLINICAL, Action.READ_RESTRICTED}
)
PATIENT_ACTIONS = tuple(action for action in Action if action != Action.REGISTER)

# What a patient fetched for each action carries. Anything else raises FieldNotPermitted when
# read, instead of being loaded behind the policy's back.
IDENTITY_FIELDS = frozenset({"id", "uuid", "case_code", "status"})
FRONT_DESK_FIELDS = IDENTITY_FIELDS | {"preferred_name"}
METADATA_FIELDS = IDENTITY_FIELDS | {
    "stage",
    "complexity",
    "risk_level",
    "registered_on",
    "closed_on",
    "registered_by_id",
}
RESTRICTED_FIELDS = frozenset({"current_location"})
# Blind indexes serve the duplicate check only; no page needs them.
INDEX_FIELDS = frozenset(
    {"legal_name_dob_index", "preferred_name_dob_index", "document_number_index"}
)
RECORD_FIELDS = frozenset(field.attname for field in Patient._meta.concrete_fields) - INDEX_FIELDS
CLINICAL_FIELDS = RECORD_FIELDS - RESTRICTED_FIELDS

FIELDS_FOR_ACTION: dict[Action, frozenset[str]] = {
    Action.VIEW_FRONT_DESK: FRONT_DESK_FIELDS,
    Action.VIEW_METADATA: METADATA_FIELDS,
    Action.VIEW_CLINICAL: CLINICAL_FIELDS,
    Action.READ_RESTRICTED: RECORD_FIELDS,
}


def fields_for(action: Action) -> frozenset[str]:
    """Return the patient fields a fetch for `action` loads (identity only for non-reads)."""
    return FIELDS_FOR_ACTION.get(action, IDENTITY_FIELDS)


# `pk__in=[]` compiles to "nothing" and `pk__isnull=False` to "everything": both are plain
# conditions that can be combined, annotated and negated like any other.
NOTHING = Q(pk__in=[])
EVERYTHING = Q(pk__isnull=False)


def _is_active_user(user: AnyUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _roles(user: AnyUser) -> frozenset[str]:
    return user.role_names if _is_active_user(user) else frozenset()  # type: ignore[union-attr]


def _membership(user: AnyUser, *, restricted: bool = False) -> Q:
    memberships = CareTeamMembership.objects.filter(
        patient=OuterRef("pk"), clinician_id=user.pk, end_date__isnull=True
    )
    if restricted:
        memberships = memberships.filter(Q(role=CareTeamRole.LEAD) | Q(restricted_access=True))
    return Q(Exists(memberships))


def _lead(user: AnyUser) -> Q:
    return Q(
        Exists(
            CareTeamMembership.objects.filter(
                patient=OuterRef("pk"),
                clinician_id=user.pk,
                role=CareTeamRole.LEAD,
                end_date__isnull=True,
            )
        )
    )


def _grant(user: AnyUser, now: datetime) -> Q:
    return Q(
        Exists(
            BreakGlassGrant.objects.filter(
                patient=OuterRef("pk"),
                clinician_id=user.pk,
                lapsed_at__isnull=True,
                expires_at__gt=now,
            )
        )
    )


def _supervisee_on_team(user: AnyUser) -> Q:
    return Q(
        Exists(
            CareTeamMembership.objects.filter(
                patient=OuterRef("pk"),
                end_date__isnull=True,
                clinician_id__in=supervisee_ids_query(user),  # type: ignore[arg-type]
            )
        )
    )


def _any_of(*conditions: Q) -> Q:
    useful = [condition for condition in conditions if condition is not NOTHING]
    if not useful:
        return NOTHING
    if any(condition is EVERYTHING for condition in useful):
        return EVERYTHING
    combined = useful[0]
    for condition in useful[1:]:
        combined |= condition
    return combined


def _condition(user: AnyUser, action: Action, now: datetime) -> Q:
    """Return the condition on `Patient` under which `user` may do `action`."""
    roles = _roles(user)
    if not roles or action == Action.REGISTER:
        return NOTHING
    clinician = Role.CLINICIAN in roles
    # Clinical access needs the clinician role as well as the relationship, so removing the
    # role closes every record at once, whatever memberships remain.
    clinical = _any_of(_membership(user), _grant(user, now)) if clinician else NOTHING

    if action in (
        Action.VIEW_CLINICAL,
        Action.ADD_NOTE,
        Action.EDIT_CLINICAL,
        Action.UPLOAD,
        Action.DOWNLOAD,
    ):
        # Break-glass opens standard clinical content only; restricted entries stay closed
        # (READ_RESTRICTED below has no grant branch).
        return clinical
    if action == Action.READ_RESTRICTED:
        return _membership(user, restricted=True) if clinician else NOTHING
    if action == Action.VIEW_METADATA:
        return _any_of(
            clinical,
            _supervisee_on_team(user) if Role.SUPERVISOR in roles else NOTHING,
            EVERYTHING if Role.MANAGER in roles else NOTHING,
        )
    if action == Action.VIEW_FRONT_DESK:
        return EVERYTHING if Role.RECEPTION in roles else clinical
    if action == Action.MANAGE_CARE_TEAM:
        if Role.MANAGER in roles:
            return EVERYTHING
        # A supervisor manages the teams their supervisees are on; patients with no team yet
        # are allocated by a manager.
        return _supervisee_on_team(user) if Role.SUPERVISOR in roles else NOTHING
    if action == Action.VIEW_ACCESS_LOG:
        # The log holds ids and case codes only, so the privacy role needs no clinical access.
        if getattr(user, "is_privacy_officer", False):
            return EVERYTHING
        return _lead(user) if clinician else NOTHING
    if action == Action.BREAK_GLASS:
        # Only from outside the team, and not while a grant is already in force.
        return ~_membership(user) & ~_grant(user, now) if clinician else NOTHING
    raise ValueError(f"unknown action: {action!r}")


def can_open_list(user: AnyUser, which: PatientList) -> bool:
    """Return whether `user` may open the list page `which` (its rows are filtered apart)."""
    roles, _action = LIST_ROLES[which]
    return bool(roles & _roles(user))


def can(user: AnyUser, action: Action, patient: Patient | None = None) -> bool:
    """Return whether `user` may do `action` to `patient`, or to any patient if it is None."""
    if action == Action.REGISTER:
        roles = _roles(user)
        return Role.RECEPTION in roles or Role.CLINICIAN in roles
    condition = _condition(user, action, timezone.now())
    if condition is NOTHING:
        return False
    if patient is None:
        return True
    return Patient.objects.filter(condition, pk=patient.pk).exists()


def patients_for(user: AnyUser, action: Action) -> PatientQuerySet:
    """Return the patients `user` may do `action` to (empty for REGISTER)."""
    condition = _condition(user, action, timezone.now())
    if condition is NOTHING:
        return cast(PatientQuerySet, Patient.objects.none())
    return cast(PatientQuerySet, Patient.objects.filter(condition))


def action_annotations(
    user: AnyUser, actions: tuple[Action, ...] = PATIENT_ACTIONS
) -> dict[str, Any]:
    """Return `Patient` annotations `may_<action>` (booleans) for `user`, for one-query checks."""
    now = timezone.now()
    annotations: dict[str, Any] = {}
    for action in actions:
        condition = _condition(user, action, now)
        if condition is NOTHING:
            annotations[f"may_{action}"] = Value(False)
        elif condition is EVERYTHING:
            annotations[f"may_{action}"] = Value(True)
        else:
            annotations[f"may_{action}"] = Case(
                When(condition, then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
    return annotations


def allowed_actions(user: AnyUser, patient: Patient) -> frozenset[Action]:
    """Return every action `user` may do to `patient` (REGISTER excluded), in one query."""
    if not _roles(user):
        return frozenset()
    row = (
        Patient.objects.filter(pk=patient.pk)
        .annotate(**action_annotations(user))
        .values(*(f"may_{action}" for action in PATIENT_ACTIONS))
        .first()
    )
    if row is None:
        return frozenset()
    return frozenset(action for action in PATIENT_ACTIONS if row[f"may_{action}"])


def note_readable_condition(user: AnyUser) -> Q:
    """Return the condition on `ClinicalNote` under which `user` may read the note's body.

    Applies on top of clinical access to the patient: standard notes, the user's own notes,
    and restricted notes where the user is the lead or a member granted restricted access.
    """
    if Role.CLINICIAN not in _roles(user):
        return NOTHING
    restricted_member = Exists(
        CareTeamMembership.objects.filter(
            patient=OuterRef("patient"), clinician_id=user.pk, end_date__isnull=True
        ).filter(Q(role=CareTeamRole.LEAD) | Q(restricted_access=True))
    )
    return Q(sensitivity=Sensitivity.STANDARD) | Q(author_id=user.pk) | Q(restricted_member)


def can_review_break_glass(user: AnyUser) -> bool:
    """Return whether `user` may open the break-glass review queue and record outcomes."""
    return _is_active_user(user) and bool(getattr(user, "is_privacy_officer", False))


def grant_in_force_subquery(user: AnyUser) -> Subquery | Value:
    """Return a `Patient` annotation: the id of `user`'s break-glass grant in force, or NULL."""
    if Role.CLINICIAN not in _roles(user):
        return Value(None, output_field=models.BigIntegerField())
    return Subquery(
        BreakGlassGrant.objects.in_force()
        .filter(patient=OuterRef("pk"), clinician_id=user.pk)
        .values("pk")[:1]
    )


def active_grant_id(user: AnyUser, patient: Patient) -> int | None:
    """Return the id of `user`'s break-glass grant in force for `patient`, if any."""
    if Role.CLINICIAN not in _roles(user):
        return None
    return (
        BreakGlassGrant.objects.in_force()
        .filter(clinician_id=user.pk, patient_id=patient.pk)
        .values_list("pk", flat=True)
        .first()
    )
