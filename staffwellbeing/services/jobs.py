"""Writing job descriptions: goals and limits of a role, support options, review dates."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import JobDescription
from ..permissions_support import WellbeingInvalid, can_edit_job_descriptions, require
from ..selectors.jobs import job_description_of

GOALS_REQUIRED = _("State the goals of the role.")
LIMITS_REQUIRED = _("State the limits of the role.")
SUPPORT_REQUIRED = _("List the options for professional support and stress management.")
REVIEW_BEFORE_LAST = _("The next review cannot be before the last review.")


def job_description_save(
    *,
    actor: User,
    person: User,
    goals: str,
    limits: str,
    support_options: str,
    review_due_on: dt.date | None,
    last_reviewed_on: dt.date | None = None,
) -> JobDescription:
    """Create or update `person`'s job description (managers only)."""
    require(can_edit_job_descriptions(actor), actor=actor, action="job_edit", target=JobDescription)
    for value, message, field in (
        (goals, GOALS_REQUIRED, "goals"),
        (limits, LIMITS_REQUIRED, "limits"),
        (support_options, SUPPORT_REQUIRED, "support_options"),
    ):
        if not value.strip():
            raise WellbeingInvalid(message, field=field)
    if review_due_on and last_reviewed_on and review_due_on < last_reviewed_on:
        raise WellbeingInvalid(REVIEW_BEFORE_LAST, field="review_due_on")
    with transaction.atomic():
        job = job_description_of(person) or JobDescription(person=person)
        created = job.pk is None
        job.goals = goals.strip()
        job.limits = limits.strip()
        job.support_options = support_options.strip()
        job.review_due_on = review_due_on
        job.last_reviewed_on = last_reviewed_on
        job.updated_by = actor
        job.save()
        audit_event_record(
            event_type=EventType.JOB_DESCRIPTION_UPDATED,
            actor=actor,
            target=job,
            details={"person": person.pk, "created": created},
        )
    return job
