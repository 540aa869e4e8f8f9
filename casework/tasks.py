"""Deadline jobs (Celery beat): escalate overdue alerts, remind workers of next steps. Both are idempotent:
an alert escalates once, a reminder is sent once, however often the job runs."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(**RETRY)
def escalate_overdue_alerts() -> dict:
    from .alerting import escalate_overdue_alerts as escalate

    return {"escalated": escalate()}


@shared_task(**RETRY)
def remind_due_steps() -> dict:
    from .alerting import remind_due_steps as remind

    return {"reminded": remind()}
