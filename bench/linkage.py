"""Benchmark: linkage quality against the ground truth, and linkage speed, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/youthrisk_bench \
        .venv/bin/python bench/linkage.py --youth 20000 --years 4

Generates a synthetic city (default dirt rates), imports every feed except the police contacts recorded on
the last day, runs ``link_records`` (full: train + link + youth records + timeline), exports the links and
scores them against ``truth/record_person.csv`` (pairwise precision, recall, F1, share of records sent to
review), then imports the held-back day and links it incrementally. ``--skip-timeline`` leaves the timeline
out of the full-link timing (it is reported by the import benchmark's rows/s anyway).

It drops and recreates the database named in DATABASE_URL, whose name must end in 'bench'.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _split_last_day(data: bytes) -> tuple[bytes, bytes, int]:
    """(all but the last recorded day, the last recorded day, rows in the last day) of a police file."""
    text = data.decode("utf-8-sig") if data[:3] == b"\xef\xbb\xbf" else None
    if text is None:
        from integrations.feeds.contract import read_rows

        encoding = read_rows(data).encoding
        text = data.decode(encoding)
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    col = header.index("recorded_on")
    from integrations.feeds.contract import parse_date

    def day(row):
        try:
            return parse_date(row[col])
        except Exception:  # noqa: BLE001 - broken rows stay with the bulk
            return None

    last = max(d for d in (day(r) for r in body) if d)
    keep = [r for r in body if day(r) != last]
    held = [r for r in body if day(r) == last]

    def write(part):
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(header)
        w.writerows(part)
        return out.getvalue().encode("utf-8")

    return write(keep), write(held), len(held)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--youth", type=int, default=20000)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-timeline", action="store_true")
    parser.add_argument("--city", help="use an already generated city folder instead of generating one")
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

    from casework.demo import ensure_reference_data
    from integrations.feeds.contract import FEEDS
    from integrations.feeds.importing import import_file_bytes
    from integrations.linkage import evaluate, service
    from integrations.linkage import timeline as timeline_mod
    from integrations.models import ReviewPair, ReviewStatus
    from integrations.synthetic import generate_city

    call_command("migrate", verbosity=0)
    ensure_reference_data()
    figures: dict = {"youth": args.youth, "years": args.years, "seed": args.seed}
    with tempfile.TemporaryDirectory() as tmp:
        out = args.city or tmp
        if not args.city:
            generate_city(youth=args.youth, years=args.years, seed=args.seed, out=out)
        held_day = b""
        t0 = time.perf_counter()
        rows = 0
        for feed in FEEDS:
            data = (Path(out) / f"{feed}.csv").read_bytes()
            if feed == "police.contacts":
                data, held_day, figures["day_rows"] = _split_last_day(data)
            rows += import_file_bytes(feed=feed, data=data, file_name=f"{feed}.csv").rows_read
        figures["import_rows"] = rows
        figures["import_seconds"] = round(time.perf_counter() - t0, 1)

        if args.skip_timeline:
            timeline_mod_sync = timeline_mod.sync_events
            service.sync_events = lambda **kw: {}
        t0 = time.perf_counter()
        full = service.link_all()
        figures["full_link_seconds"] = round(time.perf_counter() - t0, 1)
        figures["full_link"] = full
        if args.skip_timeline:
            service.sync_events = timeline_mod_sync
            t0 = time.perf_counter()
            figures["timeline"] = timeline_mod_sync()
            figures["timeline_seconds"] = round(time.perf_counter() - t0, 1)

        links_path = Path(tmp) / "links.csv"
        call_command("export_links", str(links_path), verbosity=0)
        with open(links_path, encoding="utf-8", newline="") as handle:
            assigned = {(r["feed"], r["record_key"]): r["youth_id"] for r in csv.DictReader(handle)}
        review_records = set()
        for lf, lk, rf, rk in ReviewPair.objects.filter(status=ReviewStatus.OPEN).values_list(
            "left_feed", "left_key", "right_feed", "right_key"
        ):
            review_records |= {(lf, lk), (rf, rk)}
        figures["quality"] = evaluate.pairwise_scores(
            assigned, evaluate.read_truth(Path(out)), review_records=len(review_records)
        )

        t0 = time.perf_counter()
        import_file_bytes(feed="police.contacts", data=held_day, file_name="police.contacts.day.csv")
        # The day's import keeps the linkage key table (integrations/linkage/keys.py): its cost is here.
        figures["day_import_seconds"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        figures["incremental"] = service.link_incremental()
        figures["incremental_seconds"] = round(time.perf_counter() - t0, 2)
    print(json.dumps(figures, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
