"""The fairness audit (riskmodel.fairness and the fairness_audit command), as a specification.

No database: the audit is pure numpy/pandas and the command only reads a CSV file.
"""

import io
import json
import time

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from riskmodel import fairness
from riskmodel.fairness import (
    BAND,
    GROUP_KEYS,
    RATES,
    audit,
    audit_intersections,
    calibration,
    default_reference_group,
    disparities,
    flags,
    group_metrics,
    intersections,
)

FEEDS_GROUP_KEYS = [
    "n",
    "tp",
    "fp",
    "tn",
    "fn",
    "tpr",
    "fpr",
    "fnr",
    "tnr",
    "precision",
    "fdr",
    "for",
    "npv",
    "pprev",
    "ppr",
    "prev",
]

# Threshold 0.5: a row is flagged when score >= 0.5.
#
# Group A, 10 rows:
#   tp: 0.9/1, 0.8/1, 0.5/1 (0.5 equals the threshold, so it is flagged)   -> tp = 3
#   fp: 0.6/0                                                               -> fp = 1
#   tn: 0.1/0, 0.2/0, 0.3/0, 0.4/0                                          -> tn = 4
#   fn: 0.3/1, 0.45/1                                                       -> fn = 2
#   positives 5, negatives 5, flagged 4, not flagged 6
#   tpr 3/5 = 0.6   fpr 1/5 = 0.2   fnr 2/5 = 0.4   tnr 4/5 = 0.8
#   precision 3/4 = 0.75   fdr 1/4 = 0.25   for 2/6 = 1/3   npv 4/6 = 2/3
#   pprev 4/10 = 0.4   ppr 4/8 = 0.5 (8 flagged in all)   prev 5/10 = 0.5
#
# Group B, 12 rows (the larger group, so the default reference):
#   tp: 0.55/1                                                              -> tp = 1
#   fp: 0.9/0, 0.7/0, 0.5/0                                                 -> fp = 3
#   tn: 0.1, 0.2, 0.2, 0.3, 0.35, 0.4, 0.49, all label 0                    -> tn = 7
#   fn: 0.2/1                                                               -> fn = 1
#   positives 2, negatives 10, flagged 4, not flagged 8
#   tpr 1/2 = 0.5   fpr 3/10 = 0.3   fnr 1/2 = 0.5   tnr 7/10 = 0.7
#   precision 1/4 = 0.25   fdr 3/4 = 0.75   for 1/8 = 0.125   npv 7/8 = 0.875
#   pprev 4/12 = 1/3   ppr 4/8 = 0.5   prev 2/12 = 1/6
ROWS_A = [(0.9, 1), (0.8, 1), (0.5, 1), (0.6, 0), (0.1, 0), (0.2, 0), (0.3, 0), (0.4, 0), (0.3, 1), (0.45, 1)]
ROWS_B = [
    (0.55, 1),
    (0.9, 0),
    (0.7, 0),
    (0.5, 0),
    (0.1, 0),
    (0.2, 0),
    (0.2, 0),
    (0.3, 0),
    (0.35, 0),
    (0.4, 0),
    (0.49, 0),
    (0.2, 1),
]
EXPECTED_A = {
    "n": 10,
    "tp": 3,
    "fp": 1,
    "tn": 4,
    "fn": 2,
    "tpr": 0.6,
    "fpr": 0.2,
    "fnr": 0.4,
    "tnr": 0.8,
    "precision": 0.75,
    "fdr": 0.25,
    "for": 1 / 3,
    "npv": 2 / 3,
    "pprev": 0.4,
    "ppr": 0.5,
    "prev": 0.5,
}
EXPECTED_B = {
    "n": 12,
    "tp": 1,
    "fp": 3,
    "tn": 7,
    "fn": 1,
    "tpr": 0.5,
    "fpr": 0.3,
    "fnr": 0.5,
    "tnr": 0.7,
    "precision": 0.25,
    "fdr": 0.75,
    "for": 0.125,
    "npv": 0.875,
    "pprev": 1 / 3,
    "ppr": 0.5,
    "prev": 1 / 6,
}
# A divided by B, rate by rate.
A_OVER_B = {
    "tpr": 0.6 / 0.5,  # 1.2, inside the band
    "fpr": 0.2 / 0.3,  # 0.667, flagged
    "fnr": 0.4 / 0.5,  # 0.8, on the band's edge: not flagged
    "tnr": 0.8 / 0.7,  # 1.143
    "precision": 0.75 / 0.25,  # 3, flagged
    "fdr": 0.25 / 0.75,  # 0.333, flagged
    "for": (1 / 3) / 0.125,  # 2.667, flagged
    "npv": (2 / 3) / 0.875,  # 0.762, flagged
    "pprev": 0.4 / (1 / 3),  # 1.2
    "ppr": 1.0,
    "prev": 0.5 / (1 / 6),  # 3, flagged
}
# B divided by A: the inverses.
B_OVER_A = {metric: 1 / ratio for metric, ratio in A_OVER_B.items()}


def hand_frame() -> pd.DataFrame:
    rows = [("A", s, y) for s, y in ROWS_A] + [("B", s, y) for s, y in ROWS_B]
    return pd.DataFrame(rows, columns=["group", "score", "label"])


def hand_metrics():
    df = hand_frame()
    return group_metrics(df["score"], df["label"], df["group"], 0.5)


def assert_entry(actual: dict, expected: dict) -> None:
    assert set(actual) == set(expected)
    for key, value in expected.items():
        if value is None:
            assert actual[key] is None, key
        else:
            assert actual[key] == pytest.approx(value), key


# --------------------------------------------------------------------------------------------------
# Counts and rates
# --------------------------------------------------------------------------------------------------


def test_group_metrics_match_the_hand_computed_example():
    metrics = hand_metrics()

    assert list(metrics) == ["A", "B"]
    assert_entry(metrics["A"], EXPECTED_A)
    assert_entry(metrics["B"], EXPECTED_B)
    assert all(type(metrics[g][k]) is int for g in metrics for k in ("n", "tp", "fp", "tn", "fn"))


def test_a_score_equal_to_the_threshold_is_flagged():
    metrics = group_metrics([0.5, 0.4999], [1, 1], ["G", "G"], 0.5)

    assert metrics["G"]["tp"] == 1
    assert metrics["G"]["fn"] == 1


def test_every_rate_is_a_fraction_between_0_and_1():
    rng = np.random.default_rng(7)
    metrics = group_metrics(rng.random(500), rng.integers(0, 2, 500), rng.choice(list("XYZ"), 500), 0.3)

    for entry in metrics.values():
        for metric in RATES:
            assert 0 <= entry[metric] <= 1


def test_a_rate_with_a_zero_denominator_is_none_never_nan():
    # Group N: 3 rows, all label 0, none flagged: no positives (tpr, fnr undefined) and no flags (precision,
    # fdr undefined). Group P: 2 rows, label 1, both flagged: no negatives (fpr, tnr) and no unflagged rows
    # (for, npv).
    metrics = group_metrics([0.1, 0.2, 0.3, 0.9, 0.8], [0, 0, 0, 1, 1], ["N", "N", "N", "P", "P"], 0.5)

    assert_entry(
        metrics["N"],
        {
            "n": 3,
            "tp": 0,
            "fp": 0,
            "tn": 3,
            "fn": 0,
            "tpr": None,
            "fpr": 0.0,
            "fnr": None,
            "tnr": 1.0,
            "precision": None,
            "fdr": None,
            "for": 0.0,
            "npv": 1.0,
            "pprev": 0.0,
            "ppr": 0.0,
            "prev": 0.0,
        },
    )
    assert_entry(
        metrics["P"],
        {
            "n": 2,
            "tp": 2,
            "fp": 0,
            "tn": 0,
            "fn": 0,
            "tpr": 1.0,
            "fpr": None,
            "fnr": 0.0,
            "tnr": None,
            "precision": 1.0,
            "fdr": 0.0,
            "for": None,
            "npv": None,
            "pprev": 1.0,
            "ppr": 1.0,
            "prev": 1.0,
        },
    )


def test_ppr_is_none_for_every_group_when_nobody_is_flagged():
    metrics = group_metrics([0.1, 0.2], [1, 0], ["A", "B"], 0.5)

    assert metrics["A"]["ppr"] is None
    assert metrics["B"]["ppr"] is None
    assert metrics["A"]["pprev"] == 0.0


def test_group_values_are_strings_and_a_missing_value_is_its_own_group():
    metrics = group_metrics([0.9, 0.1, 0.2], [1, 0, 0], [1, 2, None], 0.5)

    assert list(metrics) == ["", "1", "2"]


# --------------------------------------------------------------------------------------------------
# Disparities, reference group and flags
# --------------------------------------------------------------------------------------------------


def test_disparities_divide_each_rate_by_the_reference_groups():
    ratios = disparities(hand_metrics(), "B")

    assert ratios["A"] == pytest.approx(A_OVER_B)
    assert ratios["B"] == pytest.approx(dict.fromkeys(RATES, 1.0))


def test_a_disparity_is_none_when_either_rate_is_none_or_the_reference_rate_is_zero():
    metrics = {
        "R": {"n": 5, "tpr": 0.0, "fpr": None, "fnr": 0.5, **dict.fromkeys(RATES[3:], 0.5)},
        "G": {"n": 3, "tpr": 0.4, "fpr": 0.2, "fnr": None, **dict.fromkeys(RATES[3:], 0.25)},
    }

    ratios = disparities(metrics, "R")

    assert ratios["G"]["tpr"] is None  # reference rate 0
    assert ratios["G"]["fpr"] is None  # reference rate None
    assert ratios["G"]["fnr"] is None  # own rate None
    assert ratios["G"]["precision"] == 0.5
    assert ratios["R"]["tpr"] is None  # even the reference compared with itself: 0 / 0


def test_a_group_with_rate_zero_against_a_nonzero_reference_has_disparity_zero():
    metrics = {"R": {"n": 5, **dict.fromkeys(RATES, 0.5)}, "G": {"n": 1, **dict.fromkeys(RATES, 0.0)}}

    assert disparities(metrics, "R")["G"] == dict.fromkeys(RATES, 0.0)


def test_the_default_reference_group_is_the_largest_group():
    result = audit(hand_frame(), "score", "label", "group", 0.5)

    assert result["reference_group"] == "B"  # 12 rows against A's 10
    assert result["disparities"]["A"] == pytest.approx(A_OVER_B)
    assert disparities(hand_metrics()) == disparities(hand_metrics(), "B")


def test_a_tie_for_largest_group_goes_to_the_name_that_sorts_first():
    metrics = group_metrics([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1], ["b", "b", "a", "a"], 0.5)

    assert default_reference_group(metrics) == "a"


def test_the_reference_group_can_be_chosen():
    result = audit(hand_frame(), "score", "label", "group", 0.5, reference_group="A")

    assert result["reference_group"] == "A"
    assert result["disparities"]["B"] == pytest.approx(B_OVER_A)
    assert result["disparities"]["A"] == pytest.approx(dict.fromkeys(RATES, 1.0))


def test_a_reference_group_that_does_not_exist_is_refused():
    with pytest.raises(ValueError, match="reference group 'C' does not exist"):
        audit(hand_frame(), "score", "label", "group", 0.5, reference_group="C")
    with pytest.raises(ValueError, match="does not exist"):
        disparities(hand_metrics(), "C")


def test_flags_list_the_disparities_outside_the_four_fifths_band():
    result = audit(hand_frame(), "score", "label", "group", 0.5)

    # fnr is exactly 0.8 and tpr/pprev exactly 1.2: inside the band, not flagged.
    assert result["flags"] == {"A": ["fpr", "precision", "fdr", "for", "npv", "prev"], "B": []}


def test_the_band_ends_belong_to_the_band():
    assert BAND == (0.8, 1.25)
    ratios = {"G": {**dict.fromkeys(RATES), "tpr": 0.8, "fpr": 1.25, "fnr": 0.7999, "tnr": 1.2501}}

    assert flags(ratios) == {"G": ["fnr", "tnr"]}


def test_with_a_as_reference_b_is_flagged_on_the_same_metrics_and_1_25_is_not_flagged():
    result = audit(hand_frame(), "score", "label", "group", 0.5, reference_group="A")

    assert result["disparities"]["B"]["fnr"] == pytest.approx(1.25)
    assert result["flags"] == {"A": [], "B": ["fpr", "precision", "fdr", "for", "npv", "prev"]}


def test_undefined_disparities_list_rates_that_exist_but_cannot_be_compared():
    # Reference R (3 rows) has no false positives (fpr 0/2 = 0); G's one negative row is flagged (fpr 1/1),
    # a gap no ratio to 0 can express.
    df = pd.DataFrame({"s": [0.9, 0.1, 0.2, 0.9, 0.9], "y": [1, 0, 0, 1, 0], "g": ["R", "R", "R", "G", "G"]})

    result = audit(df, "s", "y", "g", 0.5)

    assert result["reference_group"] == "R"
    assert result["groups"]["G"]["fpr"] == 1.0
    assert result["disparities"]["G"]["fpr"] is None
    assert "fpr" in result["undefined_disparities"]["G"]
    assert "fpr" not in result["flags"]["G"]


# --------------------------------------------------------------------------------------------------
# The JSON shape of FEEDS.md
# --------------------------------------------------------------------------------------------------


def test_audit_has_the_feeds_md_keys_and_nothing_but_the_documented_extras():
    result = audit(hand_frame(), "score", "label", "group", 0.5)

    assert list(result)[:4] == ["threshold", "reference_group", "groups", "disparities"]
    assert set(result) == {
        "threshold",
        "reference_group",
        "groups",
        "disparities",
        "flags",
        "undefined_disparities",
        "calibration",
    }
    assert result["threshold"] == 0.5
    assert list(GROUP_KEYS) == FEEDS_GROUP_KEYS
    for entry in result["groups"].values():
        assert list(entry) == FEEDS_GROUP_KEYS
    for ratios in result["disparities"].values():
        assert list(ratios) == FEEDS_GROUP_KEYS[5:]


def test_audit_is_json_without_nan_even_with_undefined_rates():
    df = pd.DataFrame({"s": [0.1, 0.2, 0.9], "y": ["N", "N", "Y"], "g": ["甲", "甲", "乙"]})

    result = audit(df, "s", "y", "g", 0.5, bootstrap=50)

    text = json.dumps(result, ensure_ascii=False, allow_nan=False)
    assert json.loads(text) == result


@pytest.mark.parametrize(
    "spelling",
    [
        (1, 0),
        (True, False),
        ("1", "0"),
        ("1.0", "0.0"),
        ("true", "false"),
        ("TRUE", "False"),
        ("Y", "N"),
        ("y", "n"),
        (" Y ", "N "),
        ("yes", "no"),
        ("是", "否"),
        (1.0, 0.0),
    ],
)
def test_labels_may_be_spelt_0_1_true_false_or_y_n(spelling):
    yes, no = spelling

    metrics = group_metrics([0.9, 0.1, 0.9], [yes, yes, no], ["G", "G", "G"], 0.5)

    assert (metrics["G"]["tp"], metrics["G"]["fn"], metrics["G"]["fp"]) == (1, 1, 1)


# --------------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------------


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match=r"missing column\(s\): risk, outcome"):
        audit(hand_frame(), "risk", "outcome", "group", 0.5)


def test_an_empty_table_is_refused():
    empty = pd.DataFrame({"score": [], "label": [], "group": []})

    with pytest.raises(ValueError, match="no rows"):
        audit(empty, "score", "label", "group", 0.5)
    with pytest.raises(ValueError, match="no rows"):
        group_metrics([], [], [], 0.5)


@pytest.mark.parametrize("bad", ["high", "", None, "nan", "inf", True])
def test_scores_that_are_not_finite_numbers_are_refused(bad):
    df = pd.DataFrame({"score": [0.4, bad], "label": [1, 0], "group": ["A", "A"]}, index=[7, 8])

    with pytest.raises(
        ValueError, match=r"score column 'score' has values that are not finite numbers.*row 8"
    ):
        audit(df, "score", "label", "group", 0.5)


def test_scores_may_be_numeric_strings():
    df = pd.DataFrame({"score": ["0.9", " 0.2 ", "1"], "label": ["1", "0", "0"], "group": ["A"] * 3})

    assert audit(df, "score", "label", "group", 0.5)["groups"]["A"]["fp"] == 1


@pytest.mark.parametrize("bad", [2, "maybe", "", None, -1, 0.5])
def test_labels_that_are_not_0_or_1_are_refused(bad):
    df = pd.DataFrame({"score": [0.4, 0.6], "label": [1, bad], "group": ["A", "A"]}, index=[1, 2])

    with pytest.raises(ValueError, match=r"label column 'label' must be 0/1.*row 2"):
        audit(df, "score", "label", "group", 0.5)


@pytest.mark.parametrize("threshold", [float("nan"), float("inf"), "high"])
def test_a_threshold_that_is_not_a_finite_number_is_refused(threshold):
    with pytest.raises(ValueError, match="threshold"):
        audit(hand_frame(), "score", "label", "group", threshold)


def test_a_negative_or_fractional_bootstrap_count_is_refused():
    with pytest.raises(ValueError, match="bootstrap"):
        audit(hand_frame(), "score", "label", "group", 0.5, bootstrap=-1)
    with pytest.raises(ValueError, match="bootstrap"):
        audit(hand_frame(), "score", "label", "group", 0.5, bootstrap=2.5)


def test_sequences_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        group_metrics([0.1, 0.2], [0, 1, 1], ["A", "A"], 0.5)


# --------------------------------------------------------------------------------------------------
# Bootstrap intervals
# --------------------------------------------------------------------------------------------------


def synthetic_frame(n: int = 4000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["major", "minor"], n, p=[0.7, 0.3])
    label = (rng.random(n) < np.where(group == "major", 0.2, 0.3)).astype(int)
    score = np.clip(0.25 * label + rng.normal(0.35, 0.2, n), 0, 1)
    return pd.DataFrame({"score": score, "label": label, "group": group})


def test_bootstrap_intervals_contain_the_point_estimates():
    result = audit(synthetic_frame(), "score", "label", "group", 0.5, bootstrap=500, seed=1)

    intervals = result["confidence_intervals"]
    assert (intervals["level"], intervals["resamples"], intervals["seed"]) == (0.95, 500, 1)
    for section in ("groups", "disparities"):
        for group, by_metric in intervals[section].items():
            for metric in RATES:
                low, high = by_metric[metric]
                estimate = result[section][group][metric]
                assert low <= estimate <= high, (section, group, metric)
    low, high = intervals["groups"]["minor"]["fnr"]
    assert high - low > 0  # a real interval, not a point


def test_bootstrap_is_reproducible_with_a_seed_and_varies_without_the_same_seed():
    df = synthetic_frame()

    first = audit(df, "score", "label", "group", 0.5, bootstrap=200, seed=42)["confidence_intervals"]
    again = audit(df, "score", "label", "group", 0.5, bootstrap=200, seed=42)["confidence_intervals"]
    other = audit(df, "score", "label", "group", 0.5, bootstrap=200, seed=43)["confidence_intervals"]

    assert first == again
    assert first["groups"] != other["groups"]


def test_no_bootstrap_means_no_confidence_intervals():
    assert "confidence_intervals" not in audit(hand_frame(), "score", "label", "group", 0.5)


def test_bootstrap_matches_resampling_rows_one_by_one():
    # The implementation draws each group's four cell counts from a multinomial; that must agree with the
    # textbook procedure of resampling the group's rows with replacement.
    df = synthetic_frame(n=600, seed=5)
    result = audit(df, "score", "label", "group", 0.5, bootstrap=4000, seed=0)
    minor = df[df["group"] == "minor"]
    positives = minor["label"].to_numpy() == 1
    missed = positives & (minor["score"].to_numpy() < 0.5)
    rows = np.random.default_rng(99).integers(0, len(minor), size=(4000, len(minor)))
    naive = missed[rows].sum(axis=1) / positives[rows].sum(axis=1)  # fnr = fn / (tp + fn), per resample
    expected = np.percentile(naive, [2.5, 97.5])

    assert result["confidence_intervals"]["groups"]["minor"]["fnr"] == pytest.approx(expected, abs=0.02)


def test_bootstrap_of_100000_rows_1000_times_takes_seconds():
    rng = np.random.default_rng(3)
    n = 100_000
    df = pd.DataFrame(
        {
            "score": rng.random(n),
            "label": rng.integers(0, 2, n),
            "group": rng.choice(["A", "B", "C", "D"], n),
        }
    )

    started = time.perf_counter()
    audit(df, "score", "label", "group", 0.7, bootstrap=1000, seed=0)

    assert time.perf_counter() - started < 10


def test_a_rate_undefined_in_the_data_has_no_interval():
    result = audit(
        pd.DataFrame({"s": [0.1, 0.2, 0.9, 0.8], "y": [0, 0, 1, 0], "g": ["N", "N", "M", "M"]}),
        "s",
        "y",
        "g",
        0.5,
        bootstrap=100,
    )

    assert result["groups"]["N"]["tpr"] is None
    assert result["confidence_intervals"]["groups"]["N"]["tpr"] is None


# --------------------------------------------------------------------------------------------------
# Calibration per group
# --------------------------------------------------------------------------------------------------


def test_calibration_compares_mean_score_with_observed_rate_per_score_decile():
    # Group W: ten rows scored 0.2 of which 5 had the outcome (observed 0.5: the score is 0.3 too low), ten
    # rows scored 0.8 of which 8 did (observed 0.8: right). Tied scores share a bin, so W has two bins.
    # ECE = 10/20 * |0.2 - 0.5| + 10/20 * |0.8 - 0.8| = 0.15.
    # Group C: perfectly calibrated in the same way (2 of 10 at 0.2, 8 of 10 at 0.8): ECE 0.
    scores = [0.2] * 10 + [0.8] * 10 + [0.2] * 10 + [0.8] * 10
    labels = [1] * 5 + [0] * 5 + [1] * 8 + [0] * 2 + [1] * 2 + [0] * 8 + [1] * 8 + [0] * 2
    groups = ["W"] * 20 + ["C"] * 20

    result = calibration(scores, labels, groups)

    assert result["W"]["ece"] == pytest.approx(0.15)
    assert result["C"]["ece"] == pytest.approx(0.0)
    assert result["W"]["bins"] == [
        {"n": 10, "score_min": 0.2, "score_max": 0.2, "mean_score": pytest.approx(0.2), "observed_rate": 0.5},
        {"n": 10, "score_min": 0.8, "score_max": 0.8, "mean_score": pytest.approx(0.8), "observed_rate": 0.8},
    ]
    assert result["W"]["mean_score"] == pytest.approx(0.5)
    assert result["W"]["observed_rate"] == pytest.approx(0.65)


def test_calibration_uses_ten_equal_bins_when_scores_are_distinct():
    rng = np.random.default_rng(0)
    scores = rng.random(1000)

    result = calibration(scores, (rng.random(1000) < scores).astype(int), ["G"] * 1000)

    assert [b["n"] for b in result["G"]["bins"]] == [100] * 10
    assert result["G"]["ece"] < 0.1
    assert sum(b["n"] for b in result["G"]["bins"]) == 1000


def test_calibration_is_none_when_scores_are_not_probabilities():
    df = pd.DataFrame({"s": [3.0, 12.5], "y": [0, 1], "g": ["A", "A"]})

    assert audit(df, "s", "y", "g", 10)["calibration"] is None


# --------------------------------------------------------------------------------------------------
# Intersections
# --------------------------------------------------------------------------------------------------


def intersection_frame() -> pd.DataFrame:
    # sex x indigenous: F&N 40 rows, M&N 40 rows, F&Y 12 rows, M&Y 3 rows.
    cells = [("F", "N", 40), ("M", "N", 40), ("F", "Y", 12), ("M", "Y", 3)]
    rows = [(sex, ind, "N") for sex, ind, count in cells for _ in range(count)]
    df = pd.DataFrame(rows, columns=["sex", "indigenous", "new_immigrant_parent"])
    rng = np.random.default_rng(0)
    df["score"] = rng.random(len(df))
    df["label"] = rng.integers(0, 2, len(df))
    return df


def test_intersections_keep_groups_with_enough_rows_and_suppress_the_rest_with_their_count():
    (pair,) = intersections(intersection_frame(), ["sex", "indigenous"], min_n=10)

    assert pair.columns == ("sex", "indigenous")
    assert pair.name == "sex & indigenous"
    assert pair.groups == {"sex=F & indigenous=N": 40, "sex=F & indigenous=Y": 12, "sex=M & indigenous=N": 40}
    assert pair.suppressed == {"sex=M & indigenous=Y": 3}
    assert pair.labels.isna().sum() == 3
    assert pair.as_dict()["suppressed"] == {"sex=M & indigenous=Y": 3}


def test_intersections_form_every_pair_of_attributes():
    pairs = intersections(intersection_frame(), ["sex", "indigenous", "new_immigrant_parent"], min_n=10)

    assert [p.name for p in pairs] == [
        "sex & indigenous",
        "sex & new_immigrant_parent",
        "indigenous & new_immigrant_parent",
    ]


def test_intersections_need_two_attributes():
    with pytest.raises(ValueError, match="at least two"):
        intersections(intersection_frame(), ["sex"])


def test_audit_intersections_audits_only_the_groups_numbers_allow():
    result = audit_intersections(intersection_frame(), "score", "label", ["sex", "indigenous"], 0.5, min_n=20)

    pair = result["pairs"]["sex & indigenous"]
    assert result["min_n"] == 20
    assert pair["suppressed"] == {"sex=F & indigenous=Y": 12, "sex=M & indigenous=Y": 3}
    assert set(pair["audit"]["groups"]) == {"sex=F & indigenous=N", "sex=M & indigenous=N"}
    assert sum(g["n"] for g in pair["audit"]["groups"].values()) == 80
    json.dumps(result, allow_nan=False)


def test_audit_intersections_gives_no_audit_when_every_group_is_suppressed():
    result = audit_intersections(
        intersection_frame(), "score", "label", ["sex", "indigenous"], 0.5, min_n=1000
    )

    assert result["pairs"]["sex & indigenous"]["audit"] is None


# --------------------------------------------------------------------------------------------------
# Consistency with scikit-learn
# --------------------------------------------------------------------------------------------------


def test_counts_agree_with_scikit_learns_confusion_matrix():
    metrics_module = pytest.importorskip("sklearn.metrics")
    df = synthetic_frame(n=3000, seed=21)

    ours = group_metrics(df["score"], df["label"], df["group"], 0.4)

    for group, part in df.groupby("group"):
        tn, fp, fn, tp = metrics_module.confusion_matrix(
            part["label"], (part["score"] >= 0.4).astype(int), labels=[0, 1]
        ).ravel()
        assert (ours[group]["tn"], ours[group]["fp"], ours[group]["fn"], ours[group]["tp"]) == (
            tn,
            fp,
            fn,
            tp,
        )
        assert ours[group]["tpr"] == pytest.approx(
            metrics_module.recall_score(part["label"], (part["score"] >= 0.4).astype(int))
        )


def test_counts_agree_with_a_plain_pandas_crosstab():
    # The same check as the scikit-learn one, without needing scikit-learn.
    df = synthetic_frame(n=3000, seed=21)

    ours = group_metrics(df["score"], df["label"], df["group"], 0.4)

    table = pd.crosstab([df["group"], df["score"] >= 0.4], df["label"])
    for group in ("major", "minor"):
        assert ours[group]["tp"] == table.loc[(group, True), 1]
        assert ours[group]["fp"] == table.loc[(group, True), 0]
        assert ours[group]["tn"] == table.loc[(group, False), 0]
        assert ours[group]["fn"] == table.loc[(group, False), 1]


# --------------------------------------------------------------------------------------------------
# The fairness_audit command
# --------------------------------------------------------------------------------------------------


def hand_csv() -> str:
    lines = ["group,score,label"] + [f"{g},{s},{y}" for g, s, y in hand_frame().itertuples(index=False)]
    return "\n".join(lines) + "\n"


def run_audit(path, *extra: str) -> dict:
    out = io.StringIO()
    call_command(
        "fairness_audit",
        "--csv",
        str(path),
        "--score-col",
        "score",
        "--label-col",
        "label",
        "--group-col",
        "group",
        "--threshold",
        "0.5",
        *extra,
        stdout=out,
    )
    text = out.getvalue()
    assert "NaN" not in text and "Infinity" not in text
    return json.loads(text)


def test_command_prints_the_audit_as_json(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(hand_csv(), encoding="utf-8")

    result = run_audit(path)

    assert result["threshold"] == 0.5
    assert result["reference_group"] == "B"
    assert_entry(result["groups"]["A"], EXPECTED_A)
    assert_entry(result["groups"]["B"], EXPECTED_B)
    assert result["disparities"]["A"] == pytest.approx(A_OVER_B)


def test_command_takes_a_reference_group_bootstrap_and_seed(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(hand_csv(), encoding="utf-8")

    result = run_audit(path, "--reference-group", "A", "--bootstrap", "100", "--seed", "5")

    assert result["reference_group"] == "A"
    assert result["confidence_intervals"]["resamples"] == 100
    assert result == run_audit(path, "--reference-group", "A", "--bootstrap", "100", "--seed", "5")


def test_command_reads_utf8_with_bom_and_keeps_group_values_as_written(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_bytes(
        ("group,score,label\n原住民,0.9,Y\n非原住民,0.2,N\n非原住民,0.7,N\n0,0.1,0\n").encode("utf-8-sig")
    )

    result = run_audit(path)

    assert set(result["groups"]) == {"原住民", "非原住民", "0"}
    assert result["reference_group"] == "非原住民"


def test_command_reads_cp950(tmp_path):
    path = tmp_path / "scores.csv"
    text = "族群,分數,結果\n原住民,0.9,是\n原住民,0.3,否\n新住民子女,0.6,否\n新住民子女,0.1,否\n新住民子女,0.8,是\n"
    path.write_bytes(text.encode("cp950"))
    out = io.StringIO()

    call_command(
        "fairness_audit",
        "--csv",
        str(path),
        "--score-col",
        "分數",
        "--label-col",
        "結果",
        "--group-col",
        "族群",
        "--threshold",
        "0.5",
        stdout=out,
    )

    result = json.loads(out.getvalue())
    assert result["reference_group"] == "新住民子女"
    assert result["groups"]["原住民"]["tp"] == 1
    assert result["groups"]["新住民子女"]["fp"] == 1
    assert "新住民子女" in out.getvalue()  # ensure_ascii=False: readable, not \\u escapes


def test_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_audit(tmp_path / "absent.csv")


def test_command_refuses_missing_columns_with_one_line(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("group,risk,label\nA,0.5,1\n", encoding="utf-8")

    with pytest.raises(CommandError, match=r"missing column\(s\): score") as caught:
        run_audit(path)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("A,high,1\n", r"not finite numbers: 'high' at row 1"),
        ("A,0.5,1\nA,0.2,maybe\n", r"must be 0/1.*'maybe' at row 2"),
        ("A,,1\n", r"column 'score' has no value \(blank, NA, NaN or NULL\) in 1 row\(s\): 1"),
        ("", "no data rows"),
    ],
)
def test_command_refuses_bad_values_naming_the_row(tmp_path, body, message):
    path = tmp_path / "scores.csv"
    path.write_text("group,score,label\n" + body, encoding="utf-8")

    with pytest.raises(CommandError, match=message):
        run_audit(path)


def test_command_refuses_an_unknown_reference_group(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(hand_csv(), encoding="utf-8")

    with pytest.raises(CommandError, match="reference group 'Z' does not exist"):
        run_audit(path, "--reference-group", "Z")


def test_module_exports_are_documented():
    for name in fairness.__all__:
        item = getattr(fairness, name)
        if callable(item) and not isinstance(item, type):
            assert item.__doc__, name
