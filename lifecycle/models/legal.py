"""Requests from courts, police, lawyers and immigration authorities, and legal holds."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import TimeStampedModel
from carecore.crypto.fields import EncryptedCharField, EncryptedTextField

from .packages import ReleasePackage


class RequesterKind(models.TextChoices):
    COURT = "court", _("Court")
    POLICE = "police", _("Police")
    LAWYER = "lawyer", _("Lawyer")
    IMMIGRATION = "immigration", _("Immigration authority")
    OTHER = "other", _("Other authority")


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("The patient's consent")
    COURT_ORDER = "court_order", _("Court order")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
    VITAL_INTERESTS = "vital_interests", _("Vital interests of the patient or another person")
    PATIENT_REQUEST = "patient_request", _("The patient's own request")
    NONE = "none", _("No valid basis")


class LegalRequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    BASIS_REVIEWED = "basis_reviewed", _("Legal basis reviewed")
    SCOPE_DECIDED = "scope_decided", _("Scope and redaction decided")
    RELEASED = "released", _("Released")
    REFUSED = "refused", _("Refused")


class LegalRequest(TimeStampedModel):
    """One request, each step dated and attributed; a release needs a second person."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="legal_requests"
    )
    requester_kind = models.CharField(_("from"), max_length=16, choices=RequesterKind.choices)
    requester_name = EncryptedCharField(_("requesting body or person"), max_length=300)
    reference = EncryptedCharField(_("their reference"), max_length=200, blank=True)
    request_summary = EncryptedTextField(_("what is asked for"))
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=LegalRequestStatus.choices,
        default=LegalRequestStatus.RECEIVED,
    )
    legal_basis = models.CharField(
        _("legal basis"), max_length=20, choices=LegalBasis.choices, blank=True
    )
    basis_assessment = EncryptedTextField(_("assessment of the legal basis"), null=True, blank=True)
    basis_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    basis_reviewed_at = models.DateTimeField(null=True, blank=True)
    sections = models.JSONField(default=list)
    redact_third_parties = models.BooleanField(_("redact third parties"), default=True)
    redact_staff = models.BooleanField(_("redact staff identities"), default=True)
    redact_location = models.BooleanField(_("redact location"), default=True)
    scope_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scope_decided_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    outcome_reason = EncryptedTextField(
        _("reasons for the release or refusal"), null=True, blank=True
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    package = models.OneToOneField(
        ReleasePackage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_request",
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=LegalRequestStatus.values), name="legal_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("scope_decided_by")),
                name="legal_second_person",
            ),
            models.CheckConstraint(
                condition=~Q(status=LegalRequestStatus.RELEASED)
                | Q(approved_by__isnull=False, package__isnull=False),
                name="legal_release_approved",
            ),
        ]
        verbose_name = _("legal request")
        verbose_name_plural = _("legal requests")

    def __str__(self) -> str:
        return f"legal request #{self.pk}"


class LegalHold(models.Model):
    """While a hold is in force (`lifted_at` empty), the patient's record cannot be destroyed."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="legal_holds"
    )
    legal_request = models.ForeignKey(
        LegalRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="holds"
    )
    reason = EncryptedTextField(_("reason"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(
                fields=["patient"], condition=Q(lifted_at__isnull=True), name="legal_hold_active"
            ),
        ]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")

    def __str__(self) -> str:
        return f"legal hold #{self.pk}"
