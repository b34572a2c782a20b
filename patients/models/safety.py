"""Safety flags: risks the care team and the front desk must see."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.crypto.fields import EncryptedTextField

from .patient import Patient


class SafetyFlagKind(models.TextChoices):
    TRAFFICKER_MAY_CONTACT = "trafficker_may_contact", _("A trafficker may try to make contact")
    DO_NOT_CONFIRM_PRESENCE = (
        "do_not_confirm_presence",
        _("Do not confirm this person is a patient here"),
    )
    VIOLENCE_RISK = "violence_risk", _("Risk of violence")
    OTHER = "other", _("Other")


# Shown to reception on any lookup (the kind only, never the details).
FRONT_DESK_KINDS = frozenset(
    {SafetyFlagKind.DO_NOT_CONFIRM_PRESENCE, SafetyFlagKind.TRAFFICKER_MAY_CONTACT}
)


class SafetyFlag(models.Model):
    """A risk on a patient, in force until resolved."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="safety_flags")
    kind = models.CharField(_("kind"), max_length=32, choices=SafetyFlagKind.choices)
    details = EncryptedTextField(_("details"), null=True, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SafetyFlagKind.values), name="safety_flag_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolved_by__isnull=True)
                | Q(resolved_at__isnull=False, resolved_by__isnull=False),
                name="safety_flag_resolution_consistent",
            ),
        ]
        indexes = [
            models.Index(
                fields=["patient", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="safety_flag_active",
            ),
        ]
        verbose_name = _("safety flag")
        verbose_name_plural = _("safety flags")

    def __str__(self) -> str:
        return f"safety flag #{self.pk} ({self.kind}) on patient #{self.patient_id}"

    @property
    def is_active(self) -> bool:
        return self.resolved_at is None
