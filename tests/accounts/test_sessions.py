"""Session policy: idle and absolute timeouts, activity resolution, tracking, ending sessions."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecore.accounts.models import RulesAcknowledgement, UserSession
from carecore.accounts.selectors import rules_current
from carecore.accounts.services.sessions import (
    LAST_ACTIVITY,
    SESSION_ABSOLUTE_EXPIRED_MESSAGE,
    SESSION_EXPIRED_MESSAGE,
    SIGNED_IN_AT,
    user_sessions_active_count,
    user_sessions_end,
)
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
HOME = reverse("home:home")
SECURITY = reverse("accounts:security")
KEEPALIVE = reverse("accounts:session_keepalive")
IDLE = settings.CARECORE_SESSION_IDLE_TIMEOUT
ABSOLUTE = settings.CARECORE_SESSION_ABSOLUTE_TIMEOUT


def sign_in(client: Client, username: str = "clin_a", password: str = DEFAULT_PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def acknowledge_rules(user) -> None:
    rules = rules_current()
    if rules is not None:
        RulesAcknowledgement.objects.get_or_create(user=user, rules=rules)


def events(event_type: EventType):
    return AuditEvent.objects.filter(event_type=event_type)


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def shift_session(client: Client, **ago: timedelta) -> None:
    """Move the session's stored timestamps into the past by the given amounts."""
    session = client.session
    now = int(timezone.now().timestamp())
    for key, delta in ago.items():
        session[key] = now - int(delta.total_seconds())
    session.save()


def later(delta: timedelta):
    """Patch the clock the session policy reads to `delta` from now."""
    moved = timezone.now() + delta
    return mock.patch("django.utils.timezone.now", return_value=moved)


@pytest.fixture
def signed_in(client, clinician):
    acknowledge_rules(clinician)
    sign_in(client)
    return client


class TestIdleTimeout:
    def test_a_session_idle_past_the_limit_is_ended(self, signed_in, clinician):
        key = session_key(signed_in)
        shift_session(signed_in, **{LAST_ACTIVITY: IDLE + timedelta(seconds=1)})

        response = signed_in.get(SECURITY)

        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next={quote(SECURITY)}"
        assert not Session.objects.filter(session_key=key).exists()
        assert not UserSession.objects.filter(user=clinician).exists()
        event = events(EventType.SESSION_EXPIRED).get()
        assert event.actor_id == clinician.pk
        assert event.details == {"reason": "idle"}

    def test_the_clock_moving_past_the_limit_ends_the_session(self, signed_in):
        with later(IDLE + timedelta(seconds=5)):
            response = signed_in.get(SECURITY)

        assert response["Location"] == f"{LOGIN}?next={quote(SECURITY)}"
        assert "_auth_user_id" not in signed_in.session

    def test_just_inside_the_limit_the_session_lives(self, signed_in):
        with later(IDLE - timedelta(seconds=5)):
            response = signed_in.get(SECURITY)

        assert response.status_code == 200

    def test_activity_moves_the_idle_clock(self, signed_in):
        with later(IDLE - timedelta(minutes=1)):
            assert signed_in.get(SECURITY).status_code == 200
        with later(IDLE + IDLE - timedelta(minutes=2)):
            assert signed_in.get(SECURITY).status_code == 200

    def test_the_sign_in_page_says_why(self, signed_in):
        shift_session(signed_in, **{LAST_ACTIVITY: IDLE + timedelta(seconds=1)})
        signed_in.get(HOME)

        response = signed_in.get(LOGIN)

        assert response.context["notice"] == SESSION_EXPIRED_MESSAGE
        assert signed_in.get(LOGIN).context.get("notice") is None

    def test_expiry_is_audited_once(self, signed_in):
        shift_session(signed_in, **{LAST_ACTIVITY: IDLE + timedelta(seconds=1)})

        signed_in.get(HOME)
        signed_in.get(HOME)

        assert events(EventType.SESSION_EXPIRED).count() == 1

    def test_signing_in_again_from_a_stale_tab_works(self, signed_in, clinician):
        shift_session(signed_in, **{LAST_ACTIVITY: IDLE + timedelta(seconds=1)})

        response = sign_in(signed_in)

        assert response.status_code == 302
        assert response["Location"] == HOME
        assert signed_in.session["_auth_user_id"] == str(clinician.pk)
        assert events(EventType.SESSION_EXPIRED).count() == 1
        assert events(EventType.LOGIN).count() == 2

    def test_the_page_script_gets_json_not_a_redirect(self, signed_in):
        shift_session(signed_in, **{LAST_ACTIVITY: IDLE + timedelta(seconds=1)})

        response = signed_in.get(KEEPALIVE, HTTP_ACCEPT="application/json")

        assert response.status_code == 401
        assert response.json() == {"expired": True, "remaining_seconds": 0}


class TestAbsoluteTimeout:
    def test_a_session_older_than_the_limit_ends_despite_activity(self, signed_in, clinician):
        shift_session(
            signed_in,
            **{SIGNED_IN_AT: ABSOLUTE + timedelta(seconds=1), LAST_ACTIVITY: timedelta(0)},
        )

        response = signed_in.get(SECURITY)

        assert response["Location"] == f"{LOGIN}?next={quote(SECURITY)}"
        assert events(EventType.SESSION_EXPIRED).get().details == {"reason": "absolute"}
        assert signed_in.get(LOGIN).context["notice"] == SESSION_ABSOLUTE_EXPIRED_MESSAGE

    def test_a_busy_day_still_ends_at_the_limit(self, signed_in):
        step = IDLE - timedelta(minutes=1)
        elapsed = timedelta(0)
        while elapsed + step < ABSOLUTE:
            elapsed += step
            with later(elapsed):
                assert signed_in.get(SECURITY).status_code == 200, elapsed

        with later(ABSOLUTE + timedelta(seconds=1)):
            assert signed_in.get(SECURITY).status_code == 302


class TestActivityResolution:
    def test_requests_within_the_resolution_do_not_save_the_session(self, signed_in):
        key = session_key(signed_in)
        saved = Session.objects.get(session_key=key).expire_date
        stamp = signed_in.session[LAST_ACTIVITY]

        with later(timedelta(seconds=30)):
            signed_in.get(SECURITY)
            signed_in.get(SECURITY)

        assert signed_in.session[LAST_ACTIVITY] == stamp
        assert Session.objects.get(session_key=key).expire_date == saved

    def test_a_request_after_the_resolution_records_activity(self, signed_in):
        stamp = signed_in.session[LAST_ACTIVITY]

        with later(timedelta(seconds=61)):
            signed_in.get(SECURITY)

        assert signed_in.session[LAST_ACTIVITY] >= stamp + 61


class TestKeepAlive:
    def test_asking_for_the_time_left_is_not_activity(self, signed_in):
        stamp = signed_in.session[LAST_ACTIVITY]

        with later(timedelta(minutes=5)):
            response = signed_in.get(KEEPALIVE)

        assert response.status_code == 200
        assert 595 <= response.json()["remaining_seconds"] <= 600
        assert signed_in.session[LAST_ACTIVITY] == stamp

    def test_staying_signed_in_resets_the_idle_clock(self, signed_in):
        with later(IDLE - timedelta(minutes=1)):
            response = signed_in.post(KEEPALIVE)
            assert response.json()["remaining_seconds"] == int(IDLE.total_seconds())
        with later(IDLE + timedelta(minutes=5)):
            assert signed_in.get(SECURITY).status_code == 200

    def test_keepalive_needs_the_csrf_token(self, clinician):
        client = Client(enforce_csrf_checks=True)
        acknowledge_rules(clinician)
        client.force_login(clinician)

        assert client.post(KEEPALIVE).status_code == 403


class TestTracking:
    def test_a_session_signed_in_elsewhere_gets_tracked_and_timed(self, client, clinician):
        acknowledge_rules(clinician)
        client.force_login(clinician)

        client.get(SECURITY)

        assert list(UserSession.objects.values_list("session_key", flat=True)) == [
            session_key(client)
        ]
        assert SIGNED_IN_AT in client.session

    def test_active_sessions_are_counted(self, clinician):
        first, second, third = Client(), Client(), Client()
        for c in (first, second, third):
            sign_in(c)
        shift_session(third, **{LAST_ACTIVITY: IDLE + timedelta(seconds=1)})

        assert user_sessions_active_count(user=clinician) == 2


class TestEndingSessions:
    def test_every_session_of_the_user_ends(self, clinician, other_clinician):
        first, second, colleague = Client(), Client(), Client()
        sign_in(first)
        sign_in(second)
        sign_in(colleague, "clin_b")

        ended = user_sessions_end(user=clinician)

        assert ended == 2
        assert first.get(HOME)["Location"] == f"{LOGIN}?next={quote(HOME)}"
        assert second.get(HOME)["Location"] == f"{LOGIN}?next={quote(HOME)}"
        assert not UserSession.objects.filter(user=clinician).exists()
        assert Session.objects.filter(session_key=session_key(colleague)).exists()

    def test_the_kept_session_survives(self, clinician):
        acknowledge_rules(clinician)
        kept, other = Client(), Client()
        sign_in(kept)
        sign_in(other)

        ended = user_sessions_end(user=clinician, keep_session_key=session_key(kept))

        assert ended == 1
        assert kept.get(SECURITY).status_code == 200
        assert other.get(SECURITY).status_code == 302
        assert list(UserSession.objects.values_list("session_key", flat=True)) == [
            session_key(kept)
        ]

    def test_deactivated_users_are_signed_out_everywhere(self, clinician):
        client = Client()
        sign_in(client)
        clinician.is_active = False
        clinician.save(update_fields=["is_active"])
        user_sessions_end(user=clinician)

        assert client.get(HOME)["Location"] == f"{LOGIN}?next={quote(HOME)}"


def test_the_security_page_counts_the_active_sessions(signed_in):
    sign_in(Client())

    response = signed_in.get(SECURITY)

    assert response.context["active_sessions"] == 2
    assert "You are signed in on 2 sessions" in response.content.decode()
