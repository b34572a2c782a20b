"""Managers' aggregates: minimum group, complementary suppression, exact figures, queries."""

from __future__ import annotations

import statistics
from datetime import timedelta

import pytest
from django.core.checks import run_checks
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from carecore.accounts.models import Team
from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from staffwellbeing.selectors.aggregates import (
    min_group_size,
    suppressed_groups,
    wellbeing_aggregates_for,
)
from tests.factories import UserFactory
from tests.staffwellbeing.factories import answers, make_checkin

pytestmark = pytest.mark.django_db


def staff(team, count, *, value=5, prefix=None):
    """Create `count` clinicians in `team`, each with one check-in of varying answers."""
    people = []
    for index in range(count):
        person = UserFactory(
            username=f"{prefix or team.name}-{index}", roles=[Role.CLINICIAN], team=team
        )
        make_checkin(person, given=answers(value, c=1 + index % 10, a=1 + (index * 3) % 10))
        people.append(person)
    return people


def test_a_team_of_four_shows_nothing_and_five_shows_figures(manager):
    small = Team.objects.create(name="Small")
    large = Team.objects.create(name="Large")
    staff(small, 4)
    staff(large, 5)
    staff(Team.objects.create(name="Third"), 6)

    report = wellbeing_aggregates_for(user=manager)

    by_name = {group.name: group for group in report.teams}
    assert by_name["Small"].suppressed and by_name["Small"].count is None
    assert by_name["Small"].subscales == {}
    # Complementary suppression hides the smallest other team (Large, 5), not Third.
    assert by_name["Large"].suppressed
    assert not by_name["Third"].suppressed and by_name["Third"].count == 6
    assert report.organisation.count == 15


def test_five_people_alone_show_figures(manager):
    team = Team.objects.create(name="Only")
    staff(team, 5)

    report = wellbeing_aggregates_for(user=manager)

    assert [group.count for group in report.teams] == [5]
    assert report.organisation.count == 5


def test_four_people_in_the_whole_organisation_show_nothing(manager):
    staff(Team.objects.create(name="Tiny"), 4)

    report = wellbeing_aggregates_for(user=manager)

    assert report.organisation.suppressed
    assert all(group.suppressed for group in report.teams)


def test_figures_match_a_reference_computation_over_latest_check_ins(manager):
    team = Team.objects.create(name="Ref")
    people = staff(team, 7)
    # An older check-in must be ignored in favour of the latest; one outside the period too.
    make_checkin(people[0], value=10, answered_at=timezone.now() - timedelta(days=10))
    outsider = UserFactory(username="old", roles=[Role.CLINICIAN], team=team)
    make_checkin(outsider, value=10, answered_at=timezone.now() - timedelta(days=200))

    report = wellbeing_aggregates_for(user=manager, period_days=90)

    latest = [person.wellbeing_checkins.order_by("-answered_at").first() for person in people]
    group = report.teams[0]
    assert group.count == 7
    for code in ("secondary_trauma", "job_burnout", "chronic_fatigue"):
        values = [checkin.scores[code] for checkin in latest]
        assert group.subscales[code].median == statistics.median(values)
        assert group.subscales[code].minimum == min(values)
        assert group.subscales[code].maximum == max(values)
    assert report.organisation.subscales == group.subscales


@given(st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=6), st.integers(5, 8))
def test_no_hidden_group_is_recoverable_by_subtraction(sizes, minimum):
    counts = {f"t{index}": size for index, size in enumerate(sizes) if size}
    total = sum(counts.values())

    hidden, total_hidden = suppressed_groups(counts, total, minimum)

    assert all(counts[key] >= minimum for key in counts if key not in hidden)
    if not total_hidden and hidden:
        # total minus the shown groups covers at least two hidden groups and enough people.
        assert len(hidden) >= 2
        assert sum(counts[key] for key in hidden) >= minimum
    if total < minimum:
        assert total_hidden and hidden == frozenset(counts)


def test_the_minimum_is_never_below_five(settings):
    settings.CARECORE_WELLBEING_MIN_GROUP = 2
    assert min_group_size() == 5
    assert "staffwellbeing.W001" in [message.id for message in run_checks()]
    settings.CARECORE_WELLBEING_MIN_GROUP = 7
    assert min_group_size() == 7
    assert "staffwellbeing.W001" not in [message.id for message in run_checks()]


def test_a_larger_minimum_applies(settings, manager):
    settings.CARECORE_WELLBEING_MIN_GROUP = 6
    staff(Team.objects.create(name="Five"), 5)

    assert wellbeing_aggregates_for(user=manager).organisation.suppressed


def test_the_page_shows_figures_and_writes_one_event_without_figures(manager, sign_in, client):
    staff(Team.objects.create(name="Shown"), 5)
    sign_in(manager)

    response = client.get(reverse("wellbeing:overview"), {"days": "30"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Shown" in page and '<td class="numeric">5</td>' in page
    event = AuditEvent.objects.get(event_type=EventType.WELLBEING_AGGREGATES_VIEWED)
    assert event.details == {"period_days": 30, "min_group": 5}


@pytest.mark.parametrize("persona", ["clinician", "supervisor", "admin_user", "reception"])
def test_only_managers_see_the_overview(persona, request, sign_in, client):
    user = request.getfixturevalue(persona)
    sign_in(user)

    assert client.get(reverse("wellbeing:overview")).status_code == 404
    denial = AuditEvent.objects.get(event_type=EventType.ACCESS_DENIED, actor_id=user.pk)
    assert denial.details == {"action": "view_aggregates", "reason": "role"}


def _overview_queries(client, how_many, prefix):
    teams = [Team.objects.create(name=f"{prefix}{index}") for index in range(3)]
    for index in range(how_many):
        person = UserFactory(
            username=f"{prefix}-p{index}", roles=[Role.CLINICIAN], team=teams[index % 3]
        )
        make_checkin(person, value=1 + index % 10, answered_at=timezone.now() - timedelta(days=5))
        make_checkin(person, value=2 + index % 8)
    client.get(reverse("wellbeing:overview"))  # warm per-process caches (content types)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("wellbeing:overview")).status_code == 200
    return len(queries)


def test_overview_query_count_does_not_grow_with_staff(manager, sign_in, client):
    sign_in(manager)
    small = _overview_queries(client, 5, "a")
    large = _overview_queries(client, 50, "b")

    assert small == large
