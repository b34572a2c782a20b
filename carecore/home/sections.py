"""What the home page shows: one section per role the user holds, composed from selectors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from carecore.accounts.roles import Role
from patients.selectors import caseload_counts

from . import selectors
from .navigation import url_for


@dataclass(frozen=True)
class Link:
    label: str | Promise
    url: str


@dataclass(frozen=True)
class HomeSection:
    key: str
    heading: str | Promise
    template: str
    paragraphs: tuple[str | Promise, ...] = ()
    links: tuple[Link, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)


def _links(*entries: tuple[str, str | Promise]) -> tuple[Link, ...]:
    """Return links for the URL names that exist; a page not built yet is not offered."""
    return tuple(
        Link(label=label, url=url) for name, label in entries if (url := url_for(name)) is not None
    )


# What each role does here, stated as the access model in ARCHITECTURE.md defines it.
_WELCOME: dict[Role, tuple[str | Promise, str | Promise]] = {
    Role.CLINICIAN: (
        _("Clinician"),
        _(
            "You keep the records of the patients whose care team you are on, take part in "
            "clinical supervision, and may record your own wellbeing check-ins."
        ),
    ),
    Role.SUPERVISOR: (
        _("Supervisor"),
        _(
            "You schedule and record supervision sessions and review your supervisees' "
            "caseloads: case codes, stages, complexity and counts, without clinical content "
            "unless you are on the care team yourself."
        ),
    ),
    Role.MANAGER: (
        _("Manager"),
        _(
            "You see caseload and supervision figures for the whole organisation, and staff "
            "wellbeing only as aggregates: never clinical content or one person's wellbeing "
            "results."
        ),
    ),
    Role.RECEPTION: (
        _("Reception"),
        _(
            "You register patients and look them up at the front desk by case code: you see "
            "what intake and scheduling need, and nothing more of a patient's record."
        ),
    ),
}


def _welcome_section(role: Role) -> HomeSection:
    heading, text = _WELCOME[role]
    return HomeSection(
        key=role.value,
        heading=heading,
        template="home/sections/welcome.html",
        paragraphs=(text,),
        links=_links(*_ROLE_LINKS.get(role, ())),
    )


_ROLE_LINKS: dict[Role, tuple[tuple[str, str | Promise], ...]] = {
    Role.SUPERVISOR: (
        ("supervision:dashboard_supervisor", _("Your supervisees: dashboard")),
        ("supervision:sessions", _("Supervision sessions")),
        ("patients:caseload", _("Your supervisees' caseload")),
        ("supervision:transfers", _("Case transfer requests")),
    ),
    Role.MANAGER: (
        ("supervision:dashboard_manager", _("Caseload and supervision dashboard")),
        ("patients:caseload", _("The organisation's caseload")),
        ("supervision:guidelines", _("Caseload guidelines")),
        ("supervision:agreements", _("Supervision agreements and groups")),
        ("supervision:work_profiles", _("Working time and line managers")),
        ("wellbeing:overview", _("Wellbeing overview")),
    ),
}


def _clinician_section(user) -> HomeSection:
    heading, text = _WELCOME[Role.CLINICIAN]
    return HomeSection(
        key=Role.CLINICIAN.value,
        heading=heading,
        template="home/sections/clinician.html",
        paragraphs=(text,),
        links=_links(
            ("patients:list", _("My patients")),
            ("patients:register", _("Register a patient")),
            ("supervision:dashboard_me", _("My caseload and supervision")),
            ("supervision:sessions", _("Supervision sessions")),
            ("supervision:transfers", _("Ask to transfer a case")),
            ("wellbeing:mine", _("My wellbeing")),
        ),
        # Active patients on the user's own care teams: one aggregate query, no rows.
        data={"active_patients": caseload_counts(user=user, clinician=user).total},
    )


def _reception_section() -> HomeSection:
    heading, text = _WELCOME[Role.RECEPTION]
    return HomeSection(
        key=Role.RECEPTION.value,
        heading=heading,
        template="home/sections/reception.html",
        paragraphs=(text,),
        links=_links(("patients:register", _("Register a patient"))),
        data={"lookup_url": url_for("patients:front_desk")},
    )


def _admin_section() -> HomeSection:
    return HomeSection(
        key=Role.ADMIN.value,
        heading=_("Accounts and access"),
        template="home/sections/admin.html",
        paragraphs=(
            _(
                "You manage accounts, roles and access. Admins never see clinical content or "
                "individual wellbeing results."
            ),
        ),
        links=_links(
            ("accounts:user_list", _("Manage users")),
            ("accounts:lockout_list", _("Review lockouts")),
            ("accounts:rules_publish", _("Publish a new rules version")),
        ),
        data={"overview": selectors.accounts_overview()},
    )


def _privacy_section() -> HomeSection:
    return HomeSection(
        key="privacy",
        heading=_("Privacy officer"),
        template="home/sections/privacy.html",
        paragraphs=(
            _(
                "You review who did what in CareCore, through the audit log, and you handle what "
                "leaves the organisation: referral approvals, legal requests, patients' copies "
                "and the retention of closed cases."
            ),
        ),
        links=_links(
            ("audit:event_list", _("Open the audit log")),
            ("lifecycle:home", _("Data sharing and records")),
            ("lifecycle:legal_requests", _("Legal requests")),
            ("lifecycle:retention", _("Retention review")),
        ),
        data={"events_today": selectors.audit_events_today_count()},
    )


def _account_section() -> HomeSection:
    return HomeSection(
        key="account",
        heading=_("Your account"),
        template="home/sections/welcome.html",
        paragraphs=(
            _(
                "Protect your account with a second factor, and read the confidentiality rules "
                "that apply to everyone who handles patient information here."
            ),
        ),
        links=_links(
            ("accounts:security", _("My account security")),
            ("accounts:rules", _("Confidentiality rules")),
        ),
    )


@dataclass(frozen=True)
class HomePage:
    sections: list[HomeSection]


def home_page_for(user) -> HomePage:
    """Return the home page for `user`: one section per role held, then their account."""
    return HomePage(sections=home_sections_for(user))


def home_sections_for(user) -> list[HomeSection]:
    """Return the home page sections for `user`: one per role held, then their account."""
    roles = user.role_names
    sections: list[HomeSection] = []
    for role in Role:
        if role.value not in roles:
            continue
        if role == Role.ADMIN:
            sections.append(_admin_section())
        elif role == Role.CLINICIAN:
            sections.append(_clinician_section(user))
        elif role == Role.RECEPTION:
            sections.append(_reception_section())
        else:
            sections.append(_welcome_section(role))
    if user.is_privacy_officer:
        sections.append(_privacy_section())
    if not sections:
        sections.append(
            HomeSection(
                key="none",
                heading=_("No role yet"),
                template="home/sections/welcome.html",
                paragraphs=(
                    _(
                        "Your account holds no role, so there is nothing here for you yet. "
                        "Ask an administrator to give you the role you work in."
                    ),
                ),
            )
        )
    sections.append(_account_section())
    return sections
