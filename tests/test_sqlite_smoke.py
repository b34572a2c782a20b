"""The embedded path of `make run`: SQLite, eager tasks, migrate, seed, sign in, render pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.smoke

REPO_ROOT = Path(__file__).resolve().parent.parent

# Runs inside the SQLite process: signs each demo user in through the real form and fetches the
# pages they can reach, printing one JSON report on the last line.
CLIENT_SCRIPT = r"""
import json

import django

django.setup()

from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import NoReverseMatch, reverse

from carecore.accounts.models import User
from carecore.home.seeding import DEMO_PASSWORD, DEMO_USERS

setup_test_environment()  # lets the test client's host through ALLOWED_HOSTS


def path(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


report = {"missing_urls": [], "users": {}}
pages = {name: path(name) for name in
         ("home:home", "accounts:security", "accounts:rules", "audit:event_list")}
report["missing_urls"] = sorted(name for name, url in pages.items() if url is None)
login_url = path("accounts:login")
demo = [spec.username for spec in DEMO_USERS]
for user in User.objects.filter(is_active=True, username__in=demo).order_by("username"):
    client = Client()
    response = client.post(login_url, {"username": user.username, "password": DEMO_PASSWORD})
    result = {"login": [response.status_code, response.get("Location", "")], "pages": {}}
    wanted = ["home:home", "accounts:security", "accounts:rules"]
    if user.has_role("admin") or user.is_privacy_officer:
        wanted.append("audit:event_list")
    for name in wanted:
        if pages[name] is None:
            continue
        page = client.get(pages[name], follow=True)
        html = page.content.decode()
        result["pages"][name] = [page.status_code, 'class="demo-banner"' in html]
    report["users"][user.username] = result
print(json.dumps(report))
"""


def _run(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_sqlite_demo_migrates_seeds_and_serves_every_role(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CARECORE_", "CELERY_", "DATABASE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="carecore.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CARECORE_MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONPATH=str(REPO_ROOT),
    )

    _run(["manage.py", "migrate", "--no-input", "-v", "0"], env)
    _run(["manage.py", "seed_demo"], env)
    # A second seed must not fail: `make run` seeds on every start.
    _run(["manage.py", "seed_demo"], env)
    report = json.loads(_run(["-c", CLIENT_SCRIPT], env).strip().splitlines()[-1])

    assert report["missing_urls"] == []
    assert sorted(report["users"]) == [
        "admin", "clinician", "clinician2", "manager", "privacy", "reception", "supervisor",
    ]  # fmt: skip
    home = "/"
    for username, result in report["users"].items():
        assert result["login"] == [302, home], f"{username} could not sign in: {result['login']}"
        expected_pages = {"home:home", "accounts:security", "accounts:rules"}
        if username in ("admin", "privacy"):
            expected_pages.add("audit:event_list")
        assert set(result["pages"]) == expected_pages, username
        for name, (status, has_banner) in result["pages"].items():
            assert status == 200, f"{username} got {status} on {name}"
            assert has_banner, f"{name} shows no demo banner to {username}"
