"""Check-in reminder preferences and in-app wellbeing notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    CHECKIN_DUE = "checkin_due", _("Check-in due")
    SUPPORT_REVIEW_DUE = "support_review_due", _("Support plan review due")
    JOB_REVIEW_DUE = "job_review_due", _("Job description review due")
    GUIDELINES_NEW = "guidelines_new", _("New self-care guidelines")
    SUPPORT_REQUESTED = "support_requested", _("Support meeting requested")


class ReminderPreference(models.Model):
    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wellbeing_reminder_preference",
        verbose_name=_("person"),
    )
    enabled = models.BooleanField(_("enabled"), default=False)
    interval_days = models.PositiveSmallIntegerField(_("interval in days"), default=30)
    next_due_at = models.DateTimeField(_("next due at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder preference")
        verbose_name_plural = _("reminder preferences")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(interval_days__gte=1),
                name="wellbeing_reminder_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"reminder preference {self.pk}"


class WellbeingNotification(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wellbeing_notifications",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Set when the e-mail copy was sent, so a sweep can re-queue e-mails a broker outage lost.
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    # Idempotency key: the sweep may run twice for the same due fact.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("wellbeing notification")
        verbose_name_plural = _("wellbeing notifications")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"wellbeing notification {self.pk}"
