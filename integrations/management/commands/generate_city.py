"""python manage.py generate_city --youth N --years Y --seed S --out DIR"""

import dataclasses
import datetime as dt

from django.core.management.base import BaseCommand

from config.progress import Reporter
from integrations.synthetic import generate_city


class Command(BaseCommand):
    help = (
        "Write a synthetic city: every feed as files in the contract (../shared/FEEDS.md), plus DIR/truth/ with "
        "the true person behind every person-naming row and each youth's true monthly risk."
    )

    def add_arguments(self, parser):
        parser.add_argument("--youth", type=int, required=True)
        parser.add_argument("--years", type=int, default=3)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", required=True)
        parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2021, 8, 1))
        parser.add_argument(
            "--json",
            action="store_true",
            help="print only the summary, as one JSON object (with stage seconds)",
        )

    def handle(self, *args, youth, years, seed, out, start, **options):
        reporter = Reporter.for_command(self, "generate_city", options)
        report = generate_city(
            youth=youth, years=years, seed=seed, out=out, start=start, progress=reporter.progress
        )
        figures = dataclasses.asdict(report)
        reporter.emit(self.stdout, {**figures, "out": str(report.out)})
        if not reporter.as_json:
            self.stdout.write(str(report))
