"""Settings for a real Celery worker started by the fault tests (tests/faults/test_worker_kill.py).

The test settings with a real broker instead of eager tasks, and a short visibility timeout so that a
message whose worker was killed is redelivered within seconds rather than an hour.
"""

import os

from .test import *  # noqa: F401,F403

CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "6")),
    # Look for abandoned messages every second (kombu's default is every 10 x 10 seconds).
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
