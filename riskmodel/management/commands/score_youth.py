"""python manage.py score_youth --as-of DATE [--json]

Exits 1 without scoring anyone when no model is active (e.g. the promotion gate refused every model trained
so far), and says why."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from config.progress import Reporter
from riskmodel.service import score_youth


class Command(BaseCommand):
    help = "Score every youth in scope (aged 12-17 on DATE) with the active model, with the reasons for each score."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument(
            "--json",
            action="store_true",
            help="print only the summary, as one JSON object (with stage seconds)",
        )

    def handle(self, *args, as_of, **options):
        reporter = Reporter.for_command(self, "score_youth", options)
        try:
            with translation.override("en"):
                run = score_youth(as_of=as_of, progress=reporter.progress)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        reporter.emit(
            self.stdout,
            {
                "as_of": as_of.isoformat(),
                "model": run.model.label,
                "scored": run.scored,
                "bands": run.figures["bands"],
                "alerts_raised": run.figures.get("alerts_raised"),
            },
        )
        if reporter.as_json:
            return
        self.stdout.write(
            f"{run.scored} youth scored as of {as_of} with {run.model.label}: {run.figures['bands']}"
        )
