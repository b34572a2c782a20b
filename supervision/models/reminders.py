"""Due facts (overdue supervision, caseload review due) and the notifications they owe.

The due state is a row keyed by person, kind and the start of the overdue period, so the
scheduled sweep can run any number of times and remind once per period.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DueKind(models.TextChoices):
    SUPERVISION_OVERDUE = "supervision_overdue", _("Individual supervision overdue")
    CASELOAD_REVIEW_DUE = "caseload_review_due", _("Caseload review due")


class SupervisionDue(models.Model):
    """`person` became due for `kind` at `due_since`; resolved when the gap is closed."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supervision_dues"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=DueKind.choices)
    due_since = models.DateTimeField(_("due since"))
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "due_since"], name="supervision_due_once_per_period"
            ),
        ]
        verbose_name = _("supervision due")
        verbose_name_plural = _("supervision dues")

    def __str__(self) -> str:
        return f"due #{self.pk}"


class SupervisionNotification(models.Model):
    """An in-app reminder owed to one recipient for one due fact."""

    due = models.ForeignKey(SupervisionDue, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="supervision_notifications",
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["due", "recipient"], name="supervision_notify_once"),
        ]
        verbose_name = _("supervision notification")
        verbose_name_plural = _("supervision notifications")

    def __str__(self) -> str:
        return f"supervision notification #{self.pk}"
