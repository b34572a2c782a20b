"""Reading job descriptions: a person's own, one to edit, and the overdue reviews."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import JobDescription
from ..permissions_support import (
    WellbeingNotFound,
    access_denied_record,
    can_edit_job_descriptions,
    require,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

TARGET = "staffwellbeing.jobdescription"


def current_job_descriptions() -> QuerySet[JobDescription, JobDescription]:
    """Return each person's current (most recently updated) job description."""
    latest = JobDescription.objects.filter(person=OuterRef("person")).order_by("-updated_at", "-pk")
    return JobDescription.objects.filter(pk=Subquery(latest.values("pk")[:1]))


def job_description_of(person: User) -> JobDescription | None:
    """Return `person`'s current job description, or None (unaudited; for services)."""
    return (
        JobDescription.objects.filter(person_id=person.pk)
        .select_related("updated_by")
        .order_by("-updated_at", "-pk")
        .first()
    )


def job_description_own(*, user: User) -> JobDescription | None:
    """Return `user`'s own job description (or None); the read is audited."""
    job = job_description_of(user)
    audit_event_record(
        event_type=EventType.JOB_DESCRIPTION_VIEWED,
        actor=user,
        target_type=TARGET,
        target_id=job.pk if job is not None else "",
        details={"person": user.pk},
    )
    return job


def job_description_person_for_edit(*, user: User, person_id: int) -> User:
    """Return the active staff member whose job description `user` may edit; else 403/404."""
    require(can_edit_job_descriptions(user), actor=user, action="job_edit", target=JobDescription)
    person = User.objects.filter(pk=person_id, is_active=True).first()
    if person is None:
        access_denied_record(actor=user, action="job_edit", target_type="accounts.user")
        raise WellbeingNotFound
    return person


def job_reviews_overdue(
    *, user: User | AnonymousUser, today: dt.date | None = None
) -> QuerySet[User, User]:
    """Return active staff whose review is due (or who have no job description), for managers.

    Each person carries `job_id`, `review_due_on` and `last_reviewed_on` annotations.
    """
    require(
        can_edit_job_descriptions(user), actor=user, action="job_reviews", target=JobDescription
    )
    today = today or timezone.localdate()
    current = JobDescription.objects.filter(person=OuterRef("pk")).order_by("-updated_at", "-pk")
    people = (
        User.objects.filter(is_active=True)
        .annotate(
            job_id=Subquery(current.values("pk")[:1]),
            review_due_on=Subquery(current.values("review_due_on")[:1]),
            last_reviewed_on=Subquery(current.values("last_reviewed_on")[:1]),
        )
        .filter(Q(job_id__isnull=True) | Q(review_due_on__lte=today))
        .order_by("review_due_on", "username")
    )
    audit_event_record(event_type=EventType.JOB_REVIEWS_VIEWED, actor=user, target_type=TARGET)
    return people
