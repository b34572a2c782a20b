"""Care team memberships: the relationship that grants clinical access to a patient."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import TimeStampedModel

from .patient import Patient


class CareTeamRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    MEMBER = "member", _("Member")


class CareTeamMembershipQuerySet(models.QuerySet):
    def active(self) -> CareTeamMembershipQuerySet:
        """Return the memberships in force (no end date)."""
        return self.filter(end_date__isnull=True)


class CareTeamMembership(TimeStampedModel):
    """One clinician on one patient's care team, from `start_date` until `end_date`.

    Rows are never deleted or reused: removal sets `end_date`, a role change ends the row
    and starts a new one, so the table is the team's history.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_team")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_team_memberships"
    )
    role = models.CharField(
        _("role"), max_length=8, choices=CareTeamRole.choices, default=CareTeamRole.MEMBER
    )
    restricted_access = models.BooleanField(
        _("may read restricted entries"),
        default=False,
        help_text=_("Restricted notes and the current location; the lead always may."),
    )
    start_date = models.DateField(_("start date"), default=timezone.localdate)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = CareTeamMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["patient_id", "role", "start_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(role=CareTeamRole.LEAD, end_date__isnull=True),
                name="care_team_one_active_lead",
            ),
            models.UniqueConstraint(
                fields=["patient", "clinician"],
                condition=Q(end_date__isnull=True),
                name="care_team_one_active_membership",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="care_team_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(role__in=CareTeamRole.values), name="care_team_role_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["clinician", "patient"],
                condition=Q(end_date__isnull=True),
                name="care_team_active_by_clinician",
            ),
        ]
        verbose_name = _("care team membership")
        verbose_name_plural = _("care team memberships")

    def __str__(self) -> str:
        return f"user #{self.clinician_id} ({self.role}) on patient #{self.patient_id}"

    @property
    def is_active(self) -> bool:
        return self.end_date is None
