from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .events import EventType, Outcome

# Asserted by tests; the PostgreSQL trigger raises its own message (see `database.py`).
APPEND_ONLY_MESSAGE = "Audit records are append-only: they cannot be changed or deleted."


class AuditRecordImmutableError(Exception):
    """Raised when code tries to change or delete an audit event or seal."""

    def __init__(self) -> None:
        super().__init__(APPEND_ONLY_MESSAGE)


class AppendOnlyQuerySet(models.QuerySet):
    """A queryset that can read and insert, never update or delete.

    `_update` and `_raw_delete` are the paths `Model.save()` and the deletion collector take
    underneath the public methods, so they are closed as well.
    """

    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditRecordImmutableError

    def _update(self, values: Any) -> NoReturn:
        raise AuditRecordImmutableError

    def bulk_update(self, objs: Any, fields: Any, batch_size: Any = None) -> NoReturn:
        # Refuse before Django opens its savepoint-less atomic block: an error raised inside
        # it would leave the caller's whole transaction unusable.
        raise AuditRecordImmutableError

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditRecordImmutableError

    def delete(self) -> NoReturn:
        raise AuditRecordImmutableError

    def _raw_delete(self, using: Any) -> NoReturn:
        raise AuditRecordImmutableError


class AppendOnlyModel(models.Model):
    """Abstract base for rows that are inserted once and never changed or deleted."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AuditRecordImmutableError
        # Always an INSERT: an UPDATE, even one matching no row, is refused by the database
        # role that the application runs as.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditRecordImmutableError


class AuditEvent(AppendOnlyModel):
    """One audited fact: who did what to which target, when, from where, with what outcome.

    Holds ids, case codes and enum values only; never field values, names or free text.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    # No `choices`: the enum lives in code, so a new event type needs no migration.
    event_type = models.PositiveIntegerField(db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_type = models.CharField(max_length=64, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    case_code = models.CharField(max_length=16, blank=True, default="", db_index=True)
    request_id = models.CharField(max_length=32, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        # Related descriptors use the base manager: make it the append-only one too.
        base_manager_name = "objects"
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_event_type_display()} ({self.outcome})"

    def get_event_type_display(self) -> str:
        """Return the event type's label, or its number if the code no longer knows it."""
        try:
            return str(EventType(self.event_type).label)
        except ValueError:
            return str(self.event_type)


class AuditSeal(AppendOnlyModel):
    """One link of the hash chain: seals one event under the hash of the link before it.

    Written only by the sealer (`sealing.audit_seal_pending`), never on a request's path.
    """

    sequence = models.PositiveBigIntegerField(primary_key=True)
    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="seal")
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        base_manager_name = "objects"
        ordering = ["sequence"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sequence__gte=1), name="audit_seal_sequence_positive"
            ),
        ]
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")

    def __str__(self) -> str:
        return f"seal {self.sequence} of event #{self.event_id}"
