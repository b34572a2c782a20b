"""Caseload guidelines, a clinician's caseload figures, and caseload reviews.

Figures only on these pages, never a case code: the patients app's caseload page lists cases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from patients.selectors.caseload import OPEN_STAGE_CHOICES

from .. import conf
from ..forms_caseload import CaseloadGuidelineForm, CaseloadReviewForm, add_service_error
from ..permissions.caseload import (
    CaseloadAction,
    CaseloadInvalid,
    can_change_guidelines,
    can_record_review_for,
)
from ..selectors.caseload import CaseloadAssessment, CaseloadFlag, guideline_current
from ..selectors.reviews import (
    caseload_clinician_get_for,
    caseload_figures_for,
    caseload_own_require,
    guideline_history,
    guidelines_require,
    review_detail_for,
    review_status_of,
    reviews_for_clinician,
)
from ..services.caseload import (
    caseload_guideline_change,
    caseload_review_record,
    guideline_values,
)

if TYPE_CHECKING:
    import uuid as uuid_module

    from django import forms
    from django.http import HttpRequest, HttpResponse

    from carecore.accounts.models import User

PAGE_SIZE = 25
GUIDELINES_SAVED = _("The new caseload guidelines were saved and apply from now.")
REVIEW_SAVED = _("The caseload review was recorded with today's figures.")


def acting_user(request: HttpRequest) -> User:
    """Return the signed-in user making `request`."""
    # LoginRequiredMiddleware has already turned every anonymous request away.
    return cast("User", request.user)


def page_of(request: HttpRequest, items: Any) -> Page:
    """Return the requested page of `items`, PAGE_SIZE to a page."""
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def form_submit(form: forms.Form, call: Callable[[], object]) -> object | None:
    """Call the service if `form` is valid; show a refusal on the form. Return its result."""
    if not form.is_valid():
        return None
    try:
        return call()
    except CaseloadInvalid as error:
        add_service_error(form, error)
        return None


def flag_rows(codes: Any) -> list[tuple[str, str]]:
    """Return (code, label) for flag codes; an unknown code (an old snapshot) keeps its code."""
    labels = dict(CaseloadFlag.choices)
    return [(code, str(labels.get(code, code))) for code in codes or ()]


def stage_rows(by_stage: Any) -> list[tuple[str, Any]]:
    """Return (label, count) for each open stage, in care order."""
    by_stage = by_stage or {}
    return [(str(label), by_stage.get(code, 0)) for code, label in OPEN_STAGE_CHOICES]


def figures_context(assessment: CaseloadAssessment) -> dict[str, Any]:
    """Return what the figures block of a page needs."""
    return {
        "assessment": assessment,
        "figures": assessment.figures,
        "flags": flag_rows(assessment.flags),
        "stages": stage_rows(assessment.figures.by_stage),
        "new_case_days": conf.new_case_days(),
    }


@require_http_methods(["GET", "POST"])
def guidelines(request: HttpRequest) -> HttpResponse:
    """Show the caseload guidelines and their history; let a manager save a new version."""
    user = acting_user(request)
    guidelines_require(user=user, change=request.method == "POST")
    current = guideline_current()
    form = None
    if can_change_guidelines(user):
        form = CaseloadGuidelineForm(request.POST or None, initial=guideline_values(current))
        if request.method == "POST" and form_submit(
            form, lambda: caseload_guideline_change(actor=user, **form.cleaned_data)
        ):
            messages.success(request, GUIDELINES_SAVED)
            return redirect("supervision:guidelines")
    return render(
        request,
        "supervision/caseload/guidelines.html",
        {"current": current, "form": form, "page_obj": page_of(request, guideline_history())},
    )


def _figures_page(request: HttpRequest, user: User, clinician: User) -> HttpResponse:
    assessment = caseload_figures_for(user=user, clinician=clinician)
    return render(
        request,
        "supervision/caseload/figures.html",
        {
            **figures_context(assessment),
            "clinician": clinician,
            "is_own": clinician.pk == user.pk,
            "review_status": review_status_of(clinician.pk),
            "may_record_review": can_record_review_for(user, clinician),
        },
    )


@require_http_methods(["GET"])
def my_caseload(request: HttpRequest) -> HttpResponse:
    """Show the signed-in clinician their own caseload figures against the guidelines."""
    user = acting_user(request)
    clinician = caseload_own_require(user=user, action=CaseloadAction.VIEW_FIGURES)
    return _figures_page(request, user, clinician)


@require_http_methods(["GET"])
def clinician_caseload(request: HttpRequest, user_id: int) -> HttpResponse:
    """Show a clinician's caseload figures to them, their supervisor or a manager."""
    user = acting_user(request)
    clinician = caseload_clinician_get_for(
        user=user, user_id=user_id, action=CaseloadAction.VIEW_FIGURES
    )
    return _figures_page(request, user, clinician)


def _reviews_page(request: HttpRequest, user: User, clinician: User) -> HttpResponse:
    return render(
        request,
        "supervision/caseload/reviews.html",
        {
            "clinician": clinician,
            "is_own": clinician.pk == user.pk,
            "page_obj": page_of(request, reviews_for_clinician(user=user, clinician=clinician)),
            "review_status": review_status_of(clinician.pk),
            "may_record_review": can_record_review_for(user, clinician),
        },
    )


@require_http_methods(["GET"])
def my_reviews(request: HttpRequest) -> HttpResponse:
    """List the signed-in clinician's own caseload reviews."""
    user = acting_user(request)
    clinician = caseload_own_require(user=user, action=CaseloadAction.VIEW_REVIEWS)
    return _reviews_page(request, user, clinician)


@require_http_methods(["GET"])
def reviews(request: HttpRequest, user_id: int) -> HttpResponse:
    """List a clinician's caseload reviews for them, their supervisor or a manager."""
    user = acting_user(request)
    clinician = caseload_clinician_get_for(
        user=user, user_id=user_id, action=CaseloadAction.VIEW_REVIEWS
    )
    return _reviews_page(request, user, clinician)


@require_http_methods(["GET", "POST"])
def review_new(request: HttpRequest, user_id: int) -> HttpResponse:
    """Let the clinician's active supervisor record a caseload review with today's figures."""
    user = acting_user(request)
    clinician = caseload_clinician_get_for(
        user=user, user_id=user_id, action=CaseloadAction.RECORD_REVIEW
    )
    form = CaseloadReviewForm(request.POST or None)
    if request.method == "POST":
        review = form_submit(
            form,
            lambda: caseload_review_record(actor=user, clinician=clinician, **form.cleaned_data),
        )
        if review is not None:
            messages.success(request, REVIEW_SAVED)
            return redirect("supervision:review_detail", uuid=review.uuid)  # type: ignore[attr-defined]
    assessment = caseload_figures_for(user=user, clinician=clinician)
    return render(
        request,
        "supervision/caseload/review_new.html",
        {**figures_context(assessment), "clinician": clinician, "form": form},
    )


@require_http_methods(["GET"])
def review_detail(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Show one caseload review: its figures as a table, and the actions to those allowed."""
    user = acting_user(request)
    detail = review_detail_for(user=user, uuid=uuid)
    snapshot = detail.review.snapshot if isinstance(detail.review.snapshot, dict) else {}
    return render(
        request,
        "supervision/caseload/review_detail.html",
        {
            "detail": detail,
            "review": detail.review,
            "snapshot": snapshot,
            "flags": flag_rows(snapshot.get("flags")),
            "stages": stage_rows(snapshot.get("by_stage")),
            "is_own": detail.review.clinician_id == user.pk,
        },
    )
