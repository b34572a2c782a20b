"""Second factor: TOTP enrolment, verification, recovery codes, the 2FA requirement, resets."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecore.accounts.forms_signin import INVALID_CODE_MESSAGE, THROTTLED_CODE_MESSAGE
from carecore.accounts.models import RulesAcknowledgement, UserSession
from carecore.accounts.selectors import rules_current
from carecore.accounts.services.otp import RECOVERY_CODE_COUNT, otp_devices_reset
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD
from tests.test_url_protection import ALLOWED_ANONYMOUS, walk

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
HOME = reverse("home:home")
SETUP = reverse("accounts:otp_setup")
VERIFY = reverse("accounts:otp_verify")
SECURITY = reverse("accounts:security")
RECOVERY = reverse("accounts:otp_recovery_codes")
# Pages a signed-in person must reach before passing the second factor.
SECOND_FACTOR_EXEMPT = frozenset(
    {"accounts:logout", "accounts:otp_verify", "accounts:otp_setup", "accounts:session_keepalive"}
)


def sign_in(client: Client, username: str, password: str = DEFAULT_PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def acknowledge_rules(user) -> None:
    rules = rules_current()
    if rules is not None:
        RulesAcknowledgement.objects.get_or_create(user=user, rules=rules)


def events(event_type: EventType):
    return AuditEvent.objects.filter(event_type=event_type)


def next_code(device: TOTPDevice) -> str:
    """Return a code the device accepts now: the current step, or the next unused one."""
    device.refresh_from_db()
    now_step = (int(time.time()) - device.t0) // device.step + device.drift
    step = max(now_step, device.last_t + 1)
    return f"{hotp(device.bin_key, step, digits=device.digits):0{device.digits}d}"


def enrol(client: Client, user) -> tuple[TOTPDevice, list[str]]:
    """Enrol `user` (signed in on `client`) through the pages; return device and codes."""
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user)
    response = client.post(SETUP, {"code": next_code(device)})
    assert response.status_code == 200, response.content
    return TOTPDevice.objects.get(pk=device.pk), response.context["codes"]


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def protected_pages() -> list[tuple[str, str]]:
    return [
        (name, path)
        for name, path in sorted(walk())
        if name not in ALLOWED_ANONYMOUS and name not in SECOND_FACTOR_EXEMPT
    ]


class TestEnrolment:
    def test_setup_page_shows_a_qr_code_and_the_key(self, client, clinician):
        sign_in(client, "clin_a")

        response = client.get(SETUP)

        assert response.status_code == 200
        provisioning = response.context["provisioning"]
        assert provisioning.qr_data_uri.startswith("data:image/svg+xml")
        html = response.content.decode()
        assert provisioning.secret in html
        assert 'autocomplete="one-time-code"' in html
        device = TOTPDevice.objects.get(user=clinician)
        assert device.confirmed is False
        assert provisioning.secret.replace(" ", "") in device.config_url

    def test_reloading_the_setup_page_keeps_the_same_key(self, client, clinician):
        sign_in(client, "clin_a")

        first = client.get(SETUP).context["provisioning"].secret
        second = client.get(SETUP).context["provisioning"].secret

        assert first == second
        assert TOTPDevice.objects.filter(user=clinician).count() == 1

    def test_a_wrong_code_does_not_confirm_and_is_audited(self, client, clinician):
        sign_in(client, "clin_a")
        client.get(SETUP)

        response = client.post(SETUP, {"code": "000000"})

        assert response.context["form"].errors["code"] == [INVALID_CODE_MESSAGE]
        assert TOTPDevice.objects.get(user=clinician).confirmed is False
        failed = events(EventType.OTP_FAILED).get()
        assert failed.actor_id == clinician.pk
        assert failed.outcome == Outcome.FAILURE
        assert failed.details == {"step": "enrolment", "reason": "invalid"}

    def test_the_right_code_confirms_and_issues_ten_recovery_codes_once(self, client, clinician):
        acknowledge_rules(clinician)
        sign_in(client, "clin_a")
        key_before = session_key(client)

        device, codes = enrol(client, clinician)

        assert device.confirmed is True
        assert len(codes) == len(set(codes)) == RECOVERY_CODE_COUNT
        stored = set(
            StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True)
        )
        assert stored == set(codes)
        assert events(EventType.OTP_ENROLLED).get().actor_id == clinician.pk
        assert events(EventType.RECOVERY_CODES_ISSUED).get().details == {"count": 10}
        # Verified from now on, on a new session key.
        assert session_key(client) != key_before
        assert client.get(SECURITY).context["otp_verified"] is True

    def test_enrolment_ends_sessions_opened_with_the_password_alone(self, clinician):
        first, second = Client(), Client()
        sign_in(first, "clin_a")
        sign_in(second, "clin_a")
        old_key = session_key(second)

        enrol(first, clinician)

        assert not Session.objects.filter(session_key=old_key).exists()
        assert list(UserSession.objects.values_list("session_key", flat=True)) == [
            session_key(first)
        ]

    def test_an_enrolled_but_unverified_session_cannot_replace_the_device(self, client, clinician):
        enrolling = Client()
        sign_in(enrolling, "clin_a")
        enrol(enrolling, clinician)
        sign_in(client, "clin_a")

        response = client.get(SETUP)

        assert response.status_code == 302
        assert response["Location"].startswith(VERIFY)
        assert TOTPDevice.objects.filter(user=clinician).count() == 1


@pytest.fixture
def enrolled(clinician):
    """The clinician with a confirmed authenticator app; returns (device, recovery codes)."""
    setup = Client()
    sign_in(setup, "clin_a")
    return enrol(setup, clinician)


class TestVerification:
    def test_sign_in_sends_an_enrolled_person_to_verify(self, client, clinician, enrolled):
        response = sign_in(client, "clin_a")

        assert response.status_code == 302
        assert response["Location"] == f"{VERIFY}?next={quote(HOME, safe='')}"

    def test_every_page_waits_for_verification(self, client, clinician, enrolled):
        sign_in(client, "clin_a")

        response = client.get(SECURITY)

        assert response["Location"] == f"{VERIFY}?next={quote(SECURITY)}"

    def test_a_current_code_verifies_and_follows_next(self, client, clinician, enrolled):
        device, _codes = enrolled
        acknowledge_rules(clinician)
        sign_in(client, "clin_a")
        key_before = session_key(client)

        response = client.post(f"{VERIFY}?next={SECURITY}", {"code": next_code(device)})

        assert response.status_code == 302
        assert response["Location"] == SECURITY
        assert client.get(SECURITY).status_code == 200
        assert session_key(client) != key_before
        assert events(EventType.OTP_VERIFIED).get().details == {"method": "totp"}
        tracked = set(UserSession.objects.values_list("session_key", flat=True))
        assert session_key(client) in tracked
        assert key_before not in tracked

    def test_verify_ignores_a_next_to_another_site(self, client, clinician, enrolled):
        device, _codes = enrolled
        sign_in(client, "clin_a")

        response = client.post(VERIFY, {"code": next_code(device), "next": "https://evil.example/"})

        assert response["Location"] == HOME

    def test_a_wrong_code_is_refused_and_audited(self, client, clinician, enrolled):
        sign_in(client, "clin_a")

        response = client.post(VERIFY, {"code": "000000"})

        assert response.status_code == 200
        assert response.context["form"].errors["code"] == [INVALID_CODE_MESSAGE]
        assert client.get(HOME)["Location"].startswith(VERIFY)
        failed = events(EventType.OTP_FAILED).get()
        assert failed.details == {"step": "sign_in", "reason": "invalid"}

    def test_repeated_wrong_codes_are_throttled(self, client, clinician, enrolled):
        device, _codes = enrolled
        sign_in(client, "clin_a")
        client.post(VERIFY, {"code": "000000"})

        response = client.post(VERIFY, {"code": next_code(device)})

        assert response.context["form"].errors["code"] == [THROTTLED_CODE_MESSAGE]
        assert client.get(HOME)["Location"].startswith(VERIFY)
        reasons = [e.details["reason"] for e in events(EventType.OTP_FAILED).order_by("id")]
        assert reasons == ["invalid", "throttled"]

    def test_a_code_is_not_accepted_twice(self, client, clinician, enrolled):
        device, _codes = enrolled
        code = next_code(device)
        first = Client()
        sign_in(first, "clin_a")
        first.post(VERIFY, {"code": code})
        sign_in(client, "clin_a")

        response = client.post(VERIFY, {"code": code})

        assert response.context["form"].errors["code"] == [INVALID_CODE_MESSAGE]

    def test_a_recovery_code_verifies_once_only(self, client, clinician, enrolled):
        _device, codes = enrolled
        code = codes[0]
        sign_in(client, "clin_a")

        used = client.post(VERIFY, {"code": f"{code[:4]}-{code[4:].upper()}"})

        assert used.status_code == 302
        assert events(EventType.OTP_VERIFIED).get().details == {"method": "recovery_code"}
        assert StaticToken.objects.filter(device__user=clinician).count() == RECOVERY_CODE_COUNT - 1
        client.post(reverse("accounts:logout"))
        sign_in(client, "clin_a")
        again = client.post(VERIFY, {"code": code})
        assert again.context["form"].errors["code"] == [INVALID_CODE_MESSAGE]
        assert client.get(HOME)["Location"].startswith(VERIFY)

    def test_signing_in_again_asks_for_the_second_factor_again(self, client, clinician, enrolled):
        device, _codes = enrolled
        sign_in(client, "clin_a")
        client.post(VERIFY, {"code": next_code(device)})

        response = sign_in(client, "clin_a")

        assert response["Location"].startswith(VERIFY)
        assert client.get(HOME)["Location"].startswith(VERIFY)

    def test_verify_page_of_a_person_without_a_device_leads_to_setup(self, client, clinician):
        sign_in(client, "clin_a")

        response = client.get(VERIFY)

        assert response["Location"].startswith(SETUP)


class TestRecoveryCodes:
    def test_a_verified_person_replaces_their_codes(self, client, clinician, enrolled):
        device, old_codes = enrolled
        sign_in(client, "clin_a")
        client.post(VERIFY, {"code": next_code(device)})

        response = client.post(RECOVERY)

        new_codes = response.context["codes"]
        assert len(new_codes) == RECOVERY_CODE_COUNT
        assert not set(new_codes) & set(old_codes)
        stored = set(
            StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True)
        )
        assert stored == set(new_codes)
        assert StaticDevice.objects.filter(user=clinician).count() == 1
        assert events(EventType.RECOVERY_CODES_ISSUED).count() == 2

    def test_a_session_verified_by_recovery_code_stays_verified_after_replacing(
        self, client, clinician, enrolled
    ):
        _device, codes = enrolled
        acknowledge_rules(clinician)
        sign_in(client, "clin_a")
        client.post(VERIFY, {"code": codes[0]})

        client.post(RECOVERY)

        assert client.get(SECURITY).status_code == 200

    def test_the_security_page_shows_the_status(self, client, clinician, enrolled):
        device, _codes = enrolled
        acknowledge_rules(clinician)
        sign_in(client, "clin_a")
        client.post(VERIFY, {"code": next_code(device)})

        response = client.get(SECURITY)

        assert response.context["otp"].enrolled is True
        assert response.context["otp"].recovery_codes_left == RECOVERY_CODE_COUNT
        assert f'action="{RECOVERY}"' in response.content.decode()

    def test_an_unverified_session_cannot_replace_codes(self, client, clinician):
        sign_in(client, "clin_a")

        response = client.post(RECOVERY)

        assert response.status_code == 302
        assert not events(EventType.RECOVERY_CODES_ISSUED).exists()


class TestRequirement:
    @pytest.fixture(autouse=True)
    def _required(self, settings):
        settings.CARECORE_REQUIRE_2FA = True

    def test_sign_in_without_a_device_goes_to_setup(self, client, clinician):
        response = sign_in(client, "clin_a")

        assert response["Location"] == f"{SETUP}?next={quote(HOME, safe='')}"

    def test_every_protected_page_sends_a_password_only_session_to_setup(self, client, clinician):
        sign_in(client, "clin_a")
        pages = protected_pages()
        assert ("home:home", HOME) in pages

        for name, path in pages:
            response = client.get(path)
            assert response.status_code == 302, name
            assert response["Location"] == f"{SETUP}?next={quote(path)}", name

    def test_every_protected_page_sends_an_enrolled_session_to_verify(
        self, client, clinician, enrolled
    ):
        sign_in(client, "clin_a")

        for name, path in protected_pages():
            response = client.get(path)
            assert response.status_code == 302, name
            assert response["Location"] == f"{VERIFY}?next={quote(path)}", name

    def test_a_post_is_redirected_too(self, client, clinician):
        sign_in(client, "clin_a")

        response = client.post(RECOVERY)

        assert response["Location"].startswith(SETUP)
        assert not StaticDevice.objects.exists()

    def test_exempt_pages_stay_reachable(self, client, clinician):
        sign_in(client, "clin_a")

        assert client.get(SETUP).status_code == 200
        assert client.get(reverse("accounts:session_keepalive")).status_code == 200
        assert client.get(reverse("home:health")).status_code == 200
        assert client.post(reverse("accounts:logout")).status_code == 200

    def test_after_enrolment_pages_open(self, client, clinician):
        acknowledge_rules(clinician)
        sign_in(client, "clin_a")

        enrol(client, clinician)

        assert client.get(SECURITY).status_code == 200


class TestAdminRequirement:
    @pytest.fixture(autouse=True)
    def _admins_only(self, settings):
        settings.CARECORE_REQUIRE_2FA = False
        settings.CARECORE_REQUIRE_2FA_FOR_ADMINS = True

    def test_an_admin_without_a_device_is_sent_to_setup(self, client, admin_user):
        sign_in(client, "admin_a")

        assert client.get(HOME)["Location"] == f"{SETUP}?next={quote(HOME)}"

    def test_other_roles_are_not(self, client, clinician):
        acknowledge_rules(clinician)
        sign_in(client, "clin_a")

        assert client.get(SECURITY).status_code == 200


def test_without_a_requirement_or_a_device_pages_open(client, clinician, settings):
    settings.CARECORE_REQUIRE_2FA = False
    acknowledge_rules(clinician)
    sign_in(client, "clin_a")

    assert client.get(SECURITY).status_code == 200


class TestReset:
    def test_reset_removes_devices_ends_sessions_and_is_audited(
        self, client, clinician, enrolled, admin_user
    ):
        device, _codes = enrolled
        sign_in(client, "clin_a")
        client.post(VERIFY, {"code": next_code(device)})

        otp_devices_reset(actor=admin_user, user=clinician)

        assert not TOTPDevice.objects.filter(user=clinician).exists()
        assert not StaticDevice.objects.filter(user=clinician).exists()
        assert not UserSession.objects.filter(user=clinician).exists()
        assert client.get(HOME)["Location"] == f"{LOGIN}?next={quote(HOME)}"
        event = events(EventType.OTP_RESET).get()
        assert event.actor_id == admin_user.pk
        assert event.target_id == str(clinician.pk)
        assert event.details == {"devices_removed": 2, "sessions_ended": 2}

    def test_after_a_reset_sign_in_no_longer_asks_for_the_old_device(
        self, client, clinician, enrolled, admin_user
    ):
        otp_devices_reset(actor=admin_user, user=clinician)
        acknowledge_rules(clinician)

        response = sign_in(client, "clin_a")

        assert response["Location"] == HOME
        assert client.get(SECURITY).context["otp"].enrolled is False
