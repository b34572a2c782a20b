"""Who may open which dashboard: managers, supervisors (their supervisees), clinicians (self)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from carecore.accounts.permissions import is_active_user
from carecore.accounts.roles import Role
from carecore.audit.services import audit_access_denied

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser

TARGET_TYPE = "supervision.dashboard"


class Dashboard(models.TextChoices):
    MANAGER = "manager", _("Manager dashboard")
    SUPERVISOR = "supervisor", _("Supervisor dashboard")
    ME = "me", _("My dashboard")


# The role each dashboard needs, in the order a person holding several is sent to one.
DASHBOARD_ROLES: dict[Dashboard, Role] = {
    Dashboard.MANAGER: Role.MANAGER,
    Dashboard.SUPERVISOR: Role.SUPERVISOR,
    Dashboard.ME: Role.CLINICIAN,
}


class DenialReason(models.TextChoices):
    ROLE = "role"  # the dashboard needs a role the user lacks
    NOT_FOUND = "not_found"  # no such dashboard, chart or table


class DashboardNotFound(Http404):
    """The same 404 for a dashboard that does not exist and one the user may not open."""


def can_view_dashboard(user: AnyUser | None, dashboard: Dashboard | str) -> bool:
    """Return whether `user` may open `dashboard` (and its charts and downloads)."""
    try:
        role = DASHBOARD_ROLES[Dashboard(dashboard)]
    except ValueError:
        return False
    return is_active_user(user) and user.has_role(role)  # type: ignore[union-attr]


def dashboard_for(user: AnyUser | None) -> Dashboard | None:
    """Return the most relevant dashboard `user` may open (manager, supervisor, own), if any."""
    for dashboard in DASHBOARD_ROLES:
        if can_view_dashboard(user, dashboard):
            return dashboard
    return None


def dashboard_denial_record(
    *, actor: AnyUser | None, action: str, reason: DenialReason, dashboard: str = ""
) -> None:
    """Write the ACCESS_DENIED event for a refused dashboard request (ids and enums only)."""
    # Only a known dashboard name is recorded: the slug in the URL is free text.
    known = {"dashboard": dashboard} if dashboard in Dashboard.values else {}
    audit_access_denied(
        actor=actor, action=action, reason=reason, target_type=TARGET_TYPE, details=known
    )


def dashboard_require(*, user: AnyUser | None, dashboard: str, action: str) -> Dashboard:
    """Return `dashboard` if `user` may open it; else audit and raise a 404 (no probing)."""
    if dashboard not in Dashboard.values:
        dashboard_denial_record(actor=user, action=action, reason=DenialReason.NOT_FOUND)
        raise DashboardNotFound
    if not can_view_dashboard(user, dashboard):
        dashboard_denial_record(
            actor=user, action=action, reason=DenialReason.ROLE, dashboard=dashboard
        )
        raise DashboardNotFound
    return Dashboard(dashboard)


def dashboard_home_require(*, user: AnyUser | None) -> Dashboard:
    """Return the dashboard to send `user` to; with none, audit and raise a 404."""
    dashboard = dashboard_for(user)
    if dashboard is None:
        dashboard_denial_record(actor=user, action="view_dashboard", reason=DenialReason.ROLE)
        raise DashboardNotFound
    return dashboard
