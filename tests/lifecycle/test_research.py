"""The research export: consenting patients only, no direct identifier, audited counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import cast

import pytest
from django.urls import reverse
from django.utils import timezone

from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from lifecycle import conf
from lifecycle.selectors.research import (
    RESEARCH_COLUMNS,
    SUPPRESSED,
    age_band,
    small_cells_coarsened,
)
from patients.models import ConsentPurpose, ConsentStatus, NoteType, Patient
from tests.conftest import CANARY_MARKER, canary
from tests.patients.factories import ConsentFactory, NoteFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = "lifecycle:research_export"


def _patient(label: str, **kwargs) -> Patient:
    patient = cast(
        Patient,
        PatientFactory(
            preferred_name=canary(f"{label}-preferred"),
            legal_name=canary(f"{label}-legal"),
            document_number=canary(f"{label}-document"),
            phone=canary(f"{label}-phone"),
            postal_address=canary(f"{label}-address"),
            current_location=canary(f"{label}-location"),
            gender=canary(f"{label}-gender"),
            nationality=canary(f"{label}-nationality"),
            **kwargs,
        ),
    )
    return patient


def _research(patient: Patient, status: ConsentStatus = ConsentStatus.GIVEN, **kwargs):
    return ConsentFactory(patient=patient, purpose=ConsentPurpose.RESEARCH, status=status, **kwargs)


@pytest.fixture
def population():
    """Patients with research consent in force, and patients without it for every reason."""
    today = timezone.localdate()
    included = []
    for number in range(3):
        patient = _patient(
            f"in{number}",
            date_of_birth=dt.date(1990 + number, 6, 15),
            sex="female",
            complexity=3,
            risk_level="high",
        )
        _research(patient)
        NoteFactory(patient=patient, body=canary(f"in{number}-note"))
        NoteFactory(patient=patient, body=canary("call"), note_type=NoteType.PHONE_CALL)
        included.append(patient)
    unknown_age = _patient("in-unknown")
    _research(unknown_age, expires_on=today)
    included.append(unknown_age)

    excluded = []
    refused = _patient("refused", date_of_birth=dt.date(1980, 1, 1))
    _research(refused, status=ConsentStatus.REFUSED)
    excluded.append(refused)
    withdrawn = _patient("withdrawn", date_of_birth=dt.date(1981, 1, 1))
    _research(withdrawn, status=ConsentStatus.WITHDRAWN)
    excluded.append(withdrawn)
    expired = _patient("expired", date_of_birth=dt.date(1982, 1, 1))
    consent = _research(expired)
    type(consent).objects.filter(pk=consent.pk).update(expires_on=today - dt.timedelta(days=1))
    excluded.append(expired)
    not_obtained = _patient("not-obtained")
    _research(not_obtained, status=ConsentStatus.NOT_OBTAINED)
    excluded.append(not_obtained)
    # Given, then refused later: the latest decision wins.
    changed = _patient("changed")
    _research(changed, recorded_at=timezone.now() - dt.timedelta(days=3))
    _research(changed, status=ConsentStatus.REFUSED)
    excluded.append(changed)
    care_only = _patient("care-only")
    ConsentFactory(patient=care_only, purpose=ConsentPurpose.CARE_AND_DATA)
    excluded.append(care_only)
    excluded.append(_patient("nothing"))
    return {"included": included, "excluded": excluded}


def _export(client) -> tuple[list[dict[str, str]], str]:
    response = client.post(reverse(URL))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode("utf-8")
    return list(csv.DictReader(io.StringIO(text))), text


@pytest.mark.parametrize("persona", ["privacy_officer", "manager"])
def test_the_export_holds_only_consenting_patients_and_no_identifier(
    request, client, sign_in, population, persona, monkeypatch
):
    # Four people are too few for any cell: switch the small-cell rule off to see the fields.
    monkeypatch.setattr("lifecycle.conf.research_min_cell", lambda: 1)
    sign_in(request.getfixturevalue(persona))

    rows, text = _export(client)

    assert len(rows) == len(population["included"]) == 4
    assert tuple(rows[0].keys()) == RESEARCH_COLUMNS
    assert CANARY_MARKER not in text
    everyone = population["included"] + population["excluded"]
    for patient in everyone:
        assert patient.case_code not in text
        assert str(patient.uuid) not in text
        assert str(patient.uuid).replace("-", "") not in text
        assert str(patient.pk) not in {row["pseudonym"] for row in rows}
        if patient.date_of_birth:
            assert patient.date_of_birth.isoformat() not in text
    assert len({row["pseudonym"] for row in rows}) == 4
    known = [row for row in rows if row["age_band"]]
    assert len(known) == 3
    assert {row["sex"] for row in known} == {"female"}
    assert {row["notes_consultation"] for row in known} == {"1"}
    assert {row["notes_phone_call"] for row in known} == {"1"}
    assert {row["risk_level"] for row in known} == {"high"}
    quarter = timezone.localdate()
    assert {row["registered_quarter"] for row in rows} == {
        f"{quarter.year}-Q{(quarter.month - 1) // 3 + 1}"
    }


def test_the_export_is_audited_with_counts_only(client, sign_in, privacy_officer, population):
    sign_in(privacy_officer)

    _export(client)

    (event,) = AuditEvent.objects.filter(event_type=EventType.RESEARCH_EXPORTED)
    assert event.details == {"rows": 4, "excluded": len(population["excluded"])}
    assert event.case_code == ""
    assert CANARY_MARKER not in json.dumps(event.details)


def test_pseudonyms_change_from_one_export_to_the_next(client, sign_in, privacy_officer):
    patient = _patient("once")
    _research(patient)
    sign_in(privacy_officer)

    first, _text = _export(client)
    second, _text = _export(client)

    assert first[0]["pseudonym"] != second[0]["pseudonym"]


@pytest.mark.parametrize("persona", ["clinician", "supervisor", "reception", "admin_user"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anyone_else_is_refused_with_an_audited_404(
    request, client, sign_in, population, persona, method
):
    sign_in(request.getfixturevalue(persona))

    response = getattr(client, method)(reverse(URL))

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(event_type=EventType.RESEARCH_EXPORTED).exists()
    (refusal,) = AuditEvent.objects.filter(event_type=EventType.RESEARCH_EXPORT_REFUSED)
    assert refusal.outcome == Outcome.DENIED
    assert refusal.details == {"action": "research.export", "reason": "role"}


def test_the_explanation_page_lists_the_columns(client, sign_in, manager):
    sign_in(manager)

    response = client.get(reverse(URL))

    assert response.status_code == 200
    assert "age_band" in response.content.decode()
    assert not AuditEvent.objects.filter(event_type=EventType.RESEARCH_EXPORTED).exists()


@pytest.mark.parametrize(
    ("age", "band"),
    [(None, ""), (0, "0-9"), (9, "0-9"), (17, "10-19"), (45, "40-49"), (79, "70-79"), (95, "80+")],
)
def test_ages_are_banded_by_ten_years(age, band):
    assert age_band(age) == band


def _row(age: str, sex: str, quarter: str) -> dict[str, str]:
    return {"age_band": age, "sex": sex, "registered_quarter": quarter, "stage": "recovery"}


def test_rows_too_few_people_share_are_coarsened_then_blanked():
    common = [_row("20-29", "female", "2026-Q1") for _n in range(5)]
    # Five people across two quarters of one year: the year is shared by enough of them.
    same_year = [_row("30-39", "male", "2025-Q2") for _n in range(3)] + [
        _row("30-39", "male", "2025-Q3") for _n in range(2)
    ]
    alone = [_row("60-69", "female", "2024-Q4")]

    rows = small_cells_coarsened([*common, *same_year, *alone], 5)

    assert rows[:5] == common
    assert {row["registered_quarter"] for row in rows[5:10]} == {"2025"}
    assert rows[10] == {
        "age_band": SUPPRESSED,
        "sex": SUPPRESSED,
        "registered_quarter": SUPPRESSED,
        "stage": "recovery",
    }


def test_the_small_cell_minimum_never_drops_below_five(settings):
    settings.CARECORE_RESEARCH_MIN_CELL = 2
    assert conf.research_min_cell() == 5
    settings.CARECORE_RESEARCH_MIN_CELL = 8
    assert conf.research_min_cell() == 8
