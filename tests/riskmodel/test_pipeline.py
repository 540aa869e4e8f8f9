"""The risk pipeline on plain DataFrames (no database): splits without leakage, calibration, SHAP
additivity, reasons, bands, metrics and a model that survives being stored as text."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from riskmodel import pipeline


def _data(n=6000, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "absences": rng.poisson(3, n).astype(float),
            "contacts": rng.poisson(0.3, n).astype(float),
            "tier": rng.integers(0, 4, n).astype(float),
            "noise": rng.normal(size=n),
        }
    )
    logit = -4 + 0.25 * X["absences"] + 1.2 * X["contacts"] + 0.4 * X["tier"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    config = pipeline.TrainConfig(lgbm={**pipeline.TrainConfig().lgbm, "n_estimators": 80})
    est = pipeline.RiskEstimator(config).fit(X[:3000], y[:3000], X[3000:4500], y[4500 - 1500 : 4500])
    return est, X[4500:].reset_index(drop=True), y[4500:]


def test_temporal_split_leaves_a_full_label_window_between_training_and_test():
    config = pipeline.TrainConfig()
    split = pipeline.temporal_split(dt.date(2021, 8, 1), dt.date(2025, 8, 1), config)
    test = split.test[0]
    assert test + dt.timedelta(days=365) <= dt.date(2025, 8, 1)  # the test label window is complete
    assert all(d + dt.timedelta(days=365) <= test for d in split.train + split.calibration)
    assert max(split.train) < min(split.calibration)  # calibration is later than training
    with pytest.raises(ValueError, match="not enough history"):
        pipeline.temporal_split(dt.date(2024, 1, 1), dt.date(2025, 8, 1), config)


def test_shap_values_add_up_to_the_models_raw_output(fitted):
    est, X, _ = fitted
    values, base = est.shap(X)
    assert values.shape == (len(X), X.shape[1])
    np.testing.assert_allclose(values.sum(axis=1) + base, est.predict_raw(X), atol=1e-6)


def test_the_model_learns_and_is_calibrated(fitted):
    est, X, y = fitted
    p = est.predict(X)
    metrics = pipeline.evaluate(y, p, capacities=(50, 100))
    true_p = 1 / (1 + np.exp(-(-4 + 0.25 * X["absences"] + 1.2 * X["contacts"] + 0.4 * X["tier"])))
    best = pipeline.evaluate(y, true_p.to_numpy(), capacities=(50,))["roc_auc"]
    assert metrics["roc_auc"] >= 0.95 * best
    assert metrics["ece"] < 0.05
    assert p.min() >= 0 and p.max() <= 1
    assert [a["k"] for a in metrics["at_k"]] == [50, 100]


def test_a_stored_model_scores_exactly_as_the_trained_one(fitted):
    est, X, _ = fitted
    booster, calibrator = est.to_artifact()
    again = pipeline.RiskEstimator.from_artifact(booster, calibrator)
    np.testing.assert_allclose(again.predict(X), est.predict(X))


def test_reasons_name_what_pushes_up_and_what_protects(fitted):
    est, X, _ = fitted
    values, _ = est.shap(X)
    row = int(np.argmax(X["contacts"].to_numpy()))
    reasons = pipeline.top_reasons(values[row], X.to_numpy()[row], list(X.columns))
    up = [r for r in reasons if r["direction"] == "up"]
    assert up and up[0]["shap"] > 0
    assert {"key", "direction", "value", "shap"} <= set(up[0])
    assert all(r["shap"] < 0 and r["value"] != 0 for r in reasons if r["direction"] == "down")


def test_bands_follow_the_shares_and_say_what_they_mean():
    rng = np.random.default_rng(1)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(int)
    cuts = pipeline.band_cutoffs(p, (0.02, 0.08, 0.20))
    counts = Counter(pipeline.band_of(s, cuts) for s in p)
    assert counts["very_high"] == 20 and counts["high"] == 80 and counts["medium"] == 200
    table = pipeline.band_table(y, p, cuts)
    rates = {row["band"]: row["observed_rate"] for row in table}
    assert rates["very_high"] > rates["high"] > rates["medium"] > rates["low"]


def test_metrics_against_hand_worked_values():
    y = np.array([1, 0, 1, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    assert pipeline.at_k(y, p, 2) == {"k": 2, "precision": 0.5, "recall": 0.5}
    assert pipeline.at_k(y, p, 3) == {"k": 3, "precision": round(2 / 3, 5), "recall": 1.0}
    m = pipeline.evaluate(y, p, capacities=(2,))
    assert m["roc_auc"] == round(5 / 6, 5)


def test_isotonic_calibration_keeps_the_models_order_inside_a_step():
    rng = np.random.default_rng(3)
    raw = rng.normal(size=4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-(raw - 2)))).astype(int)
    cal = pipeline.Calibrator("isotonic").fit(raw, y)
    grid = np.linspace(-3, 3, 2001)
    steps = cal.iso.predict(grid)
    p = cal.predict(grid)
    assert len(np.unique(steps)) < 200  # isotonic regression ties most of the grid
    assert np.all(np.diff(p) > 0)  # the calibrated score does not: the raw order survives
    assert np.max(np.abs(p - steps)) <= 1e-6 and p.min() >= 0 and p.max() <= 1
    again = pipeline.Calibrator.from_json(cal.to_json())
    assert np.array_equal(again.predict(grid), p)
