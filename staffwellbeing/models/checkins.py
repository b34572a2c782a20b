"""A person's answers to an instrument version, and their explicit shares."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.crypto.fields import EncryptedJSONField

from .instruments import InstrumentVersion


class CheckIn(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wellbeing_checkins",
        verbose_name=_("person"),
    )
    # PROTECT: a check-in must keep the version (and wording) it was answered on.
    version = models.ForeignKey(
        InstrumentVersion,
        on_delete=models.PROTECT,
        related_name="checkins",
        verbose_name=_("version"),
    )
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)
    answers = EncryptedJSONField(_("answers"))
    scores = EncryptedJSONField(_("scores"))

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ("-answered_at", "-pk")
        indexes = [models.Index(fields=("person", "answered_at"), name="wellbeing_checkin_person")]

    def __str__(self) -> str:
        return f"check-in {self.pk}"


class ResultShare(models.Model):
    checkin = models.ForeignKey(
        CheckIn, on_delete=models.CASCADE, related_name="shares", verbose_name=_("check-in")
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wellbeing_shares_received",
        verbose_name=_("supervisor"),
    )
    shared_at = models.DateTimeField(_("shared at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("result share")
        verbose_name_plural = _("result shares")
        ordering = ("-shared_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=("checkin", "supervisor"),
                condition=models.Q(revoked_at__isnull=True),
                name="wellbeing_share_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"share {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
