"""Benchmark: generate a synthetic city and import every feed on PostgreSQL; prints rows/s per feed and overall.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/youthrisk_bench \
        .venv/bin/python bench/import_throughput.py --youth 20000 --years 3

It drops and recreates the database named in DATABASE_URL (which must not be the production database).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--youth", type=int, default=20000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not url.rsplit("/", 1)[-1].endswith("bench"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database whose name ends in 'bench' (it is recreated).")
    name = url.rsplit("/", 1)[-1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command

    from integrations.feeds.contract import FEEDS  # the roster (school.students) comes first
    from integrations.feeds.importing import import_file_bytes
    from integrations.synthetic import generate_city

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        generate_city(youth=args.youth, years=args.years, seed=args.seed, out=out)
        print(f"generated {args.youth} youth x {args.years} years in {time.perf_counter() - t0:.1f} s")
        total_rows = 0
        total_time = 0.0
        for feed in FEEDS:
            data = (Path(out) / f"{feed}.csv").read_bytes()
            t0 = time.perf_counter()
            summary = import_file_bytes(feed=feed, data=data, file_name=f"{feed}.csv")
            took = time.perf_counter() - t0
            total_rows += summary.rows_read
            total_time += took
            print(
                f"{feed:<20} {summary.rows_read:>9} rows {took:7.2f} s {summary.rows_read / took:>9.0f} rows/s "
                f"(created {summary.created}, quarantined {summary.quarantined})"
            )
        print(
            f"{'all feeds':<20} {total_rows:>9} rows {total_time:7.2f} s {total_rows / total_time:>9.0f} rows/s"
        )


if __name__ == "__main__":
    main()
