"""The fairness audit as the model report and the API publish it (``riskmodel.report.published_fairness``):
every count of youth, calibration bins included, rounded to a multiple of 5 by the same helper as the
supervisor reports (``casework.reports.suppression.Release``), rates and calibration figures computed from the rounded
counts, and a group or bin of a handful of youth shown with its rounded size only. The stored audit keeps the
exact counts for the promotion gate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse

from casework.reports.suppression import RATE_MIN_BASE, possible_counts
from riskmodel import fairness, report, service
from riskmodel.models import ModelStatus
from tests.casework.test_suppression import learned
from tests.fixtures import PASSWORD
from tests.riskmodel.test_registry_pages import build_risk_model, row_of

SMALL = "復興區"  # three youth


def audit_with_a_small_district(rows: int = 1500, seed: int = 5) -> dict:
    """A fairness audit shaped as ``train_model`` writes it, on a test period in which one district has three
    youth (so its calibration bins hold one youth each)."""
    rng = np.random.default_rng(seed)
    scores = rng.beta(1.2, 9, rows)
    labels = (rng.random(rows) < scores).astype(int)
    district = rng.choice(["桃園區", "中壢區", "平鎮區"], rows)
    district[:3] = SMALL
    table = pd.DataFrame(
        {
            "sex": rng.choice(["M", "F"], rows),
            "indigenous": rng.choice(["Y", "N"], rows, p=[0.08, 0.92]),
            "new_immigrant_parent": rng.choice(["Y", "N", "unknown"], rows, p=[0.1, 0.87, 0.03]),
            "district": district,
            "low_income": rng.choice(["Y", "N"], rows, p=[0.2, 0.8]),
            "age": rng.integers(12, 18, rows).astype(str),
            "score": scores,
            "label": labels,
        }
    )
    threshold = float(np.sort(scores)[::-1][149])
    audit = {"threshold": threshold, "by_attribute": {}}
    for column in service.FAIRNESS_GROUPS:
        audit["by_attribute"][column] = fairness.audit(
            table, "score", "label", column, threshold, bootstrap=50, seed=seed
        )
    audit["pairs"] = fairness.audit_intersections(
        table,
        "score",
        "label",
        ["sex", "indigenous", "new_immigrant_parent", "low_income"],
        threshold,
        min_n=30,
    )
    audit["flag_summary"] = {}
    return audit


@pytest.fixture
def model(world):
    model = build_risk_model(version=1, status=ModelStatus.ACTIVE)
    model.fairness = audit_with_a_small_district()
    model.save(update_fields=["fairness"])
    return model


def api_fairness(client, model) -> dict:
    assert client.login(username="modeller", password=PASSWORD)
    response = client.get(f"/api/models/{model.version}/")
    assert response.status_code == 200
    return response.json()["fairness"]


def walk(value, path=()):
    """Every (path, value) in a JSON document."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk(item, (*path, i))


def test_the_api_publishes_every_count_of_youth_as_a_multiple_of_five_and_no_single_youths_score(
    client, model
):
    published = api_fairness(client, model)
    counts = 0
    for path, value in walk(published):
        if path and path[-1] in ("score_min", "score_max"):
            pytest.fail(f"a bin gives a single youth's score at {path}")
        is_count = path and path[-1] in ("n", *fairness.COUNTS)
        is_pair_size = len(path) >= 2 and path[-2] in ("groups", "suppressed") and path[0] == "pairs"
        if (is_count or is_pair_size) and isinstance(value, int):
            counts += 1
            assert value % 5 == 0, (path, value)
    assert counts > 500


def test_the_api_gives_a_small_groups_calibration_bins_rounded_and_without_rates(client, model):
    district = api_fairness(client, model)["by_attribute"]["district"]
    small = district["groups"][SMALL]
    assert small["n"] in (0, 5)
    assert all(small[rate] is None for rate in fairness.RATES)
    assert all(ratio is None for ratio in district["disparities"][SMALL].values())
    assert district["flags"][SMALL] == []
    calibration = district["calibration"][SMALL]
    assert calibration["mean_score"] is None and calibration["observed_rate"] is None
    assert calibration["ece"] is None
    assert calibration["bins"], "the bins are listed, with their rounded sizes"
    for b in calibration["bins"]:
        assert b["n"] % 5 == 0 and b["mean_score"] is None and b["observed_rate"] is None
    # The stored audit keeps the exact figures, for the promotion gate.
    model.refresh_from_db()
    assert model.fairness["by_attribute"]["district"]["groups"][SMALL]["n"] == 3


def test_the_bins_of_a_large_group_give_the_rate_of_their_rounded_counts(client, model):
    district = api_fairness(client, model)["by_attribute"]["district"]
    bins = district["calibration"]["桃園區"]["bins"]
    shown = [b for b in bins if b["n"] >= RATE_MIN_BASE]
    assert shown
    for b in shown:
        assert b["observed_rate"] is not None and b["mean_score"] is not None
        # A rate of rounded counts: some multiple of 5 over the rounded size.
        assert any(abs(b["observed_rate"] - k / b["n"]) < 1e-9 for k in range(0, b["n"] + 1, 5))


def test_a_large_groups_rates_are_those_of_its_rounded_counts(client, model):
    groups = api_fairness(client, model)["by_attribute"]["district"]["groups"]
    g = groups["桃園區"]
    assert g["tpr"] == pytest.approx(g["tp"] / (g["tp"] + g["fn"]))
    assert g["pprev"] == pytest.approx((g["tp"] + g["fp"]) / (g["tp"] + g["fp"] + g["tn"] + g["fn"]))


def test_a_small_groups_counts_cannot_be_worked_out_from_the_exact_totals_and_the_other_groups(model):
    """The reader knows the test period's exact counts (the model's metrics give them) and sees every published
    count of the district audit, bins included: the small district's counts stay unknown."""
    stored = model.fairness["by_attribute"]["district"]
    published = report.published_fairness(model)["by_attribute"]["district"]
    totals = {c: sum(g[c] for g in stored["groups"].values()) for c in fairness.COUNTS}
    boxes, sums, orders = {}, [], []
    for column, n in totals.items():
        boxes[("all", column)] = (n, n)
    for group, metrics in published["groups"].items():
        for column in ("n", *fairness.COUNTS):
            boxes[(group, column)] = possible_counts(metrics[column])
        sums.append(([(group, "n")], [(group, c) for c in fairness.COUNTS]))
        bins = published["calibration"][group]["bins"]
        sums.append(([(group, "n")], [(group, "bin", i) for i in range(len(bins))]))
        for i, b in enumerate(bins):
            boxes[(group, "bin", i)] = possible_counts(b["n"])
    for column in fairness.COUNTS:
        sums.append(([("all", column)], [(group, column) for group in published["groups"]]))
    shown = [name for name in boxes if name[0] != "all"]
    assert learned(boxes, sums, orders, published=shown) == {}


def test_the_report_page_shows_the_small_group_rounded_and_the_same_figures_as_the_api(client, model):
    published = api_fairness(client, model)["by_attribute"]["district"]
    page = client.get(reverse("riskmodel:model-report", args=[model.version]), HTTP_ACCEPT_LANGUAGE="en")
    page = page.content.decode()
    row = row_of(page, f'data-group="{SMALL}"')
    assert f'<td class="num">{published["groups"][SMALL]["n"]}</td>' in row
    assert "too few youth" in row and "data-metric" not in row
    big = row_of(page, 'data-group="桃園區"')
    assert f'<td class="num">{published["groups"]["桃園區"]["n"]}</td>' in big
    assert f"{published['groups']['桃園區']['fnr'] * 100:.1f}%" in big
