"""python manage.py issue_feed_token BUREAU_CODE NAME — prints the key once; only its hash is stored."""

from django.core.management.base import BaseCommand, CommandError

from casework.models import Bureau
from integrations.feeds.tokens import issue_token


class Command(BaseCommand):
    help = "Issue a feed-upload API token for a bureau (police, welfare, education; committee for court notices)."

    def add_arguments(self, parser):
        parser.add_argument("bureau")
        parser.add_argument("name")

    def handle(self, *args, bureau, name, **options):
        target = Bureau.objects.filter(code=bureau).first()
        if target is None:
            raise CommandError(f"no bureau with code {bureau!r}")
        token, key = issue_token(bureau=target, name=name)
        self.stdout.write(f"{token}: {key}")
