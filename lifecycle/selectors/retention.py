"""Reads for retention and destruction: when a case is due, which rows belong to a patient,
the candidate list, proposals and the destruction report.

The rows of a patient are found generically, by walking every foreign key that leads to
`Patient` (directly or through another of the patient's rows). A model added later that
references a patient is therefore destroyed with it, and a test lists the models so the
change is noticed.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.db import models
from django.db.models import Exists, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record
from carecore.crypto.exceptions import CryptoError
from carecore.downloads import csv_cell
from patients.models import Patient, PatientStatus

from .. import conf
from ..models import (
    DestructionRequest,
    DestructionStatus,
    DestructionTombstone,
    LegalHold,
    RetentionCandidate,
)
from ..permissions.retention import (
    CANDIDATE_TARGET,
    REQUEST_TARGET,
    TOMBSTONE_TARGET,
    DenialReason,
    RetentionAction,
    RetentionNotFound,
    retention_denial_record,
    retention_require,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser

# Rows that outlive the patient: the proposal keeps the case code and who decided, nothing
# else, and its `patient` becomes NULL (SET_NULL) when the patient row goes.
KEPT_MODELS = frozenset({"lifecycle.destructionrequest"})
PATIENT_LABEL = "patients.patient"


# --- When a case is due ----------------------------------------------------------------------


def add_years(day: dt.date, years: int) -> dt.date:
    """Return `day` moved by whole `years`; 29 February becomes 1 March, never a day early."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def birth_date_of(
    *, date_of_birth: dt.date | None, approximate_age: int | None, registered_on: dt.date
) -> dt.date | None:
    """Return the birth date, or the latest one an approximate age at registration allows."""
    if date_of_birth is not None:
        return date_of_birth
    if approximate_age is not None:
        # The latest plausible birth date makes the person as young as possible: the minor
        # rule then keeps the record longer rather than shorter.
        return add_years(registered_on, -approximate_age)
    return None


def retention_ends_on(
    *,
    closed_on: dt.date,
    birth_date: dt.date | None,
    last_disclosure_on: dt.date | None = None,
) -> dt.date:
    """Return the first day on which every kind of record of a closed case is past retention."""
    years = conf.retention_years()
    if birth_date is None:
        minor = conf.unknown_age_as_minor()
    else:
        minor = closed_on < add_years(birth_date, conf.age_of_majority())
    if minor:
        ends = add_years(closed_on, years[conf.PATIENT_RECORD_MINOR])
        if birth_date is not None:
            ends = max(ends, add_years(birth_date, conf.minor_until_age()))
    else:
        ends = add_years(closed_on, years[conf.PATIENT_RECORD])
    if last_disclosure_on is not None:
        ends = max(ends, add_years(last_disclosure_on, years[conf.DISCLOSURE_REGISTER]))
    return ends


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


AGE_CHUNK = 500


def _ages(ids: list[int]) -> dict[int, tuple[dt.date | None, int | None]]:
    """Return {patient id: (date of birth, approximate age)} for the readable ones of `ids`.

    A value that fails its integrity check raises (and is audited) in the decryption layer;
    that patient is left out, so one damaged record keeps its data (it is not listed for
    destruction) instead of stopping the review for everyone.
    """
    rows = Patient.objects.filter(pk__in=ids).values_list("id", "date_of_birth", "approximate_age")
    try:
        return {pk: (born, age) for pk, born, age in rows}
    except CryptoError:
        ages: dict[int, tuple[dt.date | None, int | None]] = {}
        for pk in ids:
            try:
                ages[pk] = (
                    Patient.objects.filter(pk=pk)
                    .values_list("date_of_birth", "approximate_age")
                    .get()
                )
            except CryptoError:
                continue
        return ages


def retention_due_cases(*, today: dt.date) -> dict[int, dt.date]:
    """Return {patient id: retention end} for every closed case past retention on `today`."""
    years = conf.retention_years()
    # Every case keeps its record for at least the shorter record period: skip the rest unread.
    shortest = min(years[conf.PATIENT_RECORD], years[conf.PATIENT_RECORD_MINOR])
    closed = list(
        Patient.objects.filter(
            status=PatientStatus.CLOSED,
            closed_on__isnull=False,
            closed_on__lte=add_years(today, -shortest),
        )
        .annotate(last_disclosure_at=Max("disclosures__disclosed_at"))
        .order_by("id")
        .values_list("id", "closed_on", "registered_on", "last_disclosure_at")
    )
    due: dict[int, dt.date] = {}
    for first in range(0, len(closed), AGE_CHUNK):
        chunk = closed[first : first + AGE_CHUNK]
        ages = _ages([pk for pk, *_rest in chunk])
        for pk, closed_on, registered_on, last_disclosure_at in chunk:
            if pk not in ages or closed_on is None:
                continue
            date_of_birth, approximate_age = ages[pk]
            ends = retention_ends_on(
                closed_on=closed_on,
                birth_date=birth_date_of(
                    date_of_birth=date_of_birth,
                    approximate_age=approximate_age,
                    registered_on=registered_on,
                ),
                last_disclosure_on=_local_date(last_disclosure_at),
            )
            if ends <= today:
                due[pk] = ends
    return due


def retention_end_of(*, patient_id: int) -> dt.date | None:
    """Return the retention end of one closed case, or None if it is not closed."""
    patient = (
        Patient.objects.filter(pk=patient_id, status=PatientStatus.CLOSED, closed_on__isnull=False)
        .only("id", "closed_on", "registered_on", "date_of_birth", "approximate_age")
        .annotate(last_disclosure_at=Max("disclosures__disclosed_at"))
        .first()
    )
    if patient is None or patient.closed_on is None:
        return None
    return retention_ends_on(
        closed_on=patient.closed_on,
        birth_date=birth_date_of(
            date_of_birth=patient.date_of_birth,
            approximate_age=patient.approximate_age,
            registered_on=patient.registered_on,
        ),
        last_disclosure_on=_local_date(patient.last_disclosure_at),  # type: ignore[attr-defined]
    )


def legal_hold_active(*, patient_id: int) -> bool:
    """Return whether a legal hold is in force on the patient (placed and not lifted)."""
    return LegalHold.objects.filter(patient_id=patient_id, lifted_at__isnull=True).exists()


# --- Which rows belong to a patient -----------------------------------------------------------


@dataclass(frozen=True)
class PatientLink:
    """A foreign key by which rows of `model` belong to rows of `parent` (maybe itself)."""

    model: type[models.Model]
    field: models.ForeignKey[Any, Any]
    parent: type[models.Model]


def _reverse_relations(model: type[models.Model]) -> Iterator[models.ForeignObjectRel]:
    for relation in model._meta.get_fields(include_hidden=True):
        # Many-to-many rows live in their through model, which has its own foreign key here.
        if (
            relation.auto_created
            and not relation.concrete
            and (relation.one_to_many or relation.one_to_one)
        ):
            yield relation  # type: ignore[misc]


@cache
def patient_links() -> tuple[PatientLink, ...]:
    """Return every foreign key on a path to `Patient`, breadth first from it."""
    links: list[PatientLink] = []
    seen: set[type[models.Model]] = {Patient}
    queue: deque[type[models.Model]] = deque([Patient])
    while queue:
        parent = queue.popleft()
        for relation in _reverse_relations(parent):
            related = cast("type[models.Model]", relation.related_model)
            model = cast("type[models.Model]", related._meta.concrete_model)
            field = cast("models.ForeignKey[Any, Any]", relation.field)
            if model._meta.label_lower in KEPT_MODELS:
                if relation.on_delete is not models.SET_NULL:
                    raise ImproperlyConfiguredLink(model._meta.label_lower)
                continue
            links.append(PatientLink(model=model, field=field, parent=parent))
            if model not in seen:
                seen.add(model)
                queue.append(model)
    return tuple(links)


class ImproperlyConfiguredLink(RuntimeError):
    """A model kept after destruction must let go of the patient with SET_NULL."""

    def __init__(self, label: str) -> None:
        super().__init__(f"{label} is kept after destruction, so its link must be SET_NULL.")


def patient_data_models() -> list[type[models.Model]]:
    """Return every model whose rows are destroyed with a patient, `Patient` included."""
    found: list[type[models.Model]] = [Patient, *(link.model for link in patient_links())]
    return list(dict.fromkeys(found))


def patient_rows(*, patient_id: int) -> dict[type[models.Model], set[Any]]:
    """Return the primary keys of every row that belongs to the patient, by model."""
    links_by_parent: dict[type[models.Model], list[PatientLink]] = defaultdict(list)
    for link in patient_links():
        links_by_parent[link.parent].append(link)
    rows: dict[type[models.Model], set[Any]] = {Patient: {patient_id}}
    pending: dict[type[models.Model], set[Any]] = {Patient: {patient_id}}
    # Until nothing new turns up: amendments of amendments, several paths to one model.
    while pending:
        parent, keys = pending.popitem()
        for link in links_by_parent[parent]:
            target = link.field.target_field.attname
            values: Any = keys
            if target != parent._meta.pk.attname:
                values = parent._base_manager.filter(pk__in=keys).values_list(target, flat=True)
            found = set(
                link.model._base_manager.filter(
                    **{f"{link.field.attname}__in": values}
                ).values_list("pk", flat=True)
            )
            new = found - rows.setdefault(link.model, set())
            if new:
                rows[link.model] |= new
                pending.setdefault(link.model, set()).update(new)
    return {model: keys for model, keys in rows.items() if keys}


def destroyed_kinds(rows: dict[type[models.Model], set[Any]]) -> dict[str, int]:
    """Return {model label: number of rows}, the tombstone's record of what was destroyed."""
    return {model._meta.label_lower: len(keys) for model, keys in sorted_rows(rows)}


def sorted_rows(
    rows: dict[type[models.Model], set[Any]],
) -> list[tuple[type[models.Model], set[Any]]]:
    """Return the rows by model in a stable order (by label)."""
    return sorted(rows.items(), key=lambda item: item[0]._meta.label_lower)


def kind_label(label: str) -> str:
    """Return the readable name of a kind of data stored in a tombstone (a model label)."""
    try:
        return str(apps.get_model(label)._meta.verbose_name_plural)
    except (LookupError, ValueError):
        return label


def destruction_preview(*, user: AnyUser, patient_id: int) -> list[tuple[str, str, int]]:
    """Return (label, readable name, count) for each kind of data destruction would remove."""
    retention_require(user=user, action=RetentionAction.PROPOSE)
    counts = destroyed_kinds(patient_rows(patient_id=patient_id))
    return [(label, kind_label(label), count) for label, count in counts.items()]


# --- Pages -------------------------------------------------------------------------------------


def _open_request() -> Subquery:
    return Subquery(
        DestructionRequest.objects.filter(
            patient_id=OuterRef("patient_id"), status=DestructionStatus.PROPOSED
        ).values("pk")[:1]
    )


def _hold_active() -> Exists:
    return Exists(
        LegalHold.objects.filter(patient_id=OuterRef("patient_id"), lifted_at__isnull=True)
    )


def retention_candidates_for(*, user: AnyUser) -> QuerySet[RetentionCandidate]:
    """Return the cases listed by the review, oldest retention end first; audited."""
    retention_require(user=user, action=RetentionAction.VIEW)
    audit_event_record(
        event_type=EventType.RETENTION_CANDIDATES_VIEWED, actor=user, target_type=CANDIDATE_TARGET
    )
    return (
        RetentionCandidate.objects.select_related("patient")
        .only(
            "id",
            "retention_ends_on",
            "listed_at",
            "patient__id",
            "patient__uuid",
            "patient__case_code",
            "patient__closed_on",
        )
        .annotate(on_hold=_hold_active(), open_request_id=_open_request())
        .order_by("retention_ends_on", "id")
    )


def retention_candidate_get(
    *, user: AnyUser, patient_uuid: uuid_module.UUID | str
) -> RetentionCandidate:
    """Return the candidate for a patient, with its case code and dates; or raise the 404."""
    retention_require(user=user, action=RetentionAction.PROPOSE)
    candidate = None
    try:
        reference = uuid_module.UUID(str(patient_uuid))
    except ValueError:
        reference = None
    if reference is not None:
        candidate = (
            RetentionCandidate.objects.select_related("patient")
            .only(
                "id",
                "retention_ends_on",
                "listed_at",
                "patient__id",
                "patient__uuid",
                "patient__case_code",
                "patient__closed_on",
                "patient__registered_on",
            )
            .annotate(on_hold=_hold_active(), open_request_id=_open_request())
            .filter(patient__uuid=reference)
            .first()
        )
    if candidate is None:
        retention_denial_record(
            user=user, action=RetentionAction.PROPOSE, reason=DenialReason.NOT_FOUND
        )
        raise RetentionNotFound
    return candidate


def destruction_request_get(
    *, user: AnyUser, request_id: int, action: RetentionAction = RetentionAction.VIEW_REQUEST
) -> DestructionRequest:
    """Return one destruction proposal with its people, audited; or raise the 404."""
    retention_require(user=user, action=action, target_type=REQUEST_TARGET)
    request = (
        DestructionRequest.objects.select_related("proposed_by", "decided_by")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        retention_denial_record(
            user=user, action=action, reason=DenialReason.NOT_FOUND, target_type=REQUEST_TARGET
        )
        raise RetentionNotFound
    audit_event_record(
        event_type=EventType.DESTRUCTION_REQUEST_VIEWED,
        actor=user,
        target=request,
        case_code=request.case_code,
        details={"action": str(action)},
    )
    return request


def destruction_tombstones_for(
    *, user: AnyUser, export: bool = False
) -> QuerySet[DestructionTombstone]:
    """Return the destroyed cases, newest first, for the report or its download; audited."""
    retention_require(user=user, action=RetentionAction.REPORT, target_type=TOMBSTONE_TARGET)
    audit_event_record(
        event_type=(
            EventType.DESTRUCTION_REPORT_EXPORTED if export else EventType.DESTRUCTION_REPORT_VIEWED
        ),
        actor=user,
        target_type=TOMBSTONE_TARGET,
    )
    return DestructionTombstone.objects.select_related("proposed_by", "approved_by").order_by(
        "-destroyed_at", "-id"
    )


def tombstone_kinds(tombstone: DestructionTombstone) -> list[tuple[str, int]]:
    """Return (readable kind of data, rows destroyed) for one tombstone, by kind."""
    return [(kind_label(label), int(count)) for label, count in sorted(tombstone.destroyed.items())]


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).


def destruction_report_rows(*, user: AnyUser) -> Iterator[list[str]]:
    """Yield the destruction report as CSV rows, heading first; audited as a download."""
    tombstones = destruction_tombstones_for(user=user, export=True)
    yield [
        "case_code",
        "registered_on",
        "closed_on",
        "destroyed_at",
        "proposed_by",
        "approved_by",
        "destroyed",
    ]
    for tombstone in tombstones.iterator(chunk_size=500):
        kinds = "; ".join(
            f"{label}={count}" for label, count in sorted(tombstone.destroyed.items())
        )
        yield [
            csv_cell(tombstone.case_code),
            tombstone.registered_on.isoformat(),
            tombstone.closed_on.isoformat() if tombstone.closed_on else "",
            timezone.localtime(tombstone.destroyed_at).isoformat(timespec="seconds"),
            csv_cell(tombstone.proposed_by.username),
            csv_cell(tombstone.approved_by.username),
            csv_cell(kinds),
        ]
