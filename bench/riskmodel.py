"""Benchmark: the risk model against the synthetic city's truth (Bayes-optimal score), on a database that
``bench/linkage.py`` has filled (imported, linked, timelines written).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/youthrisk_bench \
        .venv/bin/python bench/riskmodel.py --city /tmp/city150k [--step-months 3]

Trains a model on what was known at the end of the city's window (temporal validation inside it), then on
the model's test as-of dates compares it with the generator's true probability ``p_adverse_12m`` for the same
youth (each youth mapped to the person most of its records belong to): ROC AUC and precision at k of both,
the ratio model / Bayes-optimal (target >= 0.97) and the model's expected calibration error (target <= 0.02).
It also rebuilds the city in memory and runs ``integrations.synthetic.observable``'s Bayes filter: the best
score any model of the youth's own records could give (``observable_bayes_auc``), and the ratio to that.
Keeps the comparison in the model's metrics.

The model measured is the **judged** recipe, refitted here exactly as ``service.train_model`` fits it (same
dates, same seed; its test ROC AUC is checked against the registered ``metrics.test``): out of sample on the
test months. The registered booster is the scoring refit, which is calibrated on the test months and trained
on the year before them, whose labels overlap theirs, so it would be measured in sample.

Intervals are a paired percentile bootstrap over youth (``--resamples``; all of a youth's test rows are drawn
together, and the same draw serves every scorer), for ROC AUC and precision at 100 and 200 (the top k of the
pooled test rows, as the point figures), of the model, of the ceiling without sex and district on the same
rows, and of their ratio. ``--compare-exclude KEY,...`` also fits the same recipe without those indicators
(and ``--compare-lgbm JSON`` with other LightGBM parameters) on the same dates and reports the paired
difference of the model from it, with ECE and observed ÷ expected for both. ``--ceiling-cache FILE`` keeps the
ceiling's values (per person and month), which depend only on the city, so a second run skips the filter.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--city", required=True)
    parser.add_argument("--step-months", type=int, default=3)
    parser.add_argument(
        "--skip-observable",
        action="store_true",
        help="skip the Bayes filter (the ceiling for a model of the youth's own records; ~5 min at 150k)",
    )
    parser.add_argument(
        "--policy-sample",
        type=int,
        default=8000,
        help="youth for the ceiling without sex and district (26 filter runs each; 0 skips it)",
    )
    parser.add_argument(
        "--protected-ablation", action="store_true", help="also measure a model given sex and district"
    )
    parser.add_argument(
        "--compare-exclude",
        default="",
        help="comma-separated indicators: also fit the recipe without them and report the paired difference",
    )
    parser.add_argument(
        "--compare-lgbm", default="", help="JSON: LightGBM parameters for the compared recipe (merged)"
    )
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples over youth")
    parser.add_argument(
        "--ceiling-cache", default="", help="file (.npz) to keep and reuse the ceiling's values"
    )
    parser.add_argument("--skip-scoring", action="store_true", help="skip timing score_youth")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    from sklearn.metrics import roc_auc_score

    from integrations.models import RecordLink
    from riskmodel import indicators, pipeline, service

    city = Path(args.city)
    params = json.loads((city / "truth" / "params.json").read_text())
    end = dt.date.fromisoformat(params["end"])
    config = pipeline.TrainConfig(step_months=args.step_months)
    t0 = time.perf_counter()
    model = service.train_model(as_of=end, config=config)
    train_seconds = time.perf_counter() - t0
    test_days = [dt.date.fromisoformat(d) for d in model.metrics["split"]["test"]]

    # youth -> the person most of its records belong to
    with open(city / "truth" / "record_person.csv", encoding="utf-8", newline="") as handle:
        person_of_record = {(r["feed"], r["record_key"]): r["person_id"] for r in csv.DictReader(handle)}
    votes: dict[int, Counter] = defaultdict(Counter)
    for feed, key, youth in RecordLink.objects.values_list("feed", "record_key", "youth_id"):
        if (feed, key) in person_of_record:
            votes[youth][person_of_record[(feed, key)]] += 1
    person_of_youth = {y: c.most_common(1)[0][0] for y, c in votes.items()}
    months = {d.strftime("%Y-%m") for d in test_days}
    p_true = {}
    with open(city / "truth" / "monthly_risk.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["month"] in months:
                p_true[(row["person_id"], row["month"])] = float(row["p_adverse_12m"])

    # The judged recipe, refitted exactly as train_model fitted it: out of sample on the test months.
    split = model.metrics["split"]
    fit_days = [dt.date.fromisoformat(d) for d in split["train"] + split["calibration"]]
    features = list(model.config["features"])
    pool = service._matrix(fit_days + test_days, config)

    def fit(recipe: pipeline.TrainConfig, keys: list[str]) -> pipeline.RiskEstimator:
        tr = pool[pool["as_of"].isin([dt.date.fromisoformat(d) for d in split["train"]])]
        ca = pool[pool["as_of"].isin([dt.date.fromisoformat(d) for d in split["calibration"]])]
        return pipeline.RiskEstimator(recipe).fit(
            tr[keys], tr["label"].to_numpy(), ca[keys], ca["label"].to_numpy()
        )

    estimator = fit(config, features)
    frame = pool[pool["as_of"].isin(test_days)].reset_index(drop=True)
    p_model = estimator.predict(frame[features])
    judged_auc = float(roc_auc_score(frame["label"], p_model))
    if abs(judged_auc - model.metrics["test"]["roc_auc"]) > 1e-4:
        raise SystemExit(f"the refitted judged model differs from the registered one: {judged_auc}")
    compared = None
    if args.compare_exclude or args.compare_lgbm:
        drop = {k for k in args.compare_exclude.split(",") if k}
        other = pipeline.TrainConfig(step_months=args.step_months)
        other.lgbm.update(json.loads(args.compare_lgbm or "{}"))
        keys = [k for k in features if k not in drop]
        compared = fit(other, keys).predict(frame[keys])
    truth = np.array(
        [
            p_true.get((person_of_youth.get(int(yid)), day.strftime("%Y-%m")), np.nan)
            for yid, day in zip(frame["youth_id"], frame["as_of"], strict=True)
        ]
    )
    keep = ~np.isnan(truth)
    labels = frame["label"].to_numpy()[keep]
    pm, pt = p_model[keep], truth[keep]
    caps = config.capacities
    model_auc = float(roc_auc_score(labels, pm))
    bayes_auc = float(roc_auc_score(labels, pt))
    result = {
        "model_measured": "the judged recipe, refitted (out of sample on the test months)",
        "test_as_of": [d.isoformat() for d in test_days],
        "rows": int(keep.sum()),
        "rows_without_truth": int((~keep).sum()),
        "prevalence": round(float(labels.mean()), 5),
        "model_auc": round(model_auc, 4),
        "bayes_optimal_auc": round(bayes_auc, 4),
        "auc_ratio": round(model_auc / bayes_auc, 4),
        "model_ece": model.metrics["test"]["ece"],
        "model_at_k": [pipeline.at_k(labels, pm, k) for k in caps],
        "bayes_at_k": [pipeline.at_k(labels, pt, k) for k in caps],
        "logistic_auc": model.metrics["baselines"]["logistic_regression"]["roc_auc"],
        "focal_count_auc": model.metrics["baselines"]["focal_count"]["roc_auc"],
        "train_seconds": round(train_seconds, 1),
        "gate": model.gate,
        "model": model.label,
    }
    if compared is not None:
        pc = compared[keep]
        result["compared"] = {
            "exclude": sorted(k for k in args.compare_exclude.split(",") if k),
            "lgbm": json.loads(args.compare_lgbm or "{}"),
            "on": "all test rows with truth",
            **paired(
                frame["youth_id"].to_numpy()[keep],
                labels,
                {"compared": pc, "model": pm},
                args.resamples,
                caps,
            ),
            "ece": {
                "model": pipeline.reliability(labels, pm)[1],
                "compared": pipeline.reliability(labels, pc)[1],
            },
            "observed_to_expected": {
                "model": round(float(labels.sum() / pm.sum()), 4),
                "compared": round(float(labels.sum() / pc.sum()), 4),
            },
        }
    # The ceiling for any model of the youth's own records: the generator's equations with the hidden state
    # integrated out against those records (integrations/synthetic/observable.py).
    if not args.skip_observable:
        from integrations.synthetic import observable
        from integrations.synthetic.city import simulate_city

        t0 = time.perf_counter()
        start = dt.date.fromisoformat(params["start"])
        rb = simulate_city(youth=params["youth"], years=params["years"], seed=params["seed"], start=start)
        pids = [person_of_youth.get(int(yid)) for yid in frame["youth_id"]]
        person = np.array([int(pid[1:]) - 1 if pid else -1 for pid in pids])[keep]
        month = np.array([(d.year - start.year) * 12 + d.month - start.month for d in frame["as_of"]])[keep]
        # The rebuilt city must be the one on disk: its truth equals monthly_risk.csv on these rows.
        rebuilt = dict(
            zip(
                zip(rb.truth.person.tolist(), rb.truth.month.tolist(), strict=True),
                rb.truth.p12.tolist(),
                strict=True,
            )
        )
        drift = max(abs(rebuilt[(i, m)] - t) for i, m, t in zip(person, month, pt, strict=True))
        if drift > 1e-5:
            raise SystemExit(f"the rebuilt city differs from {city} (p_adverse_12m off by {drift})")
        people = np.unique(person)
        want = {int(m): np.isin(people, person[month == m]) for m in np.unique(month)}
        rng = np.random.default_rng(0)
        sample = np.sort(rng.choice(people, size=min(args.policy_sample, people.size), replace=False))
        rows = np.isin(person, sample)
        stamp = np.array([params["youth"], params["years"], params["seed"], args.policy_sample])
        cache = Path(args.ceiling_cache) if args.ceiling_cache else None
        cached = np.load(cache) if cache and cache.exists() else None
        if cached is not None and np.array_equal(cached["stamp"], stamp):
            look = {
                (int(i), int(m)): (o, q)
                for i, m, o, q in zip(
                    cached["person"], cached["month"], cached["own"], cached["policy"], strict=True
                )
            }
            po = np.array([look[(int(i), int(m))][0] for i, m in zip(person, month, strict=True)])
            pp = np.array([look[(int(i), int(m))][1] for i, m in zip(person[rows], month[rows], strict=True)])
            result["ceiling_from_cache"] = str(cache)
        else:
            out = observable.Filter(rb).run(people, want)
            po = np.array([out[m][np.searchsorted(people, i)] for i, m in zip(person, month, strict=True)])
            pp = np.array([])
            if args.policy_sample:
                # Without sex and district (not model inputs by policy), on a sample of the youth.
                want_s = {m: np.isin(sample, person[rows & (month == m)]) for m in want}
                out_s = observable.Filter(rb).run_without_protected(sample, want_s)
                pp = np.array(
                    [
                        out_s[m][np.searchsorted(sample, i)]
                        for i, m in zip(person[rows], month[rows], strict=True)
                    ]
                )
            if cache:
                full = np.full(len(person), np.nan)
                full[rows] = pp if args.policy_sample else np.nan
                np.savez(cache, stamp=stamp, person=person, month=month, own=po, policy=full)
        obs_auc = float(roc_auc_score(labels, po))
        # The same rows' model and ceiling figures, so the ratio compares like with like.
        if args.policy_sample:
            t1 = time.perf_counter()
            sample_model_auc = float(roc_auc_score(labels[rows], pm[rows]))
            policy_auc = float(roc_auc_score(labels[rows], pp))
            scorers = {"model": pm[rows], "ceiling": pp}
            if compared is not None:
                scorers["compared"] = compared[keep][rows]
            result["policy_ceiling"] = {
                "youth": int(sample.size),
                "rows": int(rows.sum()),
                "outcomes": int(labels[rows].sum()),
                "model_auc": round(sample_model_auc, 4),
                "observable_bayes_auc": round(float(roc_auc_score(labels[rows], po[rows])), 4),
                "oracle_auc": round(float(roc_auc_score(labels[rows], pt[rows])), 4),
                "without_sex_and_district_auc": round(policy_auc, 4),
                "auc_ratio": round(sample_model_auc / policy_auc, 4),
                "model_at_k": [pipeline.at_k(labels[rows], pm[rows], k) for k in caps],
                "without_sex_and_district_at_k": [pipeline.at_k(labels[rows], pp, k) for k in caps],
                "paired": paired(
                    frame["youth_id"].to_numpy()[keep][rows],
                    labels[rows],
                    scorers,
                    args.resamples,
                    caps,
                    ratio_to="ceiling",
                ),
                "seconds": round(time.perf_counter() - t1, 1),
            }
        result.update(
            {
                "observable_bayes_auc": round(obs_auc, 4),
                "auc_ratio_to_observable": round(model_auc / obs_auc, 4),
                "observable_at_k": [pipeline.at_k(labels, po, k) for k in caps],
                "observable_mean_p": round(float(po.mean()), 5),
                "observable_seconds": round(time.perf_counter() - t0, 1),
            }
        )

    # What the protected attributes would add (they are not model inputs by policy): the same model with
    # sex and district added, trained on the same dates, evaluated on the same rows.
    if args.protected_ablation:
        import lightgbm as lgb

        from casework.models import Youth

        split = model.metrics["split"]
        train_days = [dt.date.fromisoformat(d) for d in split["train"]]
        tr = indicators.compute(train_days)
        ytr = indicators.label(train_days, horizon_days=config.horizon_days)
        tr = tr.set_index(["youth_id", "as_of"]).join(ytr.rename("label"), how="inner").reset_index()
        info = {y: (s, d) for y, s, d in Youth.objects.values_list("id", "sex", "district")}
        districts = sorted({d for _, d in info.values()})

        def extra(frame):
            out = frame[estimator.features].copy()
            out["sex_m"] = [1.0 if info.get(int(y), ("", ""))[0] == "M" else 0.0 for y in frame["youth_id"]]
            out["district_code"] = [
                float(districts.index(info.get(int(y), ("", ""))[1])) for y in frame["youth_id"]
            ]
            return out

        clf = lgb.LGBMClassifier(**{**config.lgbm, "random_state": config.seed})
        clf.fit(
            extra(tr).to_numpy(dtype=float),
            tr["label"].to_numpy(),
            categorical_feature=[len(estimator.features) + 1],
        )
        pp = clf.predict_proba(extra(frame).to_numpy(dtype=float))[:, 1][keep]
        result["with_sex_and_district_auc"] = round(float(roc_auc_score(labels, pp)), 4)
        result["with_sex_and_district_ratio"] = round(float(roc_auc_score(labels, pp)) / bayes_auc, 4)

    # Scoring speed: features for one as-of date, calibrated scores, SHAP reasons and bands for everyone.
    if args.skip_scoring:
        model.metrics = {**model.metrics, "synthetic_truth": result}
        model.save(update_fields=["metrics"])
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    service.activate_model(model=model, actor=service.Actor.system("bench"), override_reason="benchmark")
    t0 = time.perf_counter()
    run = service.score_youth(as_of=end)
    result["scoring_seconds"] = round(time.perf_counter() - t0, 1)
    result["scored"] = run.scored
    model.metrics = {**model.metrics, "synthetic_truth": result}
    model.save(update_fields=["metrics"])
    print(json.dumps(result, ensure_ascii=False, indent=1))


def _orders(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-score, kind="stable")
    return order, order[::-1]


def _precision(top: np.ndarray, y: np.ndarray, w: np.ndarray, k: int) -> float:
    """Share of outcomes among the top ``k`` of rows weighted by ``w`` (a resample), ``top`` sorted down."""
    ww = w[top]
    cw = np.cumsum(ww)
    i = min(int(np.searchsorted(cw, k)), len(cw) - 1)
    before = cw[i - 1] if i > 0 else 0.0
    return float(((ww[:i] * y[top[:i]]).sum() + (k - before) * y[top[i]]) / k)


def _auc(ascending: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Weighted ROC AUC (Mann-Whitney) from rows sorted by score, lowest first."""
    ys, ws = y[ascending], w[ascending]
    below = np.cumsum(ws * (1 - ys))
    return float((ws * ys * below).sum() / ((ws * ys).sum() * below[-1]))


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return a / b


def paired(youth, y, scores: dict, resamples: int, caps, ratio_to: str | None = None, seed: int = 0) -> dict:
    """Paired percentile bootstrap over youth: ROC AUC and precision at 100 and 200 (top k of the pooled
    rows) of each scorer, each one's difference from the first, and with ``ratio_to`` each one's ratio to
    that scorer. 95 % intervals."""
    y = np.asarray(y, dtype=float)
    inverse = np.unique(youth, return_inverse=True)[1].reshape(-1)
    n = int(inverse.max()) + 1
    ks = [k for k in caps if k in (100, 200)]
    orders = {name: _orders(np.asarray(s, dtype=float)) for name, s in scores.items()}

    def measure(w):
        return {
            name: {
                "roc_auc": _auc(asc, y, w),
                **{f"precision_at_{k}": _precision(top[:50_000], y, w, k) for k in ks},
            }
            for name, (top, asc) in orders.items()
        }

    point = measure(np.ones(len(y)))
    rng = np.random.default_rng(seed)
    draws = [measure(rng.multinomial(n, np.full(n, 1 / n)).astype(float)[inverse]) for _ in range(resamples)]
    metrics = list(point[next(iter(scores))])

    def interval(values) -> list[float] | None:
        # A ratio is undefined in a resample whose denominator is 0; those resamples are left out.
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values)]
        if not values.size:
            return None
        return [round(float(np.percentile(values, 2.5)), 4), round(float(np.percentile(values, 97.5)), 4)]

    def series(name, metric):
        return np.array([d[name][metric] for d in draws])

    first = next(iter(scores))
    out = {
        "resamples": resamples,
        "youth": n,
        "scorers": {
            name: {
                m: {"value": round(point[name][m], 4), "interval": interval(series(name, m))} for m in metrics
            }
            for name in scores
        },
        f"difference_from_{first}": {
            name: {
                m: {
                    "value": round(point[name][m] - point[first][m], 4),
                    "interval": interval(series(name, m) - series(first, m)),
                }
                for m in metrics
            }
            for name in scores
            if name != first
        },
    }
    if ratio_to:
        out[f"ratio_to_{ratio_to}"] = {
            name: {
                m: {
                    "value": round(point[name][m] / point[ratio_to][m], 4),
                    "interval": interval(_ratio(series(name, m), series(ratio_to, m))),
                }
                for m in metrics
            }
            for name in scores
            if name != ratio_to
        }
    return out


if __name__ == "__main__":
    main()
