from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casework.demo import DEMO_PASSWORD, USERS, build_demo_city
from config.progress import Reporter


class Command(BaseCommand):
    help = (
        "Create the demo city: a synthetic city generated, imported through the feed contract and linked "
        "(--hand-made: a small hand-made city instead), one user per role, and casework on top."
    )

    def add_arguments(self, parser):
        parser.add_argument("--youth", type=int, default=4000)
        parser.add_argument("--years", type=int, default=4)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--hand-made", action="store_true", help="the small hand-made city (no linkage)")
        parser.add_argument(
            "--json",
            action="store_true",
            help="print only the summary (counts, users, stage seconds) as one JSON object",
        )

    def handle(self, *args, youth, years, seed, hand_made=False, **options):
        if not settings.DEBUG and "prod" in settings.SETTINGS_MODULE:
            raise CommandError("Demo users with a known password are never created in production.")
        reporter = Reporter.for_command(self, "seed_demo", options)
        if hand_made:
            with reporter.stage("building"):
                counts = build_demo_city(youth_count=youth, seed=seed)
        else:
            from demo.city import build_linked_demo

            counts = build_linked_demo(youth=youth, years=years, seed=seed, progress=reporter.progress)
        from demo.meetings import ensure_demo_meeting

        meeting = ensure_demo_meeting()
        counts = {**counts, "meeting_agenda_items": meeting.items.count() if meeting else 0}
        if reporter.as_json:
            from demo.second_factor import ensure_demo_second_factors

            ensure_demo_second_factors()
            # No keys or codes here: a JSON summary is for logs and scripts.
            reporter.emit(self.stdout, {"counts": counts, "users": [spec.username for spec in USERS]})
            return
        reporter.summary({})
        self.stdout.write(self.style.SUCCESS(f"Demo city ready: {counts}"))
        self.stdout.write(f"Demo users (password '{DEMO_PASSWORD}'):")
        from casework.models import Membership

        for spec in USERS:
            membership = (
                Membership.objects.filter(user__username=spec.username).select_related("school").first()
            )
            school = membership.school.code if membership and membership.school else ""
            self.stdout.write(
                f"  {spec.username:<20} {spec.role} @ {spec.bureau}{' / ' + school if school else ''}"
            )
        self.write_second_factors()

    def write_second_factors(self) -> None:
        from demo.second_factor import DEMO_BACKUP_CODES, ensure_demo_second_factors

        factors = ensure_demo_second_factors()
        self.stdout.write(
            "\nSecond factor: these users also enter a 6-digit code after the password. Add the key to an "
            "authenticator app (time-based, 6 digits, 30 s), or print the current code with\n"
            "  .venv/bin/python manage.py demo_code <username>\n"
            f"or use a one-time backup code: {', '.join(DEMO_BACKUP_CODES)} (each once per user, per seeding)."
        )
        for factor in factors:
            self.stdout.write(f"  {factor.username:<20} key {factor.secret}")
