"""Re-encrypt stored values under the newest field key, and count those still on an old one.

Every concrete model field that is an `EncryptedFieldMixin`, in any installed app, is covered
without being listed, plus the binary columns in `CIPHERTEXT_COLUMNS` that hold `encrypt_bytes`
output directly (attachment files). Values are handled as stored tokens: read raw, decrypted to
their plaintext bytes and encrypted again, so every field type (text, dates, JSON, booleans)
goes through the same path and no plaintext is turned into a Python value, logged or audited.
See docs/decisions/0012-field-key-rotation.md.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import DatabaseError, models, router, transaction
from django.db.models import BinaryField, ExpressionWrapper, F, Value

from carecore.audit.events import EventType, Outcome
from carecore.audit.services import audit_event_record

from .cipher import _decrypt, encrypt_bytes, integrity_failure_record, needs_rotation
from .exceptions import IntegrityError
from .fields import EncryptedFieldMixin
from .keys import field_key_ring

DEFAULT_BATCH_SIZE = 500
# Attachment files run to megabytes each: a table holding one is read a few rows at a time.
LARGE_VALUE_BATCH_SIZE = 10
# Binary columns that hold `encrypt_bytes` output without an encrypted field class.
CIPHERTEXT_COLUMNS: tuple[tuple[str, str], ...] = (("patients.Attachment", "content"),)
# Enough ids for an operator to find undecryptable rows without flooding the output.
MAX_REPORTED_PKS = 20
RAW_ALIAS = "carecore_raw_{index}"

BATCH_SIZE_INVALID = "The batch size must be a positive whole number."
RESUME_FROM_INVALID = "--resume-from must be app_label.Model:pk, for example patients.Patient:1200."
RESUME_MODEL_UNKNOWN = "{label} is not an installed model with encrypted values."
CIPHERTEXT_COLUMN_UNKNOWN = "CIPHERTEXT_COLUMNS names {label}.{field}, which does not exist."
INTERRUPTED_AUDIT_FAILED_LOG_MESSAGE = "could not audit the end of an interrupted key rotation"

logger = logging.getLogger(__name__)


class RotationError(ValueError):
    """An option of the rotation could not be used; the message says which."""


class Mode(enum.Enum):
    VERIFY = "verify"
    DRY_RUN = "dry-run"
    ROTATE = "rotate"


@dataclass(frozen=True)
class EncryptedColumn:
    """One stored encrypted value per row: a model field and how large its values get."""

    model: type[models.Model]
    field_name: str
    large: bool = False

    @property
    def label(self) -> str:
        """Return "app_label.Model.field", as commands and audit events name the column."""
        return f"{self.model._meta.label}.{self.field_name}"


@dataclass(frozen=True)
class EncryptedTable:
    """A model and every encrypted column it stores."""

    model: type[models.Model]
    columns: tuple[EncryptedColumn, ...]

    @property
    def label(self) -> str:
        """Return the model's "app_label.Model" label."""
        return self.model._meta.label

    def batch_size(self, requested: int) -> int:
        """Return how many rows to read at once from this table."""
        if any(column.large for column in self.columns):
            return min(requested, LARGE_VALUE_BATCH_SIZE)
        return requested


@dataclass
class ValueCounts:
    """How many stored values were found in each state (NULLs are not values)."""

    values: int = 0
    current: int = 0
    stale: int = 0
    rotated: int = 0
    conflicts: int = 0
    undecryptable: int = 0

    def add(self, other: ValueCounts) -> None:
        """Add `other`'s counts to these."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_details(self) -> dict[str, int]:
        """Return the counts as audit event details."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class ColumnReport:
    """The counts for one column, and the ids of some rows whose value cannot be decrypted."""

    column: EncryptedColumn
    counts: ValueCounts = field(default_factory=ValueCounts)
    failed_pks: list[Any] = field(default_factory=list)
    first_error: IntegrityError | None = None

    def note_failure(self, pk: Any, error: IntegrityError) -> None:
        """Remember a value that cannot be decrypted: the first error and a few row ids."""
        if self.first_error is None:
            self.first_error = error
        if len(self.failed_pks) < MAX_REPORTED_PKS:
            self.failed_pks.append(pk)

    def merge(self, other: ColumnReport) -> None:
        """Add the counts and failures of `other`, a later part of the same column."""
        self.counts.add(other.counts)
        if self.first_error is None:
            self.first_error = other.first_error
        room = MAX_REPORTED_PKS - len(self.failed_pks)
        self.failed_pks.extend(other.failed_pks[:room])


@dataclass
class KeyReport:
    """The outcome of one verification or rotation run, column by column."""

    columns: dict[str, ColumnReport] = field(default_factory=dict)

    @property
    def total(self) -> ValueCounts:
        """Return the counts summed over every column."""
        total = ValueCounts()
        for report in self.columns.values():
            total.add(report.counts)
        return total


@dataclass(frozen=True)
class BatchProgress:
    """One finished batch: its table, number and last id, and the table's counts so far."""

    table: str
    number: int
    last_pk: Any
    rows: int
    counts: ValueCounts


ProgressCallback = Callable[[BatchProgress], None]


def encrypted_tables() -> list[EncryptedTable]:
    """Return every installed model storing encrypted values, ordered by label."""
    ciphertext_columns: dict[str, list[str]] = {}
    for label, field_name in CIPHERTEXT_COLUMNS:
        ciphertext_columns.setdefault(label.lower(), []).append(field_name)
    tables = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or meta.swapped:
            continue
        # Local fields only: a multi-table child's inherited columns live in its parent's table.
        columns = [
            EncryptedColumn(model, model_field.name)
            for model_field in meta.local_concrete_fields
            if isinstance(model_field, EncryptedFieldMixin)
        ]
        for field_name in ciphertext_columns.pop(meta.label_lower, []):
            try:
                meta.get_field(field_name)
            except FieldDoesNotExist:
                raise ImproperlyConfigured(
                    CIPHERTEXT_COLUMN_UNKNOWN.format(label=meta.label, field=field_name)
                ) from None
            columns.append(EncryptedColumn(model, field_name, large=True))
        if columns:
            tables.append(EncryptedTable(model, tuple(columns)))
    # A listed model that is not installed would otherwise be skipped without a word.
    for label, names in ciphertext_columns.items():
        raise ImproperlyConfigured(CIPHERTEXT_COLUMN_UNKNOWN.format(label=label, field=names[0]))
    return sorted(tables, key=lambda table: table.label)


def field_keys_verify(*, on_batch: ProgressCallback | None = None) -> KeyReport:
    """Count every stored value by state, decrypting each one, and audit the totals."""
    report = _run(Mode.VERIFY, batch_size=DEFAULT_BATCH_SIZE, on_batch=on_batch)
    total = report.total
    audit_event_record(
        event_type=EventType.FIELD_KEYS_VERIFIED,
        outcome=Outcome.SUCCESS if total.stale == total.undecryptable == 0 else Outcome.FAILURE,
        target_type="crypto.fieldkeys",
        target_id=field_key_ring().newest.key_id_hex,
        details={**_ring_details(), **total.as_details(), **_failure_details(report)},
    )
    return report


def field_keys_rotate(
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    resume_from: str = "",
    on_batch: ProgressCallback | None = None,
) -> KeyReport:
    """Re-encrypt every value stored under an old key with the newest one, batch by batch.

    Each batch is its own transaction and rows already on the newest key are skipped, so an
    interrupted run is resumed by running it again (`resume_from`, "app_label.Model:pk", only
    saves re-reading the tables before that row). A value changed by the application since it
    was read is left alone and counted as a conflict; a value that cannot be decrypted is left
    as it is and counted. A start and an end event are audited, with counts only.
    """
    if batch_size < 1:
        raise RotationError(BATCH_SIZE_INVALID)
    start = _parse_resume_from(resume_from) if resume_from else None
    run_details: dict[str, Any] = {
        **_ring_details(),
        "dry_run": dry_run,
        "batch_size": batch_size,
        "resumed": bool(resume_from),
    }
    newest = field_key_ring().newest.key_id_hex
    audit_event_record(
        event_type=EventType.FIELD_KEY_ROTATION_STARTED,
        target_type="crypto.fieldkeys",
        target_id=newest,
        details=run_details,
    )
    mode = Mode.DRY_RUN if dry_run else Mode.ROTATE
    report = KeyReport()
    try:
        _run(mode, batch_size=batch_size, on_batch=on_batch, start=start, report=report)
    except BaseException:
        # Interrupted (an error, or Ctrl-C): the finished batches are committed and the end
        # event says how far the run got; the original error goes on even if that write fails.
        try:
            audit_event_record(
                event_type=EventType.FIELD_KEYS_ROTATED,
                outcome=Outcome.FAILURE,
                target_type="crypto.fieldkeys",
                target_id=newest,
                details={**run_details, **report.total.as_details(), "interrupted": True},
            )
        except DatabaseError:
            logger.exception(INTERRUPTED_AUDIT_FAILED_LOG_MESSAGE)
        raise
    total = report.total
    audit_event_record(
        event_type=EventType.FIELD_KEYS_ROTATED,
        outcome=Outcome.SUCCESS if total.undecryptable == 0 else Outcome.FAILURE,
        target_type="crypto.fieldkeys",
        target_id=newest,
        details={
            **run_details,
            **total.as_details(),
            **_failure_details(report),
            "interrupted": False,
        },
    )
    return report


def _ring_details() -> dict[str, Any]:
    ring = field_key_ring()
    # Key ids are public (derived one-way, stored in every value); the keys never appear.
    return {"newest_key_id": ring.newest.key_id_hex, "keys_configured": len(ring.keys)}


def _failure_details(report: KeyReport) -> dict[str, Any]:
    failed = {
        label: column.counts.undecryptable
        for label, column in report.columns.items()
        if column.counts.undecryptable
    }
    return {"undecryptable_by_field": failed} if failed else {}


def _parse_resume_from(value: str) -> tuple[str, Any]:
    label, separator, raw_pk = value.rpartition(":")
    if not separator or not label or not raw_pk:
        raise RotationError(RESUME_FROM_INVALID)
    tables = {table.label.lower(): table for table in encrypted_tables()}
    table = tables.get(label.lower())
    if table is None:
        raise RotationError(RESUME_MODEL_UNKNOWN.format(label=label))
    pk_field = table.model._meta.pk
    try:
        return table.label, pk_field.to_python(raw_pk)
    except (ValidationError, ValueError, TypeError):
        raise RotationError(RESUME_FROM_INVALID) from None


def _run(
    mode: Mode,
    *,
    batch_size: int,
    on_batch: ProgressCallback | None,
    start: tuple[str, Any] | None = None,
    report: KeyReport | None = None,
) -> KeyReport:
    report = KeyReport() if report is None else report
    tables = encrypted_tables()
    for table in tables:
        for column in table.columns:
            report.columns[column.label] = ColumnReport(column)
    start_label, first_pk = start if start is not None else (None, None)
    for table in tables:
        if start_label is not None:
            # Tables before the resume point were finished by the interrupted run.
            if table.label != start_label:
                continue
            start_label = None
        else:
            first_pk = None
        _run_table(mode, table, report, table.batch_size(batch_size), first_pk, on_batch)
    return report


def _run_table(
    mode: Mode,
    table: EncryptedTable,
    report: KeyReport,
    batch_size: int,
    first_pk: Any,
    on_batch: ProgressCallback | None,
) -> None:
    database = router.db_for_write(table.model)
    table_counts = ValueCounts()
    last_pk, inclusive, number = first_pk, first_pk is not None, 0
    while True:
        with transaction.atomic(using=database):
            rows = _read_batch(table, database, last_pk, inclusive, batch_size)
            if not rows:
                break
            batch = _process_batch(mode, table, database, rows)
        # Merged once the batch has committed: a batch rolled back by an error counts nothing.
        for label, column_report in batch.items():
            report.columns[label].merge(column_report)
            table_counts.add(column_report.counts)
        number += 1
        last_pk, inclusive = rows[-1][0], False
        if on_batch is not None:
            on_batch(BatchProgress(table.label, number, last_pk, len(rows), table_counts))
        if len(rows) < batch_size:
            break
    for column in table.columns:
        column_report = report.columns[column.label]
        if column_report.first_error is not None:
            # One integrity event per column and run, not one per value: a key removed too
            # early would otherwise write thousands. The run's own event has the counts.
            integrity_failure_record(
                column_report.first_error,
                model_label=table.label,
                field_name=column.field_name,
            )


def _raw(column: EncryptedColumn) -> ExpressionWrapper:
    # Typed as bytes, so that the field's from_db_value (which decrypts) is not applied.
    return ExpressionWrapper(F(column.field_name), output_field=BinaryField())


def _read_batch(
    table: EncryptedTable, database: str, after: Any, inclusive: bool, limit: int
) -> list[tuple[Any, ...]]:
    aliases = {RAW_ALIAS.format(index=i): _raw(c) for i, c in enumerate(table.columns)}
    rows = table.model._base_manager.using(database).order_by("pk")
    if after is not None:
        rows = rows.filter(pk__gte=after) if inclusive else rows.filter(pk__gt=after)
    return list(rows.annotate(**aliases).values_list("pk", *aliases)[:limit])


def _process_batch(
    mode: Mode,
    table: EncryptedTable,
    database: str,
    rows: Sequence[tuple[Any, ...]],
) -> dict[str, ColumnReport]:
    batch = {column.label: ColumnReport(column) for column in table.columns}
    for pk, *stored in rows:
        replacements: dict[EncryptedColumn, tuple[bytes, bytes]] = {}
        for column, value in zip(table.columns, stored, strict=True):
            if value is None:
                continue
            counts = batch[column.label].counts
            counts.values += 1
            token = bytes(value)
            try:
                stale = needs_rotation(token)
                # Rotation only opens what it rewrites; verification opens every value.
                plaintext = _decrypt(token) if stale or mode is Mode.VERIFY else None
            except IntegrityError as error:
                counts.undecryptable += 1
                batch[column.label].note_failure(pk, error)
            else:
                if not stale:
                    counts.current += 1
                else:
                    counts.stale += 1
                    if mode is Mode.ROTATE and plaintext is not None:
                        replacements[column] = (token, encrypt_bytes(plaintext))
        if replacements:
            swapped = _swap(table, database, pk, replacements)
            for column in replacements:
                counts = batch[column.label].counts
                if swapped:
                    counts.rotated += 1
                else:
                    counts.conflicts += 1
    return batch


def _swap(
    table: EncryptedTable,
    database: str,
    pk: Any,
    replacements: dict[EncryptedColumn, tuple[bytes, bytes]],
) -> bool:
    """Write the new tokens only if every old one is still stored (compare and swap)."""
    expected = {}
    aliases = {}
    updates = {}
    for index, (column, (old, new)) in enumerate(replacements.items()):
        alias = RAW_ALIAS.format(index=index)
        aliases[alias] = _raw(column)
        expected[alias] = old
        # An expression, so the field's get_db_prep_save does not encrypt the token again.
        updates[column.field_name] = Value(new, output_field=BinaryField())
    # QuerySet.update: no save(), no signals, no auto_now; the row keeps its updated_at.
    matched = (
        table.model._base_manager.using(database)
        .filter(pk=pk)
        .alias(**aliases)
        .filter(**expected)
        .update(**updates)
    )
    return matched == 1
