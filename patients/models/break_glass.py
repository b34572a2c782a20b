"""Break-glass: time-limited emergency access, and the privacy officers' notifications of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.crypto.fields import EncryptedTextField

from .patient import Patient


class ReviewOutcome(models.TextChoices):
    PENDING = "pending", _("Pending review")
    JUSTIFIED = "justified", _("Justified")
    NOT_JUSTIFIED = "not_justified", _("Not justified")


class BreakGlassGrantQuerySet(models.QuerySet):
    def in_force(self, *, now: object = None) -> BreakGlassGrantQuerySet:
        """Return the grants neither lapsed nor past their expiry at `now` (default: now)."""
        return self.filter(lapsed_at__isnull=True, expires_at__gt=now or timezone.now())


class BreakGlassGrant(models.Model):
    """A clinician's emergency access to a patient outside their care team.

    In force from `granted_at` until `expires_at` unless lapsed earlier; the policy checks
    the expiry itself, so a late sweep never extends it. Every grant waits for a privacy
    officer's review.
    """

    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    reason = EncryptedTextField(_("reason"))
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    lapsed_at = models.DateTimeField(_("lapsed at"), null=True, blank=True)
    review_outcome = models.CharField(
        _("review outcome"),
        max_length=16,
        choices=ReviewOutcome.choices,
        default=ReviewOutcome.PENDING,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = EncryptedTextField(_("review note"), null=True, blank=True)

    objects = BreakGlassGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("granted_at")), name="break_glass_expires_after"
            ),
            models.CheckConstraint(
                condition=Q(review_outcome__in=ReviewOutcome.values),
                name="break_glass_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    review_outcome=ReviewOutcome.PENDING,
                    reviewed_by__isnull=True,
                    reviewed_at__isnull=True,
                )
                | Q(
                    ~Q(review_outcome=ReviewOutcome.PENDING),
                    reviewed_by__isnull=False,
                    reviewed_at__isnull=False,
                ),
                name="break_glass_review_consistent",
            ),
            # Separation of duties: nobody reviews their own emergency access.
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("clinician")),
                name="break_glass_not_self_reviewed",
            ),
            models.UniqueConstraint(
                fields=["clinician", "patient"],
                condition=Q(lapsed_at__isnull=True),
                name="break_glass_one_open_grant",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(lapsed_at__isnull=True),
                name="break_glass_due_to_lapse",
            ),
            models.Index(
                fields=["granted_at"],
                condition=Q(review_outcome=ReviewOutcome.PENDING),
                name="break_glass_review_queue",
            ),
        ]
        verbose_name = _("break-glass grant")
        verbose_name_plural = _("break-glass grants")

    def __str__(self) -> str:
        return f"break-glass grant #{self.pk}"

    def in_force(self, now: object = None) -> bool:
        """Return whether the grant gives access at `now` (default: now)."""
        moment = now or timezone.now()
        return self.lapsed_at is None and self.expires_at > moment  # type: ignore[operator]


class NotificationKind(models.TextChoices):
    BREAK_GLASS_GRANTED = "break_glass_granted", _("Emergency access granted")


class PrivacyNotification(models.Model):
    """An in-app notice to one privacy officer: the durable fact that they must be told."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="privacy_notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    break_glass_grant = models.ForeignKey(
        BreakGlassGrant, on_delete=models.PROTECT, related_name="notifications"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "break_glass_grant", "kind"],
                name="privacy_notification_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="privacy_notification_unread",
            ),
        ]
        verbose_name = _("privacy notification")
        verbose_name_plural = _("privacy notifications")

    def __str__(self) -> str:
        return f"notification #{self.pk} to user #{self.recipient_id}"
