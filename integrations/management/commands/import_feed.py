"""python manage.py import_feed FEED PATH [--encoding ENC] [--json]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.progress import Reporter
from integrations.feeds import contract
from integrations.feeds.importing import import_file_bytes


class Command(BaseCommand):
    help = (
        "Import one feed file (CSV, UTF-8 or CP950/Big5, detected). Prints rows read, created, updated, "
        "unchanged and quarantined. Exits 0 even when rows were quarantined; non-zero only when the file as a "
        "whole cannot be read. Stages and a progress bar on stderr (none with --verbosity 0); --json prints "
        "one JSON summary with seconds per stage."
    )

    def add_arguments(self, parser):
        parser.add_argument("feed", help=f"one of: {', '.join(contract.FEEDS)}")
        parser.add_argument("path")
        parser.add_argument("--encoding", help="force an encoding (utf-8, utf-8-sig, cp950, big5)")
        parser.add_argument(
            "--json",
            action="store_true",
            help="print only the summary, as one JSON object (with stage seconds)",
        )
        parser.add_argument(
            "--no-link",
            action="store_true",
            help="store the rows only; link and put events on the timeline later (link_records)",
        )

    def handle(self, *args, feed, path, encoding=None, json: bool = False, no_link: bool = False, **options):
        reporter = Reporter.for_command(self, "import_feed", {**options, "json": json})
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            summary = import_file_bytes(
                feed=feed,
                data=file.read_bytes(),
                file_name=file.name,
                encoding=encoding,
                progress=reporter.progress,
            )
        except contract.ContractError as exc:
            raise CommandError(f"{feed} {path}: {exc}") from exc
        result = summary.as_dict()
        if not no_link and summary.batch_id and (summary.created or summary.updated):
            from integrations.linkage.service import after_import

            with reporter.stage("linking"):
                result["linkage"] = after_import(summary.batch_id)
        reporter.emit(self.stdout, result)
        if json:
            return
        self.stdout.write(summary.as_text())
        linkage = result.get("linkage")
        if linkage is not None:
            if linkage.get("linked"):
                self.stdout.write(
                    f"linked: {linkage.get('new_or_changed', 0)} new or changed person records, "
                    f"{linkage.get('events_created', 0)} events added to timelines"
                )
            else:
                self.stdout.write(f"not linked: {linkage.get('reason')}")
