"""Job descriptions: goals, limits and support options of a role, with a review date."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import TimeStampedModel


class JobDescription(TimeStampedModel):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="wellbeing_job_descriptions",
        verbose_name=_("person"),
    )
    goals = models.TextField(_("goals"))
    limits = models.TextField(_("limits"))
    support_options = models.TextField(_("support and stress-management options"))
    review_due_on = models.DateField(_("review due on"), null=True, blank=True)
    last_reviewed_on = models.DateField(_("last reviewed on"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("job description")
        verbose_name_plural = _("job descriptions")
        ordering = ("-updated_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=("person",), name="wellbeing_one_job_description_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"job description {self.pk}"
