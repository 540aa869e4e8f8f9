"""Backup and restore round trip: scripts/backup.sh (pg_dump) then scripts/restore.sh (pg_restore into a new
database) give back every table row for row, the sequences where they were, every stored model artefact,
and an access log that still refuses to be changed."""

from __future__ import annotations

import datetime as dt
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command

from casework.access.audit import Actor, record
from casework.models import AuditAction
from integrations.linkage import service as linkage
from integrations.synthetic import generate_city
from riskmodel.models import ModelStatus, RiskModel
from tests.faults.conftest import database_url

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPTS = Path(settings.BASE_DIR) / "scripts"
AUDIT = "casework_auditentry"


def run(script: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own scripts
        ["bash", str(SCRIPTS / script), *args],
        env={**__import__("os").environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Per table of the public schema: (row count, md5 of all rows in a fixed order); and every sequence's
    last value."""
    out: dict[str, tuple[int, str]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        for table in tables:
            count, digest = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t"
            ).fetchone()
            out[table] = (count, digest)
        for (sequence,) in conn.execute(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename"
        ).fetchall():
            out[f"sequence {sequence}"] = conn.execute(
                f'SELECT last_value, is_called FROM "{sequence}"'
            ).fetchone()
    return out


@pytest.fixture
def restored_name():
    name = f"youthrisk_restore_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restores_into_a_new_database_row_for_row_with_the_access_log_still_append_only(
    world, tmp_path, restored_name
):
    # Data of every kind: the world's cases and alerts, an imported and linked feed, a model artefact.
    city = tmp_path / "city"
    generate_city(youth=200, years=1, seed=4, out=city, start=dt.date(2023, 8, 1))
    for feed in ("school.students", "school.absences", "police.contacts"):
        call_command("import_feed", feed, str(city / f"{feed}.csv"), "--no-link", verbosity=0)
    linkage.link_all()
    model = RiskModel.objects.create(
        version=1,
        as_of=dt.date(2024, 8, 1),
        config={"features": ["a"]},
        data_snapshot={"events": 1},
        seed=2026,
        booster="tree\nversion=v4\n漢字 and a tab\there",
        calibrator={"kind": "isotonic", "x": [0.0, 1.0]},
        status=ModelStatus.ACTIVE,
    )
    record(Actor.system("backup-test"), AuditAction.CREATE, model)

    archive = tmp_path / "youthrisk.dump"
    backup = run("backup.sh", str(archive), env={"DATABASE_URL": database_url()})
    assert backup.returncode == 0, backup.stderr
    assert archive.exists() and (tmp_path / "youthrisk.dump.sha256").exists()

    target = database_url(restored_name)
    restore = run("restore.sh", str(archive), target)
    assert restore.returncode == 0, restore.stderr

    before, after = fingerprint(database_url()), fingerprint(target)
    assert before.keys() == after.keys()
    differing = sorted(name for name in before if before[name] != after[name])
    assert differing == []
    assert before["casework_youth"][0] > 100 and before["integrations_sourcerecord"][0] > 500
    assert before[AUDIT][0] > 0 and before["riskmodel_riskmodel"][0] == 1

    with psycopg.connect(target, autocommit=True) as conn:
        # The model artefact is the model: byte for byte.
        assert conn.execute("SELECT booster FROM riskmodel_riskmodel").fetchone()[0] == model.booster
        # The access log refuses change in the copy as it did in the original.
        for statement in (
            f"UPDATE {AUDIT} SET username = 'someone else'",
            f"DELETE FROM {AUDIT}",
            f"TRUNCATE {AUDIT}",
        ):
            with pytest.raises(psycopg.Error, match="append-only"):
                conn.execute(statement)
        # New rows carry on from the restored sequences rather than colliding with restored ids.
        conn.execute(
            f"INSERT INTO {AUDIT} (at, username, roles, action, object_type, object_id, youth_public_id, path, "
            "user_agent, purpose, detail) VALUES (now(), '', '', 'view', '', '', '', 'restore-check', '', '', '{}')"
        )
    assert fingerprint(target)[AUDIT][0] == before[AUDIT][0] + 1


def test_restore_refuses_a_database_that_already_holds_data(world, tmp_path):
    archive = tmp_path / "youthrisk.dump"
    assert run("backup.sh", str(archive), env={"DATABASE_URL": database_url()}).returncode == 0
    refused = run("restore.sh", str(archive), database_url())
    assert refused.returncode == 1 and "new, empty database" in refused.stderr


def test_restore_refuses_a_damaged_archive(world, tmp_path, restored_name):
    archive = tmp_path / "youthrisk.dump"
    assert run("backup.sh", str(archive), env={"DATABASE_URL": database_url()}).returncode == 0
    with open(archive, "r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00\x01\x02")
    refused = run("restore.sh", str(archive), database_url(restored_name))
    assert refused.returncode == 1 and "damaged" in refused.stderr
