"""python manage.py import_feed FEED PATH [--encoding ENC] [--json]"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from integrations import contract
from integrations.importing import import_file_bytes


class Command(BaseCommand):
    help = (
        "Import one feed file (CSV, UTF-8 or CP950/Big5, detected). Prints rows read, created, updated, "
        "unchanged and quarantined. Exits 0 even when rows were quarantined; non-zero only when the file as a "
        "whole cannot be read."
    )

    def add_arguments(self, parser):
        parser.add_argument("feed", help=f"one of: {', '.join(contract.FEEDS)}")
        parser.add_argument("path")
        parser.add_argument("--encoding", help="force an encoding (utf-8, utf-8-sig, cp950, big5)")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, feed, path, encoding=None, json: bool = False, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            summary = import_file_bytes(
                feed=feed, data=file.read_bytes(), file_name=file.name, encoding=encoding
            )
        except contract.ContractError as exc:
            raise CommandError(f"{feed} {path}: {exc}") from exc
        self.stdout.write(_json_dumps(summary.as_dict()) if json else summary.as_text())


def _json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
