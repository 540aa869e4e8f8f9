"""Benchmark: the risk model against the synthetic city's truth (Bayes-optimal score), on a database that
``bench/linkage.py`` has filled (imported, linked, timelines written).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/youthrisk_bench \
        .venv/bin/python bench/riskmodel.py --city /tmp/city150k [--step-months 3]

Trains a model on what was known at the end of the city's window (temporal validation inside it), then on
the model's test as-of date compares it with the generator's true probability ``p_adverse_12m`` for the same
youth (each youth mapped to the person most of its records belong to): ROC AUC and precision at k of both,
the ratio model / Bayes-optimal (target >= 0.97) and the model's expected calibration error (target <= 0.02).
It also rebuilds the city in memory and runs ``integrations.synthetic.observable``'s Bayes filter: the best
score any model of the youth's own records could give (``observable_bayes_auc``), and the ratio to that.
Keeps the comparison in the model's metrics.
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
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    import numpy as np
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

    frame = indicators.compute(test_days)
    y = indicators.label(test_days, horizon_days=config.horizon_days)
    frame = frame.set_index(["youth_id", "as_of"]).join(y.rename("label"), how="inner").reset_index()
    estimator = service.estimator_for(model)
    p_model = estimator.predict(frame[estimator.features])
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
        out = observable.Filter(rb).run(people, want)
        po = np.array([out[m][np.searchsorted(people, i)] for i, m in zip(person, month, strict=True)])
        obs_auc = float(roc_auc_score(labels, po))
        # Without sex and district (not model inputs by policy), on a sample of the youth: the same
        # rows' model and ceiling AUCs, so the ratio compares like with like.
        if args.policy_sample:
            t1 = time.perf_counter()
            rng = np.random.default_rng(0)
            sample = np.sort(rng.choice(people, size=min(args.policy_sample, people.size), replace=False))
            rows = np.isin(person, sample)
            want_s = {m: np.isin(sample, person[rows & (month == m)]) for m in want}
            out_s = observable.Filter(rb).run_without_protected(sample, want_s)
            pp = np.array(
                [out_s[m][np.searchsorted(sample, i)] for i, m in zip(person[rows], month[rows], strict=True)]
            )
            sample_model_auc = float(roc_auc_score(labels[rows], pm[rows]))
            policy_auc = float(roc_auc_score(labels[rows], pp))
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
    service.activate_model(model=model, actor=service.Actor.system("bench"), override_reason="benchmark")
    t0 = time.perf_counter()
    run = service.score_youth(as_of=end)
    result["scoring_seconds"] = round(time.perf_counter() - t0, 1)
    result["scored"] = run.scored
    model.metrics = {**model.metrics, "synthetic_truth": result}
    model.save(update_fields=["metrics"])
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
