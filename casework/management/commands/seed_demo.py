from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casework.demo import DEMO_PASSWORD, USERS, build_demo_city


class Command(BaseCommand):
    help = "Create the demo city: bureaus, schools, one user per role and synthetic youth with casework."

    def add_arguments(self, parser):
        parser.add_argument("--youth", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, youth, seed, **options):
        if not settings.DEBUG and "prod" in settings.SETTINGS_MODULE:
            raise CommandError("Demo users with a known password are never created in production.")
        counts = build_demo_city(youth_count=youth, seed=seed)
        self.stdout.write(self.style.SUCCESS(f"Demo city ready: {counts}"))
        self.stdout.write(f"Demo users (password '{DEMO_PASSWORD}'):")
        for spec in USERS:
            self.stdout.write(
                f"  {spec.username:<20} {spec.role} @ {spec.bureau}{' / ' + spec.school if spec.school else ''}"
            )
