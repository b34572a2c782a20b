"""Reads for the home pages: aggregate figures only, each a bounded number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecore.accounts.models import ConfidentialityRules, RulesAcknowledgement
from carecore.accounts.roles import Role
from carecore.audit.models import AuditEvent


@dataclass(frozen=True)
class RoleCount:
    role: Role
    active_users: int


@dataclass(frozen=True)
class AccountsOverview:
    active_users: int
    active_by_role: list[RoleCount]
    without_second_factor: int
    current_rules_version: int | None
    # None when no rules version has been published: there is nothing to acknowledge yet.
    not_acknowledged_current_rules: int | None
    active_lockouts: int


def active_users_by_role() -> list[RoleCount]:
    """Return the number of active users holding each role, in role order (one query)."""
    counts = dict(
        Group.objects.filter(name__in=Role.values)
        .annotate(n=Count("user", filter=Q(user__is_active=True)))
        .values_list("name", "n")
    )
    return [RoleCount(role=role, active_users=counts.get(role.value, 0)) for role in Role]


def current_rules() -> ConfidentialityRules | None:
    """Return the newest published confidentiality rules version, if any (one query)."""
    return ConfidentialityRules.objects.order_by("-version").first()


def active_lockouts_count() -> int:
    """Return how many username/address pairs django-axes is locking out right now (one query)."""
    # An attempt older than the cool-off no longer locks anyone out even before axes deletes it.
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    ).count()


def accounts_overview() -> AccountsOverview:
    """Return the account figures an admin's home shows (four queries, whatever the headcount)."""
    rules = current_rules()
    # Any confirmed device counts, as in accounts' own second-factor check.
    has_second_factor = Exists(
        TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    ) | Exists(StaticDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    aggregates: dict[str, Count] = {
        "total": Count("pk"),
        "without_second_factor": Count("pk", filter=~Q(has_second_factor)),
    }
    if rules is not None:
        acknowledged = Exists(RulesAcknowledgement.objects.filter(user=OuterRef("pk"), rules=rules))
        aggregates["not_acknowledged"] = Count("pk", filter=~Q(acknowledged))
    figures = get_user_model().objects.filter(is_active=True).aggregate(**aggregates)
    return AccountsOverview(
        active_users=figures["total"],
        active_by_role=active_users_by_role(),
        without_second_factor=figures["without_second_factor"],
        current_rules_version=rules.version if rules is not None else None,
        not_acknowledged_current_rules=figures.get("not_acknowledged"),
        active_lockouts=active_lockouts_count(),
    )


def audit_events_today_count() -> int:
    """Return how many audit events were recorded since local midnight (one query)."""
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    return AuditEvent.objects.filter(occurred_at__gte=midnight).count()
