from django.core.management.base import BaseCommand, CommandError

from accounts import services
from casework.audit import Actor
from casework.models import User


class Command(BaseCommand):
    help = "Lift a sign-in lockout (clears the user's failed attempts from every address); audited."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--reset-second-factor", action="store_true", help="also remove the user's second-factor devices"
        )

    def handle(self, *args, username, reset_second_factor=False, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        actor = Actor.system("manage.py unlock_sign_in")
        cleared = services.unlock_sign_in(user=user, actor=actor)
        self.stdout.write(f"Cleared {cleared} failed attempt(s) for {username}.")
        if reset_second_factor:
            removed = services.reset_second_factor(user=user, actor=actor)
            self.stdout.write(
                f"Removed {removed} second-factor device(s); {username} enrols again at next sign-in."
            )
