"""Create the demo accounts (and, as later work adds steps, demo records)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from carecore.home.seeding import (
    DEMO_PASSWORD,
    DEMO_USERS,
    SCALE_DEMO,
    SCALES,
    SEED_STEPS,
    SeedContext,
    seeding_refusal,
)


class Command(BaseCommand):
    help = (
        "Create the demo accounts (one per role) with the demo password. Idempotent. "
        "Refuses to run outside a demo installation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            choices=SCALES,
            default=SCALE_DEMO,
            help="demo: the documented accounts; large: also a staff roster of about 100.",
        )

    def handle(self, *args: Any, scale: str, **options: Any) -> None:
        refusal = seeding_refusal()
        if refusal is not None:
            raise CommandError(refusal)
        ctx = SeedContext(scale=scale)
        # All or nothing: a half-seeded database is harder to reason about than an empty one.
        with transaction.atomic():
            for step in SEED_STEPS:
                step(ctx)
        for line in ctx.report:
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo sign-ins (every account uses one password):"))
        width = max(len(spec.username) for spec in DEMO_USERS)
        for spec in DEMO_USERS:
            roles = ", ".join(str(role.label) for role in spec.roles)
            if spec.is_privacy_officer:
                roles += ", privacy officer"
            self.stdout.write(f"  {spec.username:<{width}}  {roles}")
        self.stdout.write(f"Password: {DEMO_PASSWORD}")
        self.stdout.write("Accounts that already existed kept their own password.")
