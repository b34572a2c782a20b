"""The de-identified research rows: coarsened fields of consenting patients only.

One row per patient whose research consent is in force now (`consent_permits`, nothing
else decides). A row holds a pseudonym drawn at random for this export (unlinkable to the
case code and to other exports), a 10-year age band, sex, stage, complexity, risk level,
status, the quarter of registration and the number of notes by type. Never a name, case
code, UUID, date, document number, contact detail, free text or staff id.

Age band, sex and period of registration together could single a person out, so rows whose
combination fewer than `conf.research_min_cell()` people share are coarsened (the quarter
becomes the year), and those still too rare lose all three (`SUPPRESSED`).
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from patients.models import (
    Consent,
    ConsentPurpose,
    ConsentStatus,
    NoteType,
    Patient,
)
from patients.services.consent import consent_permits

from .. import conf

if TYPE_CHECKING:
    import datetime as dt

AGE_BAND_WIDTH = 10
AGE_BAND_TOP = 80
PSEUDONYM_PREFIX = "R"
PSEUDONYM_BYTES = 5
SUPPRESSED = "*"
QUASI_IDENTIFIERS = ("age_band", "sex", "registered_quarter")

RESEARCH_COLUMNS: tuple[str, ...] = (
    "pseudonym",
    "age_band",
    "sex",
    "stage",
    "complexity",
    "risk_level",
    "status",
    "registered_quarter",
    *(f"notes_{note_type}" for note_type in NoteType.values),
)


@dataclass(frozen=True)
class ResearchRows:
    """The rows of one export and how many patients were left out for want of consent."""

    rows: list[dict[str, str]]
    patients_total: int

    @property
    def excluded(self) -> int:
        return self.patients_total - len(self.rows)


def age_band(age: int | None) -> str:
    """Return the 10-year band of `age` ("20-29", "80+"), or "" when it is unknown."""
    if age is None or age < 0:
        return ""
    if age >= AGE_BAND_TOP:
        return f"{AGE_BAND_TOP}+"
    low = age - age % AGE_BAND_WIDTH
    return f"{low}-{low + AGE_BAND_WIDTH - 1}"


def _age(date_of_birth: dt.date | None, approximate_age: int | None, today: dt.date) -> int | None:
    if date_of_birth is not None:
        before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
        return today.year - date_of_birth.year - int(before_birthday)
    return approximate_age


def _quarter(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _candidates():
    # Narrowing only: a patient with no research consent record at all cannot qualify.
    # consent_permits decides for each one that remains.
    research = Consent.objects.filter(
        patient=OuterRef("pk"),
        purpose=ConsentPurpose.RESEARCH,
        status__in=[ConsentStatus.GIVEN, ConsentStatus.WITHDRAWN],
    )
    notes = {
        f"notes_{note_type}": Count("notes", filter=Q(notes__note_type=note_type))
        for note_type in NoteType.values
    }
    return (
        Patient.objects.filter(Exists(research))
        .only(
            "id",
            "date_of_birth",
            "approximate_age",
            "sex",
            "stage",
            "complexity",
            "risk_level",
            "status",
            "registered_on",
        )
        .annotate(**notes)
        .order_by()
    )


def _rare(rows: list[dict[str, str]], minimum: int) -> list[dict[str, str]]:
    counts = Counter(tuple(row[name] for name in QUASI_IDENTIFIERS) for row in rows)
    return [row for row in rows if counts[tuple(row[name] for name in QUASI_IDENTIFIERS)] < minimum]


def small_cells_coarsened(rows: list[dict[str, str]], minimum: int) -> list[dict[str, str]]:
    """Coarsen, then blank, the age band, sex and period of rows too few people share."""
    for row in _rare(rows, minimum):
        row["registered_quarter"] = row["registered_quarter"].split("-")[0]
    for row in _rare(rows, minimum):
        for name in QUASI_IDENTIFIERS:
            row[name] = SUPPRESSED
    return rows


def research_rows() -> ResearchRows:
    """Return the rows of a new export, in random order, with fresh pseudonyms."""
    today = timezone.localdate()
    now = timezone.now()
    pseudonyms: set[str] = set()
    rows: list[dict[str, str]] = []
    for patient in _candidates():
        if not consent_permits(patient=patient, purpose=ConsentPurpose.RESEARCH, at=now):
            continue
        pseudonym = f"{PSEUDONYM_PREFIX}{secrets.token_hex(PSEUDONYM_BYTES).upper()}"
        while pseudonym in pseudonyms:
            pseudonym = f"{PSEUDONYM_PREFIX}{secrets.token_hex(PSEUDONYM_BYTES).upper()}"
        pseudonyms.add(pseudonym)
        row = {
            "pseudonym": pseudonym,
            "age_band": age_band(_age(patient.date_of_birth, patient.approximate_age, today)),
            "sex": patient.sex or "",
            "stage": patient.stage,
            "complexity": "" if patient.complexity is None else str(patient.complexity),
            "risk_level": patient.risk_level,
            "status": patient.status,
            "registered_quarter": _quarter(patient.registered_on),
        }
        for note_type in NoteType.values:
            row[f"notes_{note_type}"] = str(getattr(patient, f"notes_{note_type}"))
        rows.append(row)
    small_cells_coarsened(rows, conf.research_min_cell())
    # Row order must not follow registration or case code order.
    secrets.SystemRandom().shuffle(rows)
    return ResearchRows(rows=rows, patients_total=Patient.objects.count())
