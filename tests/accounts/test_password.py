"""Changing one's password: policy, other sessions end, this one stays, audited."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from carecore.accounts.models import RulesAcknowledgement, UserSession
from carecore.accounts.selectors import rules_current
from carecore.accounts.views.security import PASSWORD_CHANGED_MESSAGE
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from tests.conftest import canary
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
CHANGE = reverse("accounts:password_change")
SECURITY = reverse("accounts:security")
NEW_PASSWORD = "a brand new passphrase for the clinic 7"


def sign_in(client: Client, username: str = "clin_a", password: str = DEFAULT_PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def change(client: Client, old: str = DEFAULT_PASSWORD, new: str = NEW_PASSWORD):
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": new})


@pytest.fixture
def signed_in(client, clinician):
    rules = rules_current()
    if rules is not None:
        RulesAcknowledgement.objects.get_or_create(user=clinician, rules=rules)
    sign_in(client)
    return client


def test_the_page_has_labelled_fields_with_autocomplete_hints(signed_in):
    response = signed_in.get(CHANGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('autocomplete="new-password"') == 2
    assert 'autocomplete="current-password"' in html
    assert '<label for="id_old_password">' in html


def test_a_wrong_current_password_changes_nothing(signed_in, clinician):
    response = change(signed_in, old="not my password")

    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    clinician.refresh_from_db()
    assert clinician.check_password(DEFAULT_PASSWORD)
    assert not AuditEvent.objects.filter(event_type=EventType.PASSWORD_CHANGED).exists()


@pytest.mark.parametrize("weak", ["short pass", "password1234", "clin_a@example.org"])
def test_the_password_policy_applies(signed_in, clinician, weak):
    response = change(signed_in, new=weak)

    assert response.context["form"].errors["new_password2"]
    clinician.refresh_from_db()
    assert clinician.check_password(DEFAULT_PASSWORD)


def test_changing_ends_the_other_sessions_and_keeps_this_one(clinician):
    rules = rules_current()
    if rules is not None:
        RulesAcknowledgement.objects.get_or_create(user=clinician, rules=rules)
    current, other = Client(), Client()
    sign_in(current)
    sign_in(other)
    other_key = session_key(other)
    key_before = session_key(current)

    response = change(current)

    assert response.status_code == 302
    assert response["Location"] == SECURITY
    followed = current.get(SECURITY)
    assert followed.status_code == 200
    assert PASSWORD_CHANGED_MESSAGE in [str(m) for m in followed.context["messages"]]
    assert session_key(current) != key_before
    assert not Session.objects.filter(session_key=other_key).exists()
    assert other.get(SECURITY).status_code == 302
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [session_key(current)]


def test_the_change_is_audited_once(signed_in, clinician):
    sign_in(Client())

    change(signed_in)

    event = AuditEvent.objects.get(event_type=EventType.PASSWORD_CHANGED)
    assert event.actor_id == clinician.pk
    assert event.target_id == str(clinician.pk)
    assert event.details == {"sessions_ended": 1}


def test_the_new_password_signs_in_and_the_old_one_does_not(signed_in):
    change(signed_in)

    assert sign_in(Client(), password=DEFAULT_PASSWORD).status_code == 200
    assert sign_in(Client(), password=NEW_PASSWORD).status_code == 302


def test_passwords_never_reach_the_logs_or_the_audit_trail(signed_in):
    """The canary guard (tests/conftest.py) fails this test if any marked value is logged."""
    new = canary("new-password") + " long enough"

    change(signed_in, old=canary("wrong-current"), new=new)
    change(signed_in, new=new)

    assert "CANARY" not in json.dumps(list(AuditEvent.objects.values("details")))
