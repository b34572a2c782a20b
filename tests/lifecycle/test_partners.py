"""The partner register: everyone reads names; managers and privacy officers keep it."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from lifecycle.models import PartnerKind, PartnerOrganisation
from lifecycle.services.partners import (
    PARTNER_NAME_TAKEN,
    PARTNER_ROUTE_REQUIRED,
    PartnerDetails,
    partner_create,
)
from patients.exceptions import ActionRefused, InvalidRequest
from tests.conftest import CANARY_MARKER, canary
from tests.factories import UserFactory

from .factories_referrals import PartnerFactory

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "name": "Safe Harbour Clinic",
        "country": "Belgium",
        "kind": PartnerKind.HEALTH_PROVIDER,
        "secure_contact_route": canary("route"),
        "active": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("persona", ["clinician", "reception", "supervisor", "manager"])
def test_everyone_reads_the_list_but_not_the_contact_route(client, sign_in, request, persona):
    PartnerFactory(name="Harbour House", secure_contact_route=canary("route"))
    sign_in(request.getfixturevalue(persona))

    response = client.get(reverse("lifecycle:partners"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Harbour House" in page
    assert CANARY_MARKER not in page


def test_inactive_partners_are_hidden_from_non_keepers(client, sign_in, clinician, manager):
    PartnerFactory(name="Closed Clinic", active=False)

    sign_in(clinician)
    assert "Closed Clinic" not in client.get(reverse("lifecycle:partners")).content.decode()
    sign_in(manager)
    assert "Closed Clinic" in client.get(reverse("lifecycle:partners")).content.decode()


@pytest.mark.parametrize("persona", ["manager", "privacy_officer"])
def test_keepers_add_a_partner(client, sign_in, request, persona):
    user = request.getfixturevalue(persona)
    sign_in(user)

    response = client.post(reverse("lifecycle:partner_new"), _form())

    assert response.status_code == 302
    partner = PartnerOrganisation.objects.get()
    assert partner.secure_contact_route == canary("route")
    assert partner.created_by == user
    event = AuditEvent.objects.get(event_type=EventType.PARTNER_CREATED)
    assert event.details == {"kind": PartnerKind.HEALTH_PROVIDER}
    assert CANARY_MARKER not in json.dumps(event.details)


@pytest.mark.parametrize("persona", ["clinician", "supervisor", "reception", "admin_user"])
def test_others_cannot_add_or_edit(client, sign_in, request, persona):
    user = request.getfixturevalue(persona)
    partner = PartnerFactory(secure_contact_route=canary("route"))
    sign_in(user)

    new = client.post(reverse("lifecycle:partner_new"), _form())
    edit = client.get(reverse("lifecycle:partner_edit", args=[partner.pk]))
    deactivate = client.post(reverse("lifecycle:partner_deactivate", args=[partner.pk]))

    assert (new.status_code, edit.status_code, deactivate.status_code) == (403, 403, 403)
    assert CANARY_MARKER not in edit.content.decode()
    assert PartnerOrganisation.objects.count() == 1
    partner.refresh_from_db()
    assert partner.active
    denied = AuditEvent.objects.filter(event_type=EventType.ACCESS_DENIED, actor=user)
    assert denied.count() == 3
    assert {event.outcome for event in denied} == {Outcome.DENIED}
    with pytest.raises(ActionRefused):
        partner_create(actor=user, details=PartnerDetails("X", "Y", PartnerKind.OTHER, "Z"))


def test_the_edit_page_shows_the_route_to_a_keeper_and_audits_it(client, sign_in, manager):
    partner = PartnerFactory(secure_contact_route=canary("route"))
    sign_in(manager)

    response = client.get(reverse("lifecycle:partner_edit", args=[partner.pk]))

    assert response.status_code == 200
    assert canary("route") in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.filter(event_type=EventType.PARTNER_CONTACT_VIEWED).count() == 1


def test_editing_records_which_fields_changed(client, sign_in, privacy_officer):
    partner = PartnerFactory(name="Old Name")
    sign_in(privacy_officer)

    response = client.post(
        reverse("lifecycle:partner_edit", args=[partner.pk]),
        _form(name="New Name", country=partner.country, kind=partner.kind),
    )

    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.name == "New Name"
    event = AuditEvent.objects.get(event_type=EventType.PARTNER_CHANGED)
    assert set(event.details["fields"]) == {"name", "secure_contact_route"}


def test_deactivation_asks_first_then_hides_it_from_new_referrals(client, sign_in, manager):
    partner = PartnerFactory()
    sign_in(manager)
    url = reverse("lifecycle:partner_deactivate", args=[partner.pk])

    assert client.get(url).status_code == 200
    partner.refresh_from_db()
    assert partner.active

    assert client.post(url).status_code == 302
    partner.refresh_from_db()
    assert not partner.active
    assert AuditEvent.objects.filter(event_type=EventType.PARTNER_CHANGED).count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "taken clinic"}, PARTNER_NAME_TAKEN),
        ({"secure_contact_route": " "}, PARTNER_ROUTE_REQUIRED),
    ],
)
def test_bad_input_saves_nothing(manager, overrides, message):
    PartnerFactory(name="Taken Clinic")
    values = {
        "name": "Fresh Clinic",
        "country": "France",
        "kind": PartnerKind.SHELTER,
        "secure_contact_route": "portal",
        **overrides,
    }

    with pytest.raises(InvalidRequest) as error:
        partner_create(actor=manager, details=PartnerDetails(**values))

    assert str(error.value) == str(message)
    assert PartnerOrganisation.objects.count() == 1


def test_the_list_query_count_does_not_grow(client, sign_in):
    counts = []
    for size in (5, 50):
        PartnerOrganisation.objects.all().delete()
        PartnerFactory.create_batch(size)
        sign_in(UserFactory(roles=[Role.MANAGER]))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("lifecycle:partners")).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
