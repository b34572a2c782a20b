"""Settings for the test suite: PostgreSQL by default, overridable by DATABASE_URL."""

from __future__ import annotations

from .base import *
from .base import env

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/carecore"),
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["TEST"] = {"NAME": env("CARECORE_TEST_DB_NAME", default=None)}

SECRET_KEY = "test-secret-key-only-for-the-test-suite-0123456789abcdef"  # noqa: S105
CARECORE_FIELD_ENCRYPTION_KEYS = ["test-field-key-1-only-for-the-test-suite-0123456789ab"]
CARECORE_BLIND_INDEX_KEY = "test-blind-index-key-only-for-the-test-suite-0123"

# Fast hashing: the suite signs users in thousands of times. Production keeps Django's default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = str(BASE_DIR / "var" / "test-media")
INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
