"""PostgreSQL protection of the audit tables: append-only triggers and the runtime role's grants.

Migrations call these functions, so changing what one does changes history: add a new function
(and a new migration) instead. Nothing here runs on SQLite, the embedded demo database.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

AUDIT_TABLES = ("audit_auditevent", "audit_auditseal")

# Raised by the trigger; asserted by tests.
TRIGGER_REFUSAL_MESSAGE = "audit tables are append-only"

_TRIGGER_FUNCTION = "carecore_audit_refuse_change"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

INVALID_ROLE_MESSAGE = "Not a valid database role name: {role!r} (lower case, digits, underscore)."


def _row_trigger(table: str) -> str:
    return f"{table}_append_only"


def _truncate_trigger(table: str) -> str:
    return f"{table}_no_truncate"


def audit_triggers_install_sql() -> list[str]:
    """Return the statements that make the audit tables refuse UPDATE, DELETE and TRUNCATE."""
    statements = [
        f"""
        CREATE OR REPLACE FUNCTION {_TRIGGER_FUNCTION}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{TRIGGER_REFUSAL_MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'raise_exception';
        END
        $$
        """
    ]
    for table in AUDIT_TABLES:
        statements += [
            f"CREATE TRIGGER {_row_trigger(table)} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {_TRIGGER_FUNCTION}()",
            # Row triggers do not fire on TRUNCATE: it needs its own statement-level trigger.
            f"CREATE TRIGGER {_truncate_trigger(table)} BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_TRIGGER_FUNCTION}()",
        ]
    return statements


def audit_triggers_remove_sql() -> list[str]:
    """Return the statements that undo `audit_triggers_install_sql`."""
    statements = []
    for table in AUDIT_TABLES:
        statements += [
            f"DROP TRIGGER IF EXISTS {_row_trigger(table)} ON {table}",
            f"DROP TRIGGER IF EXISTS {_truncate_trigger(table)} ON {table}",
        ]
    statements.append(f"DROP FUNCTION IF EXISTS {_TRIGGER_FUNCTION}()")
    return statements


def audit_triggers_install(*, schema_editor: Any) -> None:
    """Install the append-only triggers when the database is PostgreSQL."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in audit_triggers_install_sql():
        schema_editor.execute(statement, params=None)


def audit_triggers_remove(*, schema_editor: Any) -> None:
    """Drop the append-only triggers when the database is PostgreSQL."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in audit_triggers_remove_sql():
        schema_editor.execute(statement, params=None)


def audit_privileges_sql(*, role: str, sequences: list[str]) -> list[str]:
    """Return the statements that leave `role` with only SELECT and INSERT on the audit tables."""
    if not _ROLE_NAME.match(role):
        raise ValueError(INVALID_ROLE_MESSAGE.format(role=role))
    tables = ", ".join(AUDIT_TABLES)
    statements = [
        # Revoke first: default privileges for the app role may have granted UPDATE, DELETE,
        # TRUNCATE or TRIGGER when the tables were created.
        f"REVOKE ALL ON TABLE {tables} FROM PUBLIC",
        f"REVOKE ALL ON TABLE {tables} FROM {role}",
        f"GRANT SELECT, INSERT ON TABLE {tables} TO {role}",
    ]
    if sequences:
        names = ", ".join(sequences)
        statements += [
            f"REVOKE ALL ON SEQUENCE {names} FROM {role}",
            f"GRANT USAGE ON SEQUENCE {names} TO {role}",
        ]
    return statements


def audit_privileges_grant(*, connection: BaseDatabaseWrapper, role: str) -> None:
    """Give `role` SELECT and INSERT, and nothing else, on the audit tables and their sequences."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # Every sequence behind an audit column (AuditSeal has none: the sealer numbers it).
        cursor.execute(
            "SELECT seq FROM ("
            " SELECT pg_get_serial_sequence(quote_ident(table_name), column_name) AS seq"
            " FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ANY(%s)"
            ") AS s WHERE seq IS NOT NULL ORDER BY seq",
            [list(AUDIT_TABLES)],
        )
        sequences = [row[0] for row in cursor.fetchall()]
        for statement in audit_privileges_sql(role=role, sequences=sequences):
            cursor.execute(statement)
