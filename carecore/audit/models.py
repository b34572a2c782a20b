from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .events import EventType, Outcome


class AuditEvent(models.Model):
    """One audited fact: who did what to which target, when, from where, with what outcome.

    Holds ids, case codes and enum values only; never field values, names or free text.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    event_type = models.PositiveIntegerField(choices=EventType.choices, db_index=True)
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
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_event_type_display()} ({self.outcome})"
