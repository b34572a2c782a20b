"""Who supervises whom, supervision groups, and each person's working time."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import TimeStampedModel

DEFAULT_CADENCE_WEEKS = 4
MAX_CADENCE_WEEKS = 26


class SupervisionAgreement(TimeStampedModel):
    """A supervisor's individual clinical supervision of one supervisee, while `active`.

    Everyone who supervises or is supervised has one, even where group supervision also
    exists. The patient access policy reads it: a supervisor sees the caseload metadata of
    patients whose care team includes one of their active supervisees.
    """

    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="supervision_agreements_as_supervisor",
        verbose_name=_("supervisor"),
    )
    supervisee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="supervision_agreements_as_supervisee",
        verbose_name=_("supervisee"),
    )
    cadence_weeks = models.PositiveSmallIntegerField(
        _("individual supervision every (weeks)"),
        default=DEFAULT_CADENCE_WEEKS,
        help_text=_("The longest agreed gap between two held individual sessions."),
    )
    active = models.BooleanField(_("active"), default=True)
    started_on = models.DateField(_("started on"), default=timezone.localdate)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(supervisor=F("supervisee")),
                name="supervision_not_self",
            ),
            models.UniqueConstraint(
                fields=["supervisor", "supervisee"],
                condition=Q(active=True),
                name="supervision_one_active_per_pair",
            ),
            # One clinical supervisor per supervisee at a time: overdue supervision and the
            # reminders need to know whose responsibility the next session is.
            models.UniqueConstraint(
                fields=["supervisee"],
                condition=Q(active=True),
                name="supervision_one_active_supervisor",
            ),
            models.CheckConstraint(
                condition=Q(cadence_weeks__gte=1, cadence_weeks__lte=MAX_CADENCE_WEEKS),
                name="supervision_cadence_range",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="supervision_end_after_start",
            ),
        ]
        verbose_name = _("supervision agreement")
        verbose_name_plural = _("supervision agreements")

    def __str__(self) -> str:
        return f"supervision #{self.pk}: user #{self.supervisor_id} -> user #{self.supervisee_id}"


class SupervisionGroup(TimeStampedModel):
    """A supervision group with its facilitator and its own cadence."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="supervision_groups_facilitated",
        verbose_name=_("facilitator"),
    )
    cadence_weeks = models.PositiveSmallIntegerField(
        _("meets every (weeks)"), default=DEFAULT_CADENCE_WEEKS
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cadence_weeks__gte=1, cadence_weeks__lte=MAX_CADENCE_WEEKS),
                name="supervision_group_cadence_range",
            ),
        ]
        verbose_name = _("supervision group")
        verbose_name_plural = _("supervision groups")

    def __str__(self) -> str:
        return self.name


class SupervisionGroupMember(TimeStampedModel):
    """Membership of a supervision group, from `joined_on` until `left_on`."""

    group = models.ForeignKey(
        SupervisionGroup, on_delete=models.CASCADE, related_name="memberships"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="supervision_group_memberships",
        verbose_name=_("member"),
    )
    joined_on = models.DateField(_("joined on"), default=timezone.localdate)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "member"],
                condition=Q(left_on__isnull=True),
                name="supervision_group_one_active_membership",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                name="supervision_group_left_after_joined",
            ),
        ]
        verbose_name = _("supervision group member")
        verbose_name_plural = _("supervision group members")

    def __str__(self) -> str:
        return f"group #{self.group_id} member #{self.member_id}"


class WorkProfile(TimeStampedModel):
    """A person's working time and line manager, kept by managers.

    `fte` is the source of truth (1.00 = full time); a form may take weekly hours and convert
    them with the organisation's full-time hours. `non_patient_percent` is the share of
    working time planned for work without patient contact.
    """

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="work_profile",
        verbose_name=_("person"),
    )
    fte = models.DecimalField(
        _("full-time equivalent"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("1.00"),
        help_text=_("1.00 is full time; 0.50 is half time."),
    )
    weekly_hours = models.DecimalField(
        _("contracted hours per week"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    non_patient_percent = models.PositiveSmallIntegerField(
        _("time without patient contact (%)"),
        default=20,
        help_text=_("Planned share of working time for supervision, training, admin and rest."),
    )
    line_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="line_reports",
        verbose_name=_("line manager"),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(fte__gt=0, fte__lte=1), name="work_profile_fte_range"
            ),
            models.CheckConstraint(
                condition=Q(non_patient_percent__lte=100), name="work_profile_percent_range"
            ),
            models.CheckConstraint(
                condition=~Q(line_manager=F("person")), name="work_profile_not_own_manager"
            ),
        ]
        verbose_name = _("work profile")
        verbose_name_plural = _("work profiles")

    def __str__(self) -> str:
        return f"work profile of user #{self.person_id}"
