"""Every Celery task of the project is acknowledged late and retried with backoff on transient failures; a
transient failure is retried, not lost."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerConnectionError

from casework.tasks import RETRY, TRANSIENT_ERRORS
from casework.triage import alerting
from config.celery import app

PROJECT_APPS = ("casework.", "integrations.", "riskmodel.", "privacy.", "accounts.")


def project_tasks() -> dict:
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if name.startswith(PROJECT_APPS)}


def test_the_scheduled_and_feed_tasks_are_all_registered():
    names = set(project_tasks())
    assert {
        "casework.tasks.escalate_overdue_alerts",
        "casework.tasks.remind_due_steps",
        "integrations.tasks.import_feed_file",
        "integrations.tasks.link_after_import",
        "riskmodel.tasks.score_nightly",
    } <= names


@pytest.mark.parametrize("name", sorted(project_tasks()))
def test_every_task_is_acknowledged_late_and_retried_with_exponential_backoff(name):
    task = project_tasks()[name]
    assert task.acks_late is True  # a worker killed mid-task leaves the message to be run again
    assert task.retry_backoff and task.max_retries and task.retry_backoff_max <= 600
    assert OperationalError in task.autoretry_for  # the database restarting or failing over


@pytest.mark.parametrize(
    "name", sorted(n for n in project_tasks() if n.startswith(("casework.", "riskmodel.")))
)
def test_casework_and_scoring_tasks_retry_every_transient_failure(name):
    task = project_tasks()[name]
    assert set(TRANSIENT_ERRORS) <= set(task.autoretry_for)
    assert {InterfaceError, BrokerConnectionError} <= set(TRANSIENT_ERRORS)
    assert task.reject_on_worker_lost is True and RETRY["acks_late"] is True


@pytest.mark.django_db
def test_a_database_hiccup_is_retried_and_the_job_then_done(monkeypatch):
    from casework.tasks import escalate_overdue_alerts

    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return 3

    monkeypatch.setattr(alerting, "escalate_overdue_alerts", flaky)
    # As a worker would: the retry is recorded, not raised to the caller (eager tests propagate by default).
    monkeypatch.setattr(app.conf, "task_eager_propagates", False)
    result = escalate_overdue_alerts.apply()
    assert result.successful() and result.get() == {"escalated": 3}
    assert len(calls) == 2


@pytest.mark.django_db
def test_a_real_error_is_not_retried(monkeypatch):
    from casework.tasks import remind_due_steps

    calls = []

    def broken(**kwargs):
        calls.append(1)
        raise ValueError("a bug, not a passing failure")

    monkeypatch.setattr(alerting, "remind_due_steps", broken)
    monkeypatch.setattr(app.conf, "task_eager_propagates", False)
    result = remind_due_steps.apply()
    assert result.failed() and isinstance(result.result, ValueError)
    assert len(calls) == 1
