"""Settings shared by every environment, read from the environment.

Environment variables:
- ``DATABASE_URL``: e.g. ``postgres://user@127.0.0.1:5432/youthrisk``; a SQLite file when unset.
- ``CELERY_BROKER_URL``: e.g. ``redis://127.0.0.1:6379/0``; tasks run eagerly when unset.
- ``SECRET_KEY``, ``DEBUG``, ``ALLOWED_HOSTS`` (comma-separated), ``CSRF_TRUSTED_ORIGINS``.
"""

import datetime as dt
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF

from config.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# A key that is only ever acceptable on a developer's machine; prod.py refuses it.
DEFAULT_INSECURE_SECRET_KEY = "insecure-dev-key-do-not-use-in-production"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_INSECURE_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "config.admin.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # Every version of cases, referrals, alerts, interventions and youth records (casework/history.py).
    "simple_history",
    "casework",
    "integrations",
    "riskmodel",
    "accounts",
    "privacy",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.DateStyleMiddleware",
    "config.logging.RequestContextMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: a timed-out user is told why on the sign-in page.
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "casework.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"].get("ENGINE", "").endswith("sqlite3"):
    # The demo's SQLite: a writer waits up to 30 s for another to finish (a sealing notice sent while a big
    # upload imports) instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "casework.User"
# django-axes first: it refuses a locked-out username+address before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.UsernameNotInPasswordValidator"},
    {"NAME": "accounts.validators.PasswordHistoryValidator", "OPTIONS": {"keep": 5}},
]

# Internationalisation: Traditional Chinese first, English available.
LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "casework.api.views.exception_handler",
    # DRF's own, except a JSON body nested too deeply answers 400, not 500 (casework/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "casework.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Per person, per feed token and per address (accounts/throttling.py); 429 with Retry-After beyond these.
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("API_RATE_USER", "600/min"),
        "feed": os.environ.get("API_RATE_FEED", "600/hour"),
        "anon": os.environ.get("API_RATE_ANON", "60/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Youth guidance case-management API",
    "DESCRIPTION": (
        "Integrated youth record, cases, alerts, referrals, interventions and triage decisions. "
        "Every endpoint applies need-to-know access; objects outside a user's reach answer 404."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind": name each choice set after what it is.
    "ENUM_NAME_OVERRIDES": {
        "NotificationKindEnum": "casework.models.NotificationKind",
        "ReferralKindEnum": "casework.models.ReferralKind",
        "InterventionKindEnum": "casework.models.InterventionKind",
        "EventKindEnum": "casework.models.EventKind",
    },
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# One cache for every process (API rate limits count there): CACHE_URL, else the broker's Redis (database 1),
# else memory in this process only (the demo's single runserver).
_cache_url = os.environ.get("CACHE_URL") or (
    urlsplit(CELERY_BROKER_URL)._replace(path="/1").geturl()
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    else ""
)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Results (a task's summary, e.g. an import's counts) are kept for a day where the worker can reach them: the
# broker's Redis unless CELERY_RESULT_BACKEND says otherwise; none in eager mode.
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else None
)
CELERY_RESULT_EXPIRES = 60 * 60 * 24
# Separate queues, so that a long import or relink never holds up the deadline jobs: run one worker per queue
# (or one worker on all), e.g. `celery -A config worker -Q imports`; see docs/operations.md.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "integrations.tasks.import_feed_file": {"queue": "imports"},
    "integrations.tasks.link_after_import": {"queue": "linkage"},
    "integrations.tasks.purge_expired_records": {"queue": "linkage"},
    "riskmodel.tasks.score_nightly": {"queue": "scoring"},
    # casework.tasks (escalation every ten minutes, reminders): the default queue, which nothing long shares.
}
WORKER_QUEUES = ("celery", "imports", "linkage", "scoring")
# Every task has a time limit: the soft limit raises inside the task (its transaction rolls back, so nothing
# is half-written) and the hard limit kills the process. They stay below the broker's visibility timeout
# (one hour by default), or a task still running would be handed to a second worker.
CELERY_TASK_SOFT_TIME_LIMIT = 50 * 60
CELERY_TASK_TIME_LIMIT = 55 * 60
CELERY_TASK_ANNOTATIONS = {
    "casework.tasks.escalate_overdue_alerts": {"soft_time_limit": 4 * 60, "time_limit": 5 * 60},
    "casework.tasks.remind_due_steps": {"soft_time_limit": 9 * 60, "time_limit": 10 * 60},
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# Workers log through LOGGING (JSON lines with the task id), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Celery beat: every youth in scope is scored with the active model each night (02:30 Taipei time).
CELERY_BEAT_SCHEDULE = {
    "score-every-youth-nightly": {
        "task": "riskmodel.tasks.score_nightly",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 60 * 60 * 6},
    },
    # Deadlines: an overdue alert reaches the supervisors within ten minutes of its deadline.
    "escalate-overdue-alerts": {
        "task": "casework.tasks.escalate_overdue_alerts",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 60 * 10},
    },
    # Retention: what has passed its retention date is purged each night, and the purge is logged.
    "purge-expired-records": {
        "task": "integrations.tasks.purge_expired_records",
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": 60 * 60 * 6},
    },
    "remind-due-steps": {
        "task": "casework.tasks.remind_due_steps",
        "schedule": crontab(hour=7, minute=0),
        "options": {"expires": 60 * 60 * 6},
    },
}

# Sessions: signed out after SESSION_IDLE_TIMEOUT seconds without a request, and SESSION_COOKIE_AGE after
# sign-in whatever the activity (accounts.middleware.SessionTimeoutMiddleware).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", 30 * 60))
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)
# Every page is served with no inline script or style; data: images are the Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Second factor (django-otp): required for the roles in accounts.services.SECOND_FACTOR_ROLES.
OTP_TOTP_ISSUER = "Youth guidance platform"
# Wrong codes: wait 1, 2, 4, 8 ... seconds before the next try (django-otp's throttling).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Sign-in lockout (django-axes): 5 failures lock a sign-in for 30 minutes, counted for one username from one
# address and for one username from all addresses together, so guesses spread over many addresses lock too.
# Either count reaching the limit locks the username (docs/security.md).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"
# The same address the access log records (REMOTE_ADDR, set correctly by the proxy; see docs/security.md).
AXES_CLIENT_IP_CALLABLE = "casework.access.audit.client_ip"
AXES_VERBOSE = False

# Structured logs (config/logging.py): JSON lines with request id and user id, national IDs masked.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
LOGGING = logging_config(LOG_FORMAT, os.environ.get("LOG_LEVEL", "INFO"))
