"""Production settings: every secret comes from the environment, with no default.

Importing this module without them raises ImproperlyConfigured, so the process refuses to start.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import env

_REQUIRED_MESSAGE = "Set the environment variable {name}: it is required and must not be empty."


def _required(name: str) -> str:
    """Return the variable `name`, refusing to start when it is unset or blank."""
    value = env.str(name)
    if not value.strip():
        raise ImproperlyConfigured(_REQUIRED_MESSAGE.format(name=name))
    return value


def _required_list(name: str) -> list[str]:
    """Return the comma-separated variable `name`, refusing an unset or empty list."""
    values = [item.strip() for item in _required(name).split(",") if item.strip()]
    if not values:
        raise ImproperlyConfigured(_REQUIRED_MESSAGE.format(name=name))
    return values


DEBUG = False
CARECORE_DEMO = False

SECRET_KEY = _required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = _required_list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db_url_config(_required("DATABASE_URL"))}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CARECORE_DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CELERY_BROKER_URL = _required("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False
CARECORE_FIELD_ENCRYPTION_KEYS = _required_list("CARECORE_FIELD_ENCRYPTION_KEYS")
CARECORE_BLIND_INDEX_KEY = _required("CARECORE_BLIND_INDEX_KEY")

CARECORE_REQUIRE_2FA = env.bool("CARECORE_REQUIRE_2FA", default=True)
CARECORE_REQUIRE_2FA_FOR_ADMINS = True

SECURE_SSL_REDIRECT = env.bool("CARECORE_SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-carecore_session"
CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
)
