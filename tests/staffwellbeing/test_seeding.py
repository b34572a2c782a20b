"""The wellbeing demo data: teams sized so the manager's overview shows one and hides two."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from carecore.accounts.models import Team
from staffwellbeing.models import CheckIn, InstrumentVersion, ResultShare
from staffwellbeing.models.instruments import WordingSource
from staffwellbeing.seeding import DEMO_TEAMS, MONTHS_OF_CHECKINS
from staffwellbeing.selectors.aggregates import wellbeing_aggregates_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.CARECORE_DEMO = True
    call_command("seed_demo", stdout=io.StringIO())


def test_demo_teams_and_months_of_checkins(seeded):
    people = sum(len(usernames) + roster for usernames, roster in DEMO_TEAMS.values())

    assert set(Team.objects.values_list("name", flat=True)) == set(DEMO_TEAMS)
    assert CheckIn.objects.count() == people * MONTHS_OF_CHECKINS
    assert InstrumentVersion.objects.filter(
        wording_source=WordingSource.DEMONSTRATION
    ).exists()
    assert ResultShare.objects.filter(
        checkin__person__username="clinician", supervisor__username="supervisor"
    ).count() == 1


def test_the_overview_shows_one_team_and_hides_the_others(seeded, django_user_model):
    manager = django_user_model.objects.get(username="manager")

    report = wellbeing_aggregates_for(user=manager, period_days=90)

    shown = {team.name for team in report.teams if not team.suppressed}
    hidden = {team.name for team in report.teams if team.suppressed}
    assert shown == {"North clinic"}
    assert {"Outreach", "Front desk and intake"} <= hidden
    assert not report.organisation.suppressed


def test_seeding_twice_adds_no_checkins(seeded, settings):
    before = CheckIn.objects.count()

    call_command("seed_demo", stdout=io.StringIO())

    assert CheckIn.objects.count() == before
