"""The organisation's caseload guidelines and the caseload reviews held against them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.crypto.fields import EncryptedTextField


class CaseloadGuideline(models.Model):
    """One version of the organisation's caseload guidelines; the newest row applies.

    The guide gives no numbers, so these are the organisation's own. Limits are per full-time
    clinician and pro-rated by each person's FTE.
    """

    max_active_patients = models.PositiveSmallIntegerField(
        _("maximum active patients per full-time clinician"), default=20
    )
    max_complexity_points = models.PositiveSmallIntegerField(
        _("maximum complexity points per full-time clinician"),
        default=50,
        help_text=_("The sum of the complexity ratings (1 to 5) of a clinician's active patients."),
    )
    min_stages = models.PositiveSmallIntegerField(
        _("minimum number of stages of care in a caseload"),
        default=2,
        help_text=_(
            "A varied caseload has patients at different stages of rehabilitation. "
            "Checked only when the caseload has at least this many patients."
        ),
    )
    review_cadence_weeks = models.PositiveSmallIntegerField(
        _("caseload review every (weeks)"), default=12
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        get_latest_by = ["changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_active_patients__gte=1, max_complexity_points__gte=1),
                name="caseload_guideline_limits_positive",
            ),
            models.CheckConstraint(
                condition=Q(min_stages__lte=4), name="caseload_guideline_min_stages_range"
            ),
            models.CheckConstraint(
                condition=Q(review_cadence_weeks__gte=1, review_cadence_weeks__lte=52),
                name="caseload_guideline_review_cadence_range",
            ),
        ]
        verbose_name = _("caseload guidelines")
        verbose_name_plural = _("caseload guidelines")

    def __str__(self) -> str:
        return f"caseload guidelines #{self.pk}"


class ReviewOutcome(models.TextChoices):
    BALANCED = "balanced", _("Balanced")
    NEEDS_ADJUSTMENT = "needs_adjustment", _("Needs adjustment")


class CaseloadReview(models.Model):
    """A caseload review held by a supervisor with a clinician.

    `snapshot` holds the caseload figures at that moment (counts only, no case code), so the
    history shows what was reviewed even after the caseload has changed.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="caseload_reviews",
        verbose_name=_("clinician"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="caseload_reviews_held",
        verbose_name=_("reviewer"),
    )
    held_on = models.DateField(_("held on"), default=timezone.localdate)
    snapshot = models.JSONField(_("caseload figures at the review"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=ReviewOutcome.choices)
    actions = EncryptedTextField(_("agreed actions"), blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=ReviewOutcome.values), name="caseload_review_outcome_valid"
            ),
        ]
        indexes = [models.Index(fields=["clinician", "-held_on"], name="caseload_review_latest")]
        verbose_name = _("caseload review")
        verbose_name_plural = _("caseload reviews")

    def __str__(self) -> str:
        return f"caseload review #{self.pk}"
