"""Pairs of indicators that drive the top of the list: SHAP interaction values from the ``shap`` package.

LightGBM's own TreeSHAP (``pred_contrib``, which every reason and the report use) is the same computation as
``shap.TreeExplainer``; the interaction values split each youth's SHAP values into main effects and pairs
and add up to them; training records, for the scoring model's top k youth, the pairs whose interaction moves
their scores most; and the model report shows them, with a sentence made from each pair's figures, only
when the model's report has them.

The pipeline tests run on plain DataFrames of the 44 catalogue indicators; the training test reuses the small
synthetic city and the ``trained`` fixture of ``test_service.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import shap
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from riskmodel import indicators, pipeline, readings, service
from tests.riskmodel.test_registry_pages import build_risk_model, html, login
from tests.riskmodel.test_service import city, trained  # noqa: F401

FEATURES = list(indicators.KEYS)
ABSENCES, POLICE, AGE = "unexcused_absence_days_90d", "police_offence_contacts_365d", "age_years"
DROPOUT = "dropout_reports_365d"

# The two shapes of tree training uses: a large city's (7 leaves) and a small city's (3 leaves).
TREES = {"large city": {"small_data_rows": 0}, "small city": {}}


def _youth(n: int, seed: int) -> pd.DataFrame:
    """Indicator values of ``n`` youth: counts, an age, and some missing values (LightGBM sends them one way
    at each split, and the shap package must follow the same way)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.poisson(0.4, size=(n, len(FEATURES))).astype(float), columns=FEATURES)
    X[AGE] = rng.integers(144, 216, n) / 12
    X.loc[rng.random(n) < 0.1, DROPOUT] = np.nan
    return X


def _outcomes(X: pd.DataFrame, seed: int) -> np.ndarray:
    """Absences and a police contact together raise the risk far more than either alone (an interaction);
    a missing dropout count goes with a higher risk, so the trees learn where missing values go."""
    rng = np.random.default_rng(seed)
    both = (X[ABSENCES] >= 1) & (X[POLICE] >= 1)
    logit = -3.5 + 0.3 * X[ABSENCES] + 0.3 * X[POLICE] + 2.0 * both + 0.2 * (X[AGE] - 15)
    logit += 0.4 * X[DROPOUT].fillna(3)
    return (rng.random(len(X)) < 1 / (1 + np.exp(-logit))).to_numpy(dtype=int)


@pytest.fixture(scope="module", params=list(TREES))
def estimator(request):
    """A RiskEstimator of 200 trees, fitted as training fits one, and the youth it is explained on."""
    X = _youth(24_000, seed=1)
    y = _outcomes(X, seed=2)
    config = pipeline.TrainConfig(**TREES[request.param])
    est = pipeline.RiskEstimator(config).fit(X[:18_000], y[:18_000], X[18_000:], y[18_000:])
    return est, _youth(2000, seed=3)


def _top(est: pipeline.RiskEstimator, X: pd.DataFrame, k: int = 200) -> pd.DataFrame:
    return X.iloc[np.argsort(-est.predict_raw(X), kind="stable")[:k]]


# ---------------------------------------------------------------------------------------------------------
# The computation
# ---------------------------------------------------------------------------------------------------------


def test_lightgbm_pred_contrib_is_the_same_treeshap_as_the_shap_package(estimator):
    est, X = estimator
    ours, base = est.shap(X)
    explainer = shap.TreeExplainer(est.booster)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # shap's note that its LightGBM output format changed
        theirs = np.asarray(explainer.shap_values(X[est.features].to_numpy(dtype=float)))
    assert theirs.shape == ours.shape == (len(X), len(FEATURES))
    assert np.isnan(X[DROPOUT]).any()
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    assert base == pytest.approx(float(np.ravel(explainer.expected_value)[0]), abs=1e-6)


def test_interaction_values_add_up_to_each_youths_shap_values_and_are_symmetric(estimator):
    est, X = estimator
    X = X.iloc[:500]
    values = est.shap_interactions(X)
    assert values.shape == (len(X), len(FEATURES), len(FEATURES))
    np.testing.assert_allclose(values.sum(axis=2), est.shap(X)[0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(values, values.transpose(0, 2, 1), rtol=0, atol=1e-9)
    assert est.shap_interactions(X.iloc[:0]).shape == (0, len(FEATURES), len(FEATURES))


def test_interaction_values_of_the_top_200_youth_take_well_under_two_seconds(estimator):
    est, X = estimator
    top = _top(est, X)
    est.shap_interactions(top.iloc[:1])  # the shap package imported once, as in a training run
    # CPU time, not wall time: other jobs sharing the machine's cores do not count against it.
    start = time.process_time()
    first = est.shap_interactions(top)
    elapsed = time.process_time() - start
    assert elapsed < 2.0, elapsed
    assert np.array_equal(first, est.shap_interactions(top))  # deterministic


def test_the_pair_whose_records_count_for_more_together_comes_first_at_the_top_of_the_list(estimator):
    est, X = estimator
    found = pipeline.interaction_pairs(est.shap_interactions(_top(est, X)), est.features)
    first = found["pairs"][0]
    assert first["keys"] == [ABSENCES, POLICE]
    assert first["mean"] > 0  # together they raise the score beyond their own effects
    assert readings.interaction_direction(first) == "up"
    assert 0 < found["interaction_share"] < 1


def test_the_top_of_the_list_is_the_models_own_top_k_youth_in_the_latest_month(estimator):
    est, X = estimator
    june, july = dt.date(2024, 6, 1), dt.date(2024, 7, 1)
    rows = pd.concat([X.assign(as_of=june), X.iloc[:1000].assign(as_of=july)], ignore_index=True)
    found = pipeline.top_of_list_interactions(est, rows, est.predict_raw(rows), k=200)
    july_top = _top(est, X.iloc[:1000])
    assert found == {
        "as_of": "2024-07-01",
        "k": 200,
        "units": "log-odds",
        **pipeline.interaction_pairs(est.shap_interactions(july_top), est.features),
    }
    assert found["n"] == 200


def test_pairs_count_both_halves_of_the_interaction_and_are_ranked_by_their_mean_size():
    features = ["a", "b", "c", "d"]
    values = np.zeros((2, 4, 4))
    # Youth 1: a·b +0.3 (0.15 in each half), c·d −0.1; youth 2: a·b −0.1, c·d −0.1; a·c never.
    for row, ab, cd in ((0, 0.3, -0.1), (1, -0.1, -0.1)):
        values[row, 0, 1] = values[row, 1, 0] = ab / 2
        values[row, 2, 3] = values[row, 3, 2] = cd / 2
    values[:, 0, 0], values[:, 1, 1] = [0.5, 0.3], [-0.2, 0.2]  # main effects of a and b
    values[:, 2, 2] = 0.1

    found = pipeline.interaction_pairs(values, features, top=8)

    assert found["n"] == 2
    assert [p["keys"] for p in found["pairs"]] == [["a", "b"], ["c", "d"]]  # pairs never seen are left out
    ab, cd = found["pairs"]
    assert ab == {"keys": ["a", "b"], "mean_abs": 0.2, "mean": 0.1, "main_abs": [0.4, 0.2]}
    assert cd == {"keys": ["c", "d"], "mean_abs": 0.1, "mean": -0.1, "main_abs": [0.1, 0.0]}
    # |pairs| = 0.3 + 0.1 + 0.1 + 0.1 and |main effects| = 0.8 + 0.4 + 0.2: 0.6 of 2.0.
    assert found["interaction_share"] == 0.3
    assert pipeline.interaction_pairs(values, features, top=1)["pairs"] == [ab]
    with pytest.raises(ValueError):
        pipeline.interaction_pairs(values, features[:3])


# ---------------------------------------------------------------------------------------------------------
# Training records them
# ---------------------------------------------------------------------------------------------------------


def test_training_records_the_pairs_that_drive_the_scoring_models_top_of_the_list(trained):  # noqa: F811
    model = trained
    recorded = model.report["top_of_list_interactions"]
    json.dumps(recorded, allow_nan=False)
    k = max(model.config["capacities"])
    last_test_month = model.metrics["split"]["test"][-1]
    assert recorded["as_of"] == last_test_month and recorded["k"] == k and recorded["units"] == "log-odds"
    assert recorded["n"] == k  # the city has more than k youth a month
    assert 0 < recorded["interaction_share"] < 1
    pairs = recorded["pairs"]
    assert 1 <= len(pairs) <= 8
    sizes = [p["mean_abs"] for p in pairs]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] > 0
    features = model.config["features"]
    for pair in pairs:
        assert set(pair) == {"keys", "mean_abs", "mean", "main_abs"}
        a, b = pair["keys"]
        assert features.index(a) < features.index(b)
        assert abs(pair["mean"]) <= pair["mean_abs"] and min(pair["main_abs"]) >= 0
        assert all(round(v, 4) == v for v in (pair["mean_abs"], pair["mean"], *pair["main_abs"]))

    # The registered scoring model reproduces them from its stored booster, and for the same youth the
    # shap package and LightGBM give the same SHAP values, to which the interaction values add up.
    est = service.estimator_for(model)
    config = pipeline.TrainConfig(**{key: v for key, v in model.config.items() if key != "features"})
    rows = service._matrix([dt.date.fromisoformat(last_test_month)], config)
    top = _top(est, rows, k)
    values = est.shap_interactions(top)
    assert pipeline.interaction_pairs(values, features) == {
        key: recorded[key] for key in ("n", "interaction_share", "pairs")
    }
    ours, _base = est.shap(top)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = shap.TreeExplainer(est.booster).shap_values(top[features].to_numpy(dtype=float))
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=0, atol=1e-6)
    np.testing.assert_allclose(values.sum(axis=2), ours, rtol=0, atol=1e-6)


# ---------------------------------------------------------------------------------------------------------
# The words and the page
# ---------------------------------------------------------------------------------------------------------

PAIRS = {
    "as_of": "2024-06-01",
    "k": 200,
    "n": 200,
    "units": "log-odds",
    "interaction_share": 0.1234,
    "pairs": [
        {"keys": [ABSENCES, POLICE], "mean_abs": 0.1876, "mean": 0.1612, "main_abs": [0.4021, 0.3316]},
        {"keys": [ABSENCES, AGE], "mean_abs": 0.0731, "mean": -0.0602, "main_abs": [0.4021, 0.2107]},
        {"keys": [POLICE, AGE], "mean_abs": 0.0412, "mean": 0.0031, "main_abs": [0.3316, 0.2107]},
    ],
}


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start : page.index("</section>", start)]


def test_a_pairs_direction_is_named_only_when_three_quarters_of_its_size_points_one_way():
    assert readings.interaction_direction({"mean": 0.05, "mean_abs": 0.1}) == "up"
    assert readings.interaction_direction({"mean": 0.049, "mean_abs": 0.1}) == "mixed"
    assert readings.interaction_direction({"mean": -0.05, "mean_abs": 0.1}) == "down"
    assert readings.interaction_direction({"mean": 0.0, "mean_abs": 0.0}) == "mixed"


def test_each_pairs_sentence_is_made_from_its_figures():
    up, down, mixed = PAIRS["pairs"]
    with translation.override("en"):
        absences = indicators.INDICATORS[ABSENCES].name_en
        police = indicators.INDICATORS[POLICE].name_en
        text = readings.interaction_sentence(up)
        assert absences in text and police in text
        assert "0.161 higher" in text and "0.402 and 0.332" in text
        assert "0.060 lower" in readings.interaction_sentence(down)
        assert "0.041 on average" in readings.interaction_sentence(mixed)
        assert "+0.0031 net" in readings.interaction_sentence(mixed)
        # The same pair with its sign turned reads the other way.
        assert "0.161 lower" in readings.interaction_sentence({**up, "mean": -0.1612})


def test_the_report_shows_the_pairs_that_drive_the_top_of_the_list(client, world):
    model = build_risk_model(version=1)
    model.report["top_of_list_interactions"] = PAIRS
    model.save(update_fields=["report"])
    login(client, "supervisor")
    page = html(client.get(reverse("riskmodel:model-report", args=[1]), HTTP_ACCEPT_LANGUAGE="en"))
    assert 'href="#interactions"' in page
    section = _section(page, "interactions")
    assert "Pairs of indicators that drive the top of the list" in section
    assert "the top 200" in section and "2024-06-01" in section and "12%" in section
    rows = section.split("<tr ")[1:]
    assert [r.split('"')[1] for r in rows] == [" ".join(p["keys"]) for p in PAIRS["pairs"]]
    first = rows[0]
    with translation.override("en"):
        assert indicators.INDICATORS[ABSENCES].name_en in first
        assert indicators.INDICATORS[POLICE].name_en in first
        assert escape(readings.interaction_sentence(PAIRS["pairs"][0])) in first
    assert "0.188" in first and "+0.161" in first and "0.402 / 0.332" in first and "26%" in first
    assert 'data-direction="up"' in first and "higher together" in first
    assert 'data-direction="down"' in rows[1] and 'data-direction="mixed"' in rows[2]


def test_the_pairs_are_named_in_the_pages_language(client, world):
    model = build_risk_model(version=1)
    model.report["top_of_list_interactions"] = PAIRS
    model.save(update_fields=["report"])
    login(client, "supervisor")
    page = html(client.get(reverse("riskmodel:model-report", args=[1]), HTTP_ACCEPT_LANGUAGE="zh-TW"))
    section = _section(page, "interactions")
    assert indicators.INDICATORS[ABSENCES].name_zh in section
    assert indicators.INDICATORS[ABSENCES].name_en not in section


def test_a_model_trained_before_pairs_were_recorded_shows_no_such_section(client, world):
    build_risk_model(version=1)  # its report has no top_of_list_interactions
    login(client, "supervisor")
    response = client.get(reverse("riskmodel:model-report", args=[1]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = html(response)
    assert 'id="interactions"' not in page and 'href="#interactions"' not in page
    assert 'id="importance"' in page  # the rest of the report is there
