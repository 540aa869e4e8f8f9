"""Settings come from the environment; production refuses unsafe ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 30 + "-very-random-production-secret-key"


def load(settings_module: str, **env) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"}
    }
    clean.update(env)
    code = (
        f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']={settings_module!r}; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.TIME_ZONE, s.LANGUAGE_CODE)"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_production_refuses_debug():
    result = load("config.settings.prod", DEBUG="1", SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_refuses_default_or_missing_key():
    assert "SECRET_KEY" in load("config.settings.prod").stderr
    assert "SECRET_KEY" in load("config.settings.prod", SECRET_KEY="short").stderr


def test_production_starts_with_safe_settings():
    result = load("config.settings.prod", SECRET_KEY=GOOD_KEY, DATABASE_URL="postgres://u@127.0.0.1:5432/db")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.postgresql",
        "True",
        "Asia/Taipei",
        "zh-hant",
    ]


def test_dev_defaults_are_sqlite_and_eager_tasks():
    result = load("config.settings.dev")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3", "True", "Asia/Taipei", "zh-hant"]


def test_broker_url_turns_off_eager_tasks():
    result = load("config.settings.dev", CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert result.stdout.split()[2] == "False"
