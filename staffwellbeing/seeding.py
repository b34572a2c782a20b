"""Demo data for staff wellbeing: wording, early signs, teams and several months of check-ins.

Teams are sized so that the manager's overview shows something true at once: one team large
enough to show its figures, and two that stay hidden (one too small, one hidden by the
complementary rule, so it cannot be worked out from the organisation's figures).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from django.utils import timezone

from carecore.accounts.models import Team, User
from carecore.accounts.roles import Role
from carecore.home.seeding import DemoUser, SeedContext, _seed_user_create
from supervision.models import SupervisionAgreement

from .models import CheckIn
from .selectors.checkins import instrument_current_version
from .services.checkins import checkin_record
from .services.early_signs import early_signs_demo_load
from .services.guidelines import guidelines_publish
from .services.instruments import instrument_demo_wording_load
from .services.jobs import job_description_save
from .services.leave import leave_record
from .services.reminders import reminder_preference_set
from .services.sharing import result_share

if TYPE_CHECKING:
    from .models import InstrumentVersion

# Team name -> demo sign-ins in it, and how many roster colleagues (who cannot sign in) join.
DEMO_TEAMS: dict[str, tuple[tuple[str, ...], int]] = {
    "North clinic": (("clinician", "clinician2", "supervisor"), 4),
    "Outreach": ((), 6),
    "Front desk and intake": (("reception",), 2),
}
MONTHS_OF_CHECKINS = 5

GUIDELINES_TITLE = "Looking after yourself in this work (demo)"
GUIDELINES_BODY = """\
Demonstration text written for CareCore, standing in for your organisation's own guidelines.

Hearing about exploitation and abuse day after day can wear anyone down. Secondary trauma, \
burnout and chronic tiredness are common in this work and are not a sign of weakness.

- Take your breaks and your leave, and keep some time in the week without patient contact.
- Bring difficult cases to supervision; you can also ask for a case to be handed over.
- The compassion fatigue check-in is for you: only you see your results unless you share one.
- If you notice early signs in yourself or a colleague, talk to your supervisor early."""


def _roster_username(team_name: str, n: int) -> str:
    return f"{team_name.split()[0].lower()}-staff-{n:02d}"


def roster_usernames() -> list[str]:
    """Return the usernames of the roster colleagues the demo teams add (no sign-in)."""
    return [
        _roster_username(name, n)
        for name, (_usernames, roster) in DEMO_TEAMS.items()
        for n in range(1, roster + 1)
    ]


def _roster_user(team: Team, n: int) -> User:
    username = _roster_username(team.name, n)
    user = User.objects.filter(username=username).first()
    if user is None:
        spec = DemoUser(username, "Roster", f"{team.name.split()[0]} {n}", (Role.CLINICIAN,))
        user = _seed_user_create(spec, password=None)
    return user


def _answers(rng: random.Random, level: int, version: InstrumentVersion) -> dict[str, int]:
    letters = version.items.values_list("letter", flat=True)
    return {letter: max(1, min(10, level + rng.randint(-2, 2))) for letter in letters}


def _team_members(ctx: SeedContext) -> list[User]:
    members: list[User] = []
    for name, (usernames, roster) in DEMO_TEAMS.items():
        team, _created = Team.objects.get_or_create(name=name)
        people = [ctx.users[u] for u in usernames if u in ctx.users]
        people += [_roster_user(team, n) for n in range(1, roster + 1)]
        User.objects.filter(pk__in=[p.pk for p in people]).update(team=team)
        members += people
    return members


def _checkins(members: list[User], version: InstrumentVersion) -> int:
    now = timezone.now()
    created = 0
    for person in members:
        # A fixed seed per person: the same demo history on every machine.
        rng = random.Random(person.username)  # noqa: S311 - demo data, not security
        level = rng.randint(3, 7)
        for month in range(MONTHS_OF_CHECKINS, 0, -1):
            level = max(2, min(9, level + rng.choice((-1, 0, 0, 1))))
            answered_at = now - dt.timedelta(days=30 * month - rng.randint(0, 5))
            checkin_record(
                actor=person,
                version=version,
                answers=_answers(rng, level, version),
                answered_at=answered_at,
            )
            created += 1
    return created


def _personal_records(ctx: SeedContext) -> None:
    clinician = ctx.users.get("clinician")
    supervisor = ctx.users.get("supervisor")
    manager = ctx.users.get("manager")
    admin = ctx.users.get("admin")
    if clinician is None:
        return
    today = timezone.localdate()
    reminder_preference_set(actor=clinician, enabled=True, interval_days=30)
    leave_record(
        actor=clinician,
        starts_on=today - dt.timedelta(days=75),
        ends_on=today - dt.timedelta(days=68),
    )
    if manager is not None:
        job_description_save(
            actor=manager,
            person=clinician,
            goals="Provide trauma-informed primary care to the patients on your caseload.",
            limits="No more than the organisation's caseload guideline; no legal advice.",
            support_options="Monthly individual supervision, peer group every two weeks, "
            "occupational health on request.",
            review_due_on=today + dt.timedelta(days=20),
            last_reviewed_on=today - dt.timedelta(days=345),
        )
    if admin is not None:
        guidelines_publish(actor=admin, title=GUIDELINES_TITLE, body=GUIDELINES_BODY)
    supervised = (
        supervisor is not None
        and SupervisionAgreement.objects.filter(
            supervisor=supervisor, supervisee=clinician, active=True
        ).exists()
    )
    latest = CheckIn.objects.filter(person=clinician).order_by("-answered_at").first()
    if supervised and latest is not None and supervisor is not None:
        result_share(actor=clinician, checkin=latest, supervisor=supervisor)


def seed_demo_wellbeing(ctx: SeedContext) -> None:
    """Load the demonstration wording and early signs, teams and months of check-ins."""
    instrument_demo_wording_load()
    early_signs_demo_load()
    if CheckIn.objects.exists():
        ctx.report.append("Wellbeing: check-ins already present (left unchanged).")
        return
    version = instrument_current_version()
    members = _team_members(ctx)
    created = _checkins(members, version)
    _personal_records(ctx)
    ctx.report.append(
        f"Wellbeing: {len(DEMO_TEAMS)} teams, {created} check-ins over "
        f"{MONTHS_OF_CHECKINS} months (demonstration wording, not the published scale)."
    )
