"""Job descriptions: a person's own, a manager's edit page and the overdue reviews."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..forms_support import JobDescriptionForm
from ..permissions_support import can_edit_job_descriptions
from ..selectors.jobs import (
    job_description_of,
    job_description_own,
    job_description_person_for_edit,
    job_reviews_overdue,
)
from ..services.jobs import job_description_save
from .support import acting_user, form_submit, page_of

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

SAVED = _("The job description was saved.")
FORM_FIELDS = ("goals", "limits", "support_options", "last_reviewed_on", "review_due_on")


@require_http_methods(["GET"])
def job_description(request: HttpRequest) -> HttpResponse:
    """Show the user their own job description."""
    user = acting_user(request)
    return render(
        request,
        "staffwellbeing/jobs/own.html",
        {
            "job": job_description_own(user=user),
            "today": timezone.localdate(),
            "may_edit_others": can_edit_job_descriptions(user),
        },
    )


@require_http_methods(["GET", "POST"])
def job_description_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    """Let a manager write or update someone's job description."""
    user = acting_user(request)
    person = job_description_person_for_edit(user=user, person_id=person_id)
    job = job_description_of(person)
    initial = {name: getattr(job, name) for name in FORM_FIELDS} if job else {}
    form = JobDescriptionForm(request.POST or None, initial=initial)
    if request.method == "POST":
        saved = form_submit(
            form, lambda: job_description_save(actor=user, person=person, **form.cleaned_data)
        )
        if saved is not None:
            messages.success(request, SAVED)
            return redirect("wellbeing:job_reviews")
    return render(
        request, "staffwellbeing/jobs/edit.html", {"form": form, "person": person, "job": job}
    )


@require_http_methods(["GET"])
def job_reviews(request: HttpRequest) -> HttpResponse:
    """List, for managers, the staff whose job description review is overdue or missing."""
    user = acting_user(request)
    people = job_reviews_overdue(user=user)
    return render(
        request,
        "staffwellbeing/jobs/reviews.html",
        {"page_obj": page_of(request, people.select_related("team"))},
    )
