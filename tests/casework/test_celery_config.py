"""Celery as operations run it: long work on its own queues, every task with a time limit below the broker's
visibility timeout, and results kept on the broker's Redis."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

from config.celery import app
from tests.casework.test_settings import load

PROJECT_TASKS = {
    "integrations.tasks.import_feed_file": "imports",
    "integrations.tasks.link_after_import": "linkage",
    "integrations.tasks.purge_expired_records": "linkage",
    "riskmodel.tasks.score_nightly": "scoring",
    "casework.tasks.escalate_overdue_alerts": "celery",
    "casework.tasks.remind_due_steps": "celery",
}


def _queue(name: str) -> str:
    route = app.amqp.router.route({}, name, args=(), kwargs={})
    return route["queue"].name


def test_imports_linkage_and_scoring_each_have_their_queue_and_deadlines_keep_the_default():
    app.loader.import_default_modules()
    assert set(PROJECT_TASKS) <= set(app.tasks)
    assert {name: _queue(name) for name in PROJECT_TASKS} == PROJECT_TASKS
    # A worker started on WORKER_QUEUES consumes every queue a task is routed to.
    assert set(PROJECT_TASKS.values()) <= set(settings.WORKER_QUEUES)


def test_every_task_has_a_time_limit_below_the_visibility_timeout():
    app.loader.import_default_modules()
    visibility_timeout = (app.conf.broker_transport_options or {}).get("visibility_timeout", 3600)
    for name in PROJECT_TASKS:
        task = app.tasks[name]
        annotation = settings.CELERY_TASK_ANNOTATIONS.get(name, {})
        hard = annotation.get("time_limit") or task.time_limit or app.conf.task_time_limit
        soft = annotation.get("soft_time_limit") or task.soft_time_limit or app.conf.task_soft_time_limit
        assert hard and soft and soft < hard < visibility_timeout, (name, soft, hard)


def test_results_go_to_the_brokers_redis_and_nowhere_in_eager_mode():
    assert load("config.settings.dev", CELERY_BROKER_URL="redis://127.0.0.1:6379/0").returncode == 0
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings.dev'; django.setup();"
        "from django.conf import settings as s; print(s.CELERY_RESULT_BACKEND)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    eager = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    redis = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert eager.stdout.strip() == "None"
    assert redis.stdout.strip() == "redis://127.0.0.1:6379/0"


def test_the_shared_cache_is_the_brokers_redis_database_one_whatever_the_broker_url_says():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings.dev'; django.setup();"
        "from django.conf import settings as s; print(s.CACHES['default'].get('LOCATION', 'memory'))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "CACHE_"))}
    expected = {
        "": "memory",
        "redis://cache:6379": "redis://cache:6379/1",
        "redis://cache:6379/0": "redis://cache:6379/1",
        "rediss://:secret@cache:6380/3?ssl_cert_reqs=required": "rediss://:secret@cache:6380/1?ssl_cert_reqs=required",
    }
    for broker, location in expected.items():
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**env, "CELERY_BROKER_URL": broker},
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == location, (broker, out.stdout)
