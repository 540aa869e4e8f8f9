"""Celery application. Tasks run eagerly (in-process) when no broker is configured.

Delivery is "at least once": tasks acknowledge their message only after they finish (``acks_late``, set in
settings and on every task), so a worker killed mid-task leaves the message with the broker and another
worker runs it again. Every task is therefore written to be safe to run twice (docs/operations.md, "Tasks").
"""

import json
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("youthrisk")
app.config_from_object("django.conf:settings", namespace="CELERY")
# With late acknowledgement a worker should hold only the message it is working on: a prefetched message
# would wait, unacknowledged, behind a long import and be redelivered only after the visibility timeout.
app.conf.worker_prefetch_multiplier = 1
app.conf.broker_connection_retry_on_startup = True
# Redis redelivers a message that was taken but never acknowledged (its worker died) once the visibility
# timeout has passed. The default (one hour) must stay longer than the longest task, or a task still running
# is handed to a second worker; operators may tune it, e.g.
# CELERY_BROKER_TRANSPORT_OPTIONS='{"visibility_timeout": 7200}'.
_transport_options = os.environ.get("CELERY_BROKER_TRANSPORT_OPTIONS")
if _transport_options:
    app.conf.broker_transport_options = json.loads(_transport_options)
app.autodiscover_tasks()


@task_prerun.connect
def _task_context(task_id=None, **_kwargs):
    """While a task runs, its log lines carry its task id where a web request's carry the request id."""
    from config.logging import request_id, user_id

    request_id.set(task_id or "")
    user_id.set("")


@task_postrun.connect
def _task_context_done(**_kwargs):
    from config.logging import request_id

    request_id.set("")
