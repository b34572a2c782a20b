"""Referrals and transfers of care out of the organisation."""

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
from .partners import PartnerOrganisation


class ReferralKind(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    TRANSFER_OF_CARE = "transfer_of_care", _("Transfer of care")


class ReferralStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved, package ready")
    SENT = "sent", _("Sent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the recipient")
    DECLINED = "declined", _("Declined by the recipient")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Not approved")
    BLOCKED = "blocked", _("Blocked: consent no longer permits it")


class Referral(TimeStampedModel):
    """A package prepared by a care team member for a partner, approved by a second person.

    `sections`, `note_ids` and `attachment_ids` are what the preparer chose; the restricted
    tier and staff identities stay out unless added with a reason.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="referrals"
    )
    partner = models.ForeignKey(
        PartnerOrganisation, on_delete=models.PROTECT, related_name="referrals"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReferralKind.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ReferralStatus.choices,
        default=ReferralStatus.AWAITING_APPROVAL,
    )
    purpose = EncryptedTextField(_("purpose"))
    sections = models.JSONField(default=list)
    note_ids = models.JSONField(default=list)
    attachment_ids = models.JSONField(default=list)
    include_restricted = models.BooleanField(_("include the restricted tier"), default=False)
    restricted_reason = EncryptedTextField(
        _("why the restricted tier is included"), null=True, blank=True
    )
    identify_staff = models.BooleanField(_("name staff instead of role codes"), default=False)
    staff_reason = EncryptedTextField(_("why staff are named"), null=True, blank=True)
    consent = models.ForeignKey(
        "patients.Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = EncryptedTextField(_("approver's note"), null=True, blank=True)
    package = models.OneToOneField(
        ReleasePackage, on_delete=models.PROTECT, null=True, blank=True, related_name="referral"
    )
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-prepared_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReferralStatus.values), name="referral_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(include_restricted=False) | Q(restricted_reason__isnull=False),
                name="referral_restricted_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(identify_staff=False) | Q(staff_reason__isnull=False),
                name="referral_staff_named_has_reason",
            ),
            # Two people: the preparer never approves their own package.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("prepared_by")),
                name="referral_second_person",
            ),
        ]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        return f"referral #{self.pk}"
