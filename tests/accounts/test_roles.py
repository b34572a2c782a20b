"""Role assignment: nobody changes their own roles; every change is one audit event."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from carecore.accounts.forms_access import OWN_ROLES_HELP
from carecore.accounts.models import RulesAcknowledgement
from carecore.accounts.permissions import (
    NOT_ALLOWED_TO_MANAGE_ACCESS,
    SELF_ROLE_CHANGE_REFUSED,
    UNKNOWN_ROLE,
    AccessChangeRefused,
)
from carecore.accounts.roles import Role
from carecore.accounts.selectors import rules_current
from carecore.accounts.services.roles import user_roles_set
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def sign_in(client, user) -> None:
    """Sign `user` in on `client`, past the confidentiality rules."""
    RulesAcknowledgement.objects.get_or_create(user=user, rules=rules_current())
    client.force_login(user)


def role_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def role_events():
    return AuditEvent.objects.filter(event_type=EventType.ROLE_CHANGED)


class TestOwnRoles:
    def test_service_refuses_an_admin_changing_their_own_roles(self, admin_user):
        with pytest.raises(AccessChangeRefused) as refused:
            user_roles_set(actor=admin_user, user=admin_user, roles={Role.ADMIN, Role.CLINICIAN})

        assert str(refused.value) == str(SELF_ROLE_CHANGE_REFUSED)
        assert role_names(admin_user) == {Role.ADMIN}
        assert not role_events().exists()

    def test_service_refuses_even_removing_own_admin_role(self, admin_user):
        with pytest.raises(AccessChangeRefused):
            user_roles_set(actor=admin_user, user=admin_user, roles=set())

        assert role_names(admin_user) == {Role.ADMIN}

    def test_page_refuses_and_audits_the_attempt(self, client, admin_user):
        sign_in(client, admin_user)
        url = reverse("accounts:user_detail", args=[admin_user.pk])

        response = client.post(url, {"roles": [Role.ADMIN, Role.CLINICIAN, Role.MANAGER]})

        assert response.status_code == 302
        assert response.url == url
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            str(SELF_ROLE_CHANGE_REFUSED)
        ]
        assert role_names(admin_user) == {Role.ADMIN}
        assert not role_events().exists()
        denied = AuditEvent.objects.get(event_type=EventType.ACCESS_DENIED)
        assert denied.actor_id == admin_user.pk
        assert denied.outcome == Outcome.DENIED
        assert denied.target_id == str(admin_user.pk)
        assert denied.details == {"view": "accounts:user_detail", "reason": "policy"}

    def test_page_shows_own_roles_disabled_with_the_reason(self, client, admin_user):
        sign_in(client, admin_user)

        response = client.get(reverse("accounts:user_detail", args=[admin_user.pk]))

        assert response.status_code == 200
        assert response.context["editable"] is False
        assert response.context["roles_form"].fields["roles"].disabled is True
        assert str(OWN_ROLES_HELP) in response.content.decode()
        assert b"Save roles" not in response.content


class TestRoleChanges:
    def test_each_change_writes_exactly_one_event_with_old_and_new_roles(
        self, admin_user, clinician
    ):
        user_roles_set(actor=admin_user, user=clinician, roles={Role.CLINICIAN, Role.SUPERVISOR})
        assert role_events().count() == 1
        user_roles_set(actor=admin_user, user=clinician, roles={Role.MANAGER})

        first, second = role_events().order_by("id")
        assert role_names(clinician) == {Role.MANAGER}
        assert first.details == {
            "old_roles": ["clinician"],
            "new_roles": ["clinician", "supervisor"],
        }
        assert second.details == {
            "old_roles": ["clinician", "supervisor"],
            "new_roles": ["manager"],
        }
        for event in (first, second):
            assert event.actor_id == admin_user.pk
            assert event.target_type == "accounts.user"
            assert event.target_id == str(clinician.pk)
            assert event.outcome == Outcome.SUCCESS

    def test_setting_the_same_roles_writes_no_event(self, admin_user, supervisor):
        user_roles_set(actor=admin_user, user=supervisor, roles={Role.SUPERVISOR, Role.CLINICIAN})

        assert not role_events().exists()

    def test_groups_that_are_not_roles_are_kept(self, admin_user, clinician):
        other = Group.objects.create(name="book-club")
        clinician.groups.add(other)

        user_roles_set(actor=admin_user, user=clinician, roles={Role.RECEPTION})

        assert role_names(clinician) == {"book-club", Role.RECEPTION}
        assert role_events().get().details["old_roles"] == ["clinician"]

    def test_unknown_role_is_refused(self, admin_user, clinician):
        with pytest.raises(AccessChangeRefused) as refused:
            user_roles_set(actor=admin_user, user=clinician, roles={"superuser"})

        assert str(refused.value) == str(UNKNOWN_ROLE)
        assert role_names(clinician) == {Role.CLINICIAN}
        assert not role_events().exists()

    @pytest.mark.parametrize("persona", ["clinician", "manager", "privacy_officer"])
    def test_non_admin_actor_is_refused(self, request, persona, other_clinician):
        actor = request.getfixturevalue(persona)

        with pytest.raises(AccessChangeRefused) as refused:
            user_roles_set(actor=actor, user=other_clinician, roles={Role.ADMIN})

        assert str(refused.value) == str(NOT_ALLOWED_TO_MANAGE_ACCESS)
        assert role_names(other_clinician) == {Role.CLINICIAN}

    def test_page_changes_roles_of_another_person(self, client, admin_user, clinician):
        sign_in(client, admin_user)
        url = reverse("accounts:user_detail", args=[clinician.pk])

        response = client.post(url, {"roles": [Role.CLINICIAN, Role.SUPERVISOR]})

        assert response.status_code == 302
        assert response.url == url
        assert role_names(clinician) == {Role.CLINICIAN, Role.SUPERVISOR}
        event = role_events().get()
        assert event.details == {
            "old_roles": ["clinician"],
            "new_roles": ["clinician", "supervisor"],
        }
        assert event.request_id  # written inside the request, with its id

    def test_page_rejects_an_unknown_role_as_a_form_error(self, client, admin_user, clinician):
        sign_in(client, admin_user)

        response = client.post(
            reverse("accounts:user_detail", args=[clinician.pk]), {"roles": ["superuser"]}
        )

        assert response.status_code == 200
        assert response.context["roles_form"].errors["roles"]
        assert role_names(clinician) == {Role.CLINICIAN}
        assert not role_events().exists()
