"""Settings shared by every environment.

Every value that differs between machines is read here, once, through one django-environ
reader. Variables are prefixed `DJANGO_` (framework) or `CARECORE_` (this project).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# The demo key is only ever used by local/test settings; production reads its own, no default.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="demo-only-secret-key-not-for-production-use-0001")
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

# "demo" is shown as a banner on every page when true (embedded SQLite, eager tasks).
CARECORE_DEMO = env.bool("CARECORE_DEMO", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "carecore.crypto",
    "carecore.audit",
    "carecore.accounts",
    "carecore.home",
    "patients",
    "staffwellbeing",
    "supervision",
    "lifecycle",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "carecore.audit.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "carecore.accounts.middleware.SessionPolicyMiddleware",
    "carecore.accounts.middleware.SecondFactorMiddleware",
    "carecore.accounts.middleware.RulesAcknowledgementMiddleware",
    "carecore.home.middleware.NoStoreMiddleware",
    "carecore.crypto.middleware.IntegrityErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes must be last: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "carecore.urls"
WSGI_APPLICATION = "carecore.wsgi.application"
ASGI_APPLICATION = "carecore.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "carecore.home.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# Embedded default: SQLite in var/. Set DATABASE_URL for PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'carecore.sqlite3'}"),
}
# Persistent connections: a new connection per request cost 78% of a minimal page's throughput.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CARECORE_DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The runtime role that gets SELECT/INSERT only on the audit tables: docs/operations.md and
# docs/decisions/0004-audit-sealing.md.
CARECORE_DB_APP_ROLE = env("CARECORE_DB_APP_ROLE", default="")
# The sealer links events into the hash chain every few seconds; events left unsealed longer
# than this are an alarm in audit_verify.
CARECORE_AUDIT_SEAL_STALE_AFTER = timedelta(minutes=1)
CARECORE_AUDIT_SEAL_LOOKBACK = timedelta(minutes=10)
CARECORE_AUDIT_SEAL_BATCH_SIZE = 1000

# --- Accounts, sign-in, sessions --------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "carecore_session"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CARECORE_SESSION_IDLE_TIMEOUT = timedelta(minutes=env.int("CARECORE_SESSION_IDLE_MINUTES", 15))
CARECORE_SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=env.int("CARECORE_SESSION_ABSOLUTE_HOURS", 10))
# Last activity is written at most this often: saving the session on every request cost a
# third of a minimal page's throughput.
CARECORE_SESSION_ACTIVITY_RESOLUTION = timedelta(seconds=60)
SESSION_COOKIE_AGE = int(CARECORE_SESSION_ABSOLUTE_TIMEOUT.total_seconds())

CARECORE_REQUIRE_2FA = env.bool("CARECORE_REQUIRE_2FA", default=False)
CARECORE_REQUIRE_2FA_FOR_ADMINS = env.bool("CARECORE_REQUIRE_2FA_FOR_ADMINS", default=False)
OTP_TOTP_ISSUER = "CareCore"

# django-axes: 5 failures for one username from one IP lock that pair for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# Our audit trail records sign-ins; axes' own access log would keep typed usernames in clear.
AXES_DISABLE_ACCESS_LOG = True
# What people type as a username is sometimes their password: axes stores a keyed hash of it.
AXES_USERNAME_CALLABLE = "carecore.accounts.services.signin.lockout_username_key"
# The lock lasts 30 minutes from the fifth failure; attempts during it do not extend it, so an
# attacker cannot keep a colleague locked out forever by retrying.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False
# Behind reverse proxies, set CARECORE_TRUSTED_PROXY_COUNT to how many append X-Forwarded-For;
# lockouts and audit events then name the real client address.
CARECORE_TRUSTED_PROXY_COUNT = env.int("CARECORE_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "carecore.audit.context.client_ip"

# --- Field encryption (carecore.crypto) -------------------------------------------------------
# Newest key first. Local and test settings provide demo keys; production has no default.
CARECORE_FIELD_ENCRYPTION_KEYS = env.list("CARECORE_FIELD_ENCRYPTION_KEYS", default=[])
CARECORE_BLIND_INDEX_KEY = env("CARECORE_BLIND_INDEX_KEY", default="")

# --- Security headers -------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("CARECORE_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env("CARECORE_MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Uploads stay in memory until they are encrypted: Django's default spools files over 2.5 MB to
# a plaintext temporary file. Larger bodies than the attachment limit get no file at all, and
# the upload page reports them as too large (the reverse proxy caps request size before this).
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024

# --- Background work (Celery) -----------------------------------------------------------------
# Unset broker: the embedded default runs tasks eagerly in the web process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The beat schedule is static and lives here, in one place.
CELERY_BEAT_SCHEDULE = {
    "audit-seal": {
        "task": "carecore.audit.tasks.audit_seal",
        "schedule": timedelta(seconds=5),
    },
    "audit-verify": {
        "task": "carecore.audit.tasks.audit_verify",
        "schedule": timedelta(hours=1),
    },
    # Access stops at expiry whatever happens; this records the lapse and queues the review.
    "patients-break-glass-lapse": {
        "task": "patients.tasks.break_glass_lapse",
        "schedule": timedelta(minutes=5),
    },
    # Reminders are database rows; the sweep is idempotent and catches up after an outage.
    "wellbeing-reminders": {
        "task": "staffwellbeing.tasks.wellbeing_reminders_send",
        "schedule": timedelta(hours=1),
    },
    # Overdue supervision and caseload reviews due: due rows make the hourly sweep idempotent.
    "supervision-reminders": {
        "task": "supervision.tasks.supervision_reminders",
        "schedule": timedelta(hours=1),
    },
    # Lists closed cases past retention for a privacy officer's decision; destroys nothing.
    "lifecycle-retention-review": {
        "task": "lifecycle.tasks.retention_review",
        "schedule": timedelta(days=1),
    },
}

# --- Logging ----------------------------------------------------------------------------------
# Logs carry ids and event names only; request bodies and form values are never logged.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("CARECORE_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django logs the failing request (with POST data in DEBUG pages) on 500s; keep the
        # record but never the body.
        "django.request": {"level": "ERROR", "propagate": True},
        "django.security.DisallowedHost": {"level": "ERROR", "handlers": [], "propagate": False},
        # Pillow logs image metadata (camera, location) at DEBUG while we strip it.
        "PIL": {"level": "INFO"},
    },
}
