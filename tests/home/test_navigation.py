from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from carecore.accounts.roles import Role
from carecore.home.navigation import nav_items_for, url_or_none
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STUB_URLS = "tests.home.urls_stub"


def _labels(user, path: str = "/") -> list[str]:
    return [str(item.label) for item in nav_items_for(user, path)]


@pytest.mark.urls(STUB_URLS)
def test_admin_sees_access_pages_and_audit_log(admin_user):
    assert _labels(admin_user) == [
        "Home",
        "Users",
        "Lockouts",
        "Confidentiality rules",
        "Audit log",
        "My account security",
    ]


@pytest.mark.urls(STUB_URLS)
def test_privacy_officer_sees_audit_log_but_no_access_pages(privacy_officer):
    assert _labels(privacy_officer) == [
        "Home",
        "Confidentiality rules",
        "Audit log",
        "My account security",
    ]


@pytest.mark.urls(STUB_URLS)
@pytest.mark.parametrize("persona", ["clinician", "supervisor", "manager", "reception"])
def test_other_roles_see_only_the_pages_for_everyone(persona, request):
    user = request.getfixturevalue(persona)

    assert _labels(user) == ["Home", "Confidentiality rules", "My account security"]


@pytest.mark.urls(STUB_URLS)
def test_a_user_without_roles_still_sees_their_own_pages():
    user = UserFactory(roles=[])

    assert _labels(user) == ["Home", "Confidentiality rules", "My account security"]


@pytest.mark.urls(STUB_URLS)
def test_admin_and_privacy_officer_get_each_entry_once():
    user = UserFactory(roles=[Role.ADMIN, Role.MANAGER], is_privacy_officer=True)

    assert _labels(user).count("Audit log") == 1


def test_anonymous_visitors_get_no_navigation():
    assert nav_items_for(AnonymousUser(), "/") == []


def test_pages_not_built_yet_are_left_out_instead_of_failing(admin_user):
    # The project's own URLs: every name the nav asks for that does not resolve is skipped.
    items = nav_items_for(admin_user, "/")

    assert items[0].url == "/"
    assert all(item.url for item in items)
    assert url_or_none("accounts:no_such_page") is None


@pytest.mark.urls(STUB_URLS)
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
