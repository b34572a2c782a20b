"""Leave a person records privately for their own work-life balance."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import TimeStampedModel
from carecore.crypto.fields import EncryptedDateField, EncryptedTextField


class LeaveRecord(TimeStampedModel):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wellbeing_leave_records",
        verbose_name=_("person"),
    )
    starts_on = EncryptedDateField(_("starts on"))
    ends_on = EncryptedDateField(_("ends on"))
    note = EncryptedTextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("leave record")
        verbose_name_plural = _("leave records")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"leave record {self.pk}"
