"""The promotion gate: what a model must show on its test months before it may score youth.

Each check has a hand-built verdict that fails it and nothing else, and the verdict is asserted (so turning
``all(checks)`` into ``any(checks)`` fails here). The paired bootstrap is checked on hand-built models: two
models at chance do not pass together, a model with signal does, a baseline shown better fails the model, a
youth's rows are resampled together. No database.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from riskmodel import fairness, gate, gate_text, pipeline


def _difference(value: float, low: float, high: float) -> dict:
    return {"value": value, "interval": [low, high]}


def good_evidence() -> dict:
    """Figures of a model that earns its place: beats random order and both baselines, calibrated."""
    return {
        "capacity": 200,
        "months": 3,
        "resamples": 1000,
        "youth": 5000,
        "rows": 15000,
        "youth_with_outcome": 120,
        "outcomes": 300,
        "scorers": {
            "model": {
                "roc_auc": _difference(0.68, 0.64, 0.72),
                "precision_at_k": _difference(0.07, 0.05, 0.1),
            },
            "focal_count": {
                "roc_auc": _difference(0.55, 0.5, 0.6),
                "precision_at_k": _difference(0.04, 0.02, 0.06),
            },
            "logistic_regression": {
                "roc_auc": _difference(0.63, 0.59, 0.67),
                "precision_at_k": _difference(0.05, 0.03, 0.08),
            },
            "random_order": {
                "roc_auc": _difference(0.5, 0.5, 0.5),
                "precision_at_k": _difference(0.02, 0.018, 0.022),
            },
        },
        "differences": {
            "random_order": {
                "roc_auc": _difference(0.18, 0.14, 0.22),
                "precision_at_k": _difference(0.05, 0.03, 0.08),
            },
            "focal_count": {
                "roc_auc": _difference(0.13, 0.08, 0.18),
                "precision_at_k": _difference(0.03, 0.005, 0.055),
            },
            "logistic_regression": {
                "roc_auc": _difference(0.05, 0.01, 0.09),
                "precision_at_k": _difference(0.02, -0.01, 0.05),
            },
        },
        "observed_to_expected": _difference(1.05, 0.9, 1.2),
    }


def inputs() -> dict:
    return {
        "evidence": good_evidence(),
        "calibration": {"ece": 0.01},
        "fairness_review": {"blocking": [], "warnings": [{"reason": "not_firm"}]},
        "shap_error": 1e-14,
    }


def fail_enough_outcomes(i):
    i["evidence"]["youth_with_outcome"] = 29


def fail_random_auc(i):
    i["evidence"]["differences"]["random_order"]["roc_auc"] = _difference(0.05, -0.01, 0.11)


def fail_random_precision(i):
    i["evidence"]["differences"]["random_order"]["precision_at_k"] = _difference(0.01, -0.001, 0.03)


def fail_baselines_auc(i):
    # Logistic regression is shown to order youth better: the interval of model - LR lies below 0.
    i["evidence"]["differences"]["logistic_regression"]["roc_auc"] = _difference(-0.04, -0.07, -0.01)


def fail_baselines_precision(i):
    i["evidence"]["differences"]["focal_count"]["precision_at_k"] = _difference(-0.02, -0.04, -0.001)


def fail_ece(i):
    i["calibration"]["ece"] = 0.051


def fail_observed_to_expected(i):
    # Outcomes firmly more frequent than the scores say: 1.3 to 1.6 times, wholly above 1.25.
    i["evidence"]["observed_to_expected"] = _difference(1.45, 1.3, 1.6)


def fail_fairness(i):
    i["fairness_review"]["blocking"] = [
        {"attribute": "indigenous", "group": "Y", "metric": "fnr", "disparity": 1.6, "interval": [1.3, 1.9]}
    ]


def fail_shap(i):
    i["shap_error"] = 1e-3


FAILS_ALONE = [
    ("enough_test_outcomes", fail_enough_outcomes),
    ("beats_random_order_auc", fail_random_auc),
    ("beats_random_order_precision", fail_random_precision),
    ("baselines_auc", fail_baselines_auc),
    ("baselines_precision", fail_baselines_precision),
    ("calibrated", fail_ece),
    ("calibrated", fail_observed_to_expected),
    ("fairness_explained", fail_fairness),
    ("shap_additive", fail_shap),
]


def test_a_model_that_shows_every_check_passes_the_gate():
    verdict = gate.decide(**inputs())
    assert verdict["passed"] is True
    assert verdict["failed"] == []
    assert all(verdict["checks"].values()) and list(verdict["checks"]) == list(gate.CHECKS)
    assert gate.passed(verdict) and not gate.overridable(verdict)


@pytest.mark.parametrize(("check", "breaks"), FAILS_ALONE, ids=[f.__name__ for _, f in FAILS_ALONE])
def test_each_check_alone_refuses_the_model(check, breaks):
    given = inputs()
    breaks(given)
    verdict = gate.decide(**given)
    assert verdict["checks"][check] is False
    assert [c for c, ok in verdict["checks"].items() if not ok] == [check]
    assert verdict["failed"] == [check]
    assert verdict["passed"] is False and not gate.passed(verdict)
    # Only a model shown to carry signal may be overridden by two people.
    assert gate.overridable(verdict) is (check not in gate.SIGNAL_CHECKS)


def test_a_missing_interval_never_counts_as_shown():
    given = inputs()
    given["evidence"]["differences"]["random_order"]["roc_auc"]["interval"] = None
    given["evidence"]["differences"]["focal_count"]["roc_auc"]["interval"] = None
    verdict = gate.decide(**given)
    assert verdict["failed"] == ["beats_random_order_auc", "baselines_auc"]


def test_against_baselines_the_rule_can_ask_for_better_not_only_not_worse():
    # Logistic regression's precision interval reaches below 0: not shown worse, not shown better.
    assert gate.decide(**inputs())["checks"]["baselines_precision"] is True
    strict = gate.decide(**inputs(), rules=gate.Rules(baselines="better"))
    assert strict["failed"] == ["baselines_precision"]


def test_a_verdict_of_the_earlier_gate_is_not_a_pass():
    earlier = {"rules": {}, "checks": {"beats_logistic_regression": True}, "passed": True}
    assert not gate.is_current(earlier) and not gate.passed(earlier) and not gate.overridable(earlier)


# ---------------------------------------------------------------------------------------------------------
# The paired bootstrap over youth, on hand-built models
# ---------------------------------------------------------------------------------------------------------


def city(n_youth=3000, months=3, prevalence=0.03, seed=0):
    """Test rows for ``n_youth`` youth over ``months`` months, as the test months are: a youth's outcome in
    the next year is one event seen from each month, so it repeats across the months, as does the youth's
    propensity (returned as the true probability of each row)."""
    rng = np.random.default_rng(seed)
    logit = np.log(prevalence / (1 - prevalence)) + 1.2 * rng.normal(0, 1, n_youth) - 0.7
    truth = 1 / (1 + np.exp(-logit))
    outcome = (rng.random(n_youth) < truth).astype(int)
    youth = np.repeat(np.arange(n_youth), months)
    month = np.tile(np.arange(months), n_youth)
    return rng, youth, month, outcome[youth], truth[youth]


def noisy(rng, probability, youth, noise):
    """A model's calibrated-looking score: the truth, blurred per youth (and a little per month)."""
    logit = np.log(probability / (1 - probability))
    per_youth = rng.normal(0, noise, youth.max() + 1)[youth]
    return 1 / (1 + np.exp(-(logit + per_youth + rng.normal(0, 0.05, len(youth)))))


def verdict_for(youth, month, y, scores, *, capacity=100, rules=None):
    evidence = gate.evidence(youth, y, scores, months=month, capacity=capacity, resamples=400, seed=3)
    return gate.decide(
        evidence=evidence,
        calibration={"ece": 0.01},
        fairness_review={"blocking": []},
        shap_error=0.0,
        rules=rules,
    )


def test_two_models_at_chance_do_not_pass_together():
    """The issue's case: a model and logistic regression both at chance passed the earlier gate."""
    rng, youth, month, y, truth = city()
    chance = rng.random(len(y)) * 2 * truth.mean()
    at_chance = {"model": chance, "logistic_regression": chance * 0.9, "focal_count": rng.random(len(y))}
    # The earlier rule (ROC AUC no worse than logistic regression's - 0.01) passed it.
    assert roc_auc_score(y, at_chance["model"]) - roc_auc_score(y, at_chance["logistic_regression"]) > -0.01
    verdict = verdict_for(youth, month, y, at_chance)
    assert verdict["checks"]["beats_random_order_auc"] is False
    assert verdict["checks"]["beats_random_order_precision"] is False
    assert verdict["passed"] is False and verdict["overridable"] is False


def test_a_model_with_signal_beats_random_order_and_passes_against_a_baseline_it_is_no_worse_than():
    rng, youth, month, y, truth = city()
    model = noisy(rng, truth, youth, 0.5)
    scores = {
        "model": model,
        "logistic_regression": noisy(rng, truth, youth, 0.5),
        "focal_count": rng.random(len(y)),
    }
    verdict = verdict_for(youth, month, y, scores)
    assert verdict["passed"] is True, verdict["failed"]
    auc = verdict["evidence"]["scorers"]["model"]["roc_auc"]
    assert auc["value"] == pytest.approx(roc_auc_score(y, model), abs=1e-5)
    assert auc["interval"][0] > 0.5
    # As good as logistic regression, not shown better: passes "not worse", fails "better".
    strict = verdict_for(youth, month, y, scores, rules=gate.Rules(baselines="better"))
    assert "baselines_auc" in strict["failed"]


def test_a_baseline_shown_better_refuses_the_model():
    rng, youth, month, y, truth = city(n_youth=4000, prevalence=0.08)
    scores = {
        "model": noisy(rng, truth, youth, 0.8),  # a blurred view of the signal
        "logistic_regression": truth,  # the whole signal
        "focal_count": rng.random(len(y)),
    }
    verdict = verdict_for(youth, month, y, scores)
    assert verdict["failed"] == ["baselines_auc", "baselines_precision"]
    assert verdict["evidence"]["differences"]["logistic_regression"]["roc_auc"]["interval"][1] < 0
    assert verdict["passed"] is False and verdict["overridable"] is True


def test_a_youths_rows_are_resampled_together():
    rng, youth, month, y, truth = city(n_youth=1500, months=3)
    scores = {"model": noisy(rng, truth, youth, 1.0)}
    together = gate.evidence(youth, y, scores, months=month, capacity=50, resamples=600, seed=1)
    apart = gate.evidence(np.arange(len(y)), y, scores, months=month, capacity=50, resamples=600, seed=1)

    def width(e):
        low, high = e["scorers"]["model"]["roc_auc"]["interval"]
        return high - low

    assert together["youth"] == 1500 and apart["youth"] == 4500
    # Treating a youth's three months as three youth understates the uncertainty (by about sqrt(3)).
    assert width(together) > 1.4 * width(apart)


def test_weighted_metrics_equal_the_plain_ones_on_the_test_rows():
    rng = np.random.default_rng(5)
    y = (rng.random(2000) < 0.1).astype(int)
    s = np.round(rng.random(2000) + 0.3 * y, 1)  # many ties
    order = gate._Order(s, np.zeros(2000))
    assert order.auc(np.ones(2000), y.astype(float)) == pytest.approx(roc_auc_score(y, s))
    assert order.precision_at(np.ones(2000), y.astype(float), 150) == pytest.approx(
        pipeline.at_k(y, s, 150)["precision"], abs=1e-5
    )
    # A weight is the same as repeating the row.
    w = rng.integers(0, 3, 2000)
    assert order.auc(w.astype(float), y.astype(float)) == pytest.approx(
        roc_auc_score(np.repeat(y, w), np.repeat(s, w))
    )


def test_precision_at_capacity_is_each_months_top_k_averaged():
    y = np.array([1, 0, 0, 0, 0, 0, 1, 0])
    scores = np.array([0.9, 0.8, 0.1, 0.2, 0.95, 0.85, 0.7, 0.1])
    month = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    e = gate.evidence(np.arange(8), y, {"model": scores}, months=month, capacity=2, resamples=0)
    # Month 0: top two are rows 0 (1) and 1 (0) -> 0.5; month 1: rows 4 (0) and 5 (0) -> 0.0.
    assert e["scorers"]["model"]["precision_at_k"]["value"] == 0.25
    assert e["scorers"]["random_order"]["precision_at_k"]["value"] == 0.25  # the base rate


# ---------------------------------------------------------------------------------------------------------
# Which fairness results block, and which only warn
# ---------------------------------------------------------------------------------------------------------


def audit_with(metric, disparity, prev, *, attribute="indigenous", group="Y", positives=200) -> dict:
    """An audit with one flag; the group had ``positives`` youth-months with an outcome and the reference
    flagged 20 % of its own (so 40 of these would have been flagged at the reference's rate)."""
    return {
        "by_attribute": {
            attribute: {
                "reference_group": "N",
                "groups": {"N": {"tp": 200, "fn": 800, "tpr": 0.2}, group: {"tp": 0, "fn": positives}},
                "disparities": {group: {metric: disparity, "prev": prev}},
                "flags": {group: [metric]},
            }
        }
    }


def youth_interval(metric: str, low: float, high: float, *, attribute="indigenous", group="Y") -> dict:
    return {"intervals": {attribute: {group: {metric: [low, high]}}}}


@pytest.mark.parametrize(
    ("metric", "disparity", "prev", "interval", "attribute", "group", "expected"),
    [
        # Missed more, firmly, while needing help as often: blocks (fnr above the band, tpr below it).
        ("fnr", 1.6, 1.0, (1.3, 1.9), "indigenous", "Y", "unexplained_harm"),
        ("tpr", 0.5, 1.0, (0.3, 0.7), "district", "大溪區", "unexplained_harm"),
        # Contacted without need more, firmly, while not needing help more: shown and explained, not blocking.
        ("fpr", 1.8, 1.1, (1.4, 2.3), "district", "大溪區", "contact_warns"),
        # The same gaps, with a base rate that explains them (one threshold for everyone): warn.
        ("fnr", 1.6, 0.6, (1.3, 1.9), "indigenous", "Y", "explained_by_base_rate"),
        ("tpr", 0.5, 0.7, (0.3, 0.7), "indigenous", "Y", "explained_by_base_rate"),
        ("fpr", 1.8, 1.5, (1.4, 2.3), "district", "大溪區", "explained_by_base_rate"),
        # The interval reaches into the band: could be chance.
        ("fnr", 1.6, 1.0, (1.1, 2.1), "indigenous", "Y", "not_firm"),
        # The group fares better, or a metric that is another view of the same counts.
        ("fnr", 0.5, 1.0, (0.3, 0.7), "indigenous", "Y", "not_a_harm"),
        ("precision", 1.6, 1.0, (1.3, 1.9), "indigenous", "Y", "not_a_harm"),
        # Age is a model input with its own base rates; an unrecorded attribute is not a group.
        ("fnr", 1.6, 1.0, (1.3, 1.9), "age", "13", "model_input"),
        ("fnr", 1.6, 1.0, (1.3, 1.9), "indigenous", "unknown", "unrecorded_group"),
    ],
)
def test_fairness_flags_block_only_when_firm_about_missed_children_and_unexplained(
    metric, disparity, prev, interval, attribute, group, expected
):
    review = fairness.review(
        audit_with(metric, disparity, prev, attribute=attribute, group=group),
        youth_interval(metric, *interval, attribute=attribute, group=group),
    )
    found = review["blocking"] + review["warnings"]
    assert [f["reason"] for f in found] == [expected]
    assert bool(review["blocking"]) is (expected == "unexplained_harm")


def test_a_small_group_none_of_whose_few_outcomes_was_flagged_does_not_block():
    # Three youth-months with an outcome, none flagged: at the reference's 20 % that is what chance gives
    # (0.6 expected), and every resample of a zero is zero, so the interval is the point [0, 0].
    review = fairness.review(
        audit_with("tpr", 0.0, 1.0, positives=3),
        youth_interval("tpr", 0.0, 0.0),
    )
    assert review["blocking"] == [] and [w["reason"] for w in review["warnings"]] == ["too_few_to_tell"]


def test_youth_intervals_are_wider_than_row_intervals_when_youth_repeat():
    rng = np.random.default_rng(2)
    n, months = 1200, 3
    youth = np.repeat(np.arange(n), months)
    group = np.where(youth % 5 == 0, "Y", "N")
    propensity = rng.normal(0, 1, n)[youth] + 0.8 * (group == "Y")
    y = (rng.random(len(youth)) < 1 / (1 + np.exp(-(propensity - 3)))).astype(int)
    table = pd.DataFrame({"score": 1 / (1 + np.exp(-propensity)), "label": y, "g": group, "youth_id": youth})
    threshold = float(np.quantile(table["score"], 0.9))
    rows = fairness.audit(table, "score", "label", "g", threshold, bootstrap=600, seed=1)
    clustered = fairness.youth_intervals(
        table, "score", "label", ["g"], threshold, "youth_id", {"g": "N"}, resamples=600, family_level=0.95
    )
    assert clustered["comparisons"] == 4 and clustered["level_each"] == pytest.approx(1 - 0.05 / 4)
    row_low, row_high = rows["confidence_intervals"]["disparities"]["Y"]["fpr"]
    low, high = clustered["intervals"]["g"]["Y"]["fpr"]
    assert high - low > 1.3 * (row_high - row_low)


def test_a_blocking_review_is_kept_with_its_figures_and_warnings_without_them():
    review = fairness.review(audit_with("fnr", 1.6, 1.0), youth_interval("fnr", 1.3, 1.9))
    assert review["blocking"][0]["disparity"] == 1.6 and review["blocking"][0]["interval"] == [1.3, 1.9]
    warned = fairness.review(audit_with("fnr", 1.6, 0.6), youth_interval("fnr", 1.3, 1.9))["warnings"][0]
    assert set(warned) == {"attribute", "group", "metric", "reason"}


def test_the_verdict_is_a_copy_of_its_inputs():
    given = inputs()
    kept = copy.deepcopy(given)
    gate.decide(**given)
    assert given == kept


# ---------------------------------------------------------------------------------------------------------
# The words are made from the figures
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auc", "difference", "says", "never"),
    [
        ((0.68, 0.64, 0.72), (0.18, 0.14, 0.22), "It orders youth better than random order: ROC AUC 0.680", "do not show"),
        ((0.497, 0.46, 0.53), (-0.003, -0.04, 0.03), "do not show that it orders youth better", "It orders youth better"),
        ((0.42, 0.38, 0.46), (-0.08, -0.12, -0.04), "It orders youth worse than random order: ROC AUC 0.420", "better than random order: ROC"),
    ],
)  # fmt: skip
def test_the_sentence_about_random_order_follows_its_figures(auc, difference, says, never):
    from django.utils import translation

    given = inputs()
    given["evidence"]["scorers"]["model"]["roc_auc"] = _difference(*auc)
    given["evidence"]["differences"]["random_order"]["roc_auc"] = _difference(*difference)
    verdict = gate.decide(**given)
    with translation.override("en"):
        sentence = next(s for s in gate_text.gate_sentences(verdict) if s["key"] == "beats_random_order_auc")
        refusal = gate_text.gate_refusal(verdict)
    assert says in sentence["text"] and never not in sentence["text"]
    assert f"{auc[1]:.3f} to {auc[2]:.3f}" in sentence["text"]
    assert sentence["passed"] is (difference[1] > 0)
    assert (sentence["text"] in refusal) is (difference[1] <= 0)
