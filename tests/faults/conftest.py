"""Fixtures for the fault tests: the shared world, and the Redis the worker tests run on."""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from tests.fixtures import world  # noqa: F401

REDIS_URL = os.environ.get("FAULTS_REDIS_URL", "redis://127.0.0.1:6379/11")


def database_url(name: str | None = None) -> str:
    """A libpq URL for the test database (or another database ``name`` on the same server)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "postgres") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name or db['NAME']}"


def services_required() -> bool:
    """In CI (``CI=true``) or with ``REQUIRE_SERVICES=1`` a missing Redis fails the test instead of skipping."""
    return os.environ.get("REQUIRE_SERVICES") == "1" or os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def redis_client() -> redis.Redis:
    """A client on the fault tests' own Redis database, emptied before and after the test."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"Redis at {REDIS_URL} is not reachable ({type(exc).__name__})"
        if services_required():
            pytest.fail(f"this test must run here: {reason}", pytrace=False)
        pytest.skip(reason)
    client.flushdb()
    yield client
    client.flushdb()
