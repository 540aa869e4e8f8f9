"""python manage.py export_links PATH"""

from pathlib import Path

from django.core.management.base import BaseCommand

from integrations.linkage.service import export_links


class Command(BaseCommand):
    help = (
        "Write CSV feed,record_key,youth_id: one row per linked person-naming source record "
        "(school.students keys are school_code/student_no). Sealed records are not exported."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        rows = export_links(Path(path))
        self.stdout.write(f"{rows} links written to {path}")
