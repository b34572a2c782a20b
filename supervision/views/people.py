"""Managers' pages for supervision arrangements: agreements, groups and work profiles.

Also holds what the calendar and reminder views share: the acting user, paging, forms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..forms_people import (
    AgreementCadenceForm,
    AgreementCreateForm,
    AgreementFilterForm,
    GroupCreateForm,
    GroupEditForm,
    GroupMemberAddForm,
    WorkProfileForm,
    add_service_error,
)
from ..permissions.arrangements import ArrangementInvalid, require_manager
from ..selectors.arrangements import (
    agreement_get_for,
    agreements_list_for,
    group_get_for,
    group_members_current,
    group_membership_get_for,
    group_sessions_to_cancel,
    groups_list_for,
    work_profile_initial,
    work_profile_person_for_edit,
    work_profile_row,
    work_profiles_list_for,
)
from ..services.arrangements import (
    agreement_create,
    agreement_end,
    agreement_update,
    group_close,
    group_create,
    group_member_add,
    group_member_remove,
    group_update,
    work_profile_set,
)

if TYPE_CHECKING:
    from django import forms
    from django.http import HttpRequest, HttpResponse

    from carecore.accounts.models import User

T = TypeVar("T")
PAGE_SIZE = 25
AGREEMENT_CREATED = _("The supervision agreement was created.")
AGREEMENT_CHANGED = _("The cadence was changed.")
AGREEMENT_ENDED = _("The supervision agreement was ended.")
GROUP_CREATED = _("The supervision group was created.")
GROUP_CHANGED = _("The group was changed.")
GROUP_CLOSED = _("The group was closed.")
MEMBER_ADDED = _("The member was added to the group.")
MEMBER_REMOVED = _("The member was removed from the group.")
PROFILE_SAVED = _("The work profile was saved.")


def acting_user(request: HttpRequest) -> User:
    """Return the signed-in user making `request`."""
    # LoginRequiredMiddleware has already turned every anonymous request away.
    return cast("User", request.user)


def page_of(request: HttpRequest, items: Any) -> Page:
    """Return the requested page of `items`, PAGE_SIZE to a page."""
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def form_submit(form: forms.Form, call: Callable[[], T]) -> T | None:
    """Run `call` if `form` is valid; attach a service refusal to the form. None if not saved."""
    if not form.is_valid():
        return None
    try:
        return call()
    except ArrangementInvalid as error:
        add_service_error(form, error)
        return None


# --- agreements ---------------------------------------------------------------------------


@require_http_methods(["GET"])
def agreements(request: HttpRequest) -> HttpResponse:
    """List supervision agreements, active or ended, for managers."""
    user = acting_user(request)
    filter_form = AgreementFilterForm(request.GET or None)
    rows = agreements_list_for(user=user, status=filter_form.status_value())
    return render(
        request,
        "supervision/people/agreements.html",
        {"page_obj": page_of(request, rows), "filter_form": filter_form},
    )


@require_http_methods(["GET", "POST"])
def agreement_new(request: HttpRequest) -> HttpResponse:
    """Let a manager start a supervision agreement."""
    user = acting_user(request)
    require_manager(user, action="agreement_create", target_type="supervision.supervisionagreement")
    form = AgreementCreateForm(request.POST or None)
    if request.method == "POST":
        saved = form_submit(form, lambda: agreement_create(actor=user, **form.cleaned_data))
        if saved is not None:
            messages.success(request, AGREEMENT_CREATED)
            return redirect("supervision:agreements")
    return render(request, "supervision/people/agreement_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Let a manager change the cadence of an active agreement."""
    user = acting_user(request)
    agreement = agreement_get_for(user=user, pk=pk, action="agreement_update")
    form = AgreementCadenceForm(
        request.POST or None, initial={"cadence_weeks": agreement.cadence_weeks}
    )
    if request.method == "POST":
        saved = form_submit(
            form,
            lambda: agreement_update(
                actor=user, agreement=agreement, cadence_weeks=form.cleaned_data["cadence_weeks"]
            ),
        )
        if saved is not None:
            messages.success(request, AGREEMENT_CHANGED)
            return redirect("supervision:agreements")
    return render(
        request, "supervision/people/agreement_edit.html", {"form": form, "agreement": agreement}
    )


@require_http_methods(["GET", "POST"])
def agreement_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask a manager to confirm, then end an agreement."""
    user = acting_user(request)
    agreement = agreement_get_for(user=user, pk=pk, action="agreement_end")
    error = None
    if request.method == "POST":
        try:
            agreement_end(actor=user, agreement=agreement)
        except ArrangementInvalid as refusal:
            error = str(refusal)
        else:
            messages.success(request, AGREEMENT_ENDED)
            return redirect("supervision:agreements")
    return render(
        request,
        "supervision/people/agreement_end.html",
        {"agreement": agreement, "error": error},
        status=400 if error else 200,
    )


# --- groups -------------------------------------------------------------------------------


@require_http_methods(["GET"])
def groups(request: HttpRequest) -> HttpResponse:
    """List the supervision groups with their facilitator and member count."""
    rows = groups_list_for(user=acting_user(request))
    return render(request, "supervision/people/groups.html", {"page_obj": page_of(request, rows)})


@require_http_methods(["GET", "POST"])
def group_new(request: HttpRequest) -> HttpResponse:
    """Let a manager create a supervision group."""
    user = acting_user(request)
    require_manager(user, action="group_create", target_type="supervision.supervisiongroup")
    form = GroupCreateForm(request.POST or None)
    if request.method == "POST":
        group = form_submit(form, lambda: group_create(actor=user, **form.cleaned_data))
        if group is not None:
            messages.success(request, GROUP_CREATED)
            return redirect("supervision:group_detail", pk=group.pk)
    return render(request, "supervision/people/group_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a group's members; a POST adds one."""
    user = acting_user(request)
    group = group_get_for(user=user, pk=pk, action="group_view")
    form = GroupMemberAddForm(request.POST or None)
    if request.method == "POST":
        added = form_submit(
            form,
            lambda: group_member_add(actor=user, group=group, member=form.cleaned_data["member"]),
        )
        if added is not None:
            messages.success(request, MEMBER_ADDED)
            return redirect("supervision:group_detail", pk=group.pk)
    return render(
        request,
        "supervision/people/group_detail.html",
        {"group": group, "members": group_members_current(group), "form": form},
    )


@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Let a manager change an open group's facilitator or cadence."""
    user = acting_user(request)
    group = group_get_for(user=user, pk=pk, action="group_update")
    initial = {"facilitator": group.facilitator_id, "cadence_weeks": group.cadence_weeks}
    form = GroupEditForm(request.POST or None, initial=initial)
    if request.method == "POST":
        saved = form_submit(
            form, lambda: group_update(actor=user, group=group, **form.cleaned_data)
        )
        if saved is not None:
            messages.success(request, GROUP_CHANGED)
            return redirect("supervision:group_detail", pk=group.pk)
    return render(request, "supervision/people/group_edit.html", {"group": group, "form": form})


@require_http_methods(["GET", "POST"])
def group_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask a manager to confirm, then close a group."""
    user = acting_user(request)
    group = group_get_for(user=user, pk=pk, action="group_close")
    error = None
    if request.method == "POST":
        try:
            group_close(actor=user, group=group)
        except ArrangementInvalid as refusal:
            error = str(refusal)
        else:
            messages.success(request, GROUP_CLOSED)
            return redirect("supervision:group_detail", pk=group.pk)
    context = {
        "group": group,
        "member_count": group_members_current(group).count(),
        "session_count": group_sessions_to_cancel(group).count(),
        "error": error,
    }
    return render(
        request, "supervision/people/group_close.html", context, status=400 if error else 200
    )


@require_http_methods(["GET", "POST"])
def group_member_remove_view(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    """Ask a manager to confirm, then end a membership."""
    user = acting_user(request)
    group = group_get_for(user=user, pk=pk, action="group_member_remove")
    membership = group_membership_get_for(
        user=user, group=group, pk=membership_pk, action="group_member_remove"
    )
    error = None
    if request.method == "POST":
        try:
            group_member_remove(actor=user, membership=membership)
        except ArrangementInvalid as refusal:
            error = str(refusal)
        else:
            messages.success(request, MEMBER_REMOVED)
            return redirect("supervision:group_detail", pk=group.pk)
    return render(
        request,
        "supervision/people/group_member_remove.html",
        {"group": group, "membership": membership, "error": error},
        status=400 if error else 200,
    )


# --- work profiles ------------------------------------------------------------------------


@require_http_methods(["GET"])
def work_profiles(request: HttpRequest) -> HttpResponse:
    """List active staff with their working time, non-patient share and line manager."""
    page = page_of(request, work_profiles_list_for(user=acting_user(request)))
    return render(
        request,
        "supervision/people/work_profiles.html",
        {"page_obj": page, "rows": [work_profile_row(person) for person in page]},
    )


@require_http_methods(["GET", "POST"])
def work_profile_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    """Let a manager set a person's FTE or weekly hours, non-patient share and line manager."""
    user = acting_user(request)
    person = work_profile_person_for_edit(user=user, user_id=user_id)
    row = work_profile_row(person)
    form = WorkProfileForm(request.POST or None, initial=work_profile_initial(row))
    if request.method == "POST":
        saved = form_submit(
            form, lambda: work_profile_set(actor=user, person=person, **form.cleaned_data)
        )
        if saved is not None:
            messages.success(request, PROFILE_SAVED)
            return redirect("supervision:work_profiles")
    return render(request, "supervision/people/work_profile_form.html", {"form": form, "row": row})
