"""Supervision: who supervises whom. Issue 5 extends this with sessions and caseload reviews."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import TimeStampedModel


class SupervisionAgreement(TimeStampedModel):
    """A supervisor's clinical supervision of one supervisee, while `active`.

    The patient access policy reads it: a supervisor sees the caseload metadata of patients
    whose care team includes one of their active supervisees.
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
    active = models.BooleanField(_("active"), default=True)
    started_on = models.DateField(_("started on"), default=timezone.localdate)

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
        ]
        verbose_name = _("supervision agreement")
        verbose_name_plural = _("supervision agreements")

    def __str__(self) -> str:
        return f"supervision #{self.pk}: user #{self.supervisor_id} -> user #{self.supervisee_id}"
