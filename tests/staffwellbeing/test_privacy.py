"""Who sees a result: the person; their supervisor only while shared; nobody else (404 + audit)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from staffwellbeing.models import CheckIn
from staffwellbeing.permissions import can_read_checkin, checkins_readable_by
from tests.factories import UserFactory
from tests.staffwellbeing.factories import make_checkin, share, supervise

pytestmark = pytest.mark.django_db

# Every key a wellbeing audit event may hold: ids and enum values, never an answer or score.
ALLOWED_DETAIL_KEYS = {
    "checkin_id",
    "checkin_ids",
    "version_id",
    "supervisor_id",
    "instrument_id",
    "number",
    "wording_source",
    "action",
    "reason",
    "period_days",
    "min_group",
}


@pytest.fixture
def setting(clinician, supervisor):
    """A clinician supervised by `supervisor`, with one shared and one unshared result."""
    supervise(supervisor, clinician)
    shared = make_checkin(clinician, value=7)
    unshared = make_checkin(clinician, value=3)
    share(shared, supervisor)
    return {"shared": shared, "unshared": unshared}


def _other_supervisor():
    return UserFactory(username="super_b", roles=[Role.SUPERVISOR, Role.CLINICIAN])


@pytest.mark.parametrize(
    ("viewer", "which", "allowed"),
    [
        ("clinician", "shared", True),
        ("clinician", "unshared", True),
        ("supervisor", "shared", True),
        ("supervisor", "unshared", False),
        ("other_supervisor", "shared", False),
        ("manager", "shared", False),
        ("admin_user", "shared", False),
        ("other_clinician", "shared", False),
        ("reception", "unshared", False),
    ],
)
def test_the_privacy_matrix(viewer, which, allowed, setting, request, sign_in, client):
    user = _other_supervisor() if viewer == "other_supervisor" else request.getfixturevalue(viewer)
    checkin = setting[which]
    sign_in(user)

    response = client.get(reverse("wellbeing:result", args=[checkin.pk]))

    events = AuditEvent.objects.filter(actor_id=user.pk)
    if allowed:
        assert response.status_code == 200
        viewed = events.get(event_type=EventType.CHECKIN_VIEWED)
        assert viewed.details == {"checkin_id": checkin.pk}
        assert not events.filter(event_type=EventType.ACCESS_DENIED).exists()
    else:
        assert response.status_code == 404
        denial = events.get(event_type=EventType.ACCESS_DENIED)
        assert denial.outcome == Outcome.DENIED
        assert denial.details == {"action": "read", "reason": "policy"}
        assert denial.target_id == str(checkin.pk)
        assert not events.filter(event_type=EventType.CHECKIN_VIEWED).exists()
    assert can_read_checkin(user, checkin) is allowed


def test_a_missing_result_gets_the_same_404(clinician, sign_in, client):
    sign_in(clinician)

    response = client.get(reverse("wellbeing:result", args=[999999]))

    assert response.status_code == 404
    denial = AuditEvent.objects.get(event_type=EventType.ACCESS_DENIED)
    assert denial.details == {"action": "read", "reason": "not_found"}
    assert denial.target_id == ""


def test_a_share_stops_when_revoked(setting, supervisor, sign_in, client):
    row = setting["shared"].shares.get()
    row.revoked_at = timezone.now()
    row.save()
    sign_in(supervisor)

    assert client.get(reverse("wellbeing:result", args=[setting["shared"].pk])).status_code == 404


def test_a_share_stops_when_the_supervision_ends(setting, clinician, supervisor, sign_in, client):
    from supervision.models import SupervisionAgreement

    SupervisionAgreement.objects.filter(supervisee=clinician).update(active=False)
    sign_in(supervisor)

    assert client.get(reverse("wellbeing:result", args=[setting["shared"].pk])).status_code == 404
    assert not checkins_readable_by(supervisor).exists()


def test_a_supervisor_sees_no_comparison_or_answers(setting, supervisor, sign_in, client):
    sign_in(supervisor)

    page = client.get(reverse("wellbeing:result", args=[setting["shared"].pk])).content.decode()

    assert "Change from your previous result" not in page
    assert "Your answers" not in page


@pytest.mark.parametrize("viewer", ["admin_user"])
def test_an_admin_only_account_has_no_wellbeing_pages(viewer, request, sign_in, client):
    user = request.getfixturevalue(viewer)
    sign_in(user)

    for name in ("wellbeing:mine", "wellbeing:checkin", "wellbeing:chart"):
        assert client.get(reverse(name)).status_code == 404, name
    assert (
        AuditEvent.objects.filter(event_type=EventType.ACCESS_DENIED, actor_id=user.pk).count() == 3
    )


def test_my_wellbeing_never_lists_another_persons_results(
    setting, other_clinician, sign_in, client
):
    make_checkin(other_clinician)
    sign_in(other_clinician)

    page = client.get(reverse("wellbeing:mine")).content.decode()

    assert reverse("wellbeing:result", args=[setting["shared"].pk]) not in page
    assert reverse("wellbeing:result", args=[setting["unshared"].pk]) not in page


def test_audit_rows_hold_ids_and_enums_only(
    setting, clinician, supervisor, manager, sign_in, client
):
    sign_in(clinician)
    client.post(reverse("wellbeing:checkin"), {f"item_{letter}": "9" for letter in "abcdefghijklm"})
    client.get(reverse("wellbeing:mine"))
    client.get(reverse("wellbeing:chart"))
    client.get(reverse("wellbeing:result", args=[setting["unshared"].pk]))
    sign_in(supervisor)
    client.get(reverse("wellbeing:shared_with_me"))
    client.get(reverse("wellbeing:result", args=[setting["unshared"].pk]))
    sign_in(manager)
    client.get(reverse("wellbeing:overview"))

    events = list(AuditEvent.objects.filter(event_type__gte=4000, event_type__lt=4500)) + list(
        AuditEvent.objects.filter(event_type=EventType.ACCESS_DENIED)
    )
    assert len(events) >= 7
    checkin_ids = set(CheckIn.objects.values_list("pk", flat=True))
    for event in events:
        assert set(event.details) <= ALLOWED_DETAIL_KEYS, event.details
        if "checkin_id" in event.details:
            assert event.details["checkin_id"] in checkin_ids
        assert set(event.details.get("checkin_ids", [])) <= checkin_ids


def test_no_answer_or_score_reaches_the_logs(clinician, sign_in, client, caplog):
    sign_in(clinician)
    caplog.set_level("DEBUG")

    client.post(reverse("wellbeing:checkin"), {f"item_{letter}": "9" for letter in "abcdefghijklm"})
    client.get(reverse("wellbeing:mine"))

    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "chronic_fatigue" not in text
    assert "secondary_trauma" not in text
    assert "'a': 9" not in text and '"a":9' not in text
