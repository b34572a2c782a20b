"""Fixtures for the audit-trail tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from carecore.accounts.models import ConfidentialityRules, RulesAcknowledgement
from carecore.audit.database import audit_privileges_grant
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from carecore.audit.services import audit_event_record

APP_ROLE = "carecore_app_test"


@pytest.fixture
def make_events(db) -> Callable[..., list[AuditEvent]]:
    """Return a function that writes `count` distinct audit events."""

    def make(count: int, **kwargs: object) -> list[AuditEvent]:
        options = {"event_type": EventType.LOGIN, "target_type": "accounts.user"}
        options.update(kwargs)
        return [
            audit_event_record(target_id=str(index), details={"n": index}, **options)
            for index in range(count)
        ]

    return make


@pytest.fixture
def app_role(db) -> str:
    """Create the runtime role inside the test's transaction, with production's privileges.

    Broad privileges on every table first (as an operator's default privileges would give),
    then the audit grant, which must take UPDATE, DELETE, TRUNCATE and TRIGGER back. The role
    vanishes with the test's rollback: CREATE ROLE is transactional in PostgreSQL.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
        cursor.execute(f"GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    audit_privileges_grant(connection=connection, role=APP_ROLE)
    return APP_ROLE


@contextmanager
def acting_as(role: str) -> Iterator[None]:
    """Run the block's SQL as `role`; wrap failing statements in their own savepoint."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


@contextmanager
def triggers_disabled(table: str) -> Iterator[None]:
    """Lift the append-only trigger as the owner, the way an attacker with owner rights would."""
    with connection.cursor() as cursor:
        # ALTER TABLE waits for no one but refuses while deferred foreign-key checks from
        # this (test) transaction are pending: run them first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def sign_in(client):
    """Return a function that signs `user` in with the current rules already acknowledged."""

    def sign_in_as(user):
        current = ConfidentialityRules.objects.order_by("-version").first()
        if current is not None:
            RulesAcknowledgement.objects.get_or_create(user=user, rules=current)
        client.force_login(user)
        return client

    return sign_in_as
