from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecore.audit.sealing import ChainStatus
from carecore.audit.services import audit_chain_check

INTACT_MESSAGE = "Audit chain intact: {checked} sealed events verified."
BROKEN_MESSAGE = "Audit chain broken at event {event_id}: {reason}."
STALE_MESSAGE = (
    "Audit chain intact ({checked} sealed events) but event {event_id} and {overdue} in all have "
    "stayed unsealed too long: is the sealer (audit_seal) running?"
)


class Command(BaseCommand):
    help = (
        "Walk the audit hash chain and recompute every seal. Exit status 0 when intact; "
        "otherwise name the first broken or overdue event and exit with status 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seal",
            action="store_true",
            help="Seal pending events before verifying.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_chain_check(seal_first=options["seal"], source="command")
        if result.status == ChainStatus.INTACT:
            self.stdout.write(INTACT_MESSAGE.format(checked=result.checked))
            return
        if result.status == ChainStatus.STALE:
            raise CommandError(
                STALE_MESSAGE.format(
                    checked=result.checked,
                    event_id=result.event_id,
                    overdue=result.unsealed_overdue,
                )
            )
        reason = result.reason.label if result.reason else ""
        raise CommandError(BROKEN_MESSAGE.format(event_id=result.event_id, reason=reason))
