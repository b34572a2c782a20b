"""Demo data: the accounts `manage.py seed_demo` creates, as an ordered list of seed steps.

Later work adds its own steps (patients, check-ins, supervision sessions) to `SEED_STEPS`.
Every step is idempotent: running the command twice leaves the same data as running it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import ConfidentialityRules, User
from carecore.accounts.roles import Role
from carecore.accounts.services.rules import rules_acknowledge
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

# Published on purpose: it only ever protects demo accounts, and the command that sets it
# refuses to run outside a demo installation.
DEMO_PASSWORD = "carecore-demo-2026"  # noqa: S105

SCALE_DEMO = "demo"
SCALE_LARGE = "large"
SCALES = (SCALE_DEMO, SCALE_LARGE)

REFUSED_PRODUCTION = _(
    "seed_demo refuses to run under production settings: it creates accounts with a "
    "published password."
)
REFUSED_NOT_DEMO = _(
    "seed_demo runs only in a demo installation (CARECORE_DEMO or DJANGO_DEBUG on): it creates "
    "accounts with a published password."
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    roles: tuple[Role, ...]
    is_privacy_officer: bool = False


# The documented demo sign-ins (README). Names are invented for this project.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("clinician", "Amara", "Lindqvist", (Role.CLINICIAN,)),
    DemoUser("clinician2", "Tomas", "Okonkwo", (Role.CLINICIAN,)),
    DemoUser("supervisor", "Ines", "Marchetti", (Role.SUPERVISOR, Role.CLINICIAN)),
    DemoUser("manager", "Dara", "Whitfield", (Role.MANAGER,)),
    DemoUser("admin", "Kofi", "Brennan", (Role.ADMIN,)),
    DemoUser("reception", "Lena", "Haddad", (Role.RECEPTION,)),
    DemoUser("privacy", "Yusuf", "Castell", (Role.MANAGER,), is_privacy_officer=True),
)

# --scale large adds this many staff accounts per role (no usable password: they exist to
# fill lists and figures, not to sign in).
LARGE_STAFF: dict[Role, int] = {
    Role.CLINICIAN: 80,
    Role.SUPERVISOR: 12,
    Role.MANAGER: 4,
    Role.ADMIN: 2,
    Role.RECEPTION: 6,
}
_LARGE_FIRST_NAMES = ("Alex", "Sam", "Noor", "Jun", "Rui", "Mika", "Ola", "Ari", "Tess", "Eli")
_LARGE_LAST_NAMES = ("Arden", "Bexley", "Corran", "Dunmore", "Elsby", "Farrow", "Garside")


def seeding_refusal() -> str | None:
    """Return why demo data must not be written with the current settings, or None."""
    # Two independent tests: the production module by name, and any installation that is not
    # marked as a demo nor in debug mode, whatever its settings module is called.
    if (getattr(settings, "SETTINGS_MODULE", None) or "").endswith(".production"):
        return str(REFUSED_PRODUCTION)
    if not (settings.CARECORE_DEMO or settings.DEBUG):
        return str(REFUSED_NOT_DEMO)
    return None


@dataclass
class SeedContext:
    scale: str
    # Lines for the closing summary, in order.
    report: list[str] = field(default_factory=list)
    # Accounts created or found by the users step, by username, for later steps.
    users: dict[str, User] = field(default_factory=dict)


def _seed_user_create(spec: DemoUser, *, password: str | None) -> User:
    # There is no acting admin while seeding, so the access service (which requires one) is
    # not usable here; the creation is audited like the service would, with no actor.
    user = User(
        username=spec.username,
        first_name=spec.first_name,
        last_name=spec.last_name,
        email=f"{spec.username}@example.org",
        is_privacy_officer=spec.is_privacy_officer,
    )
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user)
        user.set_password(password)
    user.save()
    role_names = sorted(role.value for role in spec.roles)
    user.groups.add(*Group.objects.filter(name__in=role_names))
    audit_event_record(
        event_type=EventType.USER_CREATED,
        target=user,
        details={"roles": role_names, "source": "seed_demo"},
    )
    return user


def seed_demo_users(ctx: SeedContext) -> None:
    """Create the documented demo accounts that do not exist yet."""
    wanted = [spec.username for spec in DEMO_USERS]
    existing = {u.username: u for u in User.objects.filter(username__in=wanted)}
    created = 0
    for spec in DEMO_USERS:
        user = existing.get(spec.username)
        if user is None:
            user = _seed_user_create(spec, password=DEMO_PASSWORD)
            created += 1
        ctx.users[spec.username] = user
    ctx.report.append(
        f"Demo accounts: {created} created, {len(DEMO_USERS) - created} already present "
        "(left unchanged)."
    )


def _large_staff_specs() -> list[DemoUser]:
    specs = []
    for role, count in LARGE_STAFF.items():
        for n in range(1, count + 1):
            first = _LARGE_FIRST_NAMES[n % len(_LARGE_FIRST_NAMES)]
            last = _LARGE_LAST_NAMES[n % len(_LARGE_LAST_NAMES)]
            specs.append(DemoUser(f"{role.value}-{n:03d}", first, last, (role,)))
    return specs


def seed_large_staff(ctx: SeedContext) -> None:
    """At large scale, add a staff roster without usable passwords."""
    if ctx.scale != SCALE_LARGE:
        return
    specs = _large_staff_specs()
    present = set(
        User.objects.filter(username__in=[spec.username for spec in specs]).values_list(
            "username", flat=True
        )
    )
    missing = [spec for spec in specs if spec.username not in present]
    for spec in missing:
        _seed_user_create(spec, password=None)
    ctx.report.append(
        f"Staff roster: {len(missing)} accounts created, {len(present)} already present "
        "(no usable password; they cannot sign in)."
    )


def seed_rules_acknowledged(ctx: SeedContext) -> None:
    """Mark the demo accounts as having acknowledged the current confidentiality rules."""
    rules = ConfidentialityRules.objects.order_by("-version").first()
    if rules is None:
        ctx.report.append("Confidentiality rules: no version published, nothing to acknowledge.")
        return
    for user in ctx.users.values():
        rules_acknowledge(user=user, rules=rules)
    ctx.report.append(f"Confidentiality rules v{rules.version}: acknowledged by the demo accounts.")


def seed_patients(ctx: SeedContext) -> None:
    """Add the demo caseload (`patients.seeding`): patients spread over the demo clinicians."""
    # Imported on use: patients.seeding builds on this module.
    from patients.seeding import seed_demo_patients

    seed_demo_patients(ctx)


def seed_wellbeing(ctx: SeedContext) -> None:
    """Add wellbeing demo data (`staffwellbeing.seeding`): teams and months of check-ins."""
    from staffwellbeing.seeding import seed_demo_wellbeing

    seed_demo_wellbeing(ctx)


def seed_supervision(ctx: SeedContext) -> None:
    """Add supervision demo data (`supervision.seeding`): sessions, reviews, a transfer request."""
    from supervision.seeding import seed_demo_supervision

    seed_demo_supervision(ctx)


def seed_lifecycle(ctx: SeedContext) -> None:
    """Add data lifecycle demo data (`lifecycle.seeding`): partners, referrals, legal work."""
    from lifecycle.seeding import seed_demo_lifecycle

    seed_demo_lifecycle(ctx)


SeedStep = Callable[[SeedContext], None]

# In order. A later issue appends its step here (for example patients after users, then
# check-ins and supervision sessions); each step reads ctx.scale and does its own share.
SEED_STEPS: list[SeedStep] = [
    seed_demo_users,
    seed_large_staff,
    seed_rules_acknowledged,
    seed_patients,
    seed_wellbeing,
    seed_supervision,
    seed_lifecycle,
]
