"""python manage.py model_card --version N [--out PATH] [--language zh-hant|en]"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from casework.access.audit import Actor, record
from casework.models import AuditAction
from riskmodel import model_card
from riskmodel.models import RiskModel


class Command(BaseCommand):
    help = (
        "Write a registered risk model's model card (Mitchell et al.) as Markdown; by default to "
        "docs/model-cards/risk-vN.md. Generated cards are not committed."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # ``--version`` names the model (registry version) here; Django's own --version
        # (the Django release) gives way.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument(
            "--version", type=int, required=True, dest="model_version", help="Registry version."
        )
        parser.add_argument("--out", help="Where to write the card (default docs/model-cards/risk-vN.md).")
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="Language of the card (default: %(default)s).",
        )

    def handle(self, *args, model_version, out=None, language, **options):
        model = RiskModel.objects.filter(version=model_version).first()
        if model is None:
            raise CommandError(f"There is no risk model with version {model_version}.")
        path = Path(out) if out else Path(settings.BASE_DIR) / "docs" / "model-cards" / f"{model.label}.md"
        with translation.override(language):
            text = model_card.render(model)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        record(
            Actor.system("model_card"),
            AuditAction.EXPORT,
            model,
            detail={"path": str(path), "language": language},
        )
        self.stdout.write(f"Model card of {model.label} written to {path}")
