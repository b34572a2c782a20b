"""Django's `flush`, able to empty the append-only audit tables on PostgreSQL.

The audit tables refuse TRUNCATE through a trigger, and `flush` (also run by the test framework
after every transactional test) truncates every table. Only the tables' owner can lift the
guard (ALTER TABLE ... DISABLE TRIGGER), so this gives no one a new power: it fails for the
runtime role, which has neither TRUNCATE nor ownership. The guard is lifted and restored inside
the flush's own transaction, so no other session ever sees the tables unguarded.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import connections, transaction

from carecore.audit.database import AUDIT_TABLES


class Command(DjangoFlushCommand):
    def handle(self, **options: Any) -> None:
        database = options["database"]
        connection = connections[database]
        if connection.vendor != "postgresql":
            return super().handle(**options)
        if options["interactive"]:
            name = connection.settings_dict["NAME"]
            confirm = input(
                f'This will IRREVERSIBLY DESTROY all data in the "{name}" database, the audit '
                "trail included.\nType 'yes' to continue, or 'no' to cancel: "
            )
            if confirm != "yes":
                self.stdout.write("Flush cancelled.")
                return None
            options = {**options, "interactive": False}
        existing = set(connection.introspection.table_names())
        tables = [table for table in AUDIT_TABLES if table in existing]
        with transaction.atomic(using=database):
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            super().handle(**options)
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return None
