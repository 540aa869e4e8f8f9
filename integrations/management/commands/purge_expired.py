"""Remove what has passed its retention date: ``manage.py purge_expired [--as-of DATE] [--dry-run]``."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from casework.access.audit import Actor
from config.progress import Reporter
from integrations.retention.services import purge_expired


class Command(BaseCommand):
    help = "Purge records whose retention has expired (docs/retention.md); --dry-run only reports."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="Purge as of this date (YYYY-MM-DD); default today.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would go; change nothing.")
        parser.add_argument(
            "--json",
            action="store_true",
            help="print only the summary, as one JSON object (with stage seconds)",
        )

    def handle(self, *args, as_of=None, dry_run=False, **options):
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise CommandError(f"--as-of must be YYYY-MM-DD: {exc}") from exc
        reporter = Reporter.for_command(self, "purge_expired", options)
        with reporter.stage("purging" if not dry_run else "checking"):
            summary = purge_expired(
                as_of=day, dry_run=dry_run, actor=Actor.system("purge_expired command"), origin="command"
            )
        reporter.emit(self.stdout, summary.as_dict())
        if reporter.as_json:
            return
        verb = "would remove" if dry_run else "removed"
        self.stdout.write(
            f"Retention as of {summary.as_of}: {verb} {len(summary.youth_public_ids)} youth records."
        )
        for label, n in sorted(summary.counts.items()):
            self.stdout.write(f"  {label}: {n}")
        for reason, n in sorted(summary.held.items()):
            self.stdout.write(f"  held ({reason}): {n}")
        if summary.run_id:
            self.stdout.write(f"Logged as purge run {summary.run_id}.")
