"""Benchmark the supervision dashboards, their charts and CSV downloads on the scale data set.

Runs in-process against a database loaded with `manage.py seed_scale` and prints the median
time and the number of queries for each read: the manager's dashboard (the selector, its parts,
the page, a chart and a CSV download) for the demo `manager`, the supervisor's dashboard for the
roster's `supervisor-001` (twelve supervisees), and the clinician's own dashboard for a
clinician leading 30 patients and one leading 300, with the ratio between the two. Pages are
requested with Django's test client (middleware, view, template), after marking the users as
having acknowledged the current rules. It reports; it asserts nothing.

With `--baseline URL` (a database loaded with `seed_demo` only) it measures the manager's
dashboard there too, in a child process, and prints the ratio scale / demo.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carecore_scale \
    DJANGO_SETTINGS_MODULE=carecore.settings.local CARECORE_AUDIT_SEAL_ON_COMMIT=false \
    .venv/bin/python benchmarks/supervision_pages.py --runs 20 \
        --baseline postgres://postgres@127.0.0.1:5432/carecore_demo

Every dashboard, chart and download writes its audit event, as on the pages, so each run adds
rows to the audit trail.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecore.settings.local")

import django

django.setup()
# django-axes logs every force_login at INFO: keep the tables readable.
logging.getLogger("axes").setLevel(logging.WARNING)

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from carecore.accounts.models import ConfidentialityRules, User  # noqa: E402
from carecore.accounts.services.rules import rules_acknowledge  # noqa: E402
from patients.models import CareTeamMembership, CareTeamRole  # noqa: E402
from staffwellbeing.selectors.aggregates import wellbeing_aggregates_for  # noqa: E402
from supervision.selectors.caseload import caseload_assessments, guideline_current  # noqa: E402
from supervision.selectors.dashboards import (  # noqa: E402
    dashboard_chart_rows_for,
    dashboard_manager_for,
    dashboard_me_for,
    dashboard_supervisor_for,
    job_review_rows,
    open_transfers,
    organisation_clinicians,
    supervisees_of,
)
from supervision.selectors.reviews_due import review_statuses  # noqa: E402
from supervision.selectors.status import supervision_statuses  # noqa: E402

MANAGER = "manager"  # the demo manager (seed_demo), present in both data sets
SUPERVISOR = "supervisor-001"  # a roster supervisor of twelve bulk clinicians
LIGHT = "scale-clinician-0002"
HEAVY = "scale-clinician-0001"


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


def user_named(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        sys.exit(f"No user {username}: load the data with `manage.py seed_scale`.")
    return user


def acknowledge(*users: User) -> None:
    """Mark `users` as having acknowledged the current rules, so the pages open."""
    rules = ConfidentialityRules.objects.order_by("-version").first()
    if rules is not None:
        for user in users:
            rules_acknowledge(user=user, rules=rules)


def page(user: User, url: str, content_type: str = "text/html") -> Callable[[], Any]:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    def read() -> Any:
        response = client.get(url)
        if response.status_code != 200 or content_type not in response["Content-Type"]:
            sys.exit(f"{url} answered {response.status_code} for {user.username}.")
        return response.content

    return read


def chart_url(name: str) -> str:
    return reverse("supervision:dashboard_chart", kwargs={"name": name}) + "?page=1"


def csv_url(dashboard: str, table: str) -> str:
    return reverse("supervision:dashboard_csv", kwargs={"dashboard": dashboard, "table": table})


def manager_reads(manager: User) -> dict[str, Callable[[], Any]]:
    """Return the manager's dashboard reads: selector, page, a chart and a CSV download."""
    return {
        "dashboard_manager_for": lambda: dashboard_manager_for(user=manager),
        "manager page": page(manager, reverse("supervision:dashboard_manager")),
        "chart manager-caseload.svg": page(manager, chart_url("manager-caseload"), "image/svg"),
        "chart manager-stages.svg": page(manager, chart_url("manager-stages"), "image/svg"),
        "csv manager/clinicians.csv": page(manager, csv_url("manager", "clinicians"), "text/csv"),
    }


def manager_parts(manager: User) -> dict[str, Callable[[], Any]]:
    """Return the selectors `dashboard_manager_for` composes, each on its own."""
    now = timezone.now()
    today = timezone.localdate(now)
    guideline = guideline_current()
    ids = [person.pk for person in organisation_clinicians()]
    return {
        "organisation_clinicians": organisation_clinicians,
        "caseload_assessments": lambda: caseload_assessments(
            clinician_ids=ids, guideline=guideline, today=today
        ),
        "supervision_statuses": lambda: supervision_statuses(supervisee_ids=ids, now=now),
        "review_statuses": lambda: review_statuses(
            clinician_ids=ids, guideline=guideline, today=today
        ),
        "open_transfers": lambda: open_transfers(now=now),
        "job_review_rows": lambda: job_review_rows(user=manager, today=today),
        "wellbeing_aggregates_for": lambda: wellbeing_aggregates_for(user=manager),
        "chart rows (selector)": lambda: dashboard_chart_rows_for(
            user=manager, dashboard="manager", chart="caseload", page=1
        ),
    }


def print_rows(title: str, results: dict[str, Result]) -> None:
    print()
    print(f"{title:<32}{'ms':>10}{'q':>5}")
    for name, result in results.items():
        print(f"{name:<32}{result.median_ms:>10.2f}{result.queries:>5}")


def leads(user: User) -> int:
    return (
        CareTeamMembership.objects.active()
        .filter(clinician=user, role=CareTeamRole.LEAD)
        .values("patient_id")
        .count()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--baseline",
        metavar="DATABASE_URL",
        help="a database loaded with seed_demo only: measure the manager's dashboard there too",
    )
    parser.add_argument(
        "--manager-only",
        action="store_true",
        help="measure only the manager's dashboard and print the results as JSON (for --baseline)",
    )
    arguments = parser.parse_args()
    runs = arguments.runs
    manager = user_named(MANAGER)
    clinicians = len(organisation_clinicians())
    if arguments.manager_only:
        acknowledge(manager)
        reads = manager_reads(manager)
        results = {
            name: measure(reads[name], runs) for name in ("dashboard_manager_for", "manager page")
        }
        print(
            json.dumps(
                {
                    "clinicians": clinicians,
                    "load": os.getloadavg()[0],
                    "results": {name: asdict(result) for name, result in results.items()},
                }
            )
        )
        return

    db = connection.settings_dict
    print(
        f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}; {runs} runs per read; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    supervisor = user_named(SUPERVISOR)
    light, heavy = user_named(LIGHT), user_named(HEAVY)
    acknowledge(manager, supervisor, light, heavy)
    print(
        f"  {MANAGER}: {clinicians} clinicians on the dashboard; {SUPERVISOR}: "
        f"{len(supervisees_of(supervisor))} supervisees; {LIGHT} leads {leads(light)} patients, "
        f"{HEAVY} leads {leads(heavy)}"
    )

    manager_results = {name: measure(read, runs) for name, read in manager_reads(manager).items()}
    print_rows(f"manager ({clinicians} clinicians)", manager_results)
    print_rows(
        "parts of the manager's dashboard",
        {name: measure(read, runs) for name, read in manager_parts(manager).items()},
    )
    print_rows(
        f"supervisor ({SUPERVISOR})",
        {
            "dashboard_supervisor_for": measure(
                lambda: dashboard_supervisor_for(user=supervisor), runs
            ),
            "supervisor page": measure(
                page(supervisor, reverse("supervision:dashboard_supervisor")), runs
            ),
            "chart supervisor-caseload.svg": measure(
                page(supervisor, chart_url("supervisor-caseload"), "image/svg"), runs
            ),
            "csv supervisor/supervisees.csv": measure(
                page(supervisor, csv_url("supervisor", "supervisees"), "text/csv"), runs
            ),
        },
    )

    print()
    print(f"{'clinician (me)':<32}{'light ms':>10}{'q':>4}{'heavy ms':>11}{'q':>4}{'ratio':>8}")
    me_reads: dict[str, Callable[[User], Callable[[], Any]]] = {
        "dashboard_me_for": lambda user: lambda: dashboard_me_for(user=user),
        "me page": lambda user: page(user, reverse("supervision:dashboard_me")),
        "chart me-caseload.svg": lambda user: page(user, chart_url("me-caseload"), "image/svg"),
    }
    for name, build in me_reads.items():
        light_result, heavy_result = measure(build(light), runs), measure(build(heavy), runs)
        print(
            f"{name:<32}{light_result.median_ms:>10.2f}{light_result.queries:>4}"
            f"{heavy_result.median_ms:>11.2f}{heavy_result.queries:>4}"
            f"{heavy_result.median_ms / light_result.median_ms:>8.2f}"
        )

    if arguments.baseline:
        baseline(arguments.baseline, runs, clinicians, manager_results)
    # Other work on the machine inflates every figure: compare runs at a similar load only.
    print(f"Load average at the end: {os.getloadavg()[0]:.1f}")


def baseline(url: str, runs: int, clinicians: int, scale: dict[str, Result]) -> None:
    """Measure the manager's dashboard on the demo database in a child process; print ratios."""
    # A child process, so that no cached row or connection of this database leaks into it.
    child = subprocess.run(  # noqa: S603  # our own script, with our own interpreter
        [sys.executable, __file__, "--manager-only", "--runs", str(runs)],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        sys.exit(f"The baseline run failed:\n{child.stderr}")
    demo = json.loads(child.stdout.strip().splitlines()[-1])
    print()
    print(f"manager's dashboard, scale vs demo (load average {demo['load']:.1f} in the child)")
    print(
        f"{'read':<32}{'demo ms':>10}{'q':>4}{'scale ms':>11}{'q':>4}{'ratio':>8}"
        f"   ({demo['clinicians']} vs {clinicians} clinicians)"
    )
    for name, small in demo["results"].items():
        large = scale[name]
        print(
            f"{name:<32}{small['median_ms']:>10.2f}{small['queries']:>4}"
            f"{large.median_ms:>11.2f}{large.queries:>4}"
            f"{large.median_ms / small['median_ms']:>8.2f}"
        )


if __name__ == "__main__":
    main()
