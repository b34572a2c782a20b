"""Benchmark the patient list, overview and notes reads for a light and a heavy caseload.

Runs in-process against a database loaded with `manage.py seed_scale` and prints the median
time and the number of queries for each read: once for a clinician leading 30 patients and
once for one leading 300, and the ratio between the two. It reports; it asserts nothing.
`--mode selectors` calls the selectors the pages call (fetch-and-check, audit event, section
reads); `--mode pages` requests the pages themselves with Django's test client (middleware,
view, template), after marking the two clinicians as having acknowledged the current rules.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carecore_scale \
    DJANGO_SETTINGS_MODULE=carecore.settings.local CARECORE_AUDIT_SEAL_ON_COMMIT=false \
    .venv/bin/python benchmarks/patient_pages.py --runs 30 --mode selectors

Every read writes its audit event, as on the pages, so each run adds rows to the audit trail.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecore.settings.local")

import django

django.setup()

from django.core.paginator import Paginator  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from carecore.accounts.models import ConfidentialityRules, User  # noqa: E402
from carecore.accounts.services.rules import rules_acknowledge  # noqa: E402
from patients.models import CareTeamMembership, CareTeamRole, ClinicalNote  # noqa: E402
from patients.permissions import Action, allowed_actions  # noqa: E402
from patients.selectors import (  # noqa: E402
    Section,
    care_team_for,
    caseload_counts,
    notes_timeline,
    patient_get_for,
    patients_caseload,
    patients_my_caseload,
    safety_flags_for,
    treatment_goals_for,
)

PAGE_SIZE = 25
LIGHT = "scale-clinician-0002"
HEAVY = "scale-clinician-0001"
# Roster accounts from `seed_demo --scale large`: a supervisor of twelve bulk clinicians, and a
# manager, who sees every patient's metadata.
OVERSIGHT = ("supervisor-001", "manager-001")


@dataclass(frozen=True)
class Result:
    median_ms: float
    queries: int


def measure(read: Callable[[], Any], runs: int) -> Result:
    """Return the median wall time of `read` over `runs` runs and its query count."""
    for _ in range(3):
        read()  # warm the connection, the caches and the database's buffers
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        read()
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        read()
    return Result(statistics.median(timings), len(captured.captured_queries))


def my_patients_page(user: User) -> Callable[[], Any]:
    def read() -> Any:
        page = Paginator(patients_my_caseload(user=user), PAGE_SIZE).page(1)
        return [(p.case_code, p.preferred_name, p.active_safety_flags) for p in page]

    return read


def caseload_page(user: User) -> Callable[[], Any]:
    def read() -> Any:
        page = Paginator(patients_caseload(user=user), PAGE_SIZE).page(1)
        return [(p.case_code, p.stage, p.care_team_size, p.lead_id) for p in page]

    return read


def home_counts(user: User) -> Callable[[], Any]:
    return lambda: caseload_counts(user=user)


def overview(user: User, uuid: Any) -> Callable[[], Any]:
    def read() -> Any:
        patient = patient_get_for(
            user=user, action=Action.VIEW_CLINICAL, uuid=uuid, section=Section.OVERVIEW
        )
        return (
            allowed_actions(user, patient),
            list(safety_flags_for(user=user, patient=patient)),
            list(care_team_for(user=user, patient=patient)),
            list(treatment_goals_for(user=user, patient=patient)),
            notes_timeline(user=user, patient=patient, limit=5),
        )

    return read


def notes_page(user: User, uuid: Any) -> Callable[[], Any]:
    def read() -> Any:
        patient = patient_get_for(
            user=user, action=Action.VIEW_CLINICAL, uuid=uuid, section=Section.NOTES
        )
        return notes_timeline(user=user, patient=patient)

    return read


def page(user: User, url_name: str, uuid: Any = None) -> Callable[[], Any]:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    url = reverse(url_name, kwargs={"patient_uuid": uuid} if uuid else None)

    def read() -> Any:
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code} for {user.username}.")
        return response

    return read


def subject(username: str) -> tuple[User, Any, int, int]:
    """Return the clinician, the patient they lead with the most notes, caseload and notes."""
    user = User.objects.get(username=username)
    led = CareTeamMembership.objects.active().filter(clinician=user, role=CareTeamRole.LEAD)
    patient_ids = list(led.values_list("patient_id", flat=True))
    if not patient_ids:
        sys.exit(f"{username} leads no patients: load the data with `manage.py seed_scale`.")
    busiest = (
        ClinicalNote.objects.filter(patient_id__in=patient_ids)
        .values("patient_id", "patient__uuid")
        .order_by()
        .annotate(n=django.db.models.Count("id"))
        .order_by("-n")
        .first()
    )
    return user, busiest["patient__uuid"], len(patient_ids), busiest["n"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--mode", choices=("selectors", "pages"), default="selectors")
    arguments = parser.parse_args()
    runs = arguments.runs
    db = connection.settings_dict
    print(
        f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}; {runs} runs per read; "
        f"{arguments.mode}; load average {os.getloadavg()[0]:.1f}"
    )
    subjects = {label: subject(name) for label, name in (("light", LIGHT), ("heavy", HEAVY))}
    for label, (user, _uuid, caseload, notes) in subjects.items():
        print(
            f"  {label}: {user.username} leads {caseload} patients;"
            f" the overview patient has {notes} notes"
        )
    reads: dict[str, Callable[[User, Any], Callable[[], Any]]] = {
        "my patients, page 1": lambda user, _uuid: my_patients_page(user),
        "caseload counts": lambda user, _uuid: home_counts(user),
        "patient overview": overview,
        "notes timeline": notes_page,
    }
    if arguments.mode == "pages":
        rules = ConfidentialityRules.objects.order_by("-version").first()
        for user, *_rest in subjects.values():
            if rules is not None:
                rules_acknowledge(user=user, rules=rules)
        reads = {
            "home": lambda user, _uuid: page(user, "home:home"),
            "my patients": lambda user, _uuid: page(user, "patients:list"),
            "patient overview": lambda user, uuid: page(user, "patients:overview", uuid),
            "notes": lambda user, uuid: page(user, "patients:notes", uuid),
        }
    print()
    print(f"{'read':<22}{'light ms':>10}{'q':>4}{'heavy ms':>11}{'q':>4}{'ratio':>8}")
    for name, build in reads.items():
        results = {
            label: measure(build(user, uuid), runs)
            for label, (user, uuid, _caseload, _notes) in subjects.items()
        }
        light, heavy = results["light"], results["heavy"]
        print(
            f"{name:<22}{light.median_ms:>10.2f}{light.queries:>4}"
            f"{heavy.median_ms:>11.2f}{heavy.queries:>4}{heavy.median_ms / light.median_ms:>8.2f}"
        )
    if arguments.mode == "selectors":
        oversight(runs)
    # Other work on the machine inflates every figure: compare runs at a similar load only.
    print(f"Load average at the end: {os.getloadavg()[0]:.1f}")


def oversight(runs: int) -> None:
    """Print the metadata list and counts for a supervisor and a manager (every patient)."""
    users = list(User.objects.filter(username__in=OVERSIGHT).order_by("username"))
    if len(users) != len(OVERSIGHT):
        return
    print()
    print(f"{'oversight read':<22}{'user':<16}{'patients':>9}{'ms':>9}{'q':>4}")
    for user in sorted(users, key=lambda u: OVERSIGHT.index(u.username)):
        visible = caseload_counts(user=user).total
        for name, read in (
            ("caseload, page 1", caseload_page(user)),
            ("caseload counts", home_counts(user)),
        ):
            result = measure(read, runs)
            print(
                f"{name:<22}{user.username:<16}{visible:>9}{result.median_ms:>9.2f}"
                f"{result.queries:>4}"
            )


if __name__ == "__main__":
    main()
