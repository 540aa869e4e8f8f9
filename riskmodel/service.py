"""Training, registering, activating and scoring risk models (the database side of the pipeline)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access.audit import Actor, record
from casework.models import AuditAction, Event, FairnessAttributes, RiskScore, Youth
from casework.triage.alerting import raise_score_alerts
from casework.versioning import code_version
from casework.youth.services import record_scores_bulk
from config.progress import ProgressCallback
from config.progress import report as report_progress
from riskmodel import gate_text

from . import fairness, gate, indicators, pipeline
from .models import ModelStatus, RiskModel, ScoringRun

# Indicators summed for the "count of focal indicators" baseline: the legal focal events of the 3P model.
FOCAL = (
    "police_offence_contacts_365d",
    "police_exposure_contacts_365d",
    "dropout_reports_365d",
    "substantiated_child_protection_365d",
    "serious_campus_incidents_365d",
    "in_dropout_now",
)
# What a model must show before it may become the active one (riskmodel/gate.py).
GATE_RULES = gate.Rules()
GATE = GATE_RULES.as_dict()
CONTEXT_METRICS = ("prev", "ppr")
FAIRNESS_GROUPS = ("sex", "indigenous", "new_immigrant_parent", "district", "low_income", "age")


def active_model() -> RiskModel | None:
    return RiskModel.objects.filter(status=ModelStatus.ACTIVE).first()


def scores_may_be_shown() -> bool:
    """No, when models have been trained but none is active (every one was refused by the promotion gate,
    or none was made active): a score then means nothing, so none is shown. Yes while a model is active, and
    before any model exists (there are no scores of ours to hide)."""
    models = RiskModel.objects.all()
    return models.filter(status=ModelStatus.ACTIVE).exists() or not models.exists()


def data_start() -> dt.date | None:
    """When the feeds really begin: the first month with at least a quarter of the median monthly number
    of events known (a few back-dated records, such as assistance valid from an earlier year, do not
    make a history)."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    months = list(
        Event.objects.annotate(m=TruncMonth("knowledge_date"))
        .values("m")
        .annotate(n=Count("id"))
        .order_by("m")
    )
    if not months:
        return None
    median = float(np.median([m["n"] for m in months]))
    first = next(m["m"] for m in months if m["n"] >= 0.25 * median)
    return first.date() if isinstance(first, dt.datetime) else first


def _matrix(dates: list[dt.date], config: pipeline.TrainConfig, *, with_label: bool = True):
    X = indicators.compute(dates)
    if with_label:
        y = indicators.label(dates, horizon_days=config.horizon_days, variant=config.label_variant)
        X = X.set_index(["youth_id", "as_of"]).join(y.rename("label"), how="inner").reset_index()
    return X


def _features(config: pipeline.TrainConfig) -> list[str]:
    return [i.key for i in indicators.CATALOGUE if i.key not in set(config.exclude)]


def groups_for(frame: pd.DataFrame) -> pd.DataFrame:
    """Fairness-audit groups for scored rows: sex, indigenous, new-immigrant parent, district and household
    low income (any assistance status known on the as-of date), which are never model inputs, and age in
    completed years, which is."""
    ids = frame["youth_id"].unique().tolist()
    youth = pd.DataFrame(list(Youth.objects.filter(pk__in=ids).values("id", "sex", "district"))).rename(
        columns={"id": "youth_id"}
    )
    attrs = pd.DataFrame(
        list(
            FairnessAttributes.objects.filter(youth_id__in=ids).values(
                "youth_id", "indigenous", "new_immigrant_parent"
            )
        ),
        columns=["youth_id", "indigenous", "new_immigrant_parent"],
    )
    out = frame[["youth_id"]].merge(youth, on="youth_id", how="left").merge(attrs, on="youth_id", how="left")

    def yn(series):
        return series.map({True: "Y", False: "N"}).fillna("unknown")

    out["sex"] = out["sex"].replace("", "unknown").fillna("unknown")
    out["district"] = out["district"].replace("", "unknown").fillna("unknown")
    out["indigenous"] = yn(out["indigenous"])
    out["new_immigrant_parent"] = yn(out["new_immigrant_parent"])
    low = (frame["household_low_income_status_now"].to_numpy() > 0) | (
        frame["household_mid_low_income_status_now"].to_numpy() > 0
    )
    out["low_income"] = np.where(low, "Y", "N")
    # Age is a model input (not protected), so the audit shows what the model does to each year of age.
    out["age"] = np.floor(frame["age_years"].to_numpy()).astype(int).astype(str)
    return out[list(FAIRNESS_GROUPS)].reset_index(drop=True)


def _fairness(test: pd.DataFrame, p: np.ndarray, threshold: float, seed: int) -> dict:
    groups = groups_for(test)
    table = groups.assign(score=p, label=test["label"].to_numpy())
    out = {"threshold": threshold, "by_attribute": {}}
    for column in FAIRNESS_GROUPS:
        out["by_attribute"][column] = fairness.audit(
            table, "score", "label", column, threshold, bootstrap=200, seed=seed
        )
    out["pairs"] = fairness.audit_intersections(
        table, "score", "label", list(FAIRNESS_GROUPS[:3]) + ["low_income"], threshold, min_n=30
    )
    # The intervals the promotion gate reads: youth resampled (not rows), all comparisons at once.
    out["youth_intervals"] = fairness.youth_intervals(
        table.assign(youth_id=test["youth_id"].to_numpy()),
        "score",
        "label",
        fairness.PROTECTED,
        threshold,
        "youth_id",
        {c: out["by_attribute"][c]["reference_group"] for c in fairness.PROTECTED},
        seed=seed,
    )
    # The summary lists disparities in what the model does to a group. Base rate (prev) and share of all
    # flagged (ppr, which follows group size) are context, not model errors: kept in the audit, not here.
    flagged = {
        column: {
            g: [m for m in metrics if m not in CONTEXT_METRICS]
            for g, metrics in audit.get("flags", {}).items()
        }
        for column, audit in out["by_attribute"].items()
    }
    flagged = {c: {g: m for g, m in groups.items() if m} for c, groups in flagged.items()}
    out["flag_summary"] = {c: f for c, f in flagged.items() if f}
    return out


def _distributions(
    frame: pd.DataFrame, features: list[str], scores: np.ndarray, edges: dict | None = None
) -> dict:
    out = {}
    for name in features:
        cut = edges[name]["edges"] if edges else pipeline.reference_bins(frame[name].to_numpy())
        out[name] = {"edges": cut, "p": pipeline.proportions(frame[name].to_numpy(), cut)}
    cut = edges["__score__"]["edges"] if edges else pipeline.reference_bins(scores)
    out["__score__"] = {"edges": cut, "p": pipeline.proportions(scores, cut)}
    return out


def drift(reference: dict, current: dict) -> dict:
    """PSI per feature and for the score, with a level (stable / moderate / major)."""
    values = {
        name: pipeline.psi(reference[name]["p"], current[name]["p"]) for name in current if name in reference
    }
    return {
        "psi": values,
        "levels": {name: pipeline.drift_level(v) for name, v in values.items()},
        "flagged": sorted(name for name, v in values.items() if v >= pipeline.PSI_MODERATE),
    }


def train_model(
    *,
    as_of: dt.date,
    activate: bool = False,
    config: pipeline.TrainConfig | None = None,
    actor: Actor | None = None,
    progress: ProgressCallback | None = None,
) -> RiskModel:
    """Train on what was known by ``as_of`` with temporal validation inside that history and register the
    model with its report. With ``activate`` it is made active; a model that failed the promotion gate is
    kept as a candidate and ``ValidationError`` is raised (activate it with a written reason instead).
    ``progress(stage, done, total)`` hears the stages ``features``, ``fitting``, ``refitting``,
    ``explaining``, ``fairness`` and ``registering``."""
    config = config or pipeline.TrainConfig()
    actor = actor or Actor.system("train_model")
    start = data_start()
    if start is None:
        raise ValidationError(_("There are no events to learn from: import and link the feeds first."))
    split = pipeline.temporal_split(start, as_of, config)
    features = _features(config)
    report_progress(progress, "features", 0, len(split.train + split.calibration + split.test))
    frame = _matrix(split.train + split.calibration + split.test, config)
    train = frame[frame["as_of"].isin(split.train)]
    cal = frame[frame["as_of"].isin(split.calibration)]
    test = frame[frame["as_of"].isin(split.test)].reset_index(drop=True)
    if train["label"].nunique() < 2 or test.empty:
        raise ValidationError(_("Not enough outcomes to learn from in this history."))

    report_progress(progress, "fitting", 0, len(train))
    estimator = pipeline.RiskEstimator(config).fit(
        train[features], train["label"].to_numpy(), cal[features], cal["label"].to_numpy()
    )
    p_test = estimator.predict(test[features])
    y_test = test["label"].to_numpy()
    baseline_scores = pipeline.baseline_scores(
        train[features], train["label"].to_numpy(), test[features], list(FOCAL), config
    )
    metrics = {
        "split": split.as_dict(),
        "rows": {"train": len(train), "calibration": len(cal), "test": len(test)},
        "test": pipeline.evaluate(y_test, p_test, config.capacities),
        "baselines": pipeline.baselines(
            train[features],
            train["label"].to_numpy(),
            test[features],
            y_test,
            list(FOCAL),
            config,
            scores=baseline_scores,
        ),
        "uncalibrated_ece": pipeline.reliability(
            y_test, 1 / (1 + np.exp(-estimator.predict_raw(test[features])))
        )[1],
    }
    # Other label definitions, evaluated with the same model (its ranking) on the same test rows.
    metrics["label_variants"] = {}
    for variant in ("police_only", "dropout_only", "protection_only"):
        other = indicators.label(split.test, horizon_days=config.horizon_days, variant=variant)
        joined = (
            test.set_index(["youth_id", "as_of"]).join(other.rename("other"), how="left")["other"].fillna(0)
        )
        metrics["label_variants"][variant] = {
            k: v
            for k, v in pipeline.evaluate(joined.to_numpy(dtype=int), p_test, config.capacities).items()
            if k != "reliability"
        }

    # The model that scores youth: the same recipe refitted on every as-of date whose outcomes are known by
    # ``as_of``, a year more recent than the one just judged (which had to stop a year before its test
    # months). Its reasons, bands and drift references are its own; the judgement is the recipe's.
    report_progress(progress, "refitting")
    deployment = pipeline.deployment_split(start, as_of, config)
    judged = set(split.train + split.calibration + split.test)
    more = [d for d in deployment.train + deployment.calibration if d not in judged]
    pool = pd.concat([frame, _matrix(more, config)], ignore_index=True) if more else frame
    deployed_train = pool[pool["as_of"].isin(deployment.train)]
    deployed_cal = pool[pool["as_of"].isin(deployment.calibration)]
    if deployed_train["label"].nunique() < 2 or deployed_cal["label"].nunique() < 2:
        deployed, deployment = estimator, split  # too few outcomes to refit: the judged model scores
    else:
        deployed = pipeline.RiskEstimator(config).fit(
            deployed_train[features],
            deployed_train["label"].to_numpy(),
            deployed_cal[features],
            deployed_cal["label"].to_numpy(),
        )
    metrics["split"]["deployment"] = {k: v for k, v in deployment.as_dict().items() if k != "test"}
    metrics["lgbm"] = {"judged": estimator.params, "scoring": deployed.params}
    metrics["rows"]["deployment"] = {"train": len(deployed_train), "calibration": len(deployed_cal)}

    report_progress(progress, "explaining", 0, len(test))
    shap_values, base = deployed.shap(test[features])
    raw = deployed.predict_raw(test[features])
    additivity = float(np.max(np.abs(shap_values.sum(axis=1) + base - raw))) if len(raw) else 0.0
    # What each band meant in the test months, for the judged model (out of sample); bands are cut on the
    # raw margin (same order as the calibrated score, without its ties).
    raw_test = estimator.predict_raw(test[features])
    band_rows = pipeline.band_table(
        y_test, p_test, pipeline.band_cutoffs(raw_test, config.band_shares), raw=raw_test
    )
    cuts = {row["band"]: row["min_score"] for row in band_rows if row["band"] != "low"}
    # The scoring model's own cut-offs for the same shares of youth, on its own margin.
    cuts_raw = pipeline.band_cutoffs(raw, config.band_shares)
    p_deployed = deployed.calibrator.predict(raw)
    capacity = max(config.capacities)
    threshold = float(np.sort(p_test)[::-1][min(capacity, len(p_test)) - 1])
    report = {
        "importance": pipeline.global_importance(shap_values, test[features], features),
        "beeswarm": pipeline.beeswarm_points(shap_values, test[features], features, seed=config.seed),
        "top_of_list_interactions": pipeline.top_of_list_interactions(deployed, test, raw, k=capacity),
        "shap_base_value": base,
        "shap_additivity_max_error": additivity,
        "bands": {"cutoffs": cuts, "cutoffs_raw": cuts_raw, "table": band_rows},
        "capacity_threshold": {"k": capacity, "score": threshold},
        "score_distribution": np.histogram(p_deployed, bins=20, range=(0, 1))[0].tolist(),
        # Reference distributions on the test period, for drift (PSI) at every scoring run.
        "reference": _distributions(test, features, p_deployed),
    }
    # The household features are about other people: report what the model loses without them.
    if not config.exclude:
        ablated = pipeline.TrainConfig(**{**config.as_dict(), "exclude": tuple(indicators.ABOUT_OTHERS)})
        af = _features(ablated)
        est_a = pipeline.RiskEstimator(ablated).fit(
            train[af], train["label"].to_numpy(), cal[af], cal["label"].to_numpy()
        )
        report["ablation_without_household"] = {
            "excluded": list(indicators.ABOUT_OTHERS),
            "test": {
                k: v
                for k, v in pipeline.evaluate(y_test, est_a.predict(test[af]), config.capacities).items()
                if k != "reliability"
            },
        }
    report_progress(progress, "fairness", 0, len(test))
    fair = _fairness(test, p_test, threshold, config.seed)
    verdict = gate.decide(
        evidence=gate.evidence(
            test["youth_id"].to_numpy(),
            y_test,
            {"model": p_test, **baseline_scores},
            months=test["as_of"].map(dt.date.toordinal).to_numpy(),
            capacity=capacity,
            resamples=GATE_RULES.resamples,
            confidence=GATE_RULES.confidence,
            seed=config.seed,
        ),
        calibration={
            "ece": metrics["test"]["ece"],
            "mean_score": round(float(p_test.mean()), 5),
            "observed_rate": round(float(y_test.mean()), 5),
        },
        fairness_review=fairness.review(fair, fair["youth_intervals"]),
        shap_error=additivity,
        rules=GATE_RULES,
    )
    report_progress(progress, "registering")
    booster, calibrator = deployed.to_artifact()
    snapshot = {
        "known_by": as_of.isoformat(),
        "data_start": start.isoformat(),
        "events": Event.objects.filter(knowledge_date__lte=as_of).count(),
        "youth": int(pool["youth_id"].nunique()),
        "matrix_sha256": hashlib.sha256(
            pd.util.hash_pandas_object(pool, index=False).to_numpy().tobytes()
        ).hexdigest(),
    }
    with transaction.atomic():
        version = (RiskModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        model = RiskModel.objects.create(
            version=version,
            trained_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
            as_of=as_of,
            label_variant=config.label_variant,
            config={**config.as_dict(), "features": features},
            data_snapshot=snapshot,
            code_version=code_version(),
            seed=config.seed,
            metrics=metrics,
            fairness=fair,
            report=report,
            gate=verdict,
            booster=booster,
            calibrator=calibrator,
        )
        record(actor, AuditAction.CREATE, model, detail={"version": version, "gate": verdict["passed"]})
    if activate:
        activate_model(model=model, actor=actor)
    return model


@transaction.atomic
def activate_model(*, model: RiskModel, actor: Actor, override_reason: str = "", override=None) -> RiskModel:
    """Make a model the active one (the previous active model is retired).

    A model that passed the promotion gate may be made active. One that failed it:

    * with an approved :class:`PromotionOverride` (``override``: a model steward proposed it with a reason, a
      supervisor of the committee approved it; ``riskmodel.promotion``), when it failed only overridable
      checks;
    * never otherwise for a person: not when a signal check failed (too few outcomes, or not shown better
      than random order), whatever the reason, since its scores would mean nothing;
    * for a job with no person behind it (``Actor.system``: a test, a benchmark, fault injection, an operator
      at the server's shell, who could change the database directly anyway) with ``override_reason``, which
      is logged as an operator's override. ``train_model --activate``, the pages and the API never take this
      path.
    """
    model = RiskModel.objects.select_for_update().get(pk=model.pk)
    if not model.report or "bands" not in model.report:
        raise ValidationError(
            _("%(label)s has no report: it cannot be made active.") % {"label": model.label}, code="no_report"
        )
    verdict = model.gate or {}
    detail: dict = {"activated": True, "override_reason": ""}
    if not gate.passed(verdict):
        if actor.user is None and override_reason.strip():
            detail.update(
                override_reason=override_reason.strip(),
                operator=True,
                failed_checks=list(verdict.get("failed") or []),
            )
        elif not gate.is_current(verdict):
            raise ValidationError(
                _(
                    "%(label)s was judged by an earlier promotion gate: train it again to be judged by this one."
                )
                % {"label": model.label},
                code="old_gate",
            )
        elif not gate.overridable(verdict):
            raise ValidationError(
                _("%(label)s cannot be made active: %(why)s")
                % {"label": model.label, "why": gate_text.gate_refusal(verdict)},
                code="no_signal",
            )
        elif override is not None:
            if override.model_id != model.pk or override.status != "approved":
                raise ValidationError(
                    _("The override is not an approved override of this model."), code="override"
                )
            detail.update(
                override_reason=override.reason,
                override=override.pk,
                proposed_by=override.proposed_by.get_username(),
                approved_by=override.decided_by.get_username(),
                failed_checks=list(override.failed_checks),
            )
        else:
            raise ValidationError(
                _(
                    "%(label)s failed these checks of the promotion gate: %(failed)s. A model steward may "
                    "propose to make it active anyway, with a written reason; a supervisor of the committee "
                    "decides."
                )
                % {"label": model.label, "failed": gate_text.failed_names(verdict)},
                code="needs_override",
            )
    RiskModel.objects.filter(status=ModelStatus.ACTIVE).exclude(pk=model.pk).update(
        status=ModelStatus.RETIRED
    )
    model.status = ModelStatus.ACTIVE
    model.activated_at = timezone.now()
    model.save(update_fields=["status", "activated_at"])
    record(actor, AuditAction.UPDATE, model, detail=detail)
    return model


# The timeline source whose records an indicator reads, so a page can hide a reason from a viewer who may
# not see that source's details (need-to-know applies to reasons too).
_REASON_SOURCE = {"education": "school", "police": "police", "welfare": "welfare", "casework": "casework"}


def _explain(reason: dict) -> dict:
    indicator = indicators.INDICATORS[reason["key"]]
    value = reason["value"] if reason["value"] is not None else 0
    return {
        **reason,
        "source": _REASON_SOURCE[indicator.source],
        # Which sources the reason counts: casework shows it only to a viewer who may read all of them.
        "reads": list(indicator.reads),
        "text_zh": indicator.reason(value, "zh"),
        "text_en": indicator.reason(value, "en"),
    }


def no_active_model_message() -> str:
    """Why nothing is scored: no model is active, and what the newest model's gate said about it."""
    latest = RiskModel.objects.defer("booster").order_by("-version").first()
    text = _("There is no active risk model, so no youth was scored.")
    if latest is None:
        text += " " + _("No model has been trained yet: train one with train_model --as-of DATE --activate.")
    elif gate.is_current(latest.gate) and not latest.gate.get("passed"):
        text += " " + _(
            "The newest model, %(label)s, failed these checks of the promotion gate: %(failed)s."
        ) % {
            "label": latest.label,
            "failed": gate_text.failed_names(latest.gate),
        }
        refusal = gate_text.gate_refusal(latest.gate)
        if refusal:
            text += " " + refusal
    text += " " + _("Alerts from the focal-linkage rules still reach the triage queues.")
    return text


def estimator_for(model: RiskModel) -> pipeline.RiskEstimator:
    config = pipeline.TrainConfig(**{k: v for k, v in model.config.items() if k != "features"})
    return pipeline.RiskEstimator.from_artifact(model.booster, model.calibrator, config)


# PostgreSQL advisory-lock namespace for scoring runs (the linkage lock is a single-key lock, no clash).
SCORING_LOCK = 7420


def _one_scoring_at_a_time(model: RiskModel, as_of: dt.date) -> None:
    """Two runs of one model and date (a message redelivered while the first still runs) take turns: the
    second waits, then replaces the first's scores, instead of failing on the unique constraint."""
    if connection.vendor != "postgresql":
        return  # SQLite (the demo) serialises writers anyway
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [SCORING_LOCK, (model.pk * 100_000 + as_of.toordinal()) % 2**31],
        )


def score_youth(
    *,
    as_of: dt.date,
    actor: Actor | None = None,
    model: RiskModel | None = None,
    progress: ProgressCallback | None = None,
) -> ScoringRun:
    """Score every youth in scope (aged 12-17 on ``as_of``, not merged) with the active model, with reasons.
    ``progress(stage, done, total)`` hears ``features``, ``scoring`` (youth done of total) and ``storing``."""
    actor = actor or Actor.system("score_youth")
    model = model or active_model()
    if model is None:
        raise ValidationError(no_active_model_message(), code="no_active_model")
    estimator = estimator_for(model)
    features = estimator.features
    report_progress(progress, "features")
    frame = indicators.compute([as_of])
    scores: list[dict] = []
    report_progress(progress, "scoring", 0, len(frame))
    if not frame.empty:
        raw = estimator.predict_raw(frame[features])
        p = estimator.calibrator.predict(raw)
        shap_values, _base = estimator.shap(frame[features])
        bands = model.report["bands"]
        on, cuts = (raw, bands["cutoffs_raw"]) if "cutoffs_raw" in bands else (p, bands["cutoffs"])
        # Rank by the calibrated score, ties broken by the raw margin.
        order = np.lexsort((-raw, -p))
        rank = np.empty(len(p), dtype=int)
        rank[order] = np.arange(1, len(p) + 1)
        X = frame[features].to_numpy(dtype=float)
        for i in range(len(p)):
            scores.append(
                {
                    "youth_id": int(frame["youth_id"].iat[i]),
                    "score": float(p[i]),
                    "band": pipeline.band_of(float(on[i]), cuts),
                    "rank": int(rank[i]),
                    "reasons": [_explain(r) for r in pipeline.top_reasons(shap_values[i], X[i], features)],
                }
            )
            if progress is not None and (i + 1) % 1000 == 0:
                progress("scoring", i + 1, len(p))
    report_progress(progress, "scoring", len(frame), len(frame))
    report_progress(progress, "storing", 0, len(scores))
    # One transaction from the first score written to the run's record: a run killed half-way (a worker
    # lost, the database gone) leaves the date's previous scores as they were and no run in the registry,
    # so the triage queue never reads a half-written or mixed set; running it again writes one whole set.
    with transaction.atomic():
        _one_scoring_at_a_time(model, as_of)
        written = record_scores_bulk(model_version=model.label, as_of=as_of, scores=scores)
        figures = {"bands": {b: sum(1 for s in scores if s["band"] == b) for b in pipeline.BANDS}}
        if model.status == ModelStatus.ACTIVE:
            # Only the active model's scores route youth to people (the top-band rule).
            figures["alerts_raised"] = raise_score_alerts(model_version=model.label, as_of=as_of)
        reference = model.report.get("reference")
        if reference and not frame.empty:
            current = _distributions(frame, features, p, edges=reference)
            figures["distributions"] = current
            figures["drift_vs_training"] = drift(reference, current)
            previous = ScoringRun.objects.filter(model=model).exclude(as_of=as_of).order_by("-as_of").first()
            if previous is not None and previous.figures.get("distributions"):
                figures["drift_vs_previous_run"] = {
                    "as_of": previous.as_of.isoformat(),
                    **drift(previous.figures["distributions"], current),
                }
        run = ScoringRun.objects.create(model=model, as_of=as_of, scored=written, figures=figures)
        record(
            actor,
            AuditAction.CREATE,
            run,
            detail={"model": model.label, "as_of": as_of.isoformat(), "scored": written},
        )
    return run


def export_scores(path: Path) -> int:
    """CSV ``youth_id,as_of,score,band,rank,model_version`` for the latest scoring run (FEEDS.md)."""
    run = ScoringRun.objects.select_related("model").first()
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["youth_id", "as_of", "score", "band", "rank", "model_version"])
        if run is not None:
            query = RiskScore.objects.filter(model_version=run.model.label, as_of=run.as_of).order_by("rank")
            for public_id, as_of, score, band, rank in query.values_list(
                "youth__public_id", "as_of", "score", "band", "rank"
            ).iterator(chunk_size=5000):
                writer.writerow([public_id, as_of.isoformat(), f"{score:.6f}", band, rank, run.model.label])
                rows += 1
    return rows
