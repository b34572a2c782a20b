"""Teams: created by admins, assigned on the account page, every change audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from carecore.accounts.models import Team
from carecore.accounts.permissions import (
    NOT_ALLOWED_TO_MANAGE_ACCESS,
    TEAM_NAME_TAKEN,
    AccessChangeRefused,
)
from carecore.accounts.services.users import team_create, user_team_set
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_admin_creates_a_team_and_names_are_unique_whatever_the_case(admin_user):
    team = team_create(actor=admin_user, name="  North   clinic ")

    assert team.name == "North clinic"
    with pytest.raises(AccessChangeRefused, match=str(TEAM_NAME_TAKEN)):
        team_create(actor=admin_user, name="north CLINIC")
    assert Team.objects.count() == 1
    assert AuditEvent.objects.filter(event_type=EventType.TEAM_CREATED).count() == 1


def test_a_non_admin_cannot_create_or_assign_teams(clinician, other_clinician):
    team = Team.objects.create(name="South")

    with pytest.raises(AccessChangeRefused, match=str(NOT_ALLOWED_TO_MANAGE_ACCESS)):
        team_create(actor=clinician, name="Mine")
    with pytest.raises(AccessChangeRefused, match=str(NOT_ALLOWED_TO_MANAGE_ACCESS)):
        user_team_set(actor=clinician, user=other_clinician, team=team)

    other_clinician.refresh_from_db()
    assert other_clinician.team_id is None
    assert Team.objects.count() == 1


def test_assignment_audits_old_and_new_team_once_per_change(admin_user, clinician):
    north = Team.objects.create(name="North")
    south = Team.objects.create(name="South")

    user_team_set(actor=admin_user, user=clinician, team=north)
    user_team_set(actor=admin_user, user=clinician, team=north)
    user_team_set(actor=admin_user, user=clinician, team=south)
    user_team_set(actor=admin_user, user=clinician, team=None)

    changes = AuditEvent.objects.filter(event_type=EventType.USER_TEAM_CHANGED).order_by("id")
    assert [(e.details["old_team"], e.details["new_team"]) for e in changes] == [
        (None, north.pk),
        (north.pk, south.pk),
        (south.pk, None),
    ]
    assert {e.target_id for e in changes} == {str(clinician.pk)}


def test_pages_create_and_assign(client, sign_in, admin_user, clinician):
    sign_in(admin_user)

    response = client.post(reverse("accounts:team_list"), {"name": "East"})
    assert response.status_code == 302
    team = Team.objects.get(name="East")

    response = client.post(reverse("accounts:user_team", args=[clinician.pk]), {"team": team.pk})
    assert response.status_code == 302
    clinician.refresh_from_db()
    assert clinician.team == team

    page = client.get(reverse("accounts:team_list"))
    assert page.status_code == 200
    assert page.context["teams"].get(pk=team.pk).active_members == 1


def test_a_duplicate_name_is_shown_on_the_form_and_saves_nothing(client, sign_in, admin_user):
    Team.objects.create(name="West")
    sign_in(admin_user)

    response = client.post(reverse("accounts:team_list"), {"name": "west"})

    assert response.status_code == 200
    assert str(TEAM_NAME_TAKEN) in response.content.decode()
    assert Team.objects.count() == 1
