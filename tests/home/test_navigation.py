from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from carecore.accounts.roles import Role
from carecore.home.navigation import nav_items_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _labels(user, path: str = "/") -> list[str]:
    return [str(item.label) for item in nav_items_for(user, path)]


def test_admin_sees_access_pages_and_audit_log(admin_user):
    assert _labels(admin_user) == [
        "Home",
        "Users",
        "Lockouts",
        "Confidentiality rules",
        "Audit log",
        "My account security",
    ]


def test_privacy_officer_sees_audit_log_but_no_access_pages(privacy_officer):
    assert _labels(privacy_officer) == [
        "Home",
        "Caseload",
        "Supervision",
        "Data sharing",
        "My wellbeing",
        "Wellbeing overview",
        "Confidentiality rules",
        "Audit log",
        "Break-glass reviews",
        "Privacy alerts",
        "My account security",
    ]


EVERYONE = ["Confidentiality rules", "My account security"]


@pytest.mark.parametrize(
    ("persona", "patient_pages"),
    [
        (
            "clinician",
            [
                "My patients",
                "Supervision",
                "Register a patient",
                "Emergency access",
                "Data sharing",
                "My wellbeing",
            ],
        ),
        # The supervisor persona is a clinician too.
        (
            "supervisor",
            [
                "My patients",
                "Caseload",
                "Supervision",
                "Register a patient",
                "Emergency access",
                "Data sharing",
                "My wellbeing",
            ],
        ),
        (
            "manager",
            ["Caseload", "Supervision", "Data sharing", "My wellbeing", "Wellbeing overview"],
        ),
        ("reception", ["Front desk", "Register a patient", "My wellbeing"]),
    ],
)
def test_other_roles_see_their_patient_pages_and_the_pages_for_everyone(
    persona, patient_pages, request
):
    user = request.getfixturevalue(persona)

    assert _labels(user) == ["Home", *patient_pages, *EVERYONE]


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/patients/", "My patients"),
        ("/patients/register/", "Register a patient"),
        ("/patients/6f1c2b7e-3a0c-4a43-9d83-2f1e9c4b5a10/notes/", "My patients"),
    ],
)
def test_patient_pages_mark_their_entry(clinician, path, current):
    marked = [str(item.label) for item in nav_items_for(clinician, path) if item.current]

    assert marked == [current]


def test_a_user_without_roles_still_sees_their_own_pages():
    user = UserFactory(roles=[])

    assert _labels(user) == ["Home", "Confidentiality rules", "My account security"]


def test_admin_and_privacy_officer_get_each_entry_once():
    user = UserFactory(roles=[Role.ADMIN, Role.MANAGER], is_privacy_officer=True)

    assert _labels(user).count("Audit log") == 1


def test_anonymous_visitors_get_no_navigation():
    assert nav_items_for(AnonymousUser(), "/") == []


def test_every_entry_links_to_a_real_page(admin_user, client, sign_in):
    user = UserFactory(roles=[Role.ADMIN], is_privacy_officer=True)
    sign_in(user)

    for item in nav_items_for(user, "/"):
        assert client.get(item.url).status_code == 200, item.url


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/", "Home"),
        ("/accounts/users/", "Users"),
        ("/accounts/users/7/", "Users"),
        ("/accounts/rules/publish/", "Confidentiality rules"),
        ("/somewhere/else/", None),
    ],
)
def test_the_entry_for_the_current_page_is_marked(admin_user, path, current):
    marked = [str(item.label) for item in nav_items_for(admin_user, path) if item.current]

    assert marked == ([current] if current else [])
