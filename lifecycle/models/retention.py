"""Retention review, second-person destruction, and the tombstone a destroyed case leaves."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RetentionCandidate(models.Model):
    """A closed case past its retention period, listed by the scheduled review for a decision."""

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.CASCADE, related_name="retention_candidate"
    )
    retention_ends_on = models.DateField(_("retention ended on"))
    listed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["retention_ends_on", "id"]
        verbose_name = _("retention candidate")
        verbose_name_plural = _("retention candidates")

    def __str__(self) -> str:
        return f"retention candidate #{self.pk}"


class DestructionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    DESTROYED = "destroyed", _("Destroyed")
    REJECTED = "rejected", _("Not approved")
    CANCELLED = "cancelled", _("Cancelled")


class DestructionRequest(models.Model):
    """A privacy officer's proposal to destroy one case, decided by a second person.

    Holds no free text: it outlives the patient's rows (`patient` becomes empty), keyed by the
    case code, which identifies no one.
    """

    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="destruction_requests",
    )
    case_code = models.CharField(_("case code"), max_length=20)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DestructionStatus.choices,
        default=DestructionStatus.PROPOSED,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="destruction_second_person",
            ),
            models.UniqueConstraint(
                fields=["case_code"],
                condition=Q(status="proposed"),
                name="destruction_one_open_proposal",
            ),
        ]
        verbose_name = _("destruction request")
        verbose_name_plural = _("destruction requests")

    def __str__(self) -> str:
        return f"destruction request #{self.pk}"


class DestructionTombstone(models.Model):
    """What remains of a destroyed case: its code, dates, who decided, and what was destroyed."""

    case_code = models.CharField(_("case code"), max_length=20, unique=True)
    registered_on = models.DateField(_("registered on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    destroyed_at = models.DateTimeField(_("destroyed at"), default=timezone.now)
    request = models.OneToOneField(
        DestructionRequest, on_delete=models.PROTECT, related_name="tombstone"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Kind of data -> number of rows destroyed, e.g. {"clinical_notes": 14, "attachments": 2}.
    destroyed = models.JSONField(_("what was destroyed"), default=dict)

    class Meta:
        ordering = ["-destroyed_at", "-id"]
        verbose_name = _("destruction tombstone")
        verbose_name_plural = _("destruction tombstones")

    def __str__(self) -> str:
        return f"tombstone {self.case_code}"
