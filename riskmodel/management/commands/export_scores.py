"""python manage.py export_scores PATH"""

from pathlib import Path

from django.core.management.base import BaseCommand

from casework.access.audit import Actor, record
from casework.models import AuditAction
from riskmodel.service import export_scores


class Command(BaseCommand):
    help = "Write CSV youth_id,as_of,score,band,rank,model_version for the latest scoring run."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        rows = export_scores(Path(path))
        record(Actor.system("export_scores"), AuditAction.EXPORT, detail={"path": str(path), "rows": rows})
        self.stdout.write(f"{rows} scores written to {path}")
