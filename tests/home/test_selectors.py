from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecore.accounts.models import RulesAcknowledgement
from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from carecore.audit.services import audit_event_record
from carecore.home import selectors
from tests.factories import UserFactory

from .helpers import lockout_make, rules_none, rules_publish_next

pytestmark = pytest.mark.django_db


def test_active_users_by_role_counts_active_holders_in_role_order():
    UserFactory(roles=[Role.CLINICIAN])
    UserFactory(roles=[Role.CLINICIAN, Role.SUPERVISOR])
    UserFactory(roles=[Role.CLINICIAN], is_active=False)
    UserFactory(roles=[Role.ADMIN])

    counts = [(row.role, row.active_users) for row in selectors.active_users_by_role()]

    assert counts == [
        (Role.CLINICIAN, 2),
        (Role.SUPERVISOR, 1),
        (Role.MANAGER, 0),
        (Role.ADMIN, 1),
        (Role.RECEPTION, 0),
    ]


def test_accounts_overview_counts_second_factor_and_acknowledgement_of_current_rules():
    old, current = rules_publish_next(), rules_publish_next()
    with_totp = UserFactory(roles=[Role.CLINICIAN])
    TOTPDevice.objects.create(user=with_totp, name="phone", confirmed=True)
    with_static_only = UserFactory(roles=[Role.CLINICIAN])
    StaticDevice.objects.create(user=with_static_only, name="codes", confirmed=True)
    unconfirmed = UserFactory(roles=[Role.MANAGER])
    TOTPDevice.objects.create(user=unconfirmed, name="phone", confirmed=False)
    acknowledged_old_only = UserFactory(roles=[Role.RECEPTION])
    RulesAcknowledgement.objects.create(user=acknowledged_old_only, rules=old)
    RulesAcknowledgement.objects.create(user=with_totp, rules=current)
    inactive = UserFactory(roles=[Role.ADMIN], is_active=False)

    overview = selectors.accounts_overview()

    assert overview.active_users == 4
    # unconfirmed and acknowledged_old_only have no confirmed device; inactive is not counted.
    assert overview.without_second_factor == 2
    assert overview.current_rules_version == current.version
    assert overview.not_acknowledged_current_rules == 3
    assert inactive.pk  # present in the table, absent from every figure


def test_accounts_overview_without_rules_reports_nothing_to_acknowledge():
    rules_none()
    UserFactory(roles=[Role.CLINICIAN])

    overview = selectors.accounts_overview()

    assert overview.current_rules_version is None
    assert overview.not_acknowledged_current_rules is None


def test_active_lockouts_count_only_pairs_over_the_limit_within_the_cool_off():
    lockout_make("locked", failures=5)
    lockout_make("locked-long-ago", failures=9, age_minutes=31)
    lockout_make("not-yet", failures=4)

    assert selectors.active_lockouts_count() == 1


def test_audit_events_today_count_starts_at_local_midnight(settings):
    settings.TIME_ZONE = "UTC"
    audit_event_record(event_type=EventType.LOGIN)
    audit_event_record(event_type=EventType.LOGOUT)
    # Audit rows cannot be updated: write yesterday's directly with its time.
    AuditEvent.objects.create(
        event_type=EventType.LOGIN, occurred_at=timezone.now() - timedelta(days=1, hours=1)
    )

    assert selectors.audit_events_today_count() == 2


@pytest.mark.parametrize("population", [5, 50])
def test_accounts_overview_query_count_does_not_grow_with_users(
    population, django_assert_num_queries
):
    rules_publish_next()
    for n in range(population):
        UserFactory(username=f"many{n:03d}", roles=[Role.CLINICIAN])

    with django_assert_num_queries(4):
        selectors.accounts_overview()
