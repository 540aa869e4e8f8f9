"""Health endpoint for load balancers and monitoring: is the database answering, is the broker reachable, is
there an active risk model and has it scored lately.

Answers (JSON, never cached, open to anonymous callers so a load balancer can ask):

- ``200 {"status": "ok"}`` when everything is well;
- ``200 {"status": "degraded"}`` when the site works but risk scoring does not: no active model, or the
  active model has not scored for more than ``STALE_AFTER_DAYS`` days. Pages, cases and referrals still
  work, so a load balancer must keep sending traffic; monitoring should page the model steward;
- ``503 {"status": "error"}`` when the database or the broker is down: the instance cannot do its job.

The body holds statuses only: no personal data, no settings, no error text or stack trace (the reason goes to
the server log). ``docs/operations.md`` ("Health") describes it for operators.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# Seconds to wait for the broker: a health check must answer quickly even when the broker hangs.
BROKER_TIMEOUT = 1.0
# Scoring runs nightly; two missed nights are worth a look.
STALE_AFTER_DAYS = 2

OK, DEGRADED, ERROR = "ok", "degraded", "error"


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health: database check failed")
        return ERROR
    return OK


def check_broker() -> str:
    """``eager`` (healthy) when no broker is configured and tasks run in-process; else a real connection."""
    url = getattr(settings, "CELERY_BROKER_URL", "")
    if not url or getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return "eager"
    from kombu import Connection

    options = {"socket_timeout": BROKER_TIMEOUT, "socket_connect_timeout": BROKER_TIMEOUT}
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT, transport_options=options) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT)
    except Exception:  # noqa: BLE001 - any failure to reach the broker is a failed check
        logger.exception("health: broker check failed")
        return ERROR
    return OK


def check_model(now: dt.datetime | None = None) -> tuple[str, dict]:
    """``ok``, ``none`` (no active model) or ``stale`` (not scored lately), with the version and the day of
    the last scoring run."""
    from riskmodel.service import active_model

    model = active_model()
    if model is None:
        return "none", {}
    last = model.scoring_runs.order_by("-created_at").values_list("created_at", "as_of").first()
    facts = {"version": model.label, "last_scored_as_of": last[1].isoformat() if last else None}
    now = now or timezone.now()
    if last is None or now - last[0] > dt.timedelta(days=STALE_AFTER_DAYS):
        return "stale", facts
    return OK, facts


@never_cache
@require_safe
def health(request):
    checks = {"database": check_database(), "broker": check_broker()}
    body: dict = {"checks": checks}
    if checks["database"] == OK:
        try:
            checks["model"], model = check_model()
        except DatabaseError:
            logger.exception("health: model check failed")
            checks["model"], model = ERROR, {}
        if model:
            body["model"] = model
    else:
        checks["model"] = "unknown"  # it lives in the database
    if ERROR in checks.values():
        status = ERROR
    elif checks["model"] != OK:
        status = DEGRADED
    else:
        status = OK
    return JsonResponse({"status": status, **body}, status=503 if status == ERROR else 200)
