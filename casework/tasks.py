"""Deadline jobs (Celery beat): escalate overdue alerts, remind workers of next steps. Both are idempotent:
an alert escalates once, a reminder is sent once, however often the job runs.

``RETRY`` is the one retry policy of every task in the project (``integrations`` and ``riskmodel`` use it
too): delivery is at least once, so each task must be safe to run again, and a transient failure is retried
with exponential backoff rather than lost (docs/operations.md, "Tasks").
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerConnectionError

# Failures that pass: the database restarting or failing over (OperationalError, also deadlocks and
# serialisation failures), a connection it closed under us (InterfaceError), the broker unreachable while a
# task enqueues its follow-up. Anything else is a bug or bad data and retrying would not help.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerConnectionError)

RETRY = {
    "autoretry_for": TRANSIENT_ERRORS,
    # 1 s, 2 s, 4 s ... capped at 10 minutes, with jitter so that workers do not retry in lockstep; eight
    # retries span about a quarter of an hour, longer than a database failover.
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
    # Acknowledge only when done: a worker killed mid-task leaves the message to be run again.
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(**RETRY)
def escalate_overdue_alerts() -> dict:
    from casework.triage.alerting import escalate_overdue_alerts as escalate

    return {"escalated": escalate()}


@shared_task(**RETRY)
def remind_due_steps() -> dict:
    from casework.triage.alerting import remind_due_steps as remind

    return {"reminded": remind()}
