"""Release packages: the encrypted archive that carries a patient's data out."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PackageKind(models.TextChoices):
    REFERRAL = "referral", _("Referral or transfer of care")
    LEGAL_RELEASE = "legal_release", _("Release for a legal request")
    PATIENT_ACCESS = "patient_access", _("Copy for the patient")


class Section(models.TextChoices):
    """What a package may contain; the restricted tier is added only with a reason."""

    SUMMARY = "summary", _("Summary (identity, stage, safety needs)")
    TREATMENT_PLAN = "treatment_plan", _("Treatment plan")
    NOTES = "notes", _("Selected notes")
    CONSENTS = "consents", _("Consents")
    ATTACHMENTS = "attachments", _("Selected attachments")


class ReleasePackage(models.Model):
    """An AES-256 zip (readable HTML, a FHIR R4 Bundle and a SHA-256 manifest).

    The passphrase is shown once to the approver and never stored; `archive` is useless
    without it. `manifest` names the files and their hashes, nothing from the record.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="release_packages"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PackageKind.choices)
    archive = models.BinaryField(editable=False)
    archive_sha256 = models.CharField(max_length=64)
    manifest = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("release package")
        verbose_name_plural = _("release packages")

    def __str__(self) -> str:
        return f"release package #{self.pk}"
