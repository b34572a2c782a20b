"""Referrals out: consent, the second approval, the package, the register, the trail."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.contrib.sessions.models import Session
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from lifecycle.models import (
    DisclosureEntry,
    DisclosureKind,
    LegalBasis,
    Referral,
    ReferralKind,
    ReferralStatus,
    ReleasePackage,
    Section,
)
from lifecycle.packaging.build import BUNDLE_NAME, HTML_NAME
from lifecycle.services.referrals import (
    REFERRAL_BLOCKED_MESSAGE,
    REFERRAL_CONSENT_GONE_BEFORE_SENDING,
    REFERRAL_NO_CONSENT,
    REFERRAL_NOT_WITHDRAWABLE,
    REFERRAL_PARTNER_INACTIVE,
    REFERRAL_REJECT_NOTE_REQUIRED,
    REFERRAL_RESTRICTED_NOT_PERMITTED,
    REFERRAL_RESTRICTED_NOTE_NEEDS_TIER,
    REFERRAL_RESTRICTED_REASON_REQUIRED,
    REFERRAL_STAFF_REASON_REQUIRED,
    REFERRAL_STATUS_CHANGE_INVALID,
    ConsentMissing,
    ReferralChoice,
    referral_approve,
    referral_prepare,
    referral_reject,
    referral_status_set,
    referral_withdraw,
)
from patients.exceptions import InvalidRequest
from patients.models import CareTeamRole, ConsentStatus, Sensitivity
from patients.services.consent import consent_withdraw
from tests.conftest import CANARY_MARKER, canary
from tests.factories import UserFactory
from tests.patients.factories import (
    GrantFactory,
    MembershipFactory,
    NoteFactory,
    PatientFactory,
    clinician,
)

from .factories_referrals import (
    PartnerFactory,
    ReferralFactory,
    attachment_add,
    open_archive,
    sharing_consent,
    team,
)

pytestmark = pytest.mark.django_db

PASSPHRASE_PATTERN = re.compile(r"<code>([2-9A-Z]{5}(?:-[2-9A-Z]{5}){5})</code>")


@pytest.fixture
def setting():
    """A patient with a lead and a member, canaries in the record, and a partner."""
    patient = PatientFactory(
        preferred_name=canary("name"),
        current_location=canary("location"),
        emergency_contact_name=canary("emergency"),
    )
    patient, lead, member = team(patient)
    partner = PartnerFactory(secure_contact_route=canary("route"))
    chosen = NoteFactory(patient=patient, author=member, body=canary("chosen-note"))
    other = NoteFactory(patient=patient, author=member, body=canary("other-note"))
    restricted = NoteFactory(
        patient=patient,
        author=lead,
        body=canary("restricted-note"),
        sensitivity=Sensitivity.RESTRICTED,
    )
    return {
        "patient": patient,
        "lead": lead,
        "member": member,
        "partner": partner,
        "chosen": chosen,
        "other": other,
        "restricted": restricted,
    }


def _post_data(setting, **overrides):
    data = {
        "partner": setting["partner"].pk,
        "kind": ReferralKind.REFERRAL,
        "purpose": canary("purpose"),
        "sections": [Section.SUMMARY, Section.NOTES],
        "notes": [setting["chosen"].pk],
    }
    data.update(overrides)
    return data


def _new_url(patient):
    return f"{reverse('lifecycle:referral_new')}?patient={patient.uuid}"


def _choice(setting, **overrides):
    values = {
        "partner": setting["partner"],
        "kind": ReferralKind.REFERRAL,
        "purpose": "continuity of care",
        "sections": (Section.SUMMARY, Section.NOTES),
        "note_ids": (setting["chosen"].pk,),
    }
    values.update(overrides)
    return ReferralChoice(**values)


def _prepared(setting, **overrides):
    return referral_prepare(
        actor=setting["member"], patient=setting["patient"], choice=_choice(setting, **overrides)
    )


def _events(event_type):
    return AuditEvent.objects.filter(event_type=event_type)


# --- consent at preparation ---------------------------------------------------------------


def test_without_sharing_consent_the_referral_is_refused_clearly_and_nothing_is_saved(
    client, sign_in, setting
):
    sign_in(setting["member"])

    response = client.post(_new_url(setting["patient"]), _post_data(setting))

    assert response.status_code == 200
    expected = str(REFERRAL_NO_CONSENT % {"partner": setting["partner"].name})
    assert expected in response.content.decode().replace("&#x27;", "'")
    assert "has not consented to sharing with" in expected
    assert Referral.objects.count() == 0
    assert ReleasePackage.objects.count() == 0
    refused = _events(EventType.REFERRAL_PREPARED).get()
    assert refused.outcome == Outcome.DENIED
    assert refused.details["reason"] == "no_consent"


def test_refused_consent_does_not_count(setting):
    sharing_consent(setting["patient"], setting["partner"], status=ConsentStatus.REFUSED)

    with pytest.raises(ConsentMissing):
        _prepared(setting)


def test_consent_for_another_organisation_does_not_count(setting):
    sharing_consent(setting["patient"], PartnerFactory())

    with pytest.raises(ConsentMissing):
        _prepared(setting)


@pytest.mark.parametrize("specific", [True, False], ids=["organisation", "external"])
def test_with_consent_the_referral_is_prepared(client, sign_in, setting, specific):
    consent = sharing_consent(setting["patient"], setting["partner"] if specific else None)
    sign_in(setting["member"])

    response = client.post(_new_url(setting["patient"]), _post_data(setting))

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("lifecycle:referral_detail", args=[referral.uuid])
    assert referral.status == ReferralStatus.AWAITING_APPROVAL
    assert referral.consent == consent
    assert referral.prepared_by == setting["member"]
    assert referral.note_ids == [setting["chosen"].pk]
    assert referral.package is None
    assert ReleasePackage.objects.count() == 0
    event = _events(EventType.REFERRAL_PREPARED).get()
    assert event.outcome == Outcome.SUCCESS
    assert CANARY_MARKER not in response["Location"]


def test_the_form_lists_restricted_notes_only_to_those_who_may_read_them(client, sign_in, setting):
    sign_in(setting["member"])
    member_page = client.get(_new_url(setting["patient"])).content.decode()
    sign_in(setting["lead"])
    lead_page = client.get(_new_url(setting["patient"])).content.decode()

    restricted_box = f'name="notes" value="{setting["restricted"].pk}"'
    assert restricted_box not in member_page
    assert restricted_box in lead_page
    assert member_page.count('name="notes"') == 2
    assert lead_page.count('name="notes"') == 3
    # Dates and types only, never the text.
    assert CANARY_MARKER not in member_page
    assert CANARY_MARKER not in lead_page


@pytest.mark.parametrize(
    ("overrides", "message", "as_lead"),
    [
        (
            {"note_ids": ("restricted",)},
            REFERRAL_RESTRICTED_NOTE_NEEDS_TIER,
            True,
        ),
        (
            {"include_restricted": True, "restricted_reason": " "},
            REFERRAL_RESTRICTED_REASON_REQUIRED,
            True,
        ),
        (
            {"include_restricted": True, "restricted_reason": "the shelter must know"},
            REFERRAL_RESTRICTED_NOT_PERMITTED,
            False,
        ),
        ({"identify_staff": True, "staff_reason": ""}, REFERRAL_STAFF_REASON_REQUIRED, False),
    ],
)
def test_sensitive_additions_need_a_reason_and_the_right(setting, overrides, message, as_lead):
    sharing_consent(setting["patient"], setting["partner"])
    if overrides.get("note_ids") == ("restricted",):
        overrides["note_ids"] = (setting["restricted"].pk,)
    actor = setting["lead"] if as_lead else setting["member"]

    with pytest.raises(InvalidRequest) as error:
        referral_prepare(
            actor=actor, patient=setting["patient"], choice=_choice(setting, **overrides)
        )

    assert str(error.value) == str(message)
    assert Referral.objects.count() == 0


@pytest.mark.parametrize("who", ["outsider", "break_glass", "former_member", "manager"])
def test_only_the_active_care_team_may_prepare(client, sign_in, setting, who):
    sharing_consent(setting["patient"], setting["partner"])
    if who == "break_glass":
        user = clinician()
        GrantFactory(patient=setting["patient"], clinician=user)
    elif who == "former_member":
        membership = MembershipFactory(patient=setting["patient"])
        membership.end_date = membership.start_date
        membership.save()
        user = membership.clinician
    elif who == "manager":
        user = UserFactory(roles=[Role.MANAGER])
    else:
        user = clinician()
    sign_in(user)

    get = client.get(_new_url(setting["patient"]))
    post = client.post(_new_url(setting["patient"]), _post_data(setting))

    assert get.status_code == 404
    assert post.status_code == 404
    assert Referral.objects.count() == 0
    assert _events(EventType.ACCESS_DENIED).filter(actor=user).count() == 2


# --- the second approval ----------------------------------------------------------------------


def _approve(client, sign_in, user, referral):
    sign_in(user)
    return client.post(reverse("lifecycle:referral_approve", args=[referral.uuid]))


def _passphrase(response) -> str:
    match = PASSPHRASE_PATTERN.search(response.content.decode())
    assert match, "the passphrase is on the approval response"
    return match.group(1)


def test_the_lead_approves_builds_the_package_and_registers_the_disclosure(
    client, sign_in, setting
):
    consent = sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)

    response = _approve(client, sign_in, setting["lead"], referral)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    passphrase = _passphrase(response)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.APPROVED
    assert referral.decided_by == setting["lead"]
    assert referral.package is not None
    entry = DisclosureEntry.objects.get()
    assert entry.referral == referral
    assert entry.kind == DisclosureKind.REFERRAL
    assert entry.partner == setting["partner"]
    assert entry.legal_basis == LegalBasis.CONSENT
    assert entry.consent == consent
    assert entry.sections == [Section.SUMMARY, Section.NOTES]
    assert entry.approved_by == setting["lead"]
    assert entry.approved_at is not None
    for event_type in (
        EventType.REFERRAL_APPROVED,
        EventType.PACKAGE_BUILT,
        EventType.DISCLOSURE_RECORDED,
    ):
        assert _events(event_type).count() == 1
    files = open_archive(bytes(referral.package.archive), passphrase)
    assert set(files) == {HTML_NAME, BUNDLE_NAME, "manifest.json"}


def test_a_transfer_of_care_is_registered_as_one(client, sign_in, setting):
    sharing_consent(setting["patient"])
    referral = _prepared(setting, kind=ReferralKind.TRANSFER_OF_CARE)

    _approve(client, sign_in, setting["lead"], referral)

    assert DisclosureEntry.objects.get().kind == DisclosureKind.TRANSFER_OF_CARE


def test_the_package_carries_only_what_was_chosen_and_no_staff_names(client, sign_in, setting):
    sharing_consent(setting["patient"], setting["partner"])
    unchosen_file = attachment_add(setting["patient"], by=setting["member"])
    referral = _prepared(setting)

    response = _approve(client, sign_in, setting["lead"], referral)

    referral.refresh_from_db()
    files = open_archive(bytes(referral.package.archive), _passphrase(response))
    html = files[HTML_NAME].decode()
    bundle = files[BUNDLE_NAME].decode()
    assert canary("chosen-note") in html
    assert canary("other-note") not in html + bundle
    assert canary("restricted-note") not in html + bundle
    assert canary("location") not in html + bundle
    assert canary("emergency") not in html + bundle  # third parties stay out of referrals
    assert canary("name") in html  # the summary was chosen
    assert setting["member"].username not in html + bundle
    assert setting["lead"].username not in html + bundle
    assert "Clinician 1" in html
    assert str(unchosen_file.pk) not in json.dumps(referral.attachment_ids)


def test_with_the_restricted_tier_the_location_and_restricted_notes_go(client, sign_in, setting):
    sharing_consent(setting["patient"], setting["partner"])
    referral = referral_prepare(
        actor=setting["lead"],
        patient=setting["patient"],
        choice=_choice(
            setting,
            note_ids=(setting["restricted"].pk,),
            include_restricted=True,
            restricted_reason="the shelter needs the address",
        ),
    )
    officer = UserFactory(roles=[Role.MANAGER], is_privacy_officer=True)

    response = _approve(client, sign_in, officer, referral)

    referral.refresh_from_db()
    html = open_archive(bytes(referral.package.archive), _passphrase(response))[HTML_NAME].decode()
    assert canary("restricted-note") in html
    assert canary("location") in html


def test_withdrawn_consent_blocks_a_pending_referral_at_approval(client, sign_in, setting):
    consent = sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)
    consent_withdraw(actor=setting["lead"], consent=consent)

    response = _approve(client, sign_in, setting["lead"], referral)

    assert response.status_code == 409
    expected = str(REFERRAL_BLOCKED_MESSAGE % {"partner": setting["partner"].name})
    assert expected in response.content.decode().replace("&#x27;", "'")
    assert not PASSPHRASE_PATTERN.search(response.content.decode())
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.BLOCKED
    assert referral.package is None
    assert ReleasePackage.objects.count() == 0
    assert DisclosureEntry.objects.count() == 0
    assert _events(EventType.REFERRAL_BLOCKED).count() == 1
    assert _events(EventType.PACKAGE_BUILT).count() == 0


def test_consent_withdrawn_after_approval_stops_the_package_before_it_is_sent(
    client, sign_in, setting
):
    consent = sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)
    referral_approve(actor=setting["lead"], referral=referral)
    consent_withdraw(actor=setting["lead"], consent=consent)

    assert _download(client, sign_in, setting["lead"], referral).status_code == 404
    with pytest.raises(InvalidRequest) as refused:
        referral_status_set(actor=setting["lead"], referral=referral, status=ReferralStatus.SENT)

    assert str(refused.value) == str(REFERRAL_CONSENT_GONE_BEFORE_SENDING)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.BLOCKED
    blocked = _events(EventType.REFERRAL_BLOCKED).get()
    assert blocked.details == {
        "reason": "no_consent_before_sending",
        "partner": setting["partner"].pk,
        "status": ReferralStatus.BLOCKED,
    }
    assert _events(EventType.PACKAGE_DOWNLOADED).count() == 0


def test_a_partner_taken_off_the_register_receives_nothing(setting):
    sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)
    type(setting["partner"]).objects.filter(pk=setting["partner"].pk).update(active=False)

    with pytest.raises(InvalidRequest) as refused:
        referral_approve(actor=setting["lead"], referral=referral)

    assert str(refused.value) == str(REFERRAL_PARTNER_INACTIVE)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.AWAITING_APPROVAL
    assert ReleasePackage.objects.count() == 0


def test_a_refusal_naming_the_partner_is_not_overridden_by_general_consent(setting):
    sharing_consent(setting["patient"])
    sharing_consent(setting["patient"], setting["partner"], status=ConsentStatus.REFUSED)

    with pytest.raises(ConsentMissing):
        _prepared(setting)
    assert Referral.objects.count() == 0


def test_withdrawing_the_named_consent_blocks_even_with_general_consent(setting):
    sharing_consent(setting["patient"])
    named = sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)
    assert referral.consent == named
    consent_withdraw(actor=setting["lead"], consent=named)

    approval = referral_approve(actor=setting["lead"], referral=referral)

    assert approval.blocked
    assert approval.passphrase is None
    assert ReleasePackage.objects.count() == 0
    assert DisclosureEntry.objects.count() == 0


def test_expired_consent_blocks_too(setting):
    consent = sharing_consent(setting["patient"])
    referral = _prepared(setting)
    type(consent).objects.filter(pk=consent.pk).update(
        expires_on=consent.recorded_at.date().replace(year=2000)
    )

    approval = referral_approve(actor=setting["lead"], referral=referral)

    assert approval.blocked
    assert approval.passphrase is None


@pytest.mark.parametrize("who", ["preparer", "member", "outsider", "manager"])
def test_nobody_but_a_second_person_with_the_right_may_approve(client, sign_in, setting, who):
    sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)
    user = {
        "preparer": setting["member"],
        "member": MembershipFactory(patient=setting["patient"]).clinician,
        "outsider": clinician(),
        "manager": UserFactory(roles=[Role.MANAGER]),
    }[who]
    sign_in(user)

    page = client.get(reverse("lifecycle:referral_approve", args=[referral.uuid]))
    response = client.post(reverse("lifecycle:referral_approve", args=[referral.uuid]))
    reject = client.post(reverse("lifecycle:referral_reject", args=[referral.uuid]), {"note": "no"})

    assert (page.status_code, response.status_code, reject.status_code) == (404, 404, 404)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.AWAITING_APPROVAL
    assert ReleasePackage.objects.count() == 0
    denied = _events(EventType.ACCESS_DENIED).filter(actor=user)
    assert denied.count() == 3
    assert denied.first().details["action"] == "referral_approve"


def test_a_lead_who_prepared_cannot_approve_their_own(client, sign_in, setting):
    sharing_consent(setting["patient"], setting["partner"])
    referral = referral_prepare(
        actor=setting["lead"], patient=setting["patient"], choice=_choice(setting)
    )

    response = _approve(client, sign_in, setting["lead"], referral)

    assert response.status_code == 404
    officer = UserFactory(roles=[Role.MANAGER], is_privacy_officer=True)
    assert _approve(client, sign_in, officer, referral).status_code == 200


def test_the_database_refuses_an_approval_by_the_preparer(setting):
    referral = ReferralFactory(patient=setting["patient"], prepared_by=setting["member"])

    with pytest.raises(IntegrityError):
        Referral.objects.filter(pk=referral.pk).update(decided_by=setting["member"])


def test_a_rejection_needs_a_note_and_sends_nothing(client, sign_in, setting):
    sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)
    with pytest.raises(InvalidRequest) as error:
        referral_reject(actor=setting["lead"], referral=referral, note="  ")
    assert str(error.value) == str(REFERRAL_REJECT_NOTE_REQUIRED)

    sign_in(setting["lead"])
    response = client.post(
        reverse("lifecycle:referral_reject", args=[referral.uuid]), {"note": canary("why")}
    )

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REJECTED
    assert referral.decision_note == canary("why")
    assert ReleasePackage.objects.count() == 0
    assert _events(EventType.REFERRAL_REJECTED).count() == 1


# --- download ---------------------------------------------------------------------------------


def _download(client, sign_in, user, referral):
    sign_in(user)
    return client.get(reverse("lifecycle:referral_package", args=[referral.uuid]))


def test_no_download_before_approval(client, sign_in, setting):
    sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)

    for user in (setting["member"], setting["lead"]):
        assert _download(client, sign_in, user, referral).status_code == 404
    assert _events(EventType.PACKAGE_DOWNLOADED).count() == 0


@pytest.mark.parametrize("who", ["preparer", "approver", "privacy_officer"])
def test_the_package_downloads_for_the_preparer_approver_and_privacy_officer(
    client, sign_in, setting, who
):
    sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)
    referral_approve(actor=setting["lead"], referral=referral)
    user = {
        "preparer": setting["member"],
        "approver": setting["lead"],
        "privacy_officer": UserFactory(roles=[Role.MANAGER], is_privacy_officer=True),
    }[who]

    response = _download(client, sign_in, user, referral)

    referral.refresh_from_db()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "no-store" in response["Cache-Control"]
    assert response.content == bytes(referral.package.archive)
    assert _events(EventType.PACKAGE_DOWNLOADED).filter(actor=user).count() == 1


def test_other_team_members_and_withdrawn_referrals_do_not_download(client, sign_in, setting):
    sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)
    referral_approve(actor=setting["lead"], referral=referral)
    other_member = MembershipFactory(patient=setting["patient"]).clinician

    assert _download(client, sign_in, other_member, referral).status_code == 404
    referral_withdraw(actor=setting["member"], referral=referral)
    assert _download(client, sign_in, setting["member"], referral).status_code == 404
    assert _events(EventType.PACKAGE_DOWNLOADED).count() == 0


# --- the passphrase ---------------------------------------------------------------------------


def test_the_passphrase_is_nowhere_but_in_the_approval_response(client, sign_in, setting, caplog):
    sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)
    caplog.set_level(logging.DEBUG)

    response = _approve(client, sign_in, setting["lead"], referral)
    passphrase = _passphrase(response)
    detail = client.get(reverse("lifecycle:referral_detail", args=[referral.uuid]))

    assert passphrase not in caplog.text
    assert passphrase not in detail.content.decode()
    assert passphrase not in response.get("Location", "")
    with connection.cursor() as cursor:
        for table in (
            "lifecycle_referral",
            "lifecycle_releasepackage",
            "lifecycle_disclosureentry",
            "audit_auditevent",
            "django_session",
        ):
            cursor.execute(f"SELECT * FROM {table}")
            rows = repr(cursor.fetchall())
            assert passphrase not in rows, table
            assert passphrase.encode().hex() not in rows, table
    sessions = [session.get_decoded() for session in Session.objects.all()]
    assert passphrase not in repr(sessions)


def test_audit_rows_hold_no_canary(client, sign_in, setting):
    sharing_consent(setting["patient"], setting["partner"])
    sign_in(setting["member"])
    client.post(_new_url(setting["patient"]), _post_data(setting))
    referral = Referral.objects.get()
    _approve(client, sign_in, setting["lead"], referral)
    client.get(reverse("lifecycle:referral_detail", args=[referral.uuid]))

    events = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert CANARY_MARKER not in events


# --- status tracking and the trail ------------------------------------------------------------


def test_status_moves_from_sent_to_acknowledged_with_a_trail(client, sign_in, setting):
    sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)
    referral_approve(actor=setting["lead"], referral=referral)
    sign_in(setting["member"])
    url = reverse("lifecycle:referral_status", args=[referral.uuid])

    assert client.post(url, {"status": ReferralStatus.SENT}).status_code == 302
    assert client.post(url, {"status": ReferralStatus.ACKNOWLEDGED}).status_code == 302

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACKNOWLEDGED
    assert _events(EventType.REFERRAL_STATUS_CHANGED).count() == 2
    detail = client.get(reverse("lifecycle:referral_detail", args=[referral.uuid])).content.decode()
    for label in ("Referral prepared", "Referral approved", "Referral status changed"):
        assert label in detail
    assert setting["lead"].username in detail


def test_an_impossible_status_step_is_refused(setting):
    sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)

    with pytest.raises(InvalidRequest) as error:
        referral_status_set(actor=setting["member"], referral=referral, status=ReferralStatus.SENT)

    assert str(error.value) == str(REFERRAL_STATUS_CHANGE_INVALID)


def test_withdrawal_asks_first_and_only_before_sending(client, sign_in, setting):
    sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)
    sign_in(setting["member"])
    url = reverse("lifecycle:referral_withdraw", args=[referral.uuid])

    confirm = client.get(url)
    assert confirm.status_code == 200
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.AWAITING_APPROVAL

    assert client.post(url).status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN
    assert _events(EventType.REFERRAL_WITHDRAWN).count() == 1

    sent = _prepared(setting)
    referral_approve(actor=setting["lead"], referral=sent)
    referral_status_set(actor=setting["member"], referral=sent, status=ReferralStatus.SENT)
    with pytest.raises(InvalidRequest) as error:
        referral_withdraw(actor=setting["member"], referral=sent)
    assert str(error.value) == str(REFERRAL_NOT_WITHDRAWABLE)


def test_the_contact_route_is_shown_to_the_approver_not_the_preparer(client, sign_in, setting):
    sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)
    url = reverse("lifecycle:referral_detail", args=[referral.uuid])

    sign_in(setting["member"])
    preparer_page = client.get(url).content.decode()
    sign_in(setting["lead"])
    approver_page = client.get(reverse("lifecycle:referral_approve", args=[referral.uuid]))

    assert canary("route") not in preparer_page
    assert canary("route") in approver_page.content.decode()
    assert _events(EventType.PARTNER_CONTACT_VIEWED).filter(actor=setting["lead"]).count() == 1


@pytest.mark.parametrize("who", ["outsider", "manager", "reception"])
def test_strangers_get_404_for_a_referral(client, sign_in, setting, who):
    referral = ReferralFactory(patient=setting["patient"], partner=setting["partner"])
    user = {
        "outsider": clinician(),
        "manager": UserFactory(roles=[Role.MANAGER]),
        "reception": UserFactory(roles=[Role.RECEPTION]),
    }[who]
    sign_in(user)

    response = client.get(reverse("lifecycle:referral_detail", args=[referral.uuid]))

    assert response.status_code == 404
    denied = _events(EventType.ACCESS_DENIED).get(actor=user)
    assert denied.target_type == "lifecycle.referral"
    assert denied.details == {"action": "referral_view", "reason": "policy"}


# --- lists ------------------------------------------------------------------------------------


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _many(size, *, preparer, lead=None):
    for _ in range(size):
        patient = PatientFactory()
        MembershipFactory(patient=patient, clinician=preparer)
        if lead is not None:
            MembershipFactory(patient=patient, clinician=lead, role=CareTeamRole.LEAD)
        ReferralFactory(patient=patient, prepared_by=preparer)


@pytest.mark.parametrize("show", ["mine", "awaiting", "all", "patient"])
def test_list_query_counts_do_not_grow(client, sign_in, show):
    counts = []
    for size in (5, 50):
        preparer, lead = clinician(), clinician()
        officer = UserFactory(roles=[Role.MANAGER], is_privacy_officer=True)
        url = f"{reverse('lifecycle:referrals')}?show={show}"
        viewer = {"mine": preparer, "awaiting": lead, "all": officer}.get(show, preparer)
        if show == "patient":
            patient = PatientFactory()
            MembershipFactory(patient=patient, clinician=preparer)
            for _ in range(size):
                ReferralFactory(patient=patient, prepared_by=preparer)
            url = f"{reverse('lifecycle:referrals')}?patient={patient.uuid}"
        else:
            _many(size, preparer=preparer, lead=lead)
        sign_in(viewer)
        counts.append(_count_queries(client, url))
        page = client.get(url).content.decode()
        assert page.count("/lifecycle/referrals/") >= min(size, 25)

    assert counts[0] == counts[1]


def test_the_awaiting_list_holds_only_what_the_user_may_approve(client, sign_in, setting):
    mine = ReferralFactory(patient=setting["patient"], prepared_by=setting["lead"])
    theirs = ReferralFactory(patient=setting["patient"], prepared_by=setting["member"])
    sign_in(setting["lead"])

    page = client.get(f"{reverse('lifecycle:referrals')}?show=awaiting").content.decode()

    assert str(theirs.uuid) in page
    assert str(mine.uuid) not in page


def test_only_privacy_officers_see_all(client, sign_in, setting):
    other = ReferralFactory()
    sign_in(setting["lead"])
    page = client.get(f"{reverse('lifecycle:referrals')}?show=all").content.decode()
    assert str(other.uuid) not in page

    sign_in(UserFactory(roles=[Role.MANAGER], is_privacy_officer=True))
    page = client.get(f"{reverse('lifecycle:referrals')}?show=all").content.decode()
    assert str(other.uuid) in page


def test_the_confirmation_and_form_pages_render(client, sign_in, setting):
    sharing_consent(setting["patient"], setting["partner"])
    referral = _prepared(setting)
    sign_in(setting["lead"])

    for name in ("referral_approve", "referral_reject", "referral_status", "referral_withdraw"):
        response = client.get(reverse(f"lifecycle:{name}", args=[referral.uuid]))
        assert response.status_code == 200, name
        assert CANARY_MARKER not in response.get("Location", "")
    empty_reject = client.post(reverse("lifecycle:referral_reject", args=[referral.uuid]), {})
    assert empty_reject.status_code == 200
    assert "Nothing was saved" in empty_reject.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.AWAITING_APPROVAL
