"""The disclosure register pages: a patient's entries, hand-recorded disclosures, the
patient's report, the organisation's register; who may see them; query counts.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from lifecycle.models import DisclosureEntry, DisclosureKind, LegalBasis
from lifecycle.services.disclosures import DISCLOSURE_RECIPIENT_REQUIRED
from tests.conftest import CANARY_MARKER, canary
from tests.factories import UserFactory
from tests.patients.factories import ConsentFactory, GrantFactory, PatientFactory, clinician

from .factories_legal import DisclosureFactory, privacy_officer
from .factories_referrals import team

pytestmark = pytest.mark.django_db


def _mark() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _events(mark: int, event_type: EventType | None = None):
    events = AuditEvent.objects.filter(id__gt=mark).order_by("id")
    if event_type is not None:
        events = events.filter(event_type=event_type)
    return list(events)


def _url(name: str, patient) -> str:
    return reverse(name, kwargs={"patient_uuid": patient.uuid})


@pytest.fixture
def world():
    patient, lead, member = team(PatientFactory(preferred_name=canary("preferred")))
    return {"patient": patient, "lead": lead, "member": member}


def _form(**overrides):
    data = {
        "kind": "spoken",
        "recipient": canary("recipient"),
        "purpose": canary("purpose"),
        "legal_basis": "vital_interests",
        "sections": ["summary"],
        "scope_note": "allergies only",
        "disclosed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return data


def test_a_spoken_disclosure_is_recorded_by_hand(world, client, sign_in):
    consent = ConsentFactory(patient=world["patient"])
    approver = privacy_officer()
    sign_in(world["member"])
    mark = _mark()

    response = client.post(
        _url("lifecycle:disclosure_new", world["patient"]),
        _form(consent=consent.pk, approved_by=approver.pk),
    )

    assert response.status_code == 302
    entry = DisclosureEntry.objects.get()
    assert entry.kind == DisclosureKind.SPOKEN
    assert entry.recipient == canary("recipient")
    assert entry.legal_basis == LegalBasis.VITAL_INTERESTS
    assert entry.consent == consent
    assert entry.approved_by == approver and entry.approved_at is not None
    assert entry.recorded_by == world["member"]
    recorded = _events(mark, EventType.DISCLOSURE_RECORDED)
    assert len(recorded) == 1
    assert recorded[0].case_code == world["patient"].case_code
    for event in AuditEvent.objects.all():
        assert CANARY_MARKER not in json.dumps(event.details)


def test_a_disclosure_without_recipient_or_with_a_foreign_consent_saves_nothing(
    world, client, sign_in
):
    foreign = ConsentFactory()
    sign_in(world["member"])

    missing = client.post(_url("lifecycle:disclosure_new", world["patient"]), _form(recipient=""))
    other = client.post(
        _url("lifecycle:disclosure_new", world["patient"]), _form(consent=foreign.pk)
    )

    assert missing.status_code == 200
    assert missing.context["form"].errors["recipient"] == [str(DISCLOSURE_RECIPIENT_REQUIRED)]
    assert other.status_code == 200
    assert "consent" in other.context["form"].errors
    assert not DisclosureEntry.objects.exists()


def test_the_patient_register_lists_entries_for_the_team_and_privacy_officers(
    world, client, sign_in
):
    DisclosureFactory(patient=world["patient"], recipient=canary("gp"))
    DisclosureFactory(recipient=canary("someone-else"))
    for viewer in (world["member"], world["lead"], privacy_officer()):
        sign_in(viewer)
        mark = _mark()

        response = client.get(_url("lifecycle:patient_register", world["patient"]))

        assert response.status_code == 200
        content = response.content.decode()
        assert canary("gp") in content and canary("someone-else") not in content
        (viewed,) = _events(mark, EventType.DISCLOSURE_REGISTER_VIEWED)
        assert viewed.details["scope"] == "patient"
        assert viewed.case_code == world["patient"].case_code


@pytest.mark.parametrize(
    "name", ["lifecycle:patient_register", "lifecycle:disclosure_new", "lifecycle:patient_report"]
)
@pytest.mark.parametrize("persona", ["outsider", "reception", "admin_user", "manager"])
def test_patient_register_pages_are_a_404_outside_the_team(
    request, world, client, sign_in, name, persona
):
    DisclosureFactory(patient=world["patient"], recipient=canary("gp"))
    user = clinician() if persona == "outsider" else request.getfixturevalue(persona)
    sign_in(user)
    mark = _mark()

    response = client.get(_url(name, world["patient"]))

    assert response.status_code == 404
    (denial,) = _events(mark)
    assert denial.event_type == EventType.ACCESS_DENIED
    assert canary("gp") not in response.content.decode()


def test_break_glass_reads_but_does_not_write_outside_the_policy(world, client, sign_in):
    grant = GrantFactory(patient=world["patient"])
    sign_in(grant.clinician)

    response = client.get(_url("lifecycle:patient_register", world["patient"]))

    assert response.status_code == 200
    viewed = _events(0, EventType.DISCLOSURE_REGISTER_VIEWED)[-1]
    assert viewed.details["break_glass_grant"] == grant.pk


def test_the_report_shows_role_codes_unless_the_viewer_names_staff(world, client, sign_in):
    approver = UserFactory(
        username="report_approver_sentinel",
        first_name=canary("approver-first"),
        last_name="Lastname",
        roles=["clinician"],
    )
    DisclosureFactory(
        patient=world["patient"], approved_by=approver, recorded_by=approver, purpose="referral"
    )
    sign_in(world["lead"])
    mark = _mark()

    coded = client.get(_url("lifecycle:patient_report", world["patient"]))
    named = client.get(_url("lifecycle:patient_report", world["patient"]) + "?identify_staff=on")

    assert coded.status_code == named.status_code == 200
    coded_text = coded.content.decode()
    assert "Who received my information" in coded_text
    assert "Clinician 1" in coded_text
    assert canary("approver-first") not in coded_text
    assert "report_approver_sentinel" not in coded_text
    assert canary("approver-first") in named.content.decode()
    produced = _events(mark, EventType.DISCLOSURE_REPORT_PRODUCED)
    assert [event.details for event in produced] == [
        {"entries": 1, "identify_staff": False},
        {"entries": 1, "identify_staff": True},
    ]


def test_the_organisation_register_filters_by_kind_and_date(client, sign_in):
    old = DisclosureFactory(
        kind=DisclosureKind.WRITTEN,
        recipient=canary("old"),
        disclosed_at=timezone.now() - dt.timedelta(days=40),
    )
    DisclosureFactory(kind=DisclosureKind.SPOKEN, recipient=canary("spoken"))
    DisclosureFactory(kind=DisclosureKind.WRITTEN, recipient=canary("written"))
    sign_in(privacy_officer())
    url = reverse("lifecycle:register")
    mark = _mark()

    everything = client.get(url).content.decode()
    written = client.get(url, {"kind": "written"}).content.decode()
    recent = client.get(
        url, {"kind": "written", "date_from": (timezone.localdate() - dt.timedelta(days=7))}
    ).content.decode()

    assert all(canary(x) in everything for x in ("old", "spoken", "written"))
    assert canary("spoken") not in written and canary("old") in written
    assert canary("written") in recent and canary("old") not in recent
    assert old.patient.case_code in everything
    viewed = _events(mark, EventType.DISCLOSURE_REGISTER_VIEWED)
    assert [event.details["kind"] for event in viewed] == ["", "written", "written"]


@pytest.mark.parametrize("persona", ["clinician", "manager", "supervisor", "admin_user"])
def test_the_organisation_register_is_for_privacy_officers_only(request, client, sign_in, persona):
    DisclosureFactory(recipient=canary("gp"))
    sign_in(request.getfixturevalue(persona))
    mark = _mark()

    response = client.get(reverse("lifecycle:register"))

    assert response.status_code == 404
    (denial,) = _events(mark)
    assert denial.event_type == EventType.ACCESS_DENIED
    assert denial.details == {"action": "register.view", "reason": "role"}


def _count_queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_register_pages_do_not_grow_in_queries(world, client, sign_in):
    officer = privacy_officer()
    patient = world["patient"]
    consent = ConsentFactory(patient=patient)
    counts = []
    for size in (5, 50):
        for _ in range(size - DisclosureEntry.objects.count()):
            DisclosureFactory(patient=patient, consent=consent, approved_by=privacy_officer())
        sign_in(officer)
        organisation = _count_queries(client, reverse("lifecycle:register"))
        sign_in(world["lead"])
        counts.append(
            (
                organisation,
                _count_queries(client, _url("lifecycle:patient_register", patient)),
                _count_queries(client, _url("lifecycle:patient_report", patient)),
            )
        )

    assert counts[0] == counts[1]
