"""python manage.py train_model --as-of DATE [--activate] [--label VARIANT] [--seed S]"""

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from casework.audit import Actor
from riskmodel import pipeline
from riskmodel.service import activate_model, train_model


class Command(BaseCommand):
    help = (
        "Train and validate a risk model on what was known by DATE (temporal validation inside that "
        "history), register it with its report; --activate makes it the active model if it passes the gate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--activate", action="store_true")
        parser.add_argument(
            "--label", default="default", help="default, police_only, dropout_only, protection_only"
        )
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, as_of, activate=False, label="default", seed=2026, **options):
        config = pipeline.TrainConfig(label_variant=label, seed=seed)
        try:
            model = train_model(as_of=as_of, config=config)
            if activate:
                activate_model(model=model, actor=Actor.system("train_model"))
        except (ValidationError, ValueError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        test = model.metrics["test"]
        self.stdout.write(
            json.dumps(
                {
                    "model": model.label,
                    "status": model.status,
                    "gate": model.gate,
                    "test": {
                        k: test[k]
                        for k in ("n", "prevalence", "roc_auc", "average_precision", "brier", "ece", "at_k")
                    },
                    "logistic_regression_auc": model.metrics["baselines"]["logistic_regression"]["roc_auc"],
                    "focal_count_auc": model.metrics["baselines"]["focal_count"]["roc_auc"],
                    "fairness_flags": model.fairness.get("flag_summary"),
                },
                ensure_ascii=False,
                indent=1,
            )
        )
