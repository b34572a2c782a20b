"""Loading instrument wording as data: each load creates a new, audited instrument version.

The structure (letters, subscales, rating range) is built in; a load supplies only the
instructions, the citation and the wording of each item, and must name exactly the built-in
letters. Check-ins keep the version they were answered on, so a load never changes a result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import (
    CFS_CODE,
    Instrument,
    InstrumentItem,
    InstrumentVersion,
    Subscale,
    SubscaleCode,
    WordingSource,
)
from ..scoring import CFS_STRUCTURE, Structure

if TYPE_CHECKING:
    from carecore.accounts.models import User

DEMO_WORDING_FILE = Path(__file__).resolve().parent.parent / "demo_wording.json"
MAX_WORDING_LENGTH = 1000
MAX_INSTRUCTIONS_LENGTH = 4000

INVALID_JSON = _("The file is not valid JSON.")
NOT_AN_OBJECT = _("The file must hold one JSON object.")
UNKNOWN_INSTRUMENT = _("The instrument code is not one this system knows.")
INSTRUCTIONS_REQUIRED = _("Give the instructions as text.")
CITATION_NOT_TEXT = _("The citation must be text.")
ITEMS_NOT_AN_OBJECT = _("Give the items as an object of letter to wording.")
ITEM_LETTERS_MISMATCH = _("The items must be exactly the letters of the built-in structure.")
ITEM_WORDING_REQUIRED = _("Every item needs its wording as text.")
TEXT_TOO_LONG = _("A text in the file is too long.")
SUBSCALES_MISMATCH = _("The subscales must match the built-in structure.")

# Built-in structures by instrument code: wording is data, structure is code.
STRUCTURES: dict[str, Structure] = {CFS_CODE: CFS_STRUCTURE}


class InvalidInstrument(ValueError):
    """The payload cannot be loaded; `str()` is one of the constant messages above."""


def instrument_payload_parse(text: str | bytes) -> dict[str, Any]:
    """Return the JSON object in `text`, validated against the built-in structure."""
    try:
        payload = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInstrument(str(INVALID_JSON)) from None
    return instrument_payload_validate(payload)


def instrument_payload_validate(payload: object) -> dict[str, Any]:
    """Return a normalised copy of `payload` or raise InvalidInstrument."""
    if not isinstance(payload, Mapping):
        raise InvalidInstrument(str(NOT_AN_OBJECT))
    code = payload.get("instrument")
    if not isinstance(code, str) or code not in STRUCTURES:
        raise InvalidInstrument(str(UNKNOWN_INSTRUMENT))
    structure = STRUCTURES[code]
    instructions = payload.get("instructions")
    if not isinstance(instructions, str) or not instructions.strip():
        raise InvalidInstrument(str(INSTRUCTIONS_REQUIRED))
    citation = payload.get("citation", "")
    if not isinstance(citation, str):
        raise InvalidInstrument(str(CITATION_NOT_TEXT))
    items = payload.get("items")
    if not isinstance(items, Mapping):
        raise InvalidInstrument(str(ITEMS_NOT_AN_OBJECT))
    if set(items) != set(structure.letters):
        raise InvalidInstrument(str(ITEM_LETTERS_MISMATCH))
    if any(not isinstance(text, str) or not text.strip() for text in items.values()):
        raise InvalidInstrument(str(ITEM_WORDING_REQUIRED))
    if (
        len(instructions) > MAX_INSTRUCTIONS_LENGTH
        or len(citation) > MAX_INSTRUCTIONS_LENGTH
        or any(len(text) > MAX_WORDING_LENGTH for text in items.values())
    ):
        raise InvalidInstrument(str(TEXT_TOO_LONG))
    subscales = payload.get("subscales")
    if subscales is not None:
        expected = {code: sorted(letters) for code, letters in structure.subscales}
        if (
            not isinstance(subscales, Mapping)
            or {
                str(key): sorted(value) if isinstance(value, list) else value
                for key, value in subscales.items()
            }
            != expected
        ):
            raise InvalidInstrument(str(SUBSCALES_MISMATCH))
    return {
        "instrument": code,
        "instructions": instructions.strip(),
        "citation": citation.strip(),
        "items": {letter: items[letter].strip() for letter in structure.letters},
    }


def instrument_version_load(
    *,
    actor: User | None,
    payload: Mapping[str, Any],
    wording_source: WordingSource = WordingSource.PUBLISHED,
) -> InstrumentVersion:
    """Create the next version of the payload's instrument; raise InvalidInstrument."""
    data = instrument_payload_validate(payload)
    structure = STRUCTURES[data["instrument"]]
    with transaction.atomic():
        instrument = Instrument.objects.select_for_update().filter(code=data["instrument"]).first()
        if instrument is None:
            raise InvalidInstrument(str(UNKNOWN_INSTRUMENT))
        if data["citation"] and data["citation"] != instrument.citation:
            instrument.citation = data["citation"]
            instrument.save(update_fields=["citation", "updated_at"])
        latest = instrument.versions.aggregate(latest=Max("number"))["latest"] or 0
        version = InstrumentVersion.objects.create(
            instrument=instrument,
            number=latest + 1,
            instructions=data["instructions"],
            min_rating=structure.min_rating,
            max_rating=structure.max_rating,
            wording_source=wording_source,
            loaded_by=actor,
            loaded_at=timezone.now(),
        )
        items = {
            letter: InstrumentItem.objects.create(
                version=version, letter=letter, wording=data["items"][letter], position=position
            )
            for position, letter in enumerate(structure.letters, start=1)
        }
        for position, (code, letters) in enumerate(structure.subscales, start=1):
            subscale = Subscale.objects.create(
                version=version, code=code, name=str(SubscaleCode(code).label), position=position
            )
            subscale.items.set([items[letter] for letter in letters])
        audit_event_record(
            event_type=EventType.INSTRUMENT_VERSION_LOADED,
            actor=actor,
            target=version,
            details={
                "instrument_id": instrument.pk,
                "version_id": version.pk,
                "number": version.number,
                "wording_source": str(wording_source),
            },
        )
    return version


def instrument_demo_wording_load(*, actor: User | None = None) -> InstrumentVersion | None:
    """Load the project's demonstration wording once; return None if a demo version exists."""
    if InstrumentVersion.objects.filter(
        instrument__code=CFS_CODE, wording_source=WordingSource.DEMONSTRATION
    ).exists():
        return None
    payload = instrument_payload_parse(DEMO_WORDING_FILE.read_text(encoding="utf-8"))
    return instrument_version_load(
        actor=actor, payload=payload, wording_source=WordingSource.DEMONSTRATION
    )
