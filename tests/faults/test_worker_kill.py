"""A real Celery worker on Redis, killed (SIGKILL) in the middle of an import and of a scoring run.

Delivery is at least once (``acks_late``): the killed worker never acknowledged its message, so Redis hands it
to the next worker once the visibility timeout has passed. These tests show that the work survives that:
nothing half-written is ever visible, and after the second worker has run the task again every row of the
file is stored exactly once (or quarantined with its reasons) and the date has one whole set of scores.

To kill the worker at a known point *inside* its transaction (not before or after it), the test holds a
table lock the task needs near its end (the quarantine table for an import, the scoring-run table for a
scoring run): the worker writes everything before that point, blocks, and is killed while blocked.

Needs Redis (``FAULTS_REDIS_URL``, default ``redis://127.0.0.1:6379/11``; the test empties that database
only). Without Redis the test is skipped, unless ``REQUIRE_SERVICES=1`` or ``CI=true``: then it fails.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import redis
from celery import Celery
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from casework.access.audit import Actor
from casework.models import Alert, AuditEntry, RiskScore
from integrations.feeds.importing import import_file_bytes
from integrations.linkage import service as linkage
from integrations.models import BatchStatus, ImportBatch, QuarantinedRow, SourceRecord
from integrations.synthetic import generate_city
from riskmodel import indicators, pipeline, service
from riskmodel.models import ScoringRun
from tests.faults.conftest import REDIS_URL, database_url

VISIBILITY_TIMEOUT = 4  # seconds before Redis hands an unacknowledged message to another worker
QUEUE = "celery"
START = dt.date(2021, 8, 1)
KNOWN_BY = dt.date(2024, 8, 1)
FEED = "school.absences"
OTHER_FEEDS = ("school.dropouts", "school.incidents", "school.counselling", "police.contacts",
               "welfare.reports", "welfare.assistance", "court.sealing")  # fmt: skip
# Rows that break the contract, appended to the file so that some rows must be quarantined.
BROKEN_ROWS = [
    ["AB-BROKEN-1", "9999999", "034501", "2023-09-01", "excused"],  # student on no roster
    ["AB-BROKEN-2", "1100006", "034501", "not-a-date", "excused"],
    ["AB-BROKEN-3", "1100006", "034501", "2023-09-02", "bunking"],
]

pytestmark = pytest.mark.django_db(transaction=True)


def _wait(condition: Callable[[], bool], *, timeout: float, what: str, worker: Worker | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None and worker.proc.poll() is not None:
            pytest.fail(f"the worker exited while waiting for {what}:\n{worker.log_tail()}")
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}" + (f":\n{worker.log_tail()}" if worker else ""))


class Worker:
    """``celery -A config worker`` in its own process group, on the test database and the test broker."""

    def __init__(self, name: str, log: Path):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.worker_test",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            # The log is read while the worker runs: write each line through, not when a buffer fills (a
            # worker stopped under load could otherwise take its last lines with it).
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("CELERY_BROKER_TRANSPORT_OPTIONS", None)
        self.log = log
        self._handle = open(log, "ab")  # noqa: SIM115 - closed in stop()/kill()
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                ",".join(settings.WORKER_QUEUES),
                "-n",
                f"{name}@faults",
            ],  # fmt: skip
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no chance to acknowledge or hand back its message."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._handle.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self._handle.close()


@contextmanager
def workers(tmp_path: Path) -> Iterator[Callable[[str], Worker]]:
    """Start workers on demand; whatever happens, none outlives the test (the database is emptied next)."""
    started: list[Worker] = []

    def start(name: str) -> Worker:
        worker = Worker(name, tmp_path / f"{name}.log")
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.kill()


@contextmanager
def table_held(table: str) -> Iterator[None]:
    """Hold a lock on ``table`` that blocks inserts (reads go on) from another session, until released."""
    with psycopg.connect(database_url()) as holder:
        holder.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')
        try:
            yield
        finally:
            holder.rollback()


def _someone_waits_for(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = %s AND NOT l.granted",
            [table],
        )
        return cursor.fetchone()[0] > 0


def _ran(worker: Worker, task_id: str) -> bool:
    """The worker's log shows it ran this very message (redelivered, same task id) to success."""
    log = worker.log.read_text(errors="replace")
    return f"[{task_id}] succeeded" in log


def _broker_idle(client: redis.Redis) -> bool:
    """Nothing queued and nothing taken but unacknowledged: every task has finished."""
    return client.llen(QUEUE) == 0 and client.hlen("unacked") == 0


@pytest.fixture
def broker(redis_client):
    producer = Celery("faults-producer", broker=REDIS_URL)
    yield redis_client, producer
    producer.close()


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("faultcity")
    generate_city(youth=1500, years=3, seed=11, out=out, start=START)
    with open(out / f"{FEED}.csv", "a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(BROKEN_ROWS)
    return out


def test_a_worker_killed_mid_import_and_mid_scoring_loses_and_duplicates_nothing(
    world, city, broker, tmp_path
):
    client, producer = broker
    figures = Counter()
    import_file_bytes(feed="school.students", data=(city / "school.students.csv").read_bytes())
    path = city / f"{FEED}.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    with workers(tmp_path) as start:
        # --- 1. An import, killed with its batch half-written ------------------------------------------
        first = start("import-1")
        with table_held(QuarantinedRow._meta.db_table):
            task = producer.send_task("integrations.tasks.import_feed_file", args=[FEED, str(path)])
            _wait(lambda: _someone_waits_for(QuarantinedRow._meta.db_table), timeout=60,
                  what="the import to reach its quarantine rows", worker=first)  # fmt: skip
            first.kill()
            figures["faults injected"] += 1
            # The source records are written but not committed: nobody sees any of them.
            assert not SourceRecord.objects.filter(feed=FEED).exists()
            assert not ImportBatch.objects.filter(feed=FEED).exists()
        second = start("import-2")
        _wait(lambda: ImportBatch.objects.filter(feed=FEED, status=BatchStatus.COMPLETED).exists(),
              timeout=60, what="the redelivered import", worker=second)  # fmt: skip
        _wait(lambda: _broker_idle(client), timeout=60, what="the import's follow-up tasks", worker=second)
        _wait(
            lambda: _ran(second, task.id),
            timeout=30,
            what="the redelivered message's success in the log",
            worker=second,
        )
        second.stop()
        assert _ran(second, task.id), "the second worker did not run the killed worker's message"
        figures["faults survived"] += 1

        batch = ImportBatch.objects.get(feed=FEED)
        stored = Counter(SourceRecord.objects.filter(feed=FEED).values_list("record_key", flat=True))
        quarantined = {q.row_number: q for q in QuarantinedRow.objects.filter(batch=batch)}
        stored_rows = set(SourceRecord.objects.filter(feed=FEED).values_list("row_number", flat=True))
        keys_stored = set(stored)
        lost = [
            n
            for n, row in enumerate(rows, start=1)
            if n not in stored_rows and n not in quarantined and row["absence_no"] not in keys_stored
        ]
        figures["rows in the file"] = len(rows)
        figures["rows lost"] = len(lost)
        figures["duplicate rows"] = sum(n - 1 for n in stored.values())
        assert lost == []
        assert figures["duplicate rows"] == 0
        assert all(q.reasons for q in quarantined.values())
        assert {r[0] for r in BROKEN_ROWS} <= {
            q.record_key or q.raw.get("absence_no") for q in quarantined.values()
        }
        assert batch.rows_read == len(rows)
        assert batch.created == sum(stored.values()) and batch.quarantined == len(quarantined)
        assert batch.created + batch.unchanged + batch.quarantined == len(rows)

        # --- 2. A scoring run, killed with its scores written but not committed ---------------------------
        for feed in OTHER_FEEDS:
            call_command("import_feed", feed, str(city / f"{feed}.csv"), "--no-link", verbosity=0)
        linkage.link_all()
        config = pipeline.TrainConfig(
            lgbm={**pipeline.TrainConfig().lgbm, "n_estimators": 40}, capacities=(25, 50)
        )
        model = service.train_model(as_of=KNOWN_BY, config=config)
        service.activate_model(model=model, actor=Actor.system("faults"), override_reason="fault test")
        in_scope = len(indicators.compute([KNOWN_BY]))
        alerts_before = Alert.objects.count()

        third = start("score-1")
        with table_held(ScoringRun._meta.db_table):
            task = producer.send_task("riskmodel.tasks.score_nightly", args=[KNOWN_BY.isoformat()])
            _wait(lambda: _someone_waits_for(ScoringRun._meta.db_table), timeout=60,
                  what="the scoring run to reach its run record", worker=third)  # fmt: skip
            third.kill()
            figures["faults injected"] += 1
            assert not RiskScore.objects.filter(as_of=KNOWN_BY).exists()
            assert Alert.objects.count() == alerts_before
        fourth = start("score-2")
        _wait(lambda: ScoringRun.objects.filter(as_of=KNOWN_BY).exists(), timeout=60,
              what="the redelivered scoring run", worker=fourth)  # fmt: skip
        _wait(lambda: _broker_idle(client), timeout=30, what="the scoring task to finish", worker=fourth)
        _wait(
            lambda: _ran(fourth, task.id),
            timeout=30,
            what="the redelivered message's success in the log",
            worker=fourth,
        )
        fourth.stop()
        assert _ran(fourth, task.id), "the second worker did not run the killed worker's message"
        figures["faults survived"] += 1

    scores = RiskScore.objects.filter(model_version=model.label, as_of=KNOWN_BY)
    runs = ScoringRun.objects.filter(model=model, as_of=KNOWN_BY)
    figures["youth in scope"] = in_scope
    figures["scores"] = scores.count()
    figures["duplicate scores"] = scores.values("youth_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    assert in_scope > 100 and figures["scores"] == in_scope
    assert figures["duplicate scores"] == 0
    assert sorted(scores.values_list("rank", flat=True)) == list(range(1, in_scope + 1))
    assert runs.count() == 1 and runs.get().scored == in_scope
    assert AuditEntry.objects.filter(object_type="scoringrun").count() == 1
    duplicate_alerts = (
        Alert.objects.values("youth_id", "reason", "routed_to").annotate(n=Count("pk")).filter(n__gt=1)
    )
    assert not duplicate_alerts.exists()
    print("\nworker-kill figures:", dict(figures))  # noqa: T201 - the figures the issue asks to report
