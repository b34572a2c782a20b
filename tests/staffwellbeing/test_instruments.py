"""Instruments as data: loading wording creates a new audited version; results keep theirs."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from staffwellbeing.models import InstrumentVersion, WordingSource
from staffwellbeing.scoring import CFS_STRUCTURE, structure_of
from staffwellbeing.selectors.checkins import instrument_current_version
from staffwellbeing.services.instruments import (
    DEMO_WORDING_FILE,
    INSTRUCTIONS_REQUIRED,
    INVALID_JSON,
    ITEM_LETTERS_MISMATCH,
    ITEM_WORDING_REQUIRED,
    SUBSCALES_MISMATCH,
    UNKNOWN_INSTRUMENT,
    InvalidInstrument,
    instrument_demo_wording_load,
    instrument_payload_parse,
    instrument_version_load,
)
from tests.staffwellbeing.factories import cfs_v1, make_checkin

pytestmark = pytest.mark.django_db


# Test wording made up for these tests; the published wording never enters the repository.
def payload(**overrides):
    data = {
        "instrument": "compassion_fatigue",
        "instructions": "Test instructions: pick a whole number.",
        "citation": "Test citation.",
        "items": {letter: f"Test wording {letter}" for letter in "abcdefghijklm"},
    }
    data.update(overrides)
    return data


def test_loading_creates_the_next_published_version_with_the_built_in_structure(admin_user):
    cfs_v1()

    version = instrument_version_load(actor=admin_user, payload=payload())

    assert version.number == 2
    assert version.wording_source == WordingSource.PUBLISHED
    assert structure_of(version) == CFS_STRUCTURE
    assert [item.wording for item in version.items.order_by("position")][2] == "Test wording c"
    event = AuditEvent.objects.get(event_type=EventType.INSTRUMENT_VERSION_LOADED)
    assert event.actor_id == admin_user.pk
    assert event.details == {
        "instrument_id": version.instrument_id,
        "version_id": version.pk,
        "number": 2,
        "wording_source": "published",
    }
    assert instrument_current_version().pk == version.pk


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", INVALID_JSON),
        (json.dumps(payload(instrument="other")), UNKNOWN_INSTRUMENT),
        (json.dumps(payload(instructions="  ")), INSTRUCTIONS_REQUIRED),
        (json.dumps(payload(items={"a": "x"})), ITEM_LETTERS_MISMATCH),
        (
            json.dumps(payload(items={**payload()["items"], "n": "extra"})),
            ITEM_LETTERS_MISMATCH,
        ),
        (json.dumps(payload(items={**payload()["items"], "c": ""})), ITEM_WORDING_REQUIRED),
        (
            json.dumps(payload(subscales={"secondary_trauma": ["a", "b", "c", "d", "e"]})),
            SUBSCALES_MISMATCH,
        ),
    ],
)
def test_a_payload_that_does_not_match_the_structure_is_refused(text, message):
    cfs_v1()
    count = InstrumentVersion.objects.count()

    with pytest.raises(InvalidInstrument) as refused:
        instrument_payload_parse(text)

    assert str(refused.value) == str(message)
    assert InstrumentVersion.objects.count() == count


def test_matching_subscales_may_be_given():
    subscales = {code: list(letters) for code, letters in CFS_STRUCTURE.subscales}

    assert instrument_payload_parse(json.dumps(payload(subscales=subscales)))["items"]["a"]


def test_a_check_in_keeps_the_version_it_was_answered_on(clinician, sign_in, client):
    old = make_checkin(clinician)
    instrument_version_load(actor=None, payload=payload())
    sign_in(clinician)

    page = client.get(reverse("wellbeing:result", args=[old.pk])).content.decode()

    assert old.version.number == 1
    assert "See item c in your organisation" in page
    assert "Test wording c" not in page
    form = client.get(reverse("wellbeing:checkin")).content.decode()
    assert "Test wording c" in form


def test_the_command_loads_a_file_and_does_not_echo_the_wording(tmp_path, admin_user):
    cfs_v1()
    path = tmp_path / "cfs.json"
    path.write_text(json.dumps(payload()), encoding="utf-8")
    from io import StringIO

    out = StringIO()

    call_command("load_instrument", str(path), "--actor", admin_user.username, stdout=out)

    assert out.getvalue().strip() == "Loaded compassion_fatigue version 2."
    assert InstrumentVersion.objects.get(number=2).loaded_by == admin_user


def test_the_command_refuses_a_bad_file(tmp_path):
    cfs_v1()
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(payload(items={})), encoding="utf-8")

    with pytest.raises(CommandError, match="exactly the letters"):
        call_command("load_instrument", str(path))
    assert not InstrumentVersion.objects.filter(number=2).exists()


def test_demo_wording_is_marked_and_loaded_once(clinician, sign_in, client):
    cfs_v1()
    version = instrument_demo_wording_load()

    assert version is not None and version.wording_source == WordingSource.DEMONSTRATION
    assert instrument_demo_wording_load() is None
    data = json.loads(DEMO_WORDING_FILE.read_text(encoding="utf-8"))
    assert all(text.startswith("Demonstration item") for text in data["items"].values())
    sign_in(clinician)
    page = client.get(reverse("wellbeing:checkin")).content.decode()
    assert "Demonstration wording, not the published instrument." in page


def test_structure_only_items_show_letter_subscales_and_pointer(clinician, sign_in, client):
    cfs_v1()
    sign_in(clinician)

    page = client.get(reverse("wellbeing:checkin")).content.decode()

    assert "See item c in your organisation&#x27;s copy of the guide." in page
    assert "(Secondary trauma, Chronic fatigue)" in page
    assert "(Job burnout, Chronic fatigue)" in page


def test_an_admin_previews_then_loads_wording(admin_user, sign_in, client):
    cfs_v1()
    sign_in(admin_user)
    url = reverse("wellbeing:instrument_load")
    text = json.dumps(payload())

    preview = client.post(url, {"payload": text})

    assert preview.status_code == 200
    assert "Test wording m" in preview.content.decode()
    assert not InstrumentVersion.objects.filter(number=2).exists()

    done = client.post(url, {"payload": text, "confirm": "yes"})

    assert done.status_code == 302
    assert InstrumentVersion.objects.get(number=2).loaded_by == admin_user


@pytest.mark.parametrize("persona", ["clinician", "manager", "supervisor", "reception"])
def test_only_admins_may_load_wording(persona, request, sign_in, client):
    cfs_v1()
    user = request.getfixturevalue(persona)
    sign_in(user)

    response = client.post(
        reverse("wellbeing:instrument_load"), {"payload": json.dumps(payload()), "confirm": "yes"}
    )

    assert response.status_code == 404
    assert not InstrumentVersion.objects.filter(number=2).exists()
    denial = AuditEvent.objects.get(event_type=EventType.ACCESS_DENIED, actor_id=user.pk)
    assert denial.outcome == Outcome.DENIED
    assert denial.details == {"action": "load_instrument", "reason": "role"}
