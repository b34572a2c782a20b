"""`manage.py rotate_field_keys`: re-encrypt every value stored under an old field key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecore.crypto.rotation import (
    DEFAULT_BATCH_SIZE,
    BatchProgress,
    RotationError,
    field_keys_rotate,
)

EXIT_CONFLICTS = 1
EXIT_UNDECRYPTABLE = 2

BATCH_LINE = (
    "{table} batch {number}: up to id {last_pk}; so far {rotated} re-encrypted, "
    "{current} already current, {conflicts} changed meanwhile, {undecryptable} undecryptable"
)
DRY_RUN_BATCH_LINE = (
    "{table} batch {number}: up to id {last_pk}; so far {stale} to re-encrypt, "
    "{current} already current, {undecryptable} undecryptable"
)
TOTAL_LINE = (
    "Re-encrypted {rotated} values; {current} were already on the newest key; "
    "{conflicts} changed while running; {undecryptable} undecryptable."
)
DRY_RUN_TOTAL_LINE = (
    "Dry run: {stale} values would be re-encrypted; {current} are already on the newest key; "
    "{undecryptable} undecryptable. Nothing was written."
)
CONFLICTS_MESSAGE = (
    "{conflicts} values were changed by the application while being rotated and were left "
    "alone: run rotate_field_keys again."
)
UNDECRYPTABLE_MESSAGE = (
    "{undecryptable} values could not be decrypted and were left as they are: run "
    "verify_field_keys for their ids, and do not remove any key."
)


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value that uses an old field key with the newest key, in "
        "batches (one transaction each). Safe to interrupt and run again. Exit status 0 when "
        "done, 1 when some values changed meanwhile (run again), 2 when some cannot be "
        "decrypted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows read and written per transaction (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be re-encrypted and write nothing.",
        )
        parser.add_argument(
            "--resume-from",
            default="",
            metavar="MODEL:PK",
            help="Skip the models before MODEL and its rows before PK, for example "
            "patients.Patient:1200 (rows already on the newest key are skipped anyway).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.dry_run = options["dry_run"]
        on_batch = self._show_batch if options["verbosity"] >= 1 else None
        try:
            report = field_keys_rotate(
                batch_size=options["batch_size"],
                dry_run=self.dry_run,
                resume_from=options["resume_from"],
                on_batch=on_batch,
            )
        except RotationError as error:
            raise CommandError(str(error)) from None
        total = report.total
        line = DRY_RUN_TOTAL_LINE if self.dry_run else TOTAL_LINE
        self.stdout.write(line.format(**total.as_details()))
        if total.undecryptable:
            raise CommandError(
                UNDECRYPTABLE_MESSAGE.format(undecryptable=total.undecryptable),
                returncode=EXIT_UNDECRYPTABLE,
            )
        if total.conflicts:
            raise CommandError(
                CONFLICTS_MESSAGE.format(conflicts=total.conflicts), returncode=EXIT_CONFLICTS
            )

    def _show_batch(self, progress: BatchProgress) -> None:
        line = DRY_RUN_BATCH_LINE if self.dry_run else BATCH_LINE
        self.stdout.write(
            line.format(
                table=progress.table,
                number=progress.number,
                last_pk=progress.last_pk,
                **progress.counts.as_details(),
            )
        )
