"""Nightly scoring (Celery beat). Idempotent: scoring the same date again replaces that date's scores."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
    acks_late=True,
)
def score_nightly(self, as_of: str | None = None) -> dict:
    """Score every youth in scope with the active model as of today (or ``as_of``, YYYY-MM-DD). Without
    an active model there is nothing to do, and that is reported, not raised."""
    from .service import active_model, score_youth

    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    if active_model() is None:
        return {"as_of": day.isoformat(), "scored": 0, "reason": "no active model"}
    run = score_youth(as_of=day)
    return {"as_of": day.isoformat(), "scored": run.scored, "model": run.model.label}
