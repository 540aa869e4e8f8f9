from django.core.management.base import BaseCommand, CommandError

from accounts import administration, services
from casework.access.audit import Actor
from casework.models import User


class Command(BaseCommand):
    help = (
        "Lift a sign-in lockout (clears the user's failed attempts from every address); audited. With "
        "--reset-second-factor and --reason, also remove the user's second-factor devices: applied at once "
        "(a server operator can already change the database), audited, and the auditors and the user are told."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--reset-second-factor", action="store_true", help="also remove the user's second-factor devices"
        )
        parser.add_argument(
            "--reason",
            default="",
            help="required with --reset-second-factor: why, and how the person's identity was checked",
        )

    def handle(self, *args, username, reset_second_factor=False, reason="", **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        reason = reason.strip()
        if reset_second_factor and not reason:
            raise CommandError(
                "--reset-second-factor needs --reason: why, and how the person's identity was checked "
                "(the auditors read it)."
            )
        actor = Actor.system("manage.py unlock_sign_in")
        cleared = services.unlock_sign_in(user=user, actor=actor)
        self.stdout.write(f"Cleared {cleared} failed attempt(s) for {username}.")
        if reset_second_factor:
            administration.reset_second_factor(actor=actor, user=user, reason=reason)
            self.stdout.write(
                f"Removed {username}'s second-factor devices; {username} enrols again at next sign-in. "
                "The auditors have been told."
            )
