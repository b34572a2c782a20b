"""Suite-wide fixtures: role personas and the canary that keeps personal data out of logs."""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Iterator

import pytest
from django.apps import apps as django_apps

from carecore.accounts.roles import Role

from .factories import DEFAULT_PASSWORD, UserFactory

# Any string containing this marker is treated as personal data: if it reaches a log record,
# the test that produced it fails.
CANARY_MARKER = "CANARYd41d8c"


def canary(label: str = "value") -> str:
    """Return a marked value that must never appear in logs, URLs or audit rows."""
    return f"{CANARY_MARKER}-{label}"


class _CanaryHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a broken format string must not hide a leak in its args
            text = f"{record.msg} {record.args}"
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        if CANARY_MARKER in text:
            self.leaks.append(f"{record.name}: {text[:200]}")


@pytest.fixture(autouse=True)
def canary_guard() -> Iterator[None]:
    """Fail any test whose log output contains a canary value."""
    handler = _CanaryHandler()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    if handler.leaks:
        pytest.fail("canary value reached the logs:\n" + "\n".join(handler.leaks))


# Rows that data migrations write and the code relies on: (app, migration, function). Each
# function is idempotent.
REFERENCE_DATA_MIGRATIONS = [
    ("accounts", "0002_create_roles", "create_roles"),
    ("accounts", "0003_initial_rules", "publish_first_version"),
    ("staffwellbeing", "0002_cfs_structure", "create_structure"),
]
_DB_FIXTURES = frozenset({"db", "transactional_db", "live_server", "django_db_reset_sequences"})


@functools.cache
def _migrated_apps():
    """Return the historical models at the latest migrations, as data migrations see them."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    return MigrationLoader(connection).project_state().apps


def _reference_data_missing() -> bool:
    from django.contrib.auth.models import Group

    from carecore.accounts.models import ConfidentialityRules
    from staffwellbeing.models import Instrument

    return (
        Group.objects.filter(name__in=Role.values).count() != len(Role.values)
        or not ConfidentialityRules.objects.exists()
        or not Instrument.objects.exists()
    )


@pytest.fixture(autouse=True)
def reference_data(request: pytest.FixtureRequest) -> None:
    """Write again what data migrations wrote, when a transactional test has flushed it.

    A transactional test ends by emptying every table, and Django then recreates only content
    types and permissions; the role groups and the first rules version would be gone for every
    test after it (and for the next run of a reused test database).
    """
    uses_db = request.node.get_closest_marker("django_db") or _DB_FIXTURES & set(
        request.fixturenames
    )
    if not uses_db:
        return
    request.getfixturevalue("_django_db_helper")
    if not _reference_data_missing():
        return
    for app_label, name, function in REFERENCE_DATA_MIGRATIONS:
        package = django_apps.get_app_config(app_label).name
        module = importlib.import_module(f"{package}.migrations.{name}")
        getattr(module, function)(_migrated_apps(), None)


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def clinician(db):
    return UserFactory(username="clin_a", roles=[Role.CLINICIAN])


@pytest.fixture
def other_clinician(db):
    return UserFactory(username="clin_b", roles=[Role.CLINICIAN])


@pytest.fixture
def supervisor(db):
    return UserFactory(username="super_a", roles=[Role.SUPERVISOR, Role.CLINICIAN])


@pytest.fixture
def manager(db):
    return UserFactory(username="manager_a", roles=[Role.MANAGER])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin_a", roles=[Role.ADMIN])


@pytest.fixture
def reception(db):
    return UserFactory(username="reception_a", roles=[Role.RECEPTION])


@pytest.fixture
def privacy_officer(db):
    return UserFactory(username="privacy_a", roles=[Role.MANAGER], is_privacy_officer=True)


def acknowledge_current_rules(user) -> None:
    """Record that `user` acknowledged the current confidentiality rules, if any are published."""
    from carecore.accounts.models import ConfidentialityRules, RulesAcknowledgement

    rules = ConfidentialityRules.objects.order_by("-version").first()
    if rules is not None:
        RulesAcknowledgement.objects.get_or_create(user=user, rules=rules)


@pytest.fixture
def sign_in(client):
    """Return a function that signs `user` in on the test client, rules acknowledged."""

    def _sign_in(user, *, on=None):
        target = on or client
        acknowledge_current_rules(user)
        target.force_login(user)
        return target

    return _sign_in
