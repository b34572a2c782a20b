"""`manage.py verify_field_keys`: how many stored values still need an old field key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from carecore.crypto.rotation import BatchProgress, KeyReport, field_keys_verify

EXIT_STALE = 1
EXIT_UNDECRYPTABLE = 2

COLUMN_LINE = "{label}: {stale} on an old key, {undecryptable} undecryptable, {values} values"
FAILED_PKS_LINE = "  undecryptable in rows with id {pks}{more}"
TOTAL_LINE = "Total: {stale} values on an old key, {undecryptable} undecryptable, {values} values."
ALL_CURRENT_MESSAGE = "Every value is on the newest key: old keys may be removed (see docs)."
STALE_MESSAGE = "{stale} values still need an old key: run rotate_field_keys, then verify again."
UNDECRYPTABLE_MESSAGE = (
    "{undecryptable} values cannot be decrypted under any configured key: tampered, truncated "
    "or written under a key that is no longer configured. Do not remove any key; investigate."
)


class Command(BaseCommand):
    help = (
        "Decrypt every encrypted value and report, per model field, how many still use an old "
        "field key. Exit status 0 when none does, 1 when some do, 2 when some values cannot be "
        "decrypted under any configured key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        on_batch = self._show_batch if verbosity >= 2 else None
        report = field_keys_verify(on_batch=on_batch)
        if verbosity >= 1:
            self._show_columns(report)
        total = report.total
        self.stdout.write(
            TOTAL_LINE.format(
                stale=total.stale, undecryptable=total.undecryptable, values=total.values
            )
        )
        if total.undecryptable:
            raise CommandError(
                UNDECRYPTABLE_MESSAGE.format(undecryptable=total.undecryptable),
                returncode=EXIT_UNDECRYPTABLE,
            )
        if total.stale:
            raise CommandError(STALE_MESSAGE.format(stale=total.stale), returncode=EXIT_STALE)
        self.stdout.write(self.style.SUCCESS(ALL_CURRENT_MESSAGE))

    def _show_batch(self, progress: BatchProgress) -> None:
        self.stdout.write(
            f"{progress.table} batch {progress.number}: up to id {progress.last_pk}, "
            f"{progress.counts.values} values checked"
        )

    def _show_columns(self, report: KeyReport) -> None:
        for label, column in report.columns.items():
            counts = column.counts
            self.stdout.write(
                COLUMN_LINE.format(
                    label=label,
                    stale=counts.stale,
                    undecryptable=counts.undecryptable,
                    values=counts.values,
                )
            )
            if column.failed_pks:
                more = counts.undecryptable - len(column.failed_pks)
                self.stdout.write(
                    FAILED_PKS_LINE.format(
                        pks=", ".join(str(pk) for pk in column.failed_pks),
                        more=f" and {more} more" if more else "",
                    )
                )
