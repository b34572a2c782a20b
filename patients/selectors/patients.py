"""Finding patients: the fetch-and-check selector, the front-desk card, lists, counts, search.

Every read starts from the policy (`patients.permissions`). Reads that show patient data write
their audit event before they return, so if the event cannot be written nothing is served.
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from .. import case_codes
from ..auditing import DenialReason, access_denied_record, patient_event_record
from ..exceptions import (
    NOT_A_CLINICIAN_LIST,
    NOT_AN_OVERSEER,
    NOT_AT_THE_FRONT_DESK,
    ActionRefused,
    PatientNotFound,
)
from ..models import (
    FRONT_DESK_KINDS,
    CareTeamMembership,
    CareTeamRole,
    Patient,
    PatientQuerySet,
    PatientStatus,
    RiskLevel,
    SafetyFlag,
    SafetyFlagKind,
    Stage,
)
from ..permissions import (
    FRONT_DESK_FIELDS,
    LIST_ROLES,
    METADATA_FIELDS,
    READ_ACTIONS,
    Action,
    PatientList,
    action_annotations,
    can_open_list,
    fields_for,
    grant_in_force_subquery,
    patients_for,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser

# Where `patient_get_for` leaves its stamp: (user id, action). Section selectors refuse a
# patient without it, so a page cannot show a section it did not fetch (and audit) first.
ACCESS_STAMP_ATTR = "_carecore_access_stamp"
AUTOCOMPLETE_MIN_LENGTH = 3
AUTOCOMPLETE_LIMIT = 10
EXACTLY_ONE_REFERENCE = "Pass exactly one of case_code or uuid."


class Section(models.TextChoices):
    """The part of the record a page shows; recorded in the PATIENT_VIEWED event."""

    OVERVIEW = "overview", _("Overview")
    NOTES = "notes", _("Notes")
    PLAN = "plan", _("Treatment plan")
    CONSENTS = "consents", _("Consents")
    ATTACHMENTS = "attachments", _("Attachments")
    SAFETY = "safety", _("Safety flags")
    CARE_TEAM = "care_team", _("Care team")
    INTAKE = "intake", _("Intake")
    FRONT_DESK = "front_desk", _("Front desk")
    CASELOAD = "caseload", _("Caseload")


def _lookup(case_code: str | None, uuid: object) -> dict[str, Any] | None:
    if case_code is not None:
        try:
            return {"case_code": case_codes.normalise(case_code)}
        except ValueError:
            return None
    try:
        return {"uuid": uuid if isinstance(uuid, uuid_module.UUID) else uuid_module.UUID(str(uuid))}
    except ValueError:
        return None


def patient_get_for(
    *,
    user: AnyUser,
    action: Action,
    case_code: str | None = None,
    uuid: uuid_module.UUID | str | None = None,
    section: Section = Section.OVERVIEW,
) -> Patient:
    """Return the patient if `user` may do `action` to it, or raise PatientNotFound (404).

    Missing, malformed and forbidden references get the same 404 and an ACCESS_DENIED event
    (with the patient's id and case code when it exists; the audit is internal). For a read
    action the PATIENT_VIEWED event is written before the patient is returned; for any other
    action, the service or selector called next writes its own event. The patient carries
    only the fields the action allows (`permissions.fields_for`); reading any other raises.
    """
    if (case_code is None) == (uuid is None):
        raise TypeError(EXACTLY_ONE_REFERENCE)
    lookup = _lookup(case_code, uuid)
    patient: Patient | None = None
    if lookup is not None:
        patient = (
            Patient.objects.filter(**lookup)
            .limited_to(fields_for(action))
            .annotate(
                **action_annotations(user, (action,)),
                in_force_grant_id=grant_in_force_subquery(user),
            )
            .first()
        )
    if patient is None:
        access_denied_record(actor=user, action=action, reason=DenialReason.NOT_FOUND)
        raise PatientNotFound
    grant_id: int | None = patient.in_force_grant_id  # type: ignore[attr-defined]
    if not getattr(patient, f"may_{action}"):
        access_denied_record(
            actor=user,
            action=action,
            reason=DenialReason.POLICY,
            patient=patient,
            grant_id=grant_id,
        )
        raise PatientNotFound
    if action in READ_ACTIONS:
        patient_event_record(
            event_type=EventType.PATIENT_VIEWED,
            actor=user,
            patient=patient,
            details={"action": str(action), "section": str(section)},
            grant_id=grant_id,
        )
    setattr(patient, ACCESS_STAMP_ATTR, (user.pk, action))
    return patient


def require_fetched(patient: Patient, user: AnyUser, actions: frozenset[Action]) -> None:
    """Raise if `patient` was not fetched by `patient_get_for` for `user` and one of `actions`."""
    stamp = getattr(patient, ACCESS_STAMP_ATTR, None)
    if stamp is None or stamp[0] != user.pk or stamp[1] not in actions:
        raise PatientNotFetchedError


class PatientNotFetchedError(RuntimeError):
    """A section selector got a patient that `patient_get_for` did not return for this read."""

    def __init__(self) -> None:
        super().__init__(
            "Fetch the patient with patient_get_for(user=..., action=<a read action>) first: "
            "that is where the read is checked and audited."
        )


@dataclass(frozen=True)
class FrontDeskCard:
    """What reception may know: the case code, the name to use, and front-desk warnings."""

    uuid: uuid_module.UUID
    case_code: str
    preferred_name: str
    status: str
    warnings: tuple[SafetyFlagKind, ...] = field(default_factory=tuple)

    @property
    def do_not_confirm_presence(self) -> bool:
        return SafetyFlagKind.DO_NOT_CONFIRM_PRESENCE in self.warnings


def patient_front_desk_get(*, user: AnyUser, case_code: str) -> FrontDeskCard:
    """Return the front-desk card for an exact case code, or raise PatientNotFound (404)."""
    patient = patient_get_for(
        user=user, action=Action.VIEW_FRONT_DESK, case_code=case_code, section=Section.FRONT_DESK
    )
    # Kinds only: the details of a flag are clinical content.
    kinds = set(
        SafetyFlag.objects.filter(
            patient_id=patient.pk, resolved_at__isnull=True, kind__in=FRONT_DESK_KINDS
        ).values_list("kind", flat=True)
    )
    return FrontDeskCard(
        uuid=patient.uuid,
        case_code=patient.case_code,
        preferred_name=patient.preferred_name,
        status=patient.status,
        warnings=tuple(SafetyFlagKind(kind) for kind in sorted(kinds)),
    )


def _choice_or_none(choices: type[models.TextChoices], value: str | None) -> str | None:
    # Filters reach the audit details, which hold enum values only: refuse anything else.
    if value in (None, ""):
        return None
    return choices(value).value


def _active_flags_count() -> Coalesce:
    return Coalesce(
        Subquery(
            SafetyFlag.objects.filter(patient=OuterRef("pk"), resolved_at__isnull=True)
            .order_by()
            .values("patient")
            .annotate(count=Count("pk"))
            .values("count"),
            output_field=IntegerField(),
        ),
        0,
    )


def _do_not_confirm_presence() -> Exists:
    return Exists(
        SafetyFlag.objects.filter(
            patient=OuterRef("pk"),
            resolved_at__isnull=True,
            kind=SafetyFlagKind.DO_NOT_CONFIRM_PRESENCE,
        )
    )


def _filtered(
    patients: PatientQuerySet,
    *,
    stage: str | None,
    risk_level: str | None,
    include_closed: bool,
) -> PatientQuerySet:
    if stage is not None:
        patients = patients.filter(stage=stage)
    if risk_level is not None:
        patients = patients.filter(risk_level=risk_level)
    if not include_closed:
        patients = patients.filter(status=PatientStatus.ACTIVE)
    return patients


_LIST_REFUSALS = {
    PatientList.MY_PATIENTS: NOT_A_CLINICIAN_LIST,
    PatientList.CASELOAD: NOT_AN_OVERSEER,
    PatientList.FRONT_DESK: NOT_AT_THE_FRONT_DESK,
}


def patient_list_require(*, user: AnyUser, which: PatientList) -> None:
    """Raise ActionRefused (403), audited, unless `user` may open the list page `which`."""
    if can_open_list(user, which):
        return
    _roles, action = LIST_ROLES[which]
    access_denied_record(actor=user, action=action, reason=DenialReason.ROLE)
    raise ActionRefused(_LIST_REFUSALS[which])


def patients_my_caseload(
    *,
    user: AnyUser,
    stage: str | None = None,
    risk_level: str | None = None,
    include_closed: bool = False,
) -> PatientQuerySet:
    """Return the patients on whose care team `user` is, for the "My patients" page.

    Rows carry metadata and the preferred name, plus `care_team_role`, `active_safety_flags`
    and `do_not_confirm_presence`; ordered newest registration first, ready to paginate.
    Patients open to the user only under break-glass are not in the caseload. Audited as
    one PATIENT_LIST_VIEWED event per call.
    """
    stage = _choice_or_none(Stage, stage)
    risk_level = _choice_or_none(RiskLevel, risk_level)
    own = CareTeamMembership.objects.filter(
        patient=OuterRef("pk"), clinician_id=user.pk, end_date__isnull=True
    )
    patients = patients_for(user, Action.VIEW_CLINICAL).filter(Exists(own))
    patients = _filtered(
        patients, stage=stage, risk_level=risk_level, include_closed=include_closed
    )
    audit_event_record(
        event_type=EventType.PATIENT_LIST_VIEWED,
        actor=user,
        target_type="patients.patient",
        details={
            "list": "my_caseload",
            "stage": stage or "",
            "risk_level": risk_level or "",
            "include_closed": include_closed,
        },
    )
    return (
        patients.limited_to(METADATA_FIELDS | FRONT_DESK_FIELDS)
        .annotate(
            care_team_role=Subquery(own.values("role")[:1]),
            active_safety_flags=_active_flags_count(),
            do_not_confirm_presence=_do_not_confirm_presence(),
        )
        .order_by("-registered_on", "case_code")
    )


def patients_caseload(
    *,
    user: AnyUser,
    stage: str | None = None,
    risk_level: str | None = None,
    clinician: User | None = None,
    include_closed: bool = False,
) -> PatientQuerySet:
    """Return the caseload metadata `user` may see (supervisors, managers, the team).

    Metadata only, never a name: rows carry `care_team_size` and `lead_id`. With `clinician`,
    only patients on whose active team that person is. Audited as PATIENT_LIST_VIEWED.
    """
    stage = _choice_or_none(Stage, stage)
    risk_level = _choice_or_none(RiskLevel, risk_level)
    patients = patients_for(user, Action.VIEW_METADATA)
    if clinician is not None:
        patients = patients.filter(
            Exists(
                CareTeamMembership.objects.filter(
                    patient=OuterRef("pk"), clinician_id=clinician.pk, end_date__isnull=True
                )
            )
        )
    patients = _filtered(
        patients, stage=stage, risk_level=risk_level, include_closed=include_closed
    )
    audit_event_record(
        event_type=EventType.PATIENT_LIST_VIEWED,
        actor=user,
        target_type="patients.patient",
        details={
            "list": "caseload",
            "stage": stage or "",
            "risk_level": risk_level or "",
            "clinician": clinician.pk if clinician is not None else None,
            "include_closed": include_closed,
        },
    )
    team = CareTeamMembership.objects.filter(patient=OuterRef("pk"), end_date__isnull=True)
    return (
        patients.limited_to(METADATA_FIELDS)
        .annotate(
            care_team_size=Coalesce(
                Subquery(
                    team.order_by().values("patient").annotate(count=Count("pk")).values("count"),
                    output_field=IntegerField(),
                ),
                0,
            ),
            lead_id=Subquery(team.filter(role=CareTeamRole.LEAD).values("clinician_id")[:1]),
        )
        .order_by("-registered_on", "case_code")
    )


@dataclass(frozen=True)
class CaseloadCounts:
    """Counts of active patients by stage, risk level and complexity ("" / None: not assessed)."""

    total: int
    by_stage: dict[str, int]
    by_risk_level: dict[str, int]
    by_complexity: dict[int | None, int]


def caseload_counts(*, user: AnyUser, clinician: User | None = None) -> CaseloadCounts:
    """Return counts over the active patients whose metadata `user` may see, in one query.

    Aggregates only (no row, no case code), so no audit event.
    """
    patients = patients_for(user, Action.VIEW_METADATA).filter(status=PatientStatus.ACTIVE)
    if clinician is not None:
        patients = patients.filter(
            Exists(
                CareTeamMembership.objects.filter(
                    patient=OuterRef("pk"), clinician_id=clinician.pk, end_date__isnull=True
                )
            )
        )
    aggregates: dict[str, Any] = {"total": Count("pk")}
    for stage in Stage.values:
        aggregates[f"stage_{stage}"] = Count("pk", filter=Q(stage=stage))
    for risk in ["", *RiskLevel.values]:
        aggregates[f"risk_{risk or 'none'}"] = Count("pk", filter=Q(risk_level=risk))
    for complexity in [None, 1, 2, 3, 4, 5]:
        condition = Q(complexity__isnull=True) if complexity is None else Q(complexity=complexity)
        aggregates[f"complexity_{complexity}"] = Count("pk", filter=condition)
    row = patients.order_by().aggregate(**aggregates)
    return CaseloadCounts(
        total=row["total"],
        by_stage={stage: row[f"stage_{stage}"] for stage in Stage.values},
        by_risk_level={risk: row[f"risk_{risk or 'none'}"] for risk in ["", *RiskLevel.values]},
        by_complexity={c: row[f"complexity_{c}"] for c in [None, 1, 2, 3, 4, 5]},
    )


@dataclass(frozen=True)
class PatientReference:
    """A patient as a search result: the case code and the UUID for its URL, nothing else."""

    case_code: str
    uuid: uuid_module.UUID


def patients_autocomplete(
    *, user: AnyUser, prefix: str, limit: int = AUTOCOMPLETE_LIMIT
) -> list[PatientReference]:
    """Return up to `limit` patients whose case code starts with `prefix`, among those
    whose metadata `user` may see.

    Reception is not served here: the front desk finds a patient by an exact case code or
    through the duplicate check only. Case codes alone are not audited per keystroke.
    """
    compact = "".join(ch for ch in prefix.upper() if ch not in " -")
    if len(compact) < AUTOCOMPLETE_MIN_LENGTH or any(
        ch not in case_codes.ALPHABET for ch in compact
    ):
        return []
    groups = [compact[:4], compact[4:8], compact[8:]]
    formatted = "-".join(group for group in groups if group)
    rows = (
        patients_for(user, Action.VIEW_METADATA)
        .filter(case_code__startswith=formatted)
        .order_by("case_code")
        .values_list("case_code", "uuid")[: max(0, min(limit, AUTOCOMPLETE_LIMIT))]
    )
    return [PatientReference(case_code=code, uuid=value) for code, value in rows]
