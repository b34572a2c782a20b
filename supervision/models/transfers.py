"""Case transfer requests: a clinician asks to hand over a personally challenging case."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.crypto.fields import EncryptedTextField


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ASSIGNED = "assigned", _("Receiving clinician chosen")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined by the receiving clinician")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (TransferStatus.REQUESTED, TransferStatus.ASSIGNED)


class CaseTransferRequest(models.Model):
    """One request, from the requester's reason to the receiving clinician's acceptance.

    `reason` is readable by the chosen `supervisor` only (not the manager, not the receiver);
    `handover_note` is written by the receiving clinician on acceptance.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Deleted with the patient: destruction leaves no trace outside the tombstone.
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="transfer_requests_made",
        verbose_name=_("requested by"),
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="transfer_requests_to_decide",
        verbose_name=_("supervisor"),
    )
    reason = EncryptedTextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=12, choices=TransferStatus.choices, default=TransferStatus.REQUESTED
    )
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer_requests_received",
        verbose_name=_("receiving clinician"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    handover_note = EncryptedTextField(_("handover note"), null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "requester"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="transfer_one_open_per_case",
            ),
            models.CheckConstraint(
                condition=~Q(requester=F("supervisor")), name="transfer_supervisor_not_requester"
            ),
            models.CheckConstraint(
                condition=Q(receiver__isnull=True) | ~Q(receiver=F("requester")),
                name="transfer_receiver_not_requester",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TransferStatus.values), name="transfer_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=TransferStatus.ASSIGNED) | Q(receiver__isnull=False),
                name="transfer_assigned_has_receiver",
            ),
        ]
        verbose_name = _("case transfer request")
        verbose_name_plural = _("case transfer requests")

    def __str__(self) -> str:
        return f"transfer request #{self.pk}"
