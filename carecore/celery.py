"""The Celery application.

Tasks take ids only (the broker holds messages in plaintext), serialise as JSON only, and are
enqueued after the surrounding transaction commits. With no broker configured, they run eagerly.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecore.settings.local")

app = Celery("carecore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
