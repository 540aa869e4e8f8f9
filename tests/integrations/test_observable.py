"""The Bayes filter that gives the ceiling for a model of a youth's own records (synthetic/observable.py)."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from integrations.synthetic import generate_city, observable
from integrations.synthetic.city import Simulated, simulate_city

START = datetime.date(2021, 8, 1)


@pytest.fixture(scope="module")
def rebuilt() -> Simulated:
    return simulate_city(youth=2500, years=3, seed=7, start=START)


@pytest.fixture(scope="module")
def scored(rebuilt: Simulated) -> dict[str, np.ndarray]:
    """The ceiling for every youth in scope in the last three months whose 12-month window is complete."""
    tr = rebuilt.truth
    months = [rebuilt.world.months - 12 - k for k in (2, 1, 0)]
    people = np.arange(len(rebuilt.world.people))
    want = {m: np.isin(people, tr.person[tr.month == m]) for m in months}
    out = observable.Filter(rebuilt).run(people, want)
    rows = np.isin(tr.month, months)
    p_obs = np.array([out[m][i] for i, m in zip(tr.person[rows], tr.month[rows], strict=True)])
    return {"p_obs": p_obs, "p_true": tr.p12[rows], "p_path": tr.p12_path[rows], "person": tr.person[rows]}


def test_rebuild_reproduces_the_city_generate_city_wrote(tmp_path: Path) -> None:
    generate_city(youth=300, years=2, seed=3, out=tmp_path, start=START)
    rb = simulate_city(youth=300, years=2, seed=3, start=START)
    with open(tmp_path / "truth" / "monthly_risk.csv", encoding="utf-8", newline="") as handle:
        written = {
            (int(r["person_id"][1:]) - 1, r["month"]): float(r["p_adverse_12m"])
            for r in csv.DictReader(handle)
        }
    labels = [
        f"{(START.year * 12 + START.month - 1 + m) // 12}-{(START.month - 1 + m) % 12 + 1:02d}"
        for m in range(24)
    ]
    rebuilt = {
        (int(i), labels[int(m)]): float(p)
        for i, m, p in zip(rb.truth.person, rb.truth.month, rb.truth.p12, strict=True)
    }
    assert written.keys() == rebuilt.keys()
    assert max(abs(written[k] - rebuilt[k]) for k in written) < 1e-6


def test_the_hidden_truth_averages_to_the_ceiling(scored: dict[str, np.ndarray]) -> None:
    # A posterior mean is calibrated against what it averages: E[p_true | p_obs] = p_obs, so regressing the
    # true probability on the ceiling gives slope 1 and the same mean. A prior for the propensity 1.6 times
    # too wide gives slope 0.84; half as wide, 1.22.
    p_obs, p_true = scored["p_obs"], scored["p_true"]
    assert np.polyfit(p_obs, p_true, 1)[0] == pytest.approx(1.0, abs=0.06)
    assert p_obs.mean() == pytest.approx(p_true.mean(), rel=0.05)


def test_the_ceiling_sits_between_a_count_and_the_hidden_truth(
    rebuilt: Simulated, scored: dict[str, np.ndarray]
) -> None:
    rng = np.random.default_rng(0)
    f = observable.Filter(rebuilt)
    # A plain score from the same records: unexcused absences and police contacts over all months so far.
    totals = f.unexcused.sum(axis=0) + f.counts.sum(axis=(0, 1))
    count_score = totals[scored["person"]] + rng.random(scored["person"].size) * 1e-3
    obs, true_, count = [], [], []
    for _ in range(30):
        y = rng.random(scored["p_path"].size) < scored["p_path"]
        obs.append(roc_auc_score(y, scored["p_obs"]))
        true_.append(roc_auc_score(y, scored["p_true"]))
        count.append(roc_auc_score(y, count_score))
    assert np.mean(count) + 0.02 < np.mean(obs) < np.mean(true_) - 0.01


def test_more_unexcused_absences_raise_the_posterior_score(rebuilt: Simulated) -> None:
    f = observable.Filter(rebuilt)
    tr = rebuilt.truth
    m = rebuilt.world.months - 12
    enrolled_all_along = np.flatnonzero(
        f.enrolled[:m].all(axis=0) & np.isin(np.arange(f.n), tr.person[tr.month == m])
    )
    one = enrolled_all_along[:1]
    base = f.run(one, {m: np.array([True])})[m][0]
    f.unexcused[m - 6 : m, one[0]] += 4  # four more unexcused days in each of the last six months
    more = f.run(one, {m: np.array([True])})[m][0]
    assert more > base * 1.2


def test_without_sex_and_district_the_records_still_speak_for_them() -> None:
    # The mixture weighs each (sex, district) by how likely it makes the youth's records: the posterior
    # chance of being male is higher for boys than for girls, yet far from certain, and the mixture's
    # score stays calibrated against the hidden truth.
    rb = simulate_city(youth=1200, years=2, seed=9, start=START)
    tr = rb.truth
    m = rb.world.months - 1
    people = np.unique(tr.person[tr.month == m])
    f = observable.Filter(rb)
    p_male: dict[int, np.ndarray] = {}
    out = f.run_without_protected(people, {m: np.ones(people.size, dtype=bool)}, p_male=p_male, samples=16)
    boys = f.male[people]
    assert 0.45 < p_male[m].mean() < 0.6
    assert p_male[m][boys].mean() > p_male[m][~boys].mean() + 0.002
    p_true = dict(zip(tr.person[tr.month == m].tolist(), tr.p12[tr.month == m].tolist(), strict=True))
    truth = np.array([p_true[int(i)] for i in people])
    assert out[m].mean() == pytest.approx(truth.mean(), rel=0.08)
    assert np.polyfit(out[m], truth, 1)[0] == pytest.approx(1.0, abs=0.15)
