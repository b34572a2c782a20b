"""Access-management pages: refusals, accounts, designations, sessions, lockouts, list queries."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecore.accounts.forms_access import CHOOSE_A_ROLE
from carecore.accounts.models import RulesAcknowledgement, User, UserSession
from carecore.accounts.permissions import (
    NOT_ALLOWED_TO_MANAGE_ACCESS,
    SELF_PRIVACY_OFFICER_CHANGE_REFUSED,
    SELF_SECOND_FACTOR_RESET_REFUSED,
    SELF_STATUS_CHANGE_REFUSED,
    USERNAME_TAKEN,
    AccessChangeRefused,
)
from carecore.accounts.roles import Role
from carecore.accounts.selectors import rules_current, users_list
from carecore.accounts.services.users import (
    privacy_officer_set,
    user_create,
    user_deactivate,
    user_reactivate,
    user_second_factor_reset,
)
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NON_ADMINS = ["clinician", "manager", "reception", "supervisor", "privacy_officer"]


def sign_in(client, user) -> None:
    """Sign `user` in on `client`, past the confidentiality rules."""
    RulesAcknowledgement.objects.get_or_create(user=user, rules=rules_current())
    client.force_login(user)


def events(event_type):
    return AuditEvent.objects.filter(event_type=event_type)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def access_urls(pk: int) -> list[str]:
    return [
        reverse("accounts:user_list"),
        reverse("accounts:user_create"),
        reverse("accounts:user_detail", args=[pk]),
        reverse("accounts:user_privacy_officer", args=[pk]),
        reverse("accounts:user_deactivate", args=[pk]),
        reverse("accounts:user_reactivate", args=[pk]),
        reverse("accounts:user_second_factor_reset", args=[pk]),
        reverse("accounts:user_password_link", args=[pk]),
        reverse("accounts:lockout_list"),
        reverse("accounts:rules_publish"),
        reverse("accounts:user_team", args=[pk]),
        reverse("accounts:team_list"),
    ]


class TestRefusals:
    @pytest.mark.parametrize("persona", NON_ADMINS)
    @pytest.mark.parametrize("method", ["get", "post"])
    def test_non_admin_gets_403_and_an_audit_event_on_every_page(
        self, request, client, persona, method, other_clinician
    ):
        actor = request.getfixturevalue(persona)
        sign_in(client, actor)
        urls = access_urls(other_clinician.pk)

        for url in urls:
            response = getattr(client, method)(url, {"roles": [Role.ADMIN]})
            assert response.status_code == 403, url

        denials = events(EventType.ACCESS_DENIED).order_by("id")
        assert denials.count() == len(urls)
        assert {d.actor_id for d in denials} == {actor.pk}
        assert {d.outcome for d in denials} == {Outcome.DENIED}
        assert all(d.details["reason"] == "role" for d in denials)
        assert [d.details["view"] for d in denials] == [
            "accounts:user_list",
            "accounts:user_create",
            "accounts:user_detail",
            "accounts:user_privacy_officer",
            "accounts:user_deactivate",
            "accounts:user_reactivate",
            "accounts:user_second_factor_reset",
            "accounts:user_password_link",
            "accounts:lockout_list",
            "accounts:rules_publish",
            "accounts:user_team",
            "accounts:team_list",
        ]
        other_clinician.refresh_from_db()
        assert other_clinician.team_id is None
        assert other_clinician.is_active
        assert set(other_clinician.groups.values_list("name", flat=True)) == {Role.CLINICIAN}

    def test_anonymous_visitor_is_sent_to_sign_in(self, client, clinician):
        response = client.get(reverse("accounts:user_list"))

        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))

    def test_admin_reaches_every_page(self, client, admin_user, clinician):
        sign_in(client, admin_user)
        TOTPDevice.objects.create(user=clinician, name="phone", confirmed=True)
        clinician.set_unusable_password()
        clinician.save()

        for url in access_urls(clinician.pk):
            if "privacy-officer" in url or url.endswith("/team/"):
                continue  # POST only
            assert client.get(url).status_code == 200, url
        assert not events(EventType.ACCESS_DENIED).exists()


class TestCreate:
    def test_admin_creates_a_user_who_sets_their_own_password(self, client, admin_user):
        sign_in(client, admin_user)

        response = client.post(
            reverse("accounts:user_create"),
            {
                "username": "new.nurse",
                "first_name": "Ana",
                "last_name": "Lima",
                "email": "ana@example.org",
                "roles": [Role.CLINICIAN, Role.RECEPTION],
            },
        )

        user = User.objects.get(username="new.nurse")
        assert response.status_code == 302
        assert response.url == reverse("accounts:user_password_link", args=[user.pk])
        assert set(user.groups.values_list("name", flat=True)) == {"clinician", "reception"}
        assert not user.has_usable_password()
        created = events(EventType.USER_CREATED).get()
        assert created.actor_id == admin_user.pk
        assert created.target_id == str(user.pk)
        assert created.details == {"roles": ["clinician", "reception"]}

        link_page = client.get(response.url)
        link = link_page.context["link"]
        assert link.startswith("http://testserver/accounts/welcome/")

        newcomer = Client()
        landing = newcomer.get(link)
        assert landing.status_code == 302  # the token moves into the session, out of the URL
        form_page = newcomer.get(landing.url)
        assert form_page.context["validlink"] is True
        done = newcomer.post(
            landing.url,
            {
                "new_password1": "lantern orchard river 58",
                "new_password2": "lantern orchard river 58",
            },
        )
        assert done.status_code == 302
        assert done.url == reverse("accounts:login")
        user.refresh_from_db()
        assert user.check_password("lantern orchard river 58")
        changed = events(EventType.PASSWORD_CHANGED).get()
        assert (changed.actor_id, changed.details) == (user.pk, {"initial": True})
        # The link works once.
        assert Client().get(link).context["validlink"] is False

    def test_set_password_link_rejects_a_weak_password(self, client, admin_user):
        user = user_create(
            actor=admin_user,
            username="weak",
            first_name="W",
            last_name="",
            email="",
            roles={Role.RECEPTION},
        )
        sign_in(client, admin_user)
        link = client.get(reverse("accounts:user_password_link", args=[user.pk])).context["link"]
        newcomer = Client()
        form_url = newcomer.get(link).url

        response = newcomer.post(form_url, {"new_password1": "short", "new_password2": "short"})

        assert response.status_code == 200
        assert response.context["form"].errors["new_password2"]
        user.refresh_from_db()
        assert not user.has_usable_password()

    def test_no_link_for_an_account_that_has_a_password(self, client, admin_user, clinician):
        sign_in(client, admin_user)

        response = client.get(reverse("accounts:user_password_link", args=[clinician.pk]))

        assert response.status_code == 302
        assert response.url == reverse("accounts:user_detail", args=[clinician.pk])

    def test_form_explains_missing_roles_and_taken_username(self, client, admin_user, clinician):
        sign_in(client, admin_user)

        response = client.post(
            reverse("accounts:user_create"),
            {"username": "CLIN_A", "first_name": "X", "last_name": "", "email": ""},
        )

        assert response.status_code == 200
        errors = response.context["form"].errors
        assert errors["username"] == [str(USERNAME_TAKEN)]
        assert errors["roles"] == [str(CHOOSE_A_ROLE)]
        assert not events(EventType.USER_CREATED).exists()

    def test_service_refuses_a_non_admin(self, manager):
        with pytest.raises(AccessChangeRefused) as refused:
            user_create(
                actor=manager,
                username="x",
                first_name="X",
                last_name="",
                email="",
                roles={Role.ADMIN},
            )
        assert str(refused.value) == str(NOT_ALLOWED_TO_MANAGE_ACCESS)
        assert not User.objects.filter(username="x").exists()


class TestDeactivation:
    def test_deactivation_ends_the_persons_sessions(self, client, admin_user, clinician):
        theirs = Client()
        sign_in(theirs, clinician)
        assert theirs.get(reverse("home:home")).status_code == 200
        assert UserSession.objects.filter(user=clinician).exists()
        their_key = theirs.session.session_key
        sign_in(client, admin_user)
        url = reverse("accounts:user_deactivate", args=[clinician.pk])

        confirm = client.get(url)
        assert confirm.status_code == 200
        assert b"Deactivate account" in confirm.content
        assert clinician.is_active  # the confirmation page changes nothing
        response = client.post(url)

        assert response.status_code == 302
        clinician.refresh_from_db()
        assert not clinician.is_active
        assert not Session.objects.filter(session_key=their_key).exists()
        assert not UserSession.objects.filter(user=clinician).exists()
        next_request = theirs.get(reverse("home:home"))
        assert next_request.status_code == 302
        assert next_request.url.startswith(reverse("accounts:login"))
        event = events(EventType.USER_DEACTIVATED).get()
        assert (event.actor_id, event.target_id) == (admin_user.pk, str(clinician.pk))
        assert event.details == {"sessions_ended": 1}

    def test_admin_cannot_deactivate_themselves(self, client, admin_user):
        sign_in(client, admin_user)

        response = client.post(reverse("accounts:user_deactivate", args=[admin_user.pk]))

        assert response.status_code == 302
        assert messages_of(response) == [str(SELF_STATUS_CHANGE_REFUSED)]
        admin_user.refresh_from_db()
        assert admin_user.is_active
        assert not events(EventType.USER_DEACTIVATED).exists()
        assert events(EventType.ACCESS_DENIED).get().details["reason"] == "policy"

    def test_deactivating_twice_writes_one_event(self, admin_user, clinician):
        user_deactivate(actor=admin_user, user=clinician)
        user_deactivate(actor=admin_user, user=clinician)

        assert events(EventType.USER_DEACTIVATED).count() == 1

    def test_reactivation(self, client, admin_user, clinician):
        user_deactivate(actor=admin_user, user=clinician)
        sign_in(client, admin_user)
        url = reverse("accounts:user_reactivate", args=[clinician.pk])

        assert client.get(url).status_code == 200
        response = client.post(url)

        assert response.status_code == 302
        clinician.refresh_from_db()
        assert clinician.is_active
        event = events(EventType.USER_REACTIVATED).get()
        assert (event.actor_id, event.target_id) == (admin_user.pk, str(clinician.pk))
        user_reactivate(actor=admin_user, user=clinician)
        assert events(EventType.USER_REACTIVATED).count() == 1


class TestPrivacyOfficer:
    def test_grant_and_remove_are_audited_with_old_and_new(self, client, admin_user, manager):
        sign_in(client, admin_user)
        url = reverse("accounts:user_privacy_officer", args=[manager.pk])

        client.post(url, {"is_privacy_officer": "on"})
        manager.refresh_from_db()
        assert manager.is_privacy_officer
        client.post(url, {})
        manager.refresh_from_db()
        assert not manager.is_privacy_officer

        granted, removed = events(EventType.PRIVACY_OFFICER_CHANGED).order_by("id")
        assert granted.details == {"old": False, "new": True}
        assert removed.details == {"old": True, "new": False}
        assert {granted.actor_id, removed.actor_id} == {admin_user.pk}

    def test_unchanged_designation_writes_no_event(self, admin_user, privacy_officer):
        privacy_officer_set(actor=admin_user, user=privacy_officer, value=True)

        assert not events(EventType.PRIVACY_OFFICER_CHANGED).exists()

    def test_admin_cannot_designate_themselves(self, client, admin_user):
        sign_in(client, admin_user)

        response = client.post(
            reverse("accounts:user_privacy_officer", args=[admin_user.pk]),
            {"is_privacy_officer": "on"},
        )

        assert messages_of(response) == [str(SELF_PRIVACY_OFFICER_CHANGE_REFUSED)]
        admin_user.refresh_from_db()
        assert not admin_user.is_privacy_officer
        assert not events(EventType.PRIVACY_OFFICER_CHANGED).exists()


class TestSecondFactorReset:
    def test_reset_removes_the_devices_after_confirmation(self, client, admin_user, clinician):
        TOTPDevice.objects.create(user=clinician, name="phone", confirmed=True)
        sign_in(client, admin_user)
        url = reverse("accounts:user_second_factor_reset", args=[clinician.pk])

        assert client.get(url).status_code == 200
        assert TOTPDevice.objects.filter(user=clinician).exists()
        response = client.post(url)

        assert response.status_code == 302
        assert not TOTPDevice.objects.filter(user=clinician).exists()
        event = events(EventType.OTP_RESET).get()
        assert (event.actor_id, event.target_id) == (admin_user.pk, str(clinician.pk))

    def test_admin_cannot_reset_their_own_second_factor(self, admin_user):
        TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)

        with pytest.raises(AccessChangeRefused) as refused:
            user_second_factor_reset(actor=admin_user, user=admin_user)

        assert str(refused.value) == str(SELF_SECOND_FACTOR_RESET_REFUSED)
        assert TOTPDevice.objects.filter(user=admin_user).exists()
        assert not events(EventType.OTP_RESET).exists()


def lock_out(username: str) -> None:
    """Lock `username` out the way a person does: wrong passwords until axes locks them."""
    stranger = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(5):
        stranger.post(reverse("accounts:login"), {"username": username, "password": "wrong"})


class TestLockouts:
    def test_admin_sees_and_clears_a_lockout(self, client, admin_user, clinician):
        lock_out(clinician.username)
        sign_in(client, admin_user)
        url = reverse("accounts:lockout_list")

        listing = client.get(url)
        assert [lockout.user for lockout in listing.context["lockouts"]] == [clinician]
        assert b"clin_a" in listing.content
        response = client.post(url, {"username": clinician.username})

        assert response.status_code == 302
        assert client.get(url).context["lockouts"] == []
        cleared = events(EventType.LOCKOUT_CLEARED).get()
        assert cleared.actor_id == admin_user.pk
        assert cleared.target_id == str(clinician.pk)


class TestUserList:
    def test_search_and_filters(self, client, admin_user, clinician, manager, reception):
        user_deactivate(actor=admin_user, user=reception)
        sign_in(client, admin_user)
        url = reverse("accounts:user_list")

        def listed(**params) -> list[str]:
            return [u.username for u in client.get(url, params).context["users"]]

        assert listed() == ["admin_a", "clin_a", "manager_a", "reception_a"]
        assert listed(q="clin") == ["clin_a"]
        assert listed(q=manager.last_name) == ["manager_a"]
        assert listed(role=Role.MANAGER) == ["manager_a"]
        assert listed(active="no") == ["reception_a"]
        assert listed(active="yes", role=Role.RECEPTION) == []

    def test_list_shows_role_labels_and_paginates_by_25(self, client, admin_user):
        for n in range(30):
            UserFactory(username=f"p{n:02d}", roles=[Role.SUPERVISOR])
        sign_in(client, admin_user)

        first = client.get(reverse("accounts:user_list"))
        second = client.get(reverse("accounts:user_list"), {"page": 2})

        assert len(first.context["users"]) == 25
        assert len(second.context["users"]) == 6
        assert b"<caption>" in first.content
        assert b'<th scope="col">' in first.content
        assert re.search(rb'<span class="badge">Supervisor</span>', first.content)

    def test_query_count_does_not_grow_with_the_number_of_users(self, client, admin_user):
        group = Group.objects.get(name=Role.CLINICIAN)
        sign_in(client, admin_user)
        url = reverse("accounts:user_list")

        def queries_for_list_of(total: int) -> int:
            while User.objects.count() < total:
                user = UserFactory()
                user.groups.add(group)
            client.get(url)  # settle per-session writes before measuring
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            assert len(response.context["users"]) == min(total, 25)
            return len(captured)

        assert queries_for_list_of(5) == queries_for_list_of(50)

    def test_selector_prefetches_role_groups(
        self, admin_user, clinician, django_assert_num_queries
    ):
        with django_assert_num_queries(2):
            users = list(users_list())
            roles = [[g.name for g in u.role_groups] for u in users]
        assert roles == [["admin"], ["clinician"]]
