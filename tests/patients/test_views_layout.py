"""The shared record layout: tabs from the allowed actions, name, safety and break-glass banners."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from patients.models import SafetyFlagKind
from patients.permissions import Action
from patients.selectors import Section, patient_get_for
from patients.views.layout import read_action_for, record_context
from tests.conftest import canary

from .factories import FlagFactory

pytestmark = pytest.mark.django_db


def _context(user, patient, action, current="overview"):
    request = RequestFactory().get("/")
    request.user = user
    fetched = patient_get_for(user=user, action=action, uuid=patient.uuid, section=Section.OVERVIEW)
    return record_context(request=request, patient=fetched, current=current)


def _labels(context):
    return [str(tab.label) for tab in context["record_tabs"]]


def test_the_lead_gets_every_tab_that_exists_and_the_current_one_marked(world):
    context = _context(world["lead"], world.patient, Action.READ_RESTRICTED)

    labels = _labels(context)
    assert labels[0] == "Overview"
    assert "Care team" in labels
    # Tabs of pages not built yet are skipped, never broken links.
    for tab in context["record_tabs"]:
        assert tab.url.startswith(f"/patients/{world.patient.uuid}/")
    assert [str(tab.label) for tab in context["record_tabs"] if tab.current] == ["Overview"]
    assert context["patient_name"] == "Amal"
    assert Action.VIEW_ACCESS_LOG in context["actions"]
    assert context["break_glass"] is False


def test_a_member_gets_no_access_log_tab(world):
    context = _context(world["member"], world.patient, Action.VIEW_CLINICAL)

    assert "Access log" not in _labels(context)
    assert context["may"]["add_note"] is True


def test_metadata_readers_get_overview_and_care_team_only_without_the_name(world):
    context = _context(world["supervisor_of_member"], world.patient, Action.VIEW_METADATA)

    assert _labels(context) == ["Overview", "Care team"]
    assert context["patient_name"] is None
    assert context["safety_flags"] == []


def test_break_glass_access_is_flagged(world):
    context = _context(world["break_glass_active"], world.patient, Action.VIEW_CLINICAL)

    assert context["break_glass"] is True


def test_safety_flags_in_force_are_in_the_context(world):
    FlagFactory(patient=world.patient, kind=SafetyFlagKind.DO_NOT_CONFIRM_PRESENCE)

    context = _context(world["member"], world.patient, Action.VIEW_CLINICAL)

    assert [flag.kind for flag in context["safety_flags"]] == [
        SafetyFlagKind.DO_NOT_CONFIRM_PRESENCE
    ]


@pytest.mark.parametrize(
    ("relationship", "action"),
    [
        ("lead", Action.READ_RESTRICTED),
        ("member_restricted", Action.READ_RESTRICTED),
        ("member", Action.VIEW_CLINICAL),
        ("break_glass_active", Action.VIEW_CLINICAL),
        ("supervisor_of_member", Action.VIEW_METADATA),
        ("manager", Action.VIEW_METADATA),
        ("not_on_team", Action.VIEW_METADATA),
        ("reception", Action.VIEW_METADATA),
        ("admin", Action.VIEW_METADATA),
    ],
)
def test_the_widest_read_is_chosen(world, relationship, action):
    assert read_action_for(world[relationship], world.patient.uuid) == action


def test_the_record_page_shows_banners_tabs_and_landmarks(world, client, sign_in):
    FlagFactory(
        patient=world.patient, kind=SafetyFlagKind.TRAFFICKER_MAY_CONTACT, details=canary("flag")
    )
    sign_in(world["break_glass_active"])

    response = client.get(reverse("patients:overview", kwargs={"patient_uuid": world.patient.uuid}))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<nav class="record-tabs" aria-label="Patient record">' in html
    assert 'aria-current="page">Overview</a>' in html
    assert 'aria-labelledby="safety-banner-heading"' in html
    assert "A trafficker may try to make contact" in html
    assert 'aria-labelledby="break-glass-heading"' in html
    assert "aria-live" not in html.split('<main id="main"', 1)[1].split("</div>", 1)[1]
