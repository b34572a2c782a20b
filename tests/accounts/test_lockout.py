"""django-axes lockout: 5 failures lock a username and address pair for 30 minutes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecore.accounts.services.signin import lockout_clear, lockouts_active
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
HOME = reverse("home:home")
OTHER_IP = {"REMOTE_ADDR": "10.0.0.2"}
HASHED_USERNAMES = "carecore.accounts.services.signin.lockout_username_key"


def sign_in(client: Client, username: str, password: str = DEFAULT_PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def fail(client: Client, username: str, times: int, **extra):
    response = None
    for attempt in range(times):
        response = sign_in(client, username, f"wrong password {attempt}", **extra)
    return response


def events(event_type: EventType):
    return AuditEvent.objects.filter(event_type=event_type)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def without_csrf_token(html: bytes) -> str:
    # The CSRF token in the page head is masked afresh for every response, whoever asks.
    return re.sub(r'name="csrf-token" content="[^"]*"', 'name="csrf-token"', html.decode())


class TestLockout:
    def test_four_failures_do_not_lock(self, client, clinician):
        response = fail(client, "clin_a", 4)

        assert response.status_code == 200
        assert sign_in(client, "clin_a").status_code == 302
        assert signed_in(client)

    def test_the_fifth_failure_locks(self, client, clinician):
        fail(client, "clin_a", 4)

        response = sign_in(client, "clin_a", "wrong again")

        assert response.status_code == 429
        assert "accounts/lockout.html" in [t.name for t in response.templates]

    def test_the_right_password_from_the_locked_address_is_refused(self, client, clinician):
        fail(client, "clin_a", 5)

        response = sign_in(client, "clin_a")

        assert response.status_code == 429
        assert not signed_in(client)

    def test_the_right_password_from_another_address_works(self, client, clinician):
        fail(client, "clin_a", 5)

        response = sign_in(client, "clin_a", **OTHER_IP)

        assert response.status_code == 302
        assert response["Location"] == HOME
        assert signed_in(client)

    def test_other_usernames_from_the_locked_address_still_sign_in(self, client, clinician):
        UserFactory(username="colleague")
        fail(client, "clin_a", 5)

        assert sign_in(client, "colleague").status_code == 302

    def test_the_lock_lifts_after_the_cool_off(self, client, clinician):
        fail(client, "clin_a", 5)
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))

        assert sign_in(client, "clin_a").status_code == 302

    def test_the_lock_holds_before_the_cool_off_ends(self, client, clinician):
        fail(client, "clin_a", 5)
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=29))

        assert sign_in(client, "clin_a").status_code == 429


class TestEmptyUsername:
    @pytest.mark.parametrize("username", ["", "   "])
    def test_an_empty_username_records_no_failure_and_locks_no_one(
        self, client, clinician, username
    ):
        for _ in range(10):
            response = sign_in(client, username, "some password")
            assert response.status_code == 200
            assert response.context["form"].errors["username"]

        assert AccessAttempt.objects.count() == 0
        assert not events(EventType.LOGIN_FAILED).exists()
        assert sign_in(client, "clin_a").status_code == 302

    def test_a_missing_username_field_records_no_failure(self, client, clinician):
        for _ in range(10):
            client.post(LOGIN, {"password": "some password"})

        assert AccessAttempt.objects.count() == 0
        assert sign_in(client, "clin_a").status_code == 302


class TestLockoutPage:
    def test_the_same_page_whether_or_not_the_account_exists(self, clinician):
        existing, missing = Client(), Client()

        locked_existing = fail(existing, "clin_a", 5)
        locked_missing = fail(missing, "no_such_person", 5)

        assert locked_existing.status_code == locked_missing.status_code == 429
        assert without_csrf_token(locked_existing.content) == without_csrf_token(
            locked_missing.content
        )
        again_existing = sign_in(existing, "clin_a")
        again_missing = sign_in(missing, "no_such_person")
        assert without_csrf_token(again_existing.content) == without_csrf_token(
            again_missing.content
        )

    def test_the_page_does_not_echo_the_username(self, client, clinician):
        response = fail(client, "clin_a", 5)

        assert b"clin_a" not in response.content


class TestLockoutAudit:
    def test_lockout_and_failures_are_each_audited_once(self, client, clinician):
        fail(client, "clin_a", 5)

        lockout = events(EventType.LOCKOUT).get()
        assert lockout.actor_id == clinician.pk
        assert lockout.outcome == Outcome.DENIED
        assert lockout.details == {"failure_limit": 5, "cool_off_minutes": 30}
        failures = events(EventType.LOGIN_FAILED).order_by("id")
        assert [e.details["locked_out"] for e in failures] == [False] * 4 + [True]

    def test_attempts_while_locked_are_failures_not_new_lockouts(self, client, clinician):
        fail(client, "clin_a", 5)

        sign_in(client, "clin_a")
        sign_in(client, "clin_a", "wrong")

        assert events(EventType.LOCKOUT).count() == 1
        assert events(EventType.LOGIN_FAILED).count() == 7
        assert not events(EventType.LOGIN).exists()

    def test_a_lockout_of_an_unknown_username_has_no_actor(self, client, clinician):
        fail(client, "no_such_person", 5)

        lockout = events(EventType.LOCKOUT).get()
        assert lockout.actor_id is None
        assert lockout.target_id == ""


class TestLockoutAdministration:
    def test_active_lockouts_name_existing_accounts_only(self, client, clinician):
        fail(client, "clin_a", 5)
        fail(client, "no_such_person", 5)
        fail(client, "clin_a", 2, **OTHER_IP)

        lockouts = lockouts_active()

        assert [(lk.user, lk.username, lk.ip_address, lk.failures) for lk in lockouts] == [
            (clinician, "clin_a", "127.0.0.1", 5)
        ]
        assert lockouts[0].locked_until == lockouts[0].last_failure_at + timedelta(minutes=30)

    def test_expired_lockouts_are_not_listed(self, client, clinician):
        fail(client, "clin_a", 5)
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))

        assert lockouts_active() == []

    def test_clearing_a_lockout_lets_the_person_in_and_is_audited(
        self, client, clinician, admin_user
    ):
        fail(client, "clin_a", 5)

        cleared = lockout_clear(actor=admin_user, username="clin_a")

        assert cleared == 1
        assert lockouts_active() == []
        event = events(EventType.LOCKOUT_CLEARED).get()
        assert event.actor_id == admin_user.pk
        assert event.target_id == str(clinician.pk)
        assert event.details == {"attempts_cleared": 1, "account_exists": True}
        assert sign_in(client, "clin_a").status_code == 302

    def test_clearing_one_username_leaves_the_others(self, client, clinician, admin_user):
        UserFactory(username="colleague")
        fail(client, "clin_a", 5)
        fail(client, "colleague", 5)

        lockout_clear(actor=admin_user, username="clin_a")

        assert [lk.username for lk in lockouts_active()] == ["colleague"]


class TestHashedUsernames:
    """With the recommended setting, the lockout table holds a keyed hash of what was typed."""

    @pytest.fixture(autouse=True)
    def _hashed(self, settings):
        settings.AXES_USERNAME_CALLABLE = HASHED_USERNAMES

    def test_the_typed_username_is_not_stored(self, client, clinician):
        fail(client, "clin_a", 5)

        stored = list(AccessAttempt.objects.values_list("username", flat=True))
        assert len(stored) == 1
        assert re.fullmatch(r"[0-9a-f]{64}", stored[0])

    def test_lockout_still_holds_per_username_and_address(self, client, clinician):
        UserFactory(username="colleague")
        fail(client, "clin_a", 5)

        assert sign_in(client, "clin_a").status_code == 429
        assert sign_in(client, "colleague").status_code == 302
        assert sign_in(Client(), "clin_a", **OTHER_IP).status_code == 302

    def test_listing_and_clearing_work_on_hashes(self, client, clinician, admin_user):
        fail(client, "clin_a", 5)

        assert [lk.user for lk in lockouts_active()] == [clinician]
        assert lockout_clear(actor=admin_user, username="clin_a") == 1
        assert sign_in(client, "clin_a").status_code == 302

    def test_success_resets_the_failure_count(self, client, clinician):
        fail(client, "clin_a", 4)
        sign_in(client, "clin_a")

        assert AccessAttempt.objects.count() == 0
