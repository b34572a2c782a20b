"""The disclosure register: every time a patient's information left the care team."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.crypto.fields import EncryptedTextField

from .access import PatientAccessRequest
from .legal import LegalBasis, LegalRequest
from .partners import PartnerOrganisation
from .referrals import Referral


class DisclosureKind(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    TRANSFER_OF_CARE = "transfer_of_care", _("Transfer of care")
    LEGAL_RELEASE = "legal_release", _("Release for a legal request")
    PATIENT_ACCESS = "patient_access", _("Copy for the patient")
    SPOKEN = "spoken", _("Spoken or telephone disclosure")
    WRITTEN = "written", _("Other written disclosure")


class DisclosureEntry(models.Model):
    """Who received what, why, on what basis, approved by whom and when.

    Entries are written by the release services (referral, legal release, patient copy) and
    by hand for spoken or telephone disclosures. Never edited.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="disclosures"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DisclosureKind.choices)
    partner = models.ForeignKey(
        PartnerOrganisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Free text when the recipient is not a registered partner (a named doctor, the patient).
    recipient = EncryptedTextField(_("recipient"), null=True, blank=True)
    purpose = EncryptedTextField(_("purpose"))
    legal_basis = models.CharField(_("legal basis"), max_length=20, choices=LegalBasis.choices)
    consent = models.ForeignKey(
        "patients.Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sections = models.JSONField(_("scope"), default=list)
    scope_note = EncryptedTextField(_("scope in words"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    disclosed_at = models.DateTimeField(_("disclosed at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    referral = models.OneToOneField(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosure"
    )
    legal_request = models.OneToOneField(
        LegalRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosure"
    )
    access_request = models.OneToOneField(
        PatientAccessRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disclosure",
    )

    class Meta:
        ordering = ["-disclosed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DisclosureKind.values), name="disclosure_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(partner__isnull=False) | Q(recipient__isnull=False),
                name="disclosure_has_recipient",
            ),
        ]
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosure register")

    def __str__(self) -> str:
        return f"disclosure #{self.pk}"
