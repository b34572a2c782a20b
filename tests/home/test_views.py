from __future__ import annotations

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecore.accounts.models import User
from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record
from carecore.home import views
from tests.factories import UserFactory

from .helpers import lockout_make, rules_publish_next, staff_populate
from .html import find, inline_code

pytestmark = pytest.mark.django_db


def _headings(response) -> list[str]:
    return [str(section.heading) for section in response.context["page"].sections]


def _fresh(user: User) -> User:
    # A user object as a request gets it: roles not yet read.
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize(
    ("persona", "headings"),
    [
        ("clinician", ["Clinician", "Your account"]),
        ("supervisor", ["Clinician", "Supervisor", "Your account"]),
        ("manager", ["Manager", "Your account"]),
        ("reception", ["Reception", "Your account"]),
        ("admin_user", ["Accounts and access", "Your account"]),
        ("privacy_officer", ["Manager", "Privacy officer", "Your account"]),
    ],
)
def test_home_shows_one_section_per_role_held(client, request, persona, headings, sign_in):
    sign_in(request.getfixturevalue(persona))

    response = client.get(reverse("home:home"))

    assert response.status_code == 200
    assert _headings(response) == headings
    for heading in headings:
        assert heading in response.text


def test_home_for_someone_without_a_role_says_so(client, sign_in):
    sign_in(UserFactory(roles=[]))

    response = client.get(reverse("home:home"))

    assert _headings(response) == ["No role yet", "Your account"]


def test_role_sections_link_to_the_supervision_pages(client, supervisor, manager, sign_in):
    sign_in(supervisor)
    supervisor_page = client.get(reverse("home:home")).text
    sign_in(manager)
    manager_page = client.get(reverse("home:home")).text

    assert reverse("supervision:dashboard_supervisor") in supervisor_page
    assert reverse("supervision:dashboard_me") in supervisor_page  # also a clinician
    assert reverse("supervision:dashboard_manager") not in supervisor_page
    assert reverse("supervision:dashboard_manager") in manager_page
    assert reverse("supervision:guidelines") in manager_page


def test_clinician_home_shows_no_account_figures(client, clinician, sign_in):
    lockout_make("someone")
    sign_in(clinician)

    response = client.get(reverse("home:home"))

    assert "Active lockouts" not in response.text
    assert "Audit events today" not in response.text


def test_admin_home_shows_account_figures(client, admin_user, sign_in):
    current = rules_publish_next()
    UserFactory(roles=[Role.CLINICIAN])
    UserFactory(roles=[Role.CLINICIAN, Role.SUPERVISOR])
    UserFactory(roles=[Role.RECEPTION], is_active=False)
    lockout_make("clin_x")
    sign_in(admin_user)

    response = client.get(reverse("home:home"))

    overview = response.context["page"].sections[0].data["overview"]
    assert overview.active_users == 3
    assert overview.active_lockouts == 1
    assert overview.without_second_factor == 3
    assert overview.current_rules_version == current.version
    assert overview.not_acknowledged_current_rules == 2
    assert {row.role: row.active_users for row in overview.active_by_role} == {
        Role.CLINICIAN: 2,
        Role.SUPERVISOR: 1,
        Role.MANAGER: 0,
        Role.ADMIN: 1,
        Role.RECEPTION: 0,
    }
    assert (
        f"Active users who have not acknowledged rules version {current.version}" in response.text
    )
    assert "Active users by role" in response.text


def test_privacy_officer_home_counts_todays_audit_events(client, privacy_officer, sign_in):
    audit_event_record(event_type=EventType.LOGIN)
    audit_event_record(event_type=EventType.LOGIN_FAILED)
    sign_in(privacy_officer)

    response = client.get(reverse("home:home"))

    privacy = next(s for s in response.context["page"].sections if s.key == "privacy")
    assert privacy.data["events_today"] == 2


def test_home_links_only_to_pages_that_exist(client, admin_user, sign_in):
    sign_in(admin_user)

    response = client.get("/")

    for href in ["/accounts/users/", "/accounts/lockouts/", "/accounts/rules/publish/"]:
        assert find(response.content, "a", href=href), href


@pytest.mark.parametrize(
    "persona", ["clinician", "supervisor", "manager", "reception", "admin_user", "privacy_officer"]
)
def test_home_has_no_inline_code_for_the_csp_to_block(client, request, persona, sign_in):
    sign_in(request.getfixturevalue(persona))

    response = client.get(reverse("home:home"))

    assert inline_code(response.content) == []


# --- Query counts ------------------------------------------------------------------------------
# The view is called directly so the count covers exactly what the home page adds (its
# selectors and the rendering of layout and sections), not the middleware other apps own.
# One query reads the user's roles; the rest is each section's figures (a clinician's: the
# count of active patients on their care teams; the supervisor persona is a clinician too).

EXPECTED_QUERIES = {
    "clinician": 1 + 1,
    "supervisor": 1 + 1,
    "manager": 1,
    "reception": 1,
    "admin_user": 1 + 4,
    "privacy_officer": 1 + 1,
}


def _home_request(rf, user: User):
    request = rf.get("/")
    request.user = _fresh(user)
    request.session = {}
    return request


@pytest.mark.parametrize(("persona", "queries"), EXPECTED_QUERIES.items())
@pytest.mark.parametrize("population", [5, 50])
def test_home_query_count_is_exact_and_independent_of_headcount(
    rf, request, django_assert_num_queries, persona, queries, population
):
    rules_publish_next()
    staff_populate(population)
    for n in range(population // 5):
        lockout_make(f"locked{n}")
        audit_event_record(event_type=EventType.LOGIN_FAILED)
    home_request = _home_request(rf, request.getfixturevalue(persona))

    with django_assert_num_queries(queries):
        response = views.home(home_request)

    assert response.status_code == 200


def test_admin_and_privacy_officer_home_adds_both_sections_queries(rf, django_assert_num_queries):
    home_request = _home_request(rf, UserFactory(roles=[Role.ADMIN], is_privacy_officer=True))

    with django_assert_num_queries(1 + 4 + 1):
        views.home(home_request)


@pytest.mark.parametrize("persona", ["admin_user", "privacy_officer", "clinician"])
def test_whole_request_query_count_is_the_same_for_5_and_50_users(
    client, request, persona, sign_in
):
    user = request.getfixturevalue(persona)
    sign_in(user)
    # A first request may do once-only work (session bookkeeping); measure the ones after it.
    assert client.get(reverse("home:home")).status_code == 200
    counts = []
    for prefix, population in [("small", 5), ("large", 45)]:
        staff_populate(population, prefix=prefix)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home:home")).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_messages_are_shown_in_a_status_region(rf, clinician):
    request = _home_request(rf, clinician)
    request._messages = FallbackStorage(request)
    request._messages.add(message_levels.SUCCESS, "Saved the thing.")

    response = views.home(request)

    html = response.content.decode()
    assert find(html, "div", **{"class": "messages", "role": "status"})
    assert find(html, "p", **{"class": "message message-success"})
    assert "Saved the thing." in html
