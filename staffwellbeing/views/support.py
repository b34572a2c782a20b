"""Support plans: the list, asking for a meeting, opening, reading, editing and closing a plan.

Also holds what the other wellbeing views share: the acting user, paging and form handling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..forms_support import (
    SupportPlanCreateForm,
    SupportPlanForm,
    SupportRequestForm,
    add_service_error,
)
from ..permissions_support import (
    WellbeingInvalid,
    can_change_support_plan,
    support_people_for,
    support_plan_is_open,
)
from ..selectors.support import (
    support_plan_get_for,
    support_plan_needs_cover,
    support_plans_list_for,
)
from ..services.support import (
    support_meeting_request,
    support_plan_close,
    support_plan_open,
    support_plan_update,
)

if TYPE_CHECKING:
    from django import forms
    from django.http import HttpRequest, HttpResponse

    from carecore.accounts.models import User

PAGE_SIZE = 25
REQUESTED = _("Your request was recorded. Your supervisor can see it in their support plans.")
OPENED = _("The support plan was opened.")
UPDATED = _("The support plan was saved.")
CLOSED = _("The support plan was closed.")


def acting_user(request: HttpRequest) -> User:
    """Return the signed-in user making `request`."""
    # LoginRequiredMiddleware has already turned every anonymous request away.
    return cast("User", request.user)


def page_of(request: HttpRequest, items: Any) -> Page:
    """Return the requested page of `items`, PAGE_SIZE to a page."""
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def optional_url(name: str) -> str:
    """Return the URL of `name` (every page it names exists; a missing one raises)."""
    return reverse(name)


def form_submit(form: forms.Form, call: Callable[[], object]) -> object | None:
    """Call the service if `form` is valid; show a refusal on the form. Return its result."""
    if not form.is_valid():
        return None
    try:
        return call()
    except WellbeingInvalid as error:
        # Role refusals (WellbeingActionRefused) are not caught: they stay 403 pages.
        add_service_error(form, error)
        return None


@require_http_methods(["GET"])
def support_list(request: HttpRequest) -> HttpResponse:
    """List the support plans the user may read."""
    user = acting_user(request)
    plans = support_plans_list_for(user=user)
    return render(
        request,
        "staffwellbeing/support/list.html",
        {
            "plans": plans,
            "may_open_for_others": support_people_for(user).exclude(pk=user.pk).exists(),
        },
    )


@require_http_methods(["GET", "POST"])
def support_request(request: HttpRequest) -> HttpResponse:
    """Let a person ask for a support meeting with their supervisor."""
    user = acting_user(request)
    form = SupportRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        plan = support_meeting_request(
            actor=user, preferred_date=form.cleaned_data["preferred_date"]
        )
        messages.success(request, REQUESTED)
        return redirect("wellbeing:support_detail", plan_id=plan.pk)
    return render(request, "staffwellbeing/support/request.html", {"form": form})


@require_http_methods(["GET", "POST"])
def support_create(request: HttpRequest) -> HttpResponse:
    """Open a support plan for oneself or a supervisee, following the guide's meeting."""
    user = acting_user(request)
    form = SupportPlanCreateForm(
        request.POST or None, people=support_people_for(user), initial={"person": user.pk}
    )
    if request.method == "POST":
        plan = form_submit(
            form,
            lambda: support_plan_open(
                actor=user,
                person=form.cleaned_data["person"],
                content=form.content(),
                members=form.cleaned_data["members"],
            ),
        )
        if plan is not None:
            messages.success(request, OPENED)
            return redirect("wellbeing:support_detail", plan_id=plan.pk)  # type: ignore[attr-defined]
    return render(request, "staffwellbeing/support/form.html", {"form": form, "plan": None})


@require_http_methods(["GET"])
def support_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Show one plan to the person, their supervisor or a named person."""
    user = acting_user(request)
    plan = support_plan_get_for(user=user, plan_id=plan_id)
    return render(
        request,
        "staffwellbeing/support/detail.html",
        {
            "plan": plan,
            "may_change": support_plan_is_open(plan) and can_change_support_plan(user, plan),
            "needs_cover": support_plan_needs_cover(plan),
            "caseload_url": optional_url("patients:caseload"),
        },
    )


def _plan_initial(plan: Any) -> dict[str, Any]:
    fields = SupportPlanForm.base_fields
    initial = {name: getattr(plan, name) for name in fields if name != "members"}
    initial["members"] = [member.user_id for member in plan.members.all()]
    return initial


@require_http_methods(["GET", "POST"])
def support_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Record what the meeting agreed (the person or their supervisor)."""
    user = acting_user(request)
    posted = request.method == "POST"
    plan = support_plan_get_for(user=user, plan_id=plan_id, change=True, record_view=not posted)
    form = SupportPlanForm(request.POST or None, initial=_plan_initial(plan))
    # The person always sees their own plan; naming them would only be refused.
    members = form.fields["members"]
    members.queryset = members.queryset.exclude(pk=plan.person_id)
    if posted:
        saved = form_submit(
            form,
            lambda: support_plan_update(
                actor=user, plan=plan, content=form.content(), members=form.cleaned_data["members"]
            ),
        )
        if saved is not None:
            messages.success(request, UPDATED)
            return redirect("wellbeing:support_detail", plan_id=plan.pk)
    return render(request, "staffwellbeing/support/form.html", {"form": form, "plan": plan})


@require_http_methods(["GET", "POST"])
def support_close(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Ask for confirmation, then close a plan."""
    user = acting_user(request)
    posted = request.method == "POST"
    plan = support_plan_get_for(user=user, plan_id=plan_id, change=True, record_view=not posted)
    if posted:
        try:
            support_plan_close(actor=user, plan=plan)
        except WellbeingInvalid as error:
            messages.error(request, str(error))
        else:
            messages.success(request, CLOSED)
        return redirect("wellbeing:support_detail", plan_id=plan.pk)
    return render(request, "staffwellbeing/support/close.html", {"plan": plan})
