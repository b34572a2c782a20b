from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carecore.audit.sealing import audit_seal_pending

SEALED_MESSAGE = "Sealed {count} audit events."
BUSY_MESSAGE = "Another sealer holds the lock; sealed {count} audit events before standing aside."


class Command(BaseCommand):
    help = "Link every committed, unsealed audit event into the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full",
            action="store_true",
            help="Also look for unsealed events older than the sealer's lookback window.",
        )
        parser.add_argument(
            "--no-wait",
            action="store_false",
            dest="wait",
            help="Return at once if another sealer is running instead of waiting for it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_seal_pending(wait=options["wait"], full=options["full"])
        message = BUSY_MESSAGE if result.busy else SEALED_MESSAGE
        self.stdout.write(message.format(count=result.sealed))
