"""Fixtures for the home tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .helpers import rules_acknowledged_by


@pytest.fixture
def sign_in(client) -> Callable[[object], None]:
    """Return a function that signs a user in on `client`, current rules acknowledged.

    Without the acknowledgement every page would redirect to the rules (the accounts
    middleware), which is not what these tests look at.
    """

    def _sign_in(user) -> None:
        rules_acknowledged_by(user)
        client.force_login(user)

    return _sign_in
