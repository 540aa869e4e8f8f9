"""python manage.py train_model --as-of DATE [--activate] [--label VARIANT] [--seed S] [--json]

Prints the model's report as indented JSON (and, with --activate, a line saying it is active); with --json only
the same report as one JSON object with the seconds of each stage. Stages go to stderr as they run.

Exit status: 0 when the model was trained (and, with --activate, made active); 1 when no model could be
trained; 3 when the model was trained and registered but the promotion gate refused to make it active (it
stays a candidate, nothing is scored with it, and the reasons are printed). See docs/risk-model.md.
"""

import datetime as dt
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from casework.access.audit import Actor
from config.progress import Reporter
from riskmodel import gate_text, pipeline
from riskmodel.service import activate_model, train_model

REFUSED = 3


class Command(BaseCommand):
    help = (
        "Train and validate a risk model on what was known by DATE (temporal validation inside that "
        "history), register it with its report; --activate makes it the active model if it passes the gate "
        "(exit status 3 when the gate refuses it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--activate", action="store_true")
        parser.add_argument(
            "--label", default="default", help="default, police_only, dropout_only, protection_only"
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--json",
            action="store_true",
            help="print only the summary, as one JSON object (with stage seconds)",
        )

    def handle(self, *args, as_of, activate=False, label="default", seed=2026, **options):
        reporter = Reporter.for_command(self, "train_model", options)
        with translation.override("en"):  # an operator's log, in English like every other log
            self._train(as_of=as_of, activate=activate, label=label, seed=seed, reporter=reporter)

    def _train(self, *, as_of, activate, label, seed, reporter: Reporter):
        config = pipeline.TrainConfig(label_variant=label, seed=seed)
        try:
            model = train_model(as_of=as_of, config=config, progress=reporter.progress)
        except (ValidationError, ValueError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        refusal = None
        if activate:
            with reporter.stage("activating"):
                try:
                    activate_model(model=model, actor=Actor.system("train_model"))
                except ValidationError as exc:
                    refusal = " ".join(exc.messages)
            model.refresh_from_db()
        result = _report(model)
        reporter.emit(self.stdout, result)
        if not reporter.as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=1))
        if refusal is not None:
            raise CommandError(
                f"{model.label} was registered as a candidate but NOT made active. {refusal} "
                "No model scores youth until one passes the gate; alerts from the focal-linkage rules "
                "still reach the triage queues.",
                returncode=REFUSED,
            )
        if activate and not reporter.as_json:
            self.stdout.write(f"{model.label} is the active model.")


def _report(model) -> dict[str, Any]:
    """What an operator needs to know of a trained model: status, gate verdict and test figures."""
    test = model.metrics["test"]
    verdict = model.gate
    return {
        "model": model.label,
        "status": model.status,
        "gate": {
            "passed": verdict.get("passed"),
            "failed": verdict.get("failed"),
            "overridable": verdict.get("overridable"),
            "checks": verdict.get("checks"),
            "why": [s["text"] for s in gate_text.gate_sentences(verdict)],
        },
        "test": {
            k: test[k] for k in ("n", "prevalence", "roc_auc", "average_precision", "brier", "ece", "at_k")
        },
        "logistic_regression_auc": model.metrics["baselines"]["logistic_regression"]["roc_auc"],
        "focal_count_auc": model.metrics["baselines"]["focal_count"]["roc_auc"],
        "fairness_flags": model.fairness.get("flag_summary"),
    }
