"""Suite-wide fixtures: role personas and the canary that keeps personal data out of logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

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
