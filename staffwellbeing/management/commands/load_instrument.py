"""Load an instrument's item wording from a JSON file as a new, published version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from staffwellbeing.services.instruments import (
    InvalidInstrument,
    instrument_payload_parse,
    instrument_version_load,
)


class Command(BaseCommand):
    help = (
        "Load item wording from the organisation's copy of the guide (a JSON file with "
        "instrument, instructions, citation and items {letter: wording}) as a new version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--actor", help="Username recorded as the person who loaded it.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options.get("actor"):
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError("No user has that username.")
        try:
            text = options["file"].read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read the file: {error.strerror}") from None
        try:
            payload = instrument_payload_parse(text)
            version = instrument_version_load(actor=actor, payload=payload)
        except InvalidInstrument as error:
            raise CommandError(str(error)) from None
        # The wording itself is not echoed: only the version that now holds it.
        self.stdout.write(f"Loaded {version.instrument.code} version {version.number}.")
