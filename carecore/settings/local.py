"""Settings for `make run`: the embedded demo (SQLite, eager tasks) unless configured otherwise."""

from __future__ import annotations

from .base import *
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
CARECORE_DEMO = env.bool("CARECORE_DEMO", default=True)

# Demo keys: fixed so the demo database keeps decrypting between runs. Never used in production,
# where carecore.settings.production reads real keys with no default.
CARECORE_FIELD_ENCRYPTION_KEYS = env.list(
    "CARECORE_FIELD_ENCRYPTION_KEYS",
    default=["demo-field-key-1-not-for-production-2b7f6c1d9e0a4c3b8f5e"],
)
CARECORE_BLIND_INDEX_KEY = env(
    "CARECORE_BLIND_INDEX_KEY", default="demo-blind-index-key-not-for-production-8d1e"
)
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# No broker means no beat: seal the audit chain right after each commit instead.
CARECORE_AUDIT_SEAL_ON_COMMIT = env.bool(
    "CARECORE_AUDIT_SEAL_ON_COMMIT",
    default=CELERY_TASK_ALWAYS_EAGER,
)
