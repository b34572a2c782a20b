"""Access-management pages for admins: accounts, roles, designations, lockouts, second factors.

These pages show account data only, never patient or wellbeing content.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN, PasswordResetConfirmView
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, ListView

from carecore.audit.events import EventType, Outcome
from carecore.audit.services import audit_event_record

from .. import selectors
from ..forms_access import (
    LockoutClearForm,
    PrivacyOfficerForm,
    TeamCreateForm,
    UserCreateForm,
    UserFilterForm,
    UserRolesForm,
    UserTeamForm,
)
from ..models import User
from ..permissions import AccessChangeRefused, can_change_roles_of, can_manage_access
from ..roles import Role
from ..services.roles import user_roles_set
from ..services.signin import lockouts_active
from ..services.users import (
    onboarding_path_make,
    onboarding_token_generator,
    privacy_officer_set,
    team_create,
    user_create,
    user_deactivate,
    user_lockout_clear,
    user_password_initial_set,
    user_reactivate,
    user_second_factor_reset,
    user_team_set,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def acting_user(request: HttpRequest) -> User:
    """Return the signed-in user making `request`."""
    # LoginRequiredMiddleware has already turned every anonymous request to these pages away.
    return cast(User, request.user)


def access_denied_record(request: HttpRequest, *, reason: str, user_pk: Any = "") -> None:
    """Audit that `request` was refused, naming the page and the account it aimed at."""
    match = request.resolver_match
    audit_event_record(
        event_type=EventType.ACCESS_DENIED,
        actor=request.user,
        outcome=Outcome.DENIED,
        target_type="accounts.user" if user_pk else "",
        target_id=user_pk or "",
        details={"view": match.view_name if match else "", "reason": reason},
    )


class PolicyRequiredMixin:
    """Answer 403, and audit it, to anyone the page's policy refuses."""

    policy: Callable[[Any], bool] = staticmethod(can_manage_access)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not self.policy(request.user):
            access_denied_record(request, reason="role", user_pk=kwargs.get("pk", ""))
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def _refused(request: HttpRequest, user: User, exc: AccessChangeRefused) -> HttpResponse:
    access_denied_record(request, reason="policy", user_pk=user.pk)
    messages.error(request, str(exc))
    return redirect("accounts:user_detail", pk=user.pk)


class UserListView(PolicyRequiredMixin, ListView):
    template_name = "accounts/access/user_list.html"
    context_object_name = "users"
    paginate_by = 25

    def get_queryset(self) -> Any:
        self.filter_form = UserFilterForm(self.request.GET)
        return selectors.users_list(**self.filter_form.filters())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(filter_form=self.filter_form, roles=Role.choices, **kwargs)


class UserCreateView(PolicyRequiredMixin, FormView):
    template_name = "accounts/access/user_create.html"
    form_class = UserCreateForm

    def form_valid(self, form: UserCreateForm) -> HttpResponse:
        try:
            user = user_create(actor=acting_user(self.request), **form.cleaned_data)
        except AccessChangeRefused as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        message = _("Account %(username)s created.") % {"username": user.username}
        messages.success(self.request, message)
        return redirect("accounts:user_password_link", pk=user.pk)


class UserDetailView(PolicyRequiredMixin, View):
    """Show an account; a POST here sets its roles."""

    template_name = "accounts/access/user_detail.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render(selectors.user_get(pk=pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = selectors.user_get(pk=pk)
        form = UserRolesForm(request.POST, editable=can_change_roles_of(request.user, user))
        if not form.is_valid():
            return self.render(user, roles_form=form)
        try:
            roles = set(form.cleaned_data["roles"])
            user_roles_set(actor=acting_user(request), user=user, roles=roles)
        except AccessChangeRefused as exc:
            return _refused(request, user, exc)
        messages.success(request, _("Roles saved."))
        return redirect("accounts:user_detail", pk=user.pk)

    def render(self, user: User, roles_form: UserRolesForm | None = None) -> HttpResponse:
        editable = can_change_roles_of(self.request.user, user)
        roles = [group.name for group in user.role_groups]  # type: ignore[attr-defined]
        context = {
            "account": user,
            "editable": editable,
            "roles_form": roles_form or UserRolesForm(initial={"roles": roles}, editable=editable),
            "privacy_form": PrivacyOfficerForm(
                initial={"is_privacy_officer": user.is_privacy_officer}
            ),
            "team_form": UserTeamForm(initial={"team": user.team_id}),
            "has_second_factor": selectors.user_has_second_factor(user),
        }
        return render(self.request, self.template_name, context)


class UserPrivacyOfficerView(PolicyRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = selectors.user_get(pk=pk)
        form = PrivacyOfficerForm(request.POST)
        form.is_valid()  # a single optional checkbox: always valid
        value = form.cleaned_data["is_privacy_officer"]
        try:
            privacy_officer_set(actor=acting_user(request), user=user, value=value)
        except AccessChangeRefused as exc:
            return _refused(request, user, exc)
        messages.success(request, _("Privacy officer designation saved."))
        return redirect("accounts:user_detail", pk=user.pk)


class UserTeamView(PolicyRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = selectors.user_get(pk=pk)
        form = UserTeamForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a team from the list."))
            return redirect("accounts:user_detail", pk=user.pk)
        user_team_set(actor=acting_user(request), user=user, team=form.cleaned_data["team"])
        messages.success(request, _("Team saved."))
        return redirect("accounts:user_detail", pk=user.pk)


class TeamListView(PolicyRequiredMixin, View):
    """List the organisation's teams with their sizes; a POST creates one."""

    template_name = "accounts/access/team_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(TeamCreateForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TeamCreateForm(request.POST)
        if form.is_valid():
            try:
                team_create(actor=acting_user(request), name=form.cleaned_data["name"])
            except AccessChangeRefused as exc:
                form.add_error("name", str(exc))
            else:
                messages.success(request, _("Team created."))
                return redirect("accounts:team_list")
        return self.render(form)

    def render(self, form: TeamCreateForm) -> HttpResponse:
        teams = selectors.teams_with_sizes()
        return render(self.request, self.template_name, {"teams": teams, "form": form})


class ConfirmActionView(PolicyRequiredMixin, View):
    """A confirmation page (GET) for one action on an account, performed on POST."""

    template_name = ""
    success_message: StrOrPromise = ""
    action: Callable[..., None]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, self.template_name, {"account": selectors.user_get(pk=pk)})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = selectors.user_get(pk=pk)
        try:
            self.action(actor=acting_user(request), user=user)
        except AccessChangeRefused as exc:
            return _refused(request, user, exc)
        messages.success(request, self.success_message)
        return redirect("accounts:user_detail", pk=user.pk)


class UserDeactivateView(ConfirmActionView):
    template_name = "accounts/access/user_deactivate.html"
    success_message = _("Account deactivated. Every session of this person has ended.")
    action = staticmethod(user_deactivate)


class UserReactivateView(ConfirmActionView):
    template_name = "accounts/access/user_reactivate.html"
    success_message = _("Account reactivated. This person can sign in again.")
    action = staticmethod(user_reactivate)


class UserSecondFactorResetView(ConfirmActionView):
    template_name = "accounts/access/user_second_factor_reset.html"
    success_message = _("Second factor reset. This person enrols again at their next sign-in.")
    action = staticmethod(user_second_factor_reset)


class UserPasswordLinkView(PolicyRequiredMixin, View):
    """Show a one-time link with which a new account's owner sets their password."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = selectors.user_get(pk=pk)
        try:
            path = onboarding_path_make(actor=acting_user(request), user=user)
        except AccessChangeRefused as exc:
            messages.info(request, str(exc))
            return redirect("accounts:user_detail", pk=user.pk)
        context = {"account": user, "link": request.build_absolute_uri(path)}
        return render(request, "accounts/access/user_password_link.html", context)


class LockoutListView(PolicyRequiredMixin, View):
    """List active sign-in lockouts; a POST clears those of one username."""

    template_name = "accounts/access/lockout_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"lockouts": lockouts_active()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LockoutClearForm(request.POST)
        if form.is_valid():
            user_lockout_clear(actor=acting_user(request), username=form.cleaned_data["username"])
            messages.success(request, _("Lockout cleared. The person can try to sign in again."))
        return redirect("accounts:lockout_list")


class PasswordSetView(PasswordResetConfirmView):
    """Let the owner of a new account set their first password through its one-time link."""

    template_name = "accounts/access/password_set.html"
    token_generator = onboarding_token_generator
    success_url = reverse_lazy("accounts:login")
    title = _("Set your password")

    def get_user(self, uidb64: str) -> User | None:
        user = super().get_user(uidb64)
        # The link only ever sets a first password, and never for a deactivated account.
        if user is None or not user.is_active or user.has_usable_password():
            return None
        return user

    def form_valid(self, form: Any) -> HttpResponse:
        user_password_initial_set(user=self.user, password=form.cleaned_data["new_password1"])
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, _("Your password is set. You can sign in now."))
        return redirect(self.success_url)
