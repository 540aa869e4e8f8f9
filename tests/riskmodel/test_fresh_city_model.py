"""A city set up without the demo, as checks written by someone else run it: a freshly migrated database and
the feed contract's commands only (import_feed for every feed, link_records, train_model --as-of D
--activate, score_youth --as-of D, export_scores).

(a) A synthetic city with real signal: the sequence works end to end, fewer than 1 % of the youth in scope
    are left unscored, and the exported scores order the youth's true outcomes in the year after D about as
    well as a logistic regression given the true identities.
(b) The same city with its outcome-bearing records handed to youth at random: train_model --activate makes
    no model active and says why (exit status 3), score_youth says there is no active model, and the
    export holds no score.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from sklearn.metrics import roc_auc_score

from integrations.feeds.contract import FEEDS
from integrations.synthetic import generate_city
from riskmodel.models import ModelStatus, RiskModel
from tests.riskmodel import city_truth

START = dt.date(2021, 8, 1)
AS_OF = dt.date(2024, 8, 1)  # three years of history; the fourth year holds the outcomes to judge by
YOUTH, SEED = 6000, 9


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("fresh-city")
    generate_city(youth=YOUTH, years=4, seed=SEED, out=out, start=START)
    return out


@pytest.fixture(scope="module")
def city_without_signal(tmp_path_factory):
    out = tmp_path_factory.mktemp("no-signal-city")
    generate_city(youth=YOUTH, years=4, seed=SEED, out=out, start=START)
    city_truth.shuffle_outcome_records(out, seed=SEED)
    return out


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _import_and_link(city) -> None:
    for feed in FEEDS:
        _run("import_feed", feed, str(city / f"{feed}.csv"))
    _run("link_records")


@pytest.mark.django_db
def test_a_city_with_signal_gets_an_active_model_that_scores_nearly_everyone(city, tmp_path):
    _import_and_link(city)
    trained = json.loads(
        _run("train_model", "--as-of", AS_OF.isoformat(), "--activate").split("\n}\n")[0] + "\n}"
    )
    assert trained["gate"]["passed"] is True, trained["gate"]["why"]
    assert RiskModel.objects.get(status=ModelStatus.ACTIVE).label == trained["model"]
    _run("score_youth", "--as-of", AS_OF.isoformat())
    scores, links = tmp_path / "scores.csv", tmp_path / "links.csv"
    _run("export_scores", str(scores))
    _run("export_links", str(links))
    with open(scores, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["as_of"] for r in rows} == {AS_OF.isoformat()}

    reference = city_truth.logistic_reference(city, AS_OF)
    ours = city_truth.exported_scores(city, scores, links)
    in_scope = reference["people"]
    unscored = [p for p in in_scope if p not in ours]
    assert len(unscored) < 0.01 * len(in_scope), f"{len(unscored)} of {len(in_scope)} youth in scope unscored"
    scored = [p for p in in_scope if p in ours]
    auc = roc_auc_score([reference["truth"][p] for p in scored], [ours[p] for p in scored])
    # Measured: 0.69-0.72 for the model against 0.676 for the reference on this city (about 110 outcomes,
    # so an interval of about +-0.05 around either).
    assert auc >= reference["auc"] - 0.02, (auc, reference["auc"])


@pytest.mark.django_db
def test_a_city_whose_records_carry_no_signal_gets_no_active_model(city_without_signal, tmp_path):
    _import_and_link(city_without_signal)
    with pytest.raises(CommandError) as refusal:
        _run("train_model", "--as-of", AS_OF.isoformat(), "--activate")
    assert refusal.value.returncode == 3
    message = str(refusal.value)
    assert "was registered as a candidate but NOT made active" in message
    assert "do not show that it orders youth better than random order" in message
    assert not RiskModel.objects.filter(status=ModelStatus.ACTIVE).exists()
    assert RiskModel.objects.get().status == ModelStatus.CANDIDATE

    with pytest.raises(CommandError) as no_model:
        _run("score_youth", "--as-of", AS_OF.isoformat())
    assert "There is no active risk model, so no youth was scored" in str(no_model.value)
    scores = tmp_path / "scores.csv"
    _run("export_scores", str(scores))
    assert scores.read_text(encoding="utf-8").splitlines() == ["youth_id,as_of,score,band,rank,model_version"]
