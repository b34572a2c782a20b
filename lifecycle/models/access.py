"""A patient's request for a copy of their own record."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import TimeStampedModel
from carecore.crypto.fields import EncryptedTextField

from .packages import ReleasePackage


class AccessRequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    SAFETY_REVIEWED = "safety_reviewed", _("Safety review done")
    RELEASED = "released", _("Copy produced")
    REFUSED = "refused", _("Refused")


class PatientAccessRequest(TimeStampedModel):
    """A copy of the record for the patient, after a safety review (who else could read it?)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="access_requests"
    )
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AccessRequestStatus.choices,
        default=AccessRequestStatus.RECEIVED,
    )
    safety_review = EncryptedTextField(_("safety review"), null=True, blank=True)
    safe_to_release = models.BooleanField(_("safe to release"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    sections = models.JSONField(default=list)
    redact_staff = models.BooleanField(_("redact staff identities"), default=True)
    outcome_reason = EncryptedTextField(_("reasons"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    package = models.OneToOneField(
        ReleasePackage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_request",
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AccessRequestStatus.values), name="access_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=AccessRequestStatus.RELEASED)
                | Q(safe_to_release=True, package__isnull=False),
                name="access_release_reviewed",
            ),
            # Two people: whoever did the safety review does not also release the copy.
            models.CheckConstraint(
                condition=~Q(status=AccessRequestStatus.RELEASED) | ~Q(closed_by=F("reviewed_by")),
                name="access_second_person",
            ),
        ]
        verbose_name = _("patient access request")
        verbose_name_plural = _("patient access requests")

    def __str__(self) -> str:
        return f"access request #{self.pk}"
