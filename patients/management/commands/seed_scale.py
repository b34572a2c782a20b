"""Create the demo data and a large data set for benchmarks (seed_demo --scale large, and more)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from carecore.home.seeding import SCALE_LARGE, SEED_STEPS, SeedContext, seeding_refusal
from patients.seeding import LARGE_VOLUME, Volume, patients_bulk_seed, scale_data_present
from supervision.seeding import supervision_bulk_seed

ALREADY_SEEDED = "Scale data already present (left unchanged)."


class Command(BaseCommand):
    help = (
        "Run seed_demo --scale large, then add about 10,000 patients with 200,000 notes led by "
        "200 more clinicians, for benchmarks. Runs once per database. Refuses to run outside a "
        "demo installation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--staff", type=int, default=LARGE_VOLUME.staff)
        parser.add_argument("--patients", type=int, default=LARGE_VOLUME.patients)
        parser.add_argument("--notes", type=int, default=LARGE_VOLUME.notes)

    def handle(self, *args: Any, staff: int, patients: int, notes: int, **options: Any) -> None:
        refusal = seeding_refusal()
        if refusal is not None:
            raise CommandError(refusal)
        # The benchmark's heavy and light caseloads keep their proportions at any size.
        volume = Volume(
            staff=staff,
            patients=patients,
            notes=notes,
            heavy_caseload=patients * LARGE_VOLUME.heavy_caseload // LARGE_VOLUME.patients,
            light_caseload=patients * LARGE_VOLUME.light_caseload // LARGE_VOLUME.patients,
        )
        started = time.monotonic()
        ctx = SeedContext(scale=SCALE_LARGE)
        # All or nothing, as seed_demo: a half-loaded data set would skew every benchmark.
        with transaction.atomic():
            for step in SEED_STEPS:
                step(ctx)
            if scale_data_present():
                ctx.report.append(ALREADY_SEEDED)
            else:
                counts = patients_bulk_seed(volume=volume, progress=self._progress)
                self._progress("Supervision: agreements, working time and sessions")
                counts.update({f"supervision_{k}": v for k, v in supervision_bulk_seed().items()})
                ctx.report.append(
                    "Scale data: "
                    + ", ".join(
                        f"{value:,} {name.replace('_', ' ')}" for name, value in counts.items()
                    )
                    + "."
                )
        if connection.vendor == "postgresql":
            # Fresh bulk rows have no planner statistics until autovacuum comes round (if it
            # is on at all): benchmarks would measure the planner's guesses.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        for line in ctx.report:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.0f} s."))

    def _progress(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
