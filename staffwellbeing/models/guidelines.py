"""Self-care guidelines published by the organisation and their acknowledgement."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SelfCareGuidelines(models.Model):
    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        verbose_name = _("self-care guidelines")
        verbose_name_plural = _("self-care guidelines")
        ordering = ("-version",)

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class GuidelinesReceipt(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wellbeing_guidelines_receipts",
        verbose_name=_("user"),
    )
    guidelines = models.ForeignKey(
        SelfCareGuidelines,
        on_delete=models.PROTECT,
        related_name="receipts",
        verbose_name=_("guidelines"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), default=timezone.now)

    class Meta:
        verbose_name = _("guidelines receipt")
        verbose_name_plural = _("guidelines receipts")
        constraints = [
            models.UniqueConstraint(
                fields=("user", "guidelines"), name="wellbeing_guidelines_receipt_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"guidelines receipt {self.pk}"
