from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from carecore.audit.database import AUDIT_TABLES, audit_privileges_grant

NO_ROLE_MESSAGE = "No role given: pass --role or set CARECORE_DB_APP_ROLE."
NOT_POSTGRESQL_MESSAGE = "Database privileges apply to PostgreSQL only."
GRANTED_MESSAGE = "Role {role} now has only SELECT and INSERT on {tables}."


class Command(BaseCommand):
    help = (
        "Run as the owner role: leave the runtime role only SELECT and INSERT on the audit "
        "tables (the same statements as migration audit.0003)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", default="", help="Defaults to CARECORE_DB_APP_ROLE.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, choices=tuple(connections))

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"] or settings.CARECORE_DB_APP_ROLE
        if not role:
            raise CommandError(NO_ROLE_MESSAGE)
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            raise CommandError(NOT_POSTGRESQL_MESSAGE)
        try:
            audit_privileges_grant(connection=connection, role=role)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(GRANTED_MESSAGE.format(role=role, tables=", ".join(AUDIT_TABLES)))
