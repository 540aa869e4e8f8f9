"""train_model and score_youth show their stages on stderr, nothing there with --verbosity 0, and with --json
print exactly one JSON object (the report with seconds per stage); exit statuses are unchanged."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casework.access.audit import Actor
from integrations.linkage import service as linkage
from integrations.synthetic import generate_city
from riskmodel import service
from riskmodel.models import RiskModel

START = dt.date(2021, 8, 1)
KNOWN_BY = dt.date(2024, 8, 1)
FEEDS = ("school.students", "school.absences", "school.dropouts", "school.incidents", "school.counselling",
         "police.contacts", "welfare.reports", "welfare.assistance", "court.sealing")  # fmt: skip


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("progresscity")
    generate_city(youth=1500, years=3, seed=5, out=out, start=START)
    return out


def run(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_train_and_score_json_and_quiet(world, city):
    for feed in FEEDS:
        run("import_feed", feed, str(city / f"{feed}.csv"), "--no-link", verbosity=0)
    linkage.link_all()
    try:
        out, err = run("train_model", "--as-of", KNOWN_BY.isoformat(), "--activate", "--json")
        refused = False
    except CommandError as exc:  # the gate may refuse a model of so small a city: exit 3, JSON still printed
        assert exc.returncode == 3
        refused = True
        out = ""
    if not refused:
        report = json.loads(out)
        assert report["command"] == "train_model" and report["model"] == RiskModel.objects.get().label
        assert {"features", "fitting", "explaining", "fairness", "registering", "activating"} <= set(
            report["stages"]
        )
        assert "fitting …" in err
    model = RiskModel.objects.order_by("-version").first()
    if model.status != "active":
        service.activate_model(model=model, actor=Actor.system("test"), override_reason="small test city")

    out, err = run("score_youth", "--as-of", KNOWN_BY.isoformat(), "--json")
    summary = json.loads(out)
    assert summary["command"] == "score_youth" and summary["scored"] > 100
    assert list(summary["stages"]) == ["features", "scoring", "storing"]
    out, err = run("score_youth", "--as-of", KNOWN_BY.isoformat(), verbosity=0)
    assert err == "" and "youth scored as of" in out


@pytest.mark.django_db
def test_train_model_json_still_exits_3_when_the_gate_refuses(world, monkeypatch):
    """The refusal is an exit status, not a second object on stdout."""
    from riskmodel.management.commands import train_model as command

    class Model:
        label, status = "risk-v9", "candidate"
        gate = {"passed": False, "failed": ["x"], "overridable": True, "checks": {}}
        metrics = {
            "test": dict.fromkeys(
                ("n", "prevalence", "roc_auc", "average_precision", "brier", "ece", "at_k"), 0
            ),
            "baselines": {"logistic_regression": {"roc_auc": 0.5}, "focal_count": {"roc_auc": 0.5}},
        }
        fairness = {}

        def refresh_from_db(self):
            pass

    monkeypatch.setattr(command, "train_model", lambda **kw: Model())

    def refuse(**kw):
        from django.core.exceptions import ValidationError

        raise ValidationError("refused by the gate")

    monkeypatch.setattr(command, "activate_model", refuse)
    monkeypatch.setattr(command.gate_text, "gate_sentences", lambda verdict: [])
    out = io.StringIO()
    with pytest.raises(CommandError) as refusal:
        call_command(
            "train_model", "--as-of", "2024-08-01", "--activate", "--json", stdout=out, stderr=io.StringIO()
        )
    assert refusal.value.returncode == 3
    report = json.loads(out.getvalue())
    assert report["status"] == "candidate" and "activating" in report["stages"]
