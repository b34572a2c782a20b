"""Builders for the home tests: populations of accounts and failed sign-ins."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecore.accounts.models import ConfidentialityRules, RulesAcknowledgement
from carecore.accounts.roles import Role
from tests.factories import UserFactory

ROLE_CYCLE = [Role.CLINICIAN, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN, Role.RECEPTION]


def staff_populate(count: int, *, prefix: str = "pop") -> list:
    """Create `count` active staff with mixed roles, second factors and acknowledgements."""
    rules = ConfidentialityRules.objects.order_by("-version").first()
    users = []
    for n in range(count):
        user = UserFactory(username=f"{prefix}{n:03d}", roles=[ROLE_CYCLE[n % len(ROLE_CYCLE)]])
        if n % 2:
            TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        if rules is not None and n % 3:
            RulesAcknowledgement.objects.create(user=user, rules=rules)
        users.append(user)
    return users


def lockout_make(username: str, *, failures: int = 5, age_minutes: int = 0) -> AccessAttempt:
    """Record `failures` failed sign-ins for `username`, the last one `age_minutes` ago."""
    attempt = AccessAttempt.objects.create(
        username=username,
        ip_address="192.0.2.10",
        user_agent="test",
        http_accept="text/html",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=failures,
    )
    # attempt_time is auto_now_add: move it with an update.
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=timezone.now() - timedelta(minutes=age_minutes)
    )
    return attempt


def rules_acknowledged_by(user) -> None:
    """Record that `user` acknowledged the current rules, so pages open instead of redirecting."""
    rules = ConfidentialityRules.objects.order_by("-version").first()
    if rules is not None:
        RulesAcknowledgement.objects.get_or_create(user=user, rules=rules)


def rules_publish_next(title: str = "next") -> ConfidentialityRules:
    """Publish the version after the newest one (a migration publishes version 1)."""
    latest = ConfidentialityRules.objects.order_by("-version").first()
    version = latest.version + 1 if latest else 1
    return ConfidentialityRules.objects.create(version=version, title=title, body="text")


def rules_none() -> None:
    """Remove every published rules version (and its acknowledgements)."""
    RulesAcknowledgement.objects.all().delete()
    ConfidentialityRules.objects.all().delete()
