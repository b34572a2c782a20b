"""Sign-in and sign-out: session key, tracking, redirects, audit events, nothing typed kept."""

from __future__ import annotations

import json

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from carecore.accounts.forms_signin import INVALID_LOGIN_MESSAGE
from carecore.accounts.models import RulesAcknowledgement, UserSession
from carecore.accounts.selectors import rules_current
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from tests.conftest import canary
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
HOME = reverse("home:home")


def sign_in(client: Client, username: str, password: str = DEFAULT_PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def acknowledge_rules(user) -> None:
    rules = rules_current()
    if rules is not None:
        RulesAcknowledgement.objects.get_or_create(user=user, rules=rules)


def events(event_type: EventType):
    return AuditEvent.objects.filter(event_type=event_type)


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class TestSignInPage:
    def test_renders_the_project_form_with_autocomplete_hints(self, client):
        response = client.get(LOGIN)

        assert response.status_code == 200
        assert response.templates[0].name == "accounts/login.html"
        html = response.content.decode()
        assert 'autocomplete="username"' in html
        assert 'autocomplete="current-password"' in html
        assert '<label for="id_username">' in html
        assert '<label for="id_password">' in html

    def test_anonymous_visitor_is_sent_to_sign_in(self, client):
        response = client.get(HOME)

        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next={HOME}"


class TestSignIn:
    def test_right_password_signs_in_and_lands_on_home(self, client, clinician):
        response = sign_in(client, "clin_a")

        assert response.status_code == 302
        assert response["Location"] == HOME
        assert client.session["_auth_user_id"] == str(clinician.pk)

    def test_session_key_changes_at_sign_in(self, client, clinician):
        before = client.session
        before["visited"] = True
        before.save()
        old_key = before.session_key

        sign_in(client, "clin_a")

        new_key = session_key(client)
        assert new_key != old_key
        assert not Session.objects.filter(session_key=old_key).exists()
        assert Session.objects.filter(session_key=new_key).exists()

    def test_signing_in_again_on_a_signed_in_session_still_changes_the_key(self, client, clinician):
        sign_in(client, "clin_a")
        first_key = session_key(client)

        sign_in(client, "clin_a")

        assert session_key(client) != first_key
        assert list(UserSession.objects.values_list("session_key", flat=True)) == [
            session_key(client)
        ]

    def test_the_new_session_is_tracked(self, client, clinician):
        sign_in(client, "clin_a")

        rows = UserSession.objects.filter(user=clinician)
        assert list(rows.values_list("session_key", flat=True)) == [session_key(client)]

    def test_login_is_audited_once(self, client, clinician):
        sign_in(client, "clin_a")

        event = events(EventType.LOGIN).get()
        assert event.actor_id == clinician.pk
        assert event.outcome == Outcome.SUCCESS
        assert event.target_id == str(clinician.pk)
        assert event.ip_address == "127.0.0.1"

    def test_safe_next_is_followed(self, client, clinician):
        target = reverse("accounts:security")

        response = client.post(
            f"{LOGIN}?next={target}", {"username": "clin_a", "password": DEFAULT_PASSWORD}
        )

        assert response["Location"] == target

    @pytest.mark.parametrize(
        "next_url",
        ["https://evil.example/", "//evil.example/", "http://testserver.evil.example/"],
    )
    def test_next_to_another_site_is_ignored(self, client, clinician, next_url):
        response = client.post(
            LOGIN, {"username": "clin_a", "password": DEFAULT_PASSWORD, "next": next_url}
        )

        assert response.status_code == 302
        assert response["Location"] == HOME


class TestFailedSignIn:
    def test_wrong_password_shows_one_message_and_audits_the_account(self, client, clinician):
        response = sign_in(client, "clin_a", "not the password at all")

        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [INVALID_LOGIN_MESSAGE]
        assert "_auth_user_id" not in client.session
        event = events(EventType.LOGIN_FAILED).get()
        assert event.actor_id == clinician.pk
        assert event.target_id == str(clinician.pk)
        assert event.outcome == Outcome.FAILURE
        assert event.details == {"locked_out": False}

    def test_unknown_username_gets_the_same_message_and_no_actor(self, client, clinician):
        known = sign_in(client, "clin_a", "not the password at all")
        unknown = sign_in(client, "nobody_here", "not the password at all")

        assert unknown.context["form"].non_field_errors() == [INVALID_LOGIN_MESSAGE]
        assert known.context["form"].non_field_errors() == [INVALID_LOGIN_MESSAGE]
        failed = events(EventType.LOGIN_FAILED).order_by("id")
        assert [e.actor_id for e in failed] == [clinician.pk, None]
        assert failed[1].target_id == ""

    def test_inactive_account_gets_the_same_message(self, client, clinician):
        clinician.is_active = False
        clinician.save(update_fields=["is_active"])

        response = sign_in(client, "clin_a")

        assert response.context["form"].non_field_errors() == [INVALID_LOGIN_MESSAGE]
        assert "_auth_user_id" not in client.session

    def test_neither_username_nor_password_is_stored_anywhere(self, client, clinician):
        typed_username = canary("typed-username")
        typed_password = canary("typed-password")
        wrong_password = canary("wrong-password")

        sign_in(client, typed_username, typed_password)
        sign_in(client, "clin_a", wrong_password)

        stored = json.dumps(list(AuditEvent.objects.values("details", "target_id")))
        assert "CANARY" not in stored
        for attempt in AccessAttempt.objects.all():
            # axes keys lockouts on the username; the form data it keeps is masked.
            assert "CANARY" not in attempt.post_data
            assert "CANARY" not in attempt.get_data


class TestSignOut:
    def test_sign_out_ends_the_session_and_shows_the_signed_out_page(self, client, clinician):
        sign_in(client, "clin_a")
        key = session_key(client)

        response = client.post(LOGOUT)

        assert response.status_code == 200
        assert "accounts/logged_out.html" in [t.name for t in response.templates]
        assert not Session.objects.filter(session_key=key).exists()
        assert not UserSession.objects.filter(user=clinician).exists()
        assert client.get(HOME)["Location"] == f"{LOGIN}?next={HOME}"

    def test_sign_out_is_audited_once(self, client, clinician):
        sign_in(client, "clin_a")

        client.post(LOGOUT)

        event = events(EventType.LOGOUT).get()
        assert event.actor_id == clinician.pk

    def test_sign_out_refuses_get(self, client, clinician):
        sign_in(client, "clin_a")

        response = client.get(LOGOUT)

        assert response.status_code == 405
        assert "_auth_user_id" in client.session
        assert not events(EventType.LOGOUT).exists()


def test_each_event_of_a_sign_in_journey_is_written_exactly_once(client, clinician):
    acknowledge_rules(clinician)

    sign_in(client, "clin_a", "not the password at all")
    sign_in(client, "clin_a")
    client.get(HOME)
    client.post(LOGOUT)

    counts = {
        t: events(t).count()
        for t in (EventType.LOGIN_FAILED, EventType.LOGIN, EventType.LOGOUT, EventType.LOCKOUT)
    }
    assert counts == {
        EventType.LOGIN_FAILED: 1,
        EventType.LOGIN: 1,
        EventType.LOGOUT: 1,
        EventType.LOCKOUT: 0,
    }


def test_typed_passwords_never_reach_the_logs(client, clinician):
    """The canary guard (tests/conftest.py) fails this test if any marked value is logged."""
    for attempt in range(6):
        sign_in(client, "clin_a", canary(f"password-{attempt}"))
    sign_in(client, canary("username"), canary("password"))
    other_ip = {"REMOTE_ADDR": "10.0.0.9"}
    clinician.set_password(canary("right-password"))
    clinician.save()

    response = sign_in(client, "clin_a", canary("right-password"), **other_ip)

    assert response.status_code == 302
