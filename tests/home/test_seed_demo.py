from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command

from carecore.accounts.models import RulesAcknowledgement, User
from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from carecore.home.seeding import (
    DEMO_PASSWORD,
    DEMO_USERS,
    LARGE_STAFF,
    REFUSED_NOT_DEMO,
    REFUSED_PRODUCTION,
)
from staffwellbeing.seeding import roster_usernames

from .helpers import rules_none, rules_publish_next

pytestmark = pytest.mark.django_db

DOCUMENTED = {
    "clinician": {"clinician"},
    "clinician2": {"clinician"},
    "supervisor": {"supervisor", "clinician"},
    "manager": {"manager"},
    "admin": {"admin"},
    "reception": {"reception"},
    "privacy": {"manager"},
}
# Colleagues the wellbeing demo teams add; they have no usable password.
ROSTER = roster_usernames()


@pytest.fixture
def demo_settings(settings):
    settings.CARECORE_DEMO = True
    settings.DEBUG = False
    return settings


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_refuses_under_the_production_settings_module(settings):
    settings.CARECORE_DEMO = True  # even a wrongly set flag does not unlock it
    # Last: each override stacks a holder that does not inherit SETTINGS_MODULE.
    settings.SETTINGS_MODULE = "carecore.settings.production"

    with pytest.raises(CommandError) as refused:
        _seed()

    assert str(refused.value) == str(REFUSED_PRODUCTION)
    assert not User.objects.exists()


def test_refuses_outside_a_demo_installation(settings):
    settings.CARECORE_DEMO = False
    settings.DEBUG = False

    with pytest.raises(CommandError) as refused:
        _seed()

    assert str(refused.value) == str(REFUSED_NOT_DEMO)
    assert not User.objects.exists()


def test_runs_in_debug_without_the_demo_flag(settings):
    settings.CARECORE_DEMO = False
    settings.DEBUG = True

    _seed()

    assert User.objects.count() == len(DEMO_USERS) + len(ROSTER)


def test_creates_the_documented_accounts_with_their_roles(demo_settings):
    _seed()

    users = {u.username: u for u in User.objects.exclude(username__in=ROSTER)}
    assert set(users) == set(DOCUMENTED)
    for username, roles in DOCUMENTED.items():
        user = users[username]
        assert set(user.role_names) == roles, username
        assert user.check_password(DEMO_PASSWORD), username
        assert user.email == f"{username}@example.org"
        assert user.first_name and user.last_name
        assert user.is_active and not user.is_staff and not user.is_superuser
        assert user.is_privacy_officer == (username == "privacy")


def test_demo_password_satisfies_the_password_validators(demo_settings):
    _seed()

    for user in User.objects.all():
        validate_password(DEMO_PASSWORD, user)


def test_prints_the_usernames_and_the_password(demo_settings):
    output = _seed()

    for username in DOCUMENTED:
        assert f"  {username} " in output
    assert f"Password: {DEMO_PASSWORD}" in output


def test_account_creations_are_audited(demo_settings):
    _seed()

    created = AuditEvent.objects.filter(event_type=EventType.USER_CREATED)
    assert created.count() == len(DEMO_USERS) + len(ROSTER)
    assert {e.details["source"] for e in created} == {"seed_demo"}


def test_running_twice_changes_nothing(demo_settings):
    _seed()
    User.objects.filter(username="clinician").update(first_name="Changed")
    events = AuditEvent.objects.count()

    output = _seed()

    assert User.objects.count() == len(DEMO_USERS) + len(ROSTER)
    assert AuditEvent.objects.count() == events
    assert User.objects.get(username="clinician").first_name == "Changed"
    assert "0 created, 7 already present" in output


def test_demo_accounts_acknowledge_the_current_rules(demo_settings):
    previous = rules_publish_next()
    current = rules_publish_next()

    _seed()

    acknowledged = RulesAcknowledgement.objects.filter(rules=current)
    assert set(acknowledged.values_list("user__username", flat=True)) == set(DOCUMENTED)
    assert not RulesAcknowledgement.objects.filter(rules=previous).exists()


def test_without_published_rules_there_is_nothing_to_acknowledge(demo_settings):
    rules_none()
    output = _seed()

    assert not RulesAcknowledgement.objects.exists()
    assert "no version published" in output


def test_large_scale_adds_a_staff_roster_that_cannot_sign_in(demo_settings):
    _seed("--scale", "large")
    _seed("--scale", "large")

    roster = User.objects.exclude(username__in=DOCUMENTED).exclude(username__in=ROSTER)
    assert roster.count() == sum(LARGE_STAFF.values())
    assert not any(user.has_usable_password() for user in roster)
    assert roster.filter(groups__name=Role.CLINICIAN).count() == LARGE_STAFF[Role.CLINICIAN]


def test_unknown_scale_is_refused(demo_settings):
    with pytest.raises(CommandError):
        _seed("--scale", "huge")
