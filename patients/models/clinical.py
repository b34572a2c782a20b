"""The clinical record: notes (never edited in place) and the treatment plan's goals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import TimeStampedModel
from carecore.crypto.fields import EncryptedTextField

from .patient import Patient


class NoteType(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    ASSESSMENT = "assessment", _("Assessment")
    PHONE_CALL = "phone_call", _("Phone call")
    GROUP_SESSION = "group_session", _("Group session")
    REFERRAL = "referral", _("Referral")
    OTHER = "other", _("Other")


class Sensitivity(models.TextChoices):
    STANDARD = "standard", _("Standard")
    RESTRICTED = "restricted", _("Restricted")


class ClinicalNote(models.Model):
    """One entry in the clinical record. Never changed: an amendment is a new linked note.

    A restricted note (sexual and reproductive health, HIV, mental health, details of the
    exploitation) is readable by its author, the care team lead and members granted
    restricted access; others on the team see only that it exists.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    encounter_date = models.DateField(_("encounter date"))
    note_type = models.CharField(_("type"), max_length=16, choices=NoteType.choices)
    sensitivity = models.CharField(
        _("sensitivity"),
        max_length=12,
        choices=Sensitivity.choices,
        default=Sensitivity.STANDARD,
    )
    body = EncryptedTextField(_("note"))
    amends = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments",
        verbose_name=_("amends"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-encounter_date", "-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(note_type__in=NoteType.values), name="note_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(sensitivity__in=Sensitivity.values), name="note_sensitivity_valid"
            ),
            models.CheckConstraint(
                condition=Q(amends__isnull=True) | ~Q(amends=F("id")),
                name="note_does_not_amend_itself",
            ),
        ]
        indexes = [models.Index(fields=["patient", "-encounter_date"], name="note_timeline")]
        verbose_name = _("clinical note")
        verbose_name_plural = _("clinical notes")

    def __str__(self) -> str:
        return f"note #{self.pk} on patient #{self.patient_id}"

    @property
    def is_restricted(self) -> bool:
        return self.sensitivity == Sensitivity.RESTRICTED


class GoalStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ACHIEVED = "achieved", _("Achieved")
    DISCONTINUED = "discontinued", _("Discontinued")


class TreatmentGoal(TimeStampedModel):
    """A goal of the treatment plan, agreed with the patient."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="goals")
    goal = EncryptedTextField(_("goal"))
    agreed_on = models.DateField(_("agreed on"), default=timezone.localdate)
    status = models.CharField(
        _("status"), max_length=16, choices=GoalStatus.choices, default=GoalStatus.ACTIVE
    )
    review_on = models.DateField(_("review on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["status", "review_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=GoalStatus.values), name="goal_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(review_on__isnull=True) | Q(review_on__gte=F("agreed_on")),
                name="goal_review_after_agreement",
            ),
        ]
        verbose_name = _("treatment goal")
        verbose_name_plural = _("treatment goals")

    def __str__(self) -> str:
        return f"goal #{self.pk} of patient #{self.patient_id}"
