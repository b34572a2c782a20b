"""The second and third append-only layers: the PostgreSQL trigger and the runtime role."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from psycopg2 import errorcodes

from carecore.audit.database import (
    AUDIT_TABLES,
    INVALID_ROLE_MESSAGE,
    TRIGGER_REFUSAL_MESSAGE,
    audit_privileges_sql,
)
from carecore.audit.events import EventType
from carecore.audit.management.commands.audit_grant_app_role import (
    GRANTED_MESSAGE,
    NO_ROLE_MESSAGE,
)
from carecore.audit.models import AuditEvent, AuditSeal
from carecore.audit.sealing import audit_seal_pending, audit_verify
from carecore.audit.services import audit_event_record

from .conftest import acting_as

pytestmark = pytest.mark.django_db

EVENTS = "audit_auditevent"
SEALS = "audit_auditseal"


@pytest.fixture
def sealed(make_events, admin_user):
    events = make_events(3, actor=admin_user)
    audit_seal_pending()
    # Run the deferred foreign-key checks now: with checks pending in the transaction,
    # PostgreSQL refuses TRUNCATE for that reason instead of reaching the trigger.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return events


def _refused(sql: str, params: list | None = None) -> DatabaseError:
    """Run `sql` in its own savepoint, expect the database to refuse it, return the error."""
    with (
        pytest.raises(DatabaseError) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    return caught.value


def _pgcode(error: DatabaseError) -> str:
    return getattr(error.__cause__, "pgcode", "")


# --- Trigger: refuses even the owner (the test user is a superuser) -----------------------------


@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {EVENTS} SET case_code = 'ZZ99'",
        f"DELETE FROM {EVENTS}",
        f"TRUNCATE {EVENTS} CASCADE",
        f"UPDATE {SEALS} SET hash = repeat('0', 64)",
        f"DELETE FROM {SEALS}",
        f"TRUNCATE {SEALS}",
    ],
)
def test_trigger_refuses_changes_by_the_owner(sealed, sql):
    error = _refused(sql)
    assert _pgcode(error) == errorcodes.RAISE_EXCEPTION
    assert TRIGGER_REFUSAL_MESSAGE in str(error)
    assert AuditEvent.objects.count() == 3
    assert AuditSeal.objects.count() == 3
    assert audit_verify().ok


def test_trigger_refuses_a_single_row_update(sealed):
    error = _refused(f"UPDATE {EVENTS} SET target_id = 'x' WHERE id = %s", [sealed[0].pk])
    assert f"{TRIGGER_REFUSAL_MESSAGE}: UPDATE on {EVENTS} refused" in str(error)


def test_triggers_are_installed_and_enabled():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND c.relname = ANY(%s) ORDER BY 1, 2",
            [list(AUDIT_TABLES)],
        )
        rows = cursor.fetchall()
    assert rows == [
        (EVENTS, f"{EVENTS}_append_only", "O"),
        (EVENTS, f"{EVENTS}_no_truncate", "O"),
        (SEALS, f"{SEALS}_append_only", "O"),
        (SEALS, f"{SEALS}_no_truncate", "O"),
    ]


# --- Runtime role: SELECT and INSERT only -------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {EVENTS} SET case_code = 'ZZ99'",
        f"DELETE FROM {EVENTS}",
        f"TRUNCATE {EVENTS}",
        f"ALTER TABLE {EVENTS} DISABLE TRIGGER USER",
        f"ALTER TABLE {EVENTS} DISABLE TRIGGER {EVENTS}_append_only",
        f"UPDATE {SEALS} SET hash = repeat('0', 64)",
        f"DELETE FROM {SEALS}",
        f"TRUNCATE {SEALS}",
        f"ALTER TABLE {SEALS} DISABLE TRIGGER USER",
    ],
)
def test_runtime_role_is_refused_changes(sealed, app_role, sql):
    with acting_as(app_role):
        error = _refused(sql)
    # Refused by privileges, before any trigger runs.
    assert _pgcode(error) == errorcodes.INSUFFICIENT_PRIVILEGE
    assert AuditEvent.objects.count() == 3
    assert audit_verify().ok


def test_runtime_role_can_insert_select_and_seal(sealed, app_role, admin_user):
    with acting_as(app_role):
        event = audit_event_record(event_type=EventType.LOGOUT, actor=admin_user)
        assert AuditEvent.objects.filter(pk=event.pk).exists()
        assert audit_seal_pending().sealed == 1
        assert audit_verify().ok
    assert AuditSeal.objects.filter(event=event).count() == 1


def test_runtime_role_keeps_its_privileges_on_other_tables(app_role, admin_user):
    with acting_as(app_role), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_user SET first_name = first_name WHERE id = %s", [admin_user.pk]
        )
        assert cursor.rowcount == 1


def test_privileges_held_by_the_runtime_role(app_role):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
            " WHERE grantee = %s AND table_name = ANY(%s) ORDER BY 1, 2",
            [app_role, list(AUDIT_TABLES)],
        )
        rows = cursor.fetchall()
    assert rows == [
        (EVENTS, "INSERT"),
        (EVENTS, "SELECT"),
        (SEALS, "INSERT"),
        (SEALS, "SELECT"),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_sequence_privilege(%s, pg_get_serial_sequence(%s, 'id'), 'USAGE'),"
            " has_sequence_privilege(%s, pg_get_serial_sequence(%s, 'id'), 'UPDATE')",
            [app_role, EVENTS, app_role, EVENTS],
        )
        # nextval for new events, but no setval to rewind the ids.
        assert cursor.fetchone() == (True, False)


def test_grant_refuses_a_role_name_that_is_not_a_plain_identifier():
    bad = 'app"; DROP TABLE audit_auditevent; --'
    with pytest.raises(ValueError, match="Not a valid database role name"):
        audit_privileges_sql(role=bad, sequences=[])
    assert str(INVALID_ROLE_MESSAGE.format(role=bad)).startswith("Not a valid")


def test_grant_command_applies_the_same_statements(app_role, capsys):
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT UPDATE, DELETE ON {EVENTS} TO {app_role}")
    call_command("audit_grant_app_role", role=app_role)
    assert capsys.readouterr().out.strip() == GRANTED_MESSAGE.format(
        role=app_role, tables=", ".join(AUDIT_TABLES)
    )
    with acting_as(app_role):
        assert _pgcode(_refused(f"DELETE FROM {EVENTS}")) == errorcodes.INSUFFICIENT_PRIVILEGE


def test_grant_command_needs_a_role(settings):
    settings.CARECORE_DB_APP_ROLE = ""
    with pytest.raises(CommandError, match=NO_ROLE_MESSAGE):
        call_command("audit_grant_app_role")
