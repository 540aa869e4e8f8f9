"""python manage.py generate_city --youth N --years Y --seed S --out DIR"""

import datetime as dt

from django.core.management.base import BaseCommand

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

    def handle(self, *args, youth, years, seed, out, start, **options):
        report = generate_city(youth=youth, years=years, seed=seed, out=out, start=start)
        self.stdout.write(str(report))
