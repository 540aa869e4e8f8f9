"""``manage.py subject_access YOUTH_ID --reference R --basis B --out PATH``: the subject-access file, from the
command line (for a request answered outside office hours or in bulk by a data steward on the server)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casework.access.audit import Actor
from casework.exports.writers import ExportFormat
from privacy.subject_access import LegalBasis, export_subject_access, youth_by_public_id


class Command(BaseCommand):
    help = "Write everything held about one youth (no sealed records) to an XLSX or JSON file, logged."

    def add_arguments(self, parser):
        parser.add_argument("youth_id", help="The youth ID (a merged record's ID finds the kept record).")
        parser.add_argument("--reference", required=True, help="The request's reference number.")
        parser.add_argument("--basis", required=True, choices=LegalBasis.values, help="The legal basis.")
        parser.add_argument("--basis-note", default="", help="The statute and article, for --basis other.")
        parser.add_argument("--out", required=True, help="The file to write (.xlsx or .json).")
        parser.add_argument("--format", choices=[ExportFormat.XLSX, ExportFormat.JSON], default=None)

    def handle(self, *args, youth_id, reference, basis, basis_note, out, format, **options):
        reference = reference.strip()
        if not reference:
            raise CommandError("--reference must not be blank")
        if basis == LegalBasis.OTHER and not basis_note.strip():
            raise CommandError("--basis other needs --basis-note naming the statute and article")
        path = Path(out)
        fmt = format or (ExportFormat.JSON if path.suffix.lower() == ".json" else ExportFormat.XLSX)
        youth = youth_by_public_id(youth_id)
        if youth is None:
            raise CommandError(f"no youth record {youth_id!r}")
        actor = replace(Actor.system("subject_access"), purpose=f"Subject access request {reference}"[:255])
        export = export_subject_access(
            youth, fmt, actor, reference=reference, basis=basis, basis_note=basis_note.strip()
        )
        path.write_bytes(export.content)
        self.stdout.write(
            f"{youth.public_id}: export number {export.number}, "
            f"{export.entry.detail['rows']} rows written to {path}"
        )
