"""Training, the registry, the promotion gate, scoring with reasons and the score export, on a small
synthetic city imported and linked as in production."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from casework.access.audit import Actor
from casework.models import RiskScore, Youth
from integrations.linkage import service as linkage
from integrations.synthetic import generate_city
from riskmodel import gate, pipeline, service
from riskmodel.models import ModelStatus, RiskModel, ScoringRun

START = dt.date(2021, 8, 1)
KNOWN_BY = dt.date(2024, 8, 1)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("riskcity")
    generate_city(youth=1500, years=3, seed=5, out=out, start=START)
    return out


@pytest.fixture
def trained(world, city):
    for feed in ("school.students", "school.absences", "school.dropouts", "school.incidents", "school.counselling",
                 "police.contacts", "welfare.reports", "welfare.assistance", "court.sealing"):  # fmt: skip
        call_command("import_feed", feed, str(city / f"{feed}.csv"), "--no-link", verbosity=0)
    linkage.link_all()
    config = pipeline.TrainConfig(
        lgbm={**pipeline.TrainConfig().lgbm, "n_estimators": 60}, capacities=(25, 50)
    )
    return service.train_model(as_of=KNOWN_BY, config=config)


def test_a_trained_model_is_registered_with_everything_needed_to_reproduce_and_judge_it(trained):
    model = RiskModel.objects.get()
    assert model == trained and model.status == ModelStatus.CANDIDATE
    assert model.seed == 2026 and model.as_of == KNOWN_BY
    assert len(model.config["features"]) == 44
    for key in ("known_by", "data_start", "events", "youth", "matrix_sha256"):
        assert model.data_snapshot[key]
    test = model.metrics["test"]
    for key in ("roc_auc", "average_precision", "brier", "ece", "reliability", "at_k"):
        assert key in test
    assert set(model.metrics["baselines"]) == {"focal_count", "logistic_regression", "random"}
    assert set(model.metrics["label_variants"]) == {"police_only", "dropout_only", "protection_only"}
    # Training ended a full label window before the test date.
    split = model.metrics["split"]
    test_day = dt.date.fromisoformat(split["test"][0])
    assert all(dt.date.fromisoformat(d) + dt.timedelta(days=365) <= test_day for d in split["train"])
    assert model.report["shap_additivity_max_error"] < 1e-6
    assert model.report["importance"] and model.report["beeswarm"]
    assert [row["band"] for row in model.report["bands"]["table"]] == list(pipeline.BANDS)
    assert set(model.fairness["by_attribute"]) == set(service.FAIRNESS_GROUPS)
    summary_metrics = {
        m for groups in model.fairness["flag_summary"].values() for ms in groups.values() for m in ms
    }
    assert not summary_metrics & {"prev", "ppr"}
    assert "ablation_without_household" in model.report
    assert set(model.gate["checks"]) == set(gate.CHECKS) and gate.is_current(model.gate)
    evidence = model.gate["evidence"]
    assert evidence["method"] == "paired percentile bootstrap over youth" and evidence["months"] == 3
    assert set(evidence["differences"]) == {"focal_count", "logistic_regression", "random_order"}
    json.dumps(model.metrics, allow_nan=False)
    json.dumps(model.fairness, allow_nan=False)


def test_activation_follows_the_gate_and_scoring_writes_reasons(trained, world, tmp_path):
    actor = Actor.system("test")
    if not trained.gate["passed"]:
        with pytest.raises(ValidationError):
            service.activate_model(model=trained, actor=actor)
    service.activate_model(model=trained, actor=actor, override_reason="test city too small for the gate")
    trained.refresh_from_db()
    assert trained.status == ModelStatus.ACTIVE

    run = service.score_youth(as_of=KNOWN_BY)
    assert run.scored == RiskScore.objects.filter(as_of=KNOWN_BY).count() > 100
    scores = list(RiskScore.objects.filter(as_of=KNOWN_BY).order_by("rank"))
    assert [s.rank for s in scores] == list(range(1, len(scores) + 1))
    assert all(0 <= s.score <= 1 for s in scores)
    assert scores[0].score >= scores[-1].score
    top = scores[0]
    assert top.reasons and {"key", "direction", "value", "shap", "source", "text_zh", "text_en"} <= set(
        top.reasons[0]
    )
    assert top.reasons[0]["source"] in {"school", "police", "welfare", "casework"}
    # Everyone scored is 12-17 on the date.
    ages = {Youth.objects.get(pk=s.youth_id).age_on(KNOWN_BY) for s in scores[:50]}
    assert ages <= set(range(12, 18))
    # Scoring again replaces, never duplicates.
    service.score_youth(as_of=KNOWN_BY)
    assert RiskScore.objects.filter(as_of=KNOWN_BY).count() == run.scored
    assert ScoringRun.objects.count() == 2

    path = tmp_path / "scores.csv"
    call_command("export_scores", str(path), verbosity=0)
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["youth_id", "as_of", "score", "band", "rank", "model_version"]
    assert len(rows) == run.scored and rows[0]["rank"] == "1" and rows[0]["model_version"] == trained.label


def test_scoring_without_an_active_model_is_refused(world):
    with pytest.raises(ValidationError):
        service.score_youth(as_of=KNOWN_BY)


def test_nightly_task_scores_with_the_active_model_and_reports_drift(trained):
    from riskmodel.tasks import score_nightly

    assert score_nightly.delay(KNOWN_BY.isoformat()).get()["reason"] == "no active model"
    service.activate_model(model=trained, actor=Actor.system("test"), override_reason="test")
    first = score_nightly.delay(KNOWN_BY.isoformat()).get()
    assert first["scored"] > 100 and first["model"] == trained.label
    later = (KNOWN_BY + dt.timedelta(days=31)).isoformat()
    score_nightly.delay(later).get()
    run = ScoringRun.objects.order_by("-as_of").first()
    drift = run.figures["drift_vs_training"]
    assert set(drift["psi"]) == set(trained.config["features"]) | {"__score__"}
    assert all(v >= 0 for v in drift["psi"].values())
    assert run.figures["drift_vs_previous_run"]["as_of"] == KNOWN_BY.isoformat()


def test_psi_against_hand_worked_values():
    assert pipeline.psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    # (0.7-0.5)ln(0.7/0.5) + (0.3-0.5)ln(0.3/0.5) = 0.0673 + 0.1022 = 0.1695
    assert pipeline.psi([0.5, 0.5], [0.7, 0.3]) == pytest.approx(0.16946, abs=1e-4)
    assert pipeline.drift_level(0.3) == "major" and pipeline.drift_level(0.12) == "moderate"
    assert pipeline.proportions([1, 2, 3, 4], [2.5]) == [0.5, 0.5]
