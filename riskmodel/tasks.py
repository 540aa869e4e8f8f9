"""Nightly scoring (Celery beat). Idempotent: scoring the same date again replaces that date's scores, and a
run killed half-way leaves nothing behind (``service.score_youth`` writes in one transaction)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from casework.tasks import RETRY


@shared_task(bind=True, **RETRY)
def score_nightly(self, as_of: str | None = None) -> dict:
    """Score every youth in scope with the active model as of today (or ``as_of``, YYYY-MM-DD). Without
    an active model there is nothing to do, and that is reported, not raised."""
    from .service import active_model, score_youth

    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    if active_model() is None:
        return {"as_of": day.isoformat(), "scored": 0, "reason": "no active model"}
    run = score_youth(as_of=day)
    return {"as_of": day.isoformat(), "scored": run.scored, "model": run.model.label}
