"""python manage.py link_records [--retrain] [--incremental] [--json]"""

from pathlib import Path

from django.core.management.base import BaseCommand

from config.progress import Reporter
from integrations.linkage.service import evaluate_against_truth, link_all, link_incremental


class Command(BaseCommand):
    help = (
        "(Re)link all current source records into youth records: same valid national ID first, then the "
        "active Splink model (trained on first use, or with --retrain); uncertain pairs go to the review "
        "queue. Youth IDs stay stable across runs; steward decisions are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retrain", action="store_true", help="train a new linkage model and make it active"
        )
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="only link records that are new or changed since last time",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="print only the figures, as one JSON object (with stage seconds)",
        )
        parser.add_argument(
            "--truth",
            metavar="CITY_DIR",
            help="a synthetic city's folder: score the links against its truth/record_person.csv and keep "
            "the figures with the active linkage model",
        )

    def handle(self, *args, retrain=False, incremental=False, json=False, truth=None, **options):
        reporter = Reporter.for_command(self, "link_records", {**options, "json": json})
        if incremental:
            figures = link_incremental(progress=reporter.progress)
        else:
            figures = link_all(retrain=retrain, progress=reporter.progress)
        if truth:
            with reporter.stage("evaluating"):
                figures["quality"] = evaluate_against_truth(Path(truth))
        reporter.emit(self.stdout, figures)
        if json:
            return
        for key, value in figures.items():
            self.stdout.write(f"{key}: {value}")
