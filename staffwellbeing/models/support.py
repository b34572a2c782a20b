"""Support plans opened when compassion fatigue is suspected, and early-sign self-checks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import TimeStampedModel
from carecore.crypto.fields import EncryptedJSONField, EncryptedTextField


class PatientWork(models.TextChoices):
    CONTINUE = "continue", _("Continue")
    REDUCE = "reduce", _("Reduce")
    PAUSE = "pause", _("Pause")


class SupportPlanStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class EarlySign(TimeStampedModel):
    text = models.CharField(_("text"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("early sign")
        verbose_name_plural = _("early signs")
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return self.text


class EarlySignCheck(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wellbeing_early_sign_checks",
        verbose_name=_("person"),
    )
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)
    # Kept only when the person chooses to keep their self-check.
    signs = EncryptedJSONField(_("signs"))

    class Meta:
        verbose_name = _("early-sign check")
        verbose_name_plural = _("early-sign checks")
        ordering = ("-checked_at", "-pk")

    def __str__(self) -> str:
        return f"early-sign check {self.pk}"


class SupportPlan(TimeStampedModel):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wellbeing_support_plans",
        verbose_name=_("person"),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    meeting_date = models.DateField(_("meeting date"), null=True, blank=True)
    occupational_referral = models.BooleanField(_("referred to occupational health"), default=False)
    referral_details = EncryptedTextField(_("referral details"), blank=True)
    responsibilities_review = EncryptedTextField(_("review of responsibilities"), blank=True)
    patient_work = models.CharField(
        _("patient work"), max_length=10, choices=PatientWork.choices, default=PatientWork.CONTINUE
    )
    patient_work_details = EncryptedTextField(_("patient work details"), blank=True)
    support_provider = EncryptedTextField(_("support and counselling provided by"), blank=True)
    review_meeting_date = models.DateField(_("review meeting date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SupportPlanStatus.choices,
        default=SupportPlanStatus.OPEN,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("support plan")
        verbose_name_plural = _("support plans")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"support plan {self.pk}"


class SupportPlanMember(models.Model):
    plan = models.ForeignKey(
        SupportPlan, on_delete=models.CASCADE, related_name="members", verbose_name=_("plan")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wellbeing_support_memberships",
        verbose_name=_("user"),
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("support plan member")
        verbose_name_plural = _("support plan members")
        constraints = [
            models.UniqueConstraint(fields=("plan", "user"), name="wellbeing_plan_member_unique"),
        ]

    def __str__(self) -> str:
        return f"support plan member {self.pk}"
