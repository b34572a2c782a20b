"""The production settings refuse to start without their secrets and pass `check --deploy`.

Each case runs in a fresh interpreter: settings are read once per process.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = "carecore.settings.production"

REQUIRED = (
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CARECORE_FIELD_ENCRYPTION_KEYS",
    "CARECORE_BLIND_INDEX_KEY",
)


def production_env(**overrides: str | None) -> dict[str, str]:
    """Return an environment with strong random production values; None removes a variable."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CARECORE_", "CELERY_")) and k != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE=PRODUCTION,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="carecore.example.org",
        DATABASE_URL="postgres://carecore:"
        + secrets.token_urlsafe(16)
        + "@127.0.0.1:5432/carecore",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        CARECORE_FIELD_ENCRYPTION_KEYS=f"{secrets.token_urlsafe(48)},{secrets.token_urlsafe(48)}",
        CARECORE_BLIND_INDEX_KEY=secrets.token_urlsafe(48),
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


IMPORT_SETTINGS = ["-c", f"import {PRODUCTION}"]


def test_settings_import_with_every_secret_set():
    result = run(IMPORT_SETTINGS, production_env())

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", REQUIRED)
def test_settings_refuse_to_load_without(missing):
    result = run(IMPORT_SETTINGS, production_env(**{missing: None}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_check_deploy_reports_no_issues():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_seed_demo_refuses_under_production_settings():
    result = run(["manage.py", "seed_demo"], production_env())

    assert result.returncode != 0
    assert "refuses to run under production settings" in result.stderr


@pytest.mark.parametrize("blank", REQUIRED)
def test_settings_refuse_to_load_with_a_blank(blank):
    result = run(IMPORT_SETTINGS, production_env(**{blank: " "}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert blank in result.stderr
