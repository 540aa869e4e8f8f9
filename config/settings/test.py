"""Test settings: the suite runs on PostgreSQL, the database of record."""

import os

import dj_database_url

from .base import *  # noqa: F401,F403

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/youthrisk"),
    )
}
# The test runner empties tables with TRUNCATE between transactional tests; the access log's TRUNCATE guard
# (casework migration 0004) lets only sessions that set this through.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c youthrisk.allow_audit_truncate=on"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The API fuzzing and crawl tests send thousands of requests as one user: rate limits far above them here;
# tests/accounts/test_throttling.py sets real ones.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"user": "100000/min", "feed": "100000/min", "anon": "100000/min"},
}
# Serve static files from the app folders (no collectstatic in tests, including browser tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
