"""Benchmark: a day's delivery of police contacts linked incrementally, on a city already linked.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rs150_bench \
        .venv/bin/python bench/linkage_incremental.py --contacts 30 --runs 3

Run it after ``bench/linkage.py`` (which leaves its city linked in the database it names). Each run copies
``--contacts`` existing police contacts under new contact numbers (the same people, so they join existing
youth), imports them with ``import_rows`` (which keeps the linkage key table) and links them with
``link_incremental``, and prints the time of each and the stages of the link. It adds those contacts to the
database, whose name must end in 'bench'.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not url.rsplit("/", 1)[-1].endswith("bench"):
        sys.exit("Set DATABASE_URL to a linked PostgreSQL benchmark database whose name ends in 'bench'.")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    from integrations.feeds.importing import import_rows
    from integrations.linkage import service
    from integrations.models import LinkageKey, SourceRecord

    for run in range(args.runs):
        contacts = SourceRecord.objects.filter(
            feed="police.contacts", is_current=True, sealed_at__isnull=True
        )
        tag = uuid.uuid4().hex[:6].upper()
        rows = [
            {**record.raw, "contact_no": f"BENCH{tag}{i:05d}"}
            for i, record in enumerate(contacts.order_by("?")[: args.contacts])
        ]
        t = time.perf_counter()
        summary = import_rows(feed="police.contacts", rows=rows)
        imported = time.perf_counter() - t
        t = time.perf_counter()
        figures = service.link_incremental()
        linked = time.perf_counter() - t
        stages = " · ".join(
            f"{k.removesuffix('_seconds')} {v}" for k, v in figures.items() if k.endswith("_seconds")
        )
        print(
            f"run {run + 1}: {summary.created} contacts imported in {imported:.2f} s, linked in {linked:.2f} s "
            f"({figures.get('records')} records read of {LinkageKey.objects.count():,}; {stages})"
        )


if __name__ == "__main__":
    main()
