"""The site navigation, computed per user from the roles they hold."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carecore.accounts.roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    current: bool = False


# (url name, label, who sees it). "everyone" means every signed-in user; "privacy" means the
# privacy officer designation, which is not a role. Order here is the order on screen.
_EVERYONE = "everyone"
_PRIVACY = "privacy"
_NAV_SPEC: tuple[tuple[str, str | Promise, frozenset[str]], ...] = (
    ("home:home", _("Home"), frozenset({_EVERYONE})),
    ("patients:list", _("My patients"), frozenset({Role.CLINICIAN.value})),
    ("patients:caseload", _("Caseload"), frozenset({Role.SUPERVISOR.value, Role.MANAGER.value})),
    ("patients:front_desk", _("Front desk"), frozenset({Role.RECEPTION.value})),
    # Sessions, caseload reviews, transfers and the dashboards all start from here.
    (
        "supervision:home",
        _("Supervision"),
        frozenset({Role.CLINICIAN.value, Role.SUPERVISOR.value, Role.MANAGER.value}),
    ),
    (
        "patients:register",
        _("Register a patient"),
        frozenset({Role.RECEPTION.value, Role.CLINICIAN.value}),
    ),
    # A clinician outside a care team reaches a record in an emergency only through this form.
    ("patients:break_glass_start", _("Emergency access"), frozenset({Role.CLINICIAN.value})),
    # Referrals, legal requests, patient copies, the disclosure register and retention.
    (
        "lifecycle:home",
        _("Data sharing"),
        frozenset({Role.CLINICIAN.value, Role.MANAGER.value, _PRIVACY}),
    ),
    # Everyone with a staff role monitors their own wellbeing; an admin-only account does not.
    (
        "wellbeing:mine",
        _("My wellbeing"),
        frozenset(
            {
                Role.CLINICIAN.value,
                Role.SUPERVISOR.value,
                Role.MANAGER.value,
                Role.RECEPTION.value,
            }
        ),
    ),
    ("wellbeing:overview", _("Wellbeing overview"), frozenset({Role.MANAGER.value})),
    ("accounts:user_list", _("Users"), frozenset({Role.ADMIN.value})),
    ("accounts:lockout_list", _("Lockouts"), frozenset({Role.ADMIN.value})),
    ("accounts:rules", _("Confidentiality rules"), frozenset({_EVERYONE})),
    ("audit:event_list", _("Audit log"), frozenset({Role.ADMIN.value, _PRIVACY})),
    ("patients:break_glass_reviews", _("Break-glass reviews"), frozenset({_PRIVACY})),
    ("patients:notifications", _("Privacy alerts"), frozenset({_PRIVACY})),
    ("accounts:security", _("My account security"), frozenset({_EVERYONE})),
)


def url_for(name: str) -> str:
    """Return the path of URL `name` (a missing name is a programming error and raises)."""
    return reverse(name)


def audiences_of(user) -> frozenset[str]:
    """Return the audiences (roles, privacy designation, everyone) `user` belongs to."""
    audiences = {_EVERYONE, *user.role_names}
    if getattr(user, "is_privacy_officer", False):
        audiences.add(_PRIVACY)
    return frozenset(audiences)


def nav_items_for(user, path: str = "") -> list[NavItem]:
    """Return the navigation entries `user` may see, marking the one for `path` as current."""
    if not getattr(user, "is_authenticated", False):
        return []
    audiences = audiences_of(user)
    entries = [
        (label, url)
        for name, label, audience in _NAV_SPEC
        if audience & audiences and (url := url_for(name)) is not None
    ]
    # The longest entry that prefixes the path is the current one, so a page below "Users"
    # marks "Users"; the root only matches itself.
    prefixes = [
        url for _label, url in entries if path == url or (url != "/" and path.startswith(url))
    ]
    current = max(prefixes, key=len, default=None)
    return [NavItem(label=label, url=url, current=url == current) for label, url in entries]
