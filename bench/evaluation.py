"""Benchmark: does the outreach evaluation recover a known effect? (``docs/evaluation.md``)

    .venv/bin/python bench/evaluation.py [--youth 50000] [--years 4] [--seeds 1 2] [--effect 0.5] [--json]

Draws the synthetic city in memory with the generator's outreach knob (``simulate.Outreach``): youth are reached
by their own records of the last months, and a reached youth's adverse hazards fall by ``effect`` for six
months. For each seed it draws the city twice, with the effect set and with it off (the same reach model), and
runs the platform's estimator (``riskmodel.evaluation.estimator``) on a panel of youth-months built from the
records as a caseworker would have seen them. It prints, for the 6- and 12-month outcome, the true effect on
the reached (from the generator's hazards on each reached youth's realised path), the matched estimate with its
95 % interval and the naive comparison, and whether each interval holds the truth and whether it holds zero.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START = dt.date(2021, 1, 1)


def panel_from_simulation(sim) -> tuple:
    """The youth-months at risk of being reached, with records of the last 3 and 12 months and the outcomes."""
    import numpy as np
    import pandas as pd

    from integrations.synthetic.simulate import SIGNALS

    w, ev = sim.world, sim.events
    months, n = w.months, len(w.people)
    S = np.stack(ev.signals).astype(np.float32)  # (months, n, signals)
    csum = np.concatenate([np.zeros((1, n, S.shape[2]), dtype=np.float32), np.cumsum(S, axis=0)])

    adverse = np.zeros((months, n), dtype=np.int32)
    police = ev.get("police")
    sel = police["adverse"].astype(bool)
    np.add.at(adverse, (police["month"][sel].astype(int), police["person"][sel].astype(int)), 1)
    drop = ev.get("dropout")
    np.add.at(adverse, (drop["month"].astype(int), drop["person"].astype(int)), 1)
    cp = ev.get("cp")
    sel = cp["substantiated"].astype(bool)
    np.add.at(adverse, (cp["month"][sel].astype(int), cp["person"][sel].astype(int)), 1)
    a_sum = np.concatenate([np.zeros((1, n), dtype=np.int64), np.cumsum(adverse, axis=0)])

    reached = ev.reached_month
    parts = []
    for t in range(1, months):
        age = w.age_at[t]
        rows = np.flatnonzero((age >= 12) & (age < 18) & ((reached < 0) | (reached >= t)))
        if not rows.size:
            continue
        part = {"unit": rows, "period": np.full(rows.size, t), "treated": (reached[rows] == t).astype(int)}
        part["age"] = age[rows].astype(float)
        for j, name in enumerate(SIGNALS):
            part[f"{name}_3m"] = (csum[t, rows, j] - csum[max(0, t - 3), rows, j]).astype(float)
            part[f"{name}_12m"] = (csum[t, rows, j] - csum[max(0, t - 12), rows, j]).astype(float)
        for label, h in (("y6", 6), ("y12", 12)):
            part[label] = (
                ((a_sum[t + h, rows] - a_sum[t, rows]) > 0).astype(float) if t + h <= months else np.nan
            )
        parts.append(pd.DataFrame(part))
    frame = pd.concat(parts, ignore_index=True)
    covariates = ["age"] + [f"{s}_{w_}" for s in SIGNALS for w_ in ("3m", "12m")]
    for c in covariates[1:]:
        frame[c] = np.log1p(frame[c])
    return frame, covariates


def run_one(youth: int, years: int, seed: int, effect: float) -> list[dict]:
    import numpy as np

    from integrations.synthetic.city import simulate_city
    from integrations.synthetic.simulate import Outreach
    from riskmodel.evaluation import estimator

    t0 = time.perf_counter()
    sim = simulate_city(youth=youth, years=years, seed=seed, start=START, outreach=Outreach(effect=effect))
    frame, covariates = panel_from_simulation(sim)
    drawn = time.perf_counter() - t0
    out = []
    for label, outcome in (("6", "y6"), ("12", "y12")):
        known = frame[frame[outcome].notna()].reset_index(drop=True)
        t1 = time.perf_counter()
        est = estimator.estimate(known, covariates, outcome, seed=seed)
        seconds = time.perf_counter() - t1
        truth_by_person = (
            dict(sim.events.true_effect[label].tolist()) if label in sim.events.true_effect else {}
        )
        t_rows, _ = estimator.match(known, estimator.propensity_logit(known, covariates, seed=seed))
        people = known["unit"].to_numpy()[t_rows]
        truth = -float(np.mean([truth_by_person[int(p)] for p in people])) if people.size else 0.0
        out.append(
            {
                "seed": seed,
                "effect_set": effect,
                "months": label,
                "true_effect": truth,
                "reached": est.treated,
                "matched": est.matched,
                "treated_rate": est.treated_rate,
                "control_rate": est.control_rate,
                "matched_effect": est.effect,
                "matched_ci": [est.low, est.high],
                "naive_effect": est.naive_effect,
                "naive_ci": [est.naive_low, est.naive_high],
                "matched_holds_truth": est.low <= truth <= est.high,
                "matched_holds_zero": est.low <= 0 <= est.high,
                "naive_holds_truth": est.naive_low <= truth <= est.naive_high,
                "max_abs_smd_before": max(abs(b.before) for b in est.balance),
                "max_abs_smd_after": max(abs(b.after) for b in est.balance),
                "panel_rows": len(known),
                "seconds_city": round(drawn, 1),
                "seconds_estimate": round(seconds, 1),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--youth", type=int, default=50_000)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument(
        "--effect", type=float, default=0.5, help="share by which outreach lowers the hazards"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    rows = []
    for seed in args.seeds:
        for effect in (args.effect, 0.0):
            rows += run_one(args.youth, args.years, seed, effect)
    if args.json:
        print(json.dumps(rows, indent=2))
        return

    def pct(x: float) -> str:
        return f"{100 * x:+.2f}"

    print(
        f"{args.youth} youth, {args.years} years; effect in percentage points of the share with an adverse outcome"
    )
    print(
        "seed  set  window  reached matched  truth   matched [95% CI]          holds truth/zero  naive [95% CI]"
    )
    for r in rows:
        lo, hi = r["matched_ci"]
        nlo, nhi = r["naive_ci"]
        print(
            f"{r['seed']:>4}  {r['effect_set']:.2f}  {r['months']:>3} m  {r['reached']:>7} {r['matched']:>7}  "
            f"{pct(r['true_effect'])}  {pct(r['matched_effect'])} [{pct(lo)}, {pct(hi)}]  "
            f"{'yes' if r['matched_holds_truth'] else 'NO'}/{'yes' if r['matched_holds_zero'] else 'no'}  "
            f"{pct(r['naive_effect'])} [{pct(nlo)}, {pct(nhi)}]  "
            f"(|SMD| max {r['max_abs_smd_before']:.2f} -> {r['max_abs_smd_after']:.2f}; "
            f"city {r['seconds_city']} s, estimate {r['seconds_estimate']} s)"
        )


if __name__ == "__main__":
    main()
