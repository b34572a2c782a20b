"""Attachments: scanned documents and images, encrypted before they are stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.crypto.fields import EncryptedCharField, EncryptedTextField


class AttachmentType(models.TextChoices):
    """The allowlist of content types, each checked against the file's own magic bytes."""

    PDF = "application/pdf", _("PDF document")
    JPEG = "image/jpeg", _("JPEG image")
    PNG = "image/png", _("PNG image")


class Attachment(models.Model):
    """One uploaded file; `content` is `carecore.crypto.cipher.encrypt_bytes` output.

    No hash of the plaintext is kept: it would let anyone with database access confirm that
    a known document (a passport scan, a photo) is held here.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    original_filename = EncryptedCharField(_("file name"), max_length=255)
    description = EncryptedTextField(_("description"), null=True, blank=True)
    content_type = models.CharField(_("type"), max_length=64, choices=AttachmentType.choices)
    size = models.PositiveIntegerField(_("size in bytes"))
    content = models.BinaryField(editable=False)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=AttachmentType.values),
                name="attachment_type_allowed",
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="attachment_not_empty"),
        ]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"attachment #{self.pk} of patient #{self.patient_id}"
