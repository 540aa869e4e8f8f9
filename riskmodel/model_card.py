"""The model card of a registered risk model (Mitchell et al., "Model Cards for Model Reporting", 2019), and
the plain readings of a model's recorded numbers that the card and the model report page share.

:func:`sections` builds the card as data (titles, paragraphs, bullet points, tables); :func:`render` writes
it as Markdown (the ``model_card`` command) and ``templates/riskmodel/model_card.html`` shows the same
sections on the page. Everything comes from the registry row (config, data snapshot, code version, seed,
metrics, fairness audit, report, gate) and the access log (who activated it, and why); nothing is computed
anew here except ratios and wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from casework.models import AuditAction, AuditEntry, RiskBand

from . import indicators
from .models import RiskModel

# ---------------------------------------------------------------------------------------------------------
# Numbers as people read them
# ---------------------------------------------------------------------------------------------------------


def pct(value: float | None, digits: int = 1) -> str:
    """0.0563 -> '5.6%'; None -> '—'."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def dec(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 3) -> str:
    """+0.012 / -0.004; a change that rounds to nothing is shown as 0.000, without a sign."""
    if value is None:
        return "—"
    if round(value, digits) == 0:
        return f"{0:.{digits}f}"
    return f"{value:+.{digits}f}"


def points(change: float | None) -> str:
    """A change of a rate in percentage points: 0.02 -> '+2.0 pp'."""
    if change is None:
        return "—"
    return _("%(n)s pp") % {"n": signed(change * 100, 1)}


def horizon_months(model: RiskModel) -> int:
    return max(1, round((model.config or {}).get("horizon_days", 365) / 30.4))


def indicator_name(key: str) -> str:
    """The catalogue's name for an indicator in the page's language (the key when it is not in it)."""
    if key == "__score__":
        return _("The score itself")
    item = indicators.INDICATORS.get(key)
    if item is None:
        return key
    return item.name_en if (get_language() or "").startswith("en") else item.name_zh


LABEL_TEXT = {
    "default": gettext_lazy(
        "a police contact for an offence or an exposure behaviour, a new dropout report, or a substantiated "
        "child-protection report"
    ),
    "police_only": gettext_lazy("a police contact for an offence or an exposure behaviour"),
    "dropout_only": gettext_lazy("a new dropout report"),
    "protection_only": gettext_lazy("a substantiated child-protection report"),
}
LABEL_NAMES = {
    "default": gettext_lazy("Any adverse outcome (the model's label)"),
    "police_only": gettext_lazy("Police contact only"),
    "dropout_only": gettext_lazy("Dropout only"),
    "protection_only": gettext_lazy("Child protection only"),
}


def label_text(variant: str) -> str:
    return str(LABEL_TEXT.get(variant, variant))


# ---------------------------------------------------------------------------------------------------------
# Headline metrics
# ---------------------------------------------------------------------------------------------------------

METRIC_NAMES = {
    "roc_auc": gettext_lazy("ROC AUC"),
    "average_precision": gettext_lazy("Average precision"),
    "brier": gettext_lazy("Brier score"),
    "ece": gettext_lazy("Calibration error (ECE)"),
    "prevalence": gettext_lazy("Outcome rate (base rate)"),
}
METRIC_GLOSSES = {
    "roc_auc": gettext_lazy(
        "The chance that a youth who later had an adverse outcome was scored higher than one who did not. "
        "0.5 is a coin toss, 1 is a perfect ranking. Higher is better."
    ),
    "average_precision": gettext_lazy(
        "How well the youth with an outcome are gathered at the top of the list, from 0 to 1. A random "
        "order scores about the base rate. Higher is better."
    ),
    "brier": gettext_lazy(
        "The average squared gap between the score and what happened (1 or 0). Lower is better."
    ),
    "ece": gettext_lazy(
        "How far scores are from the outcome rates actually seen, on average: 0.01 means one percentage "
        "point. Lower is better."
    ),
    "prevalence": gettext_lazy("The share of youth in the test period who had an adverse outcome."),
}
HEADLINE = ("roc_auc", "average_precision", "brier", "ece", "prevalence")
BASELINES = ("logistic_regression", "focal_count", "random")
BASELINE_NAMES = {
    "model": gettext_lazy("This model"),
    "logistic_regression": gettext_lazy("Logistic regression"),
    "focal_count": gettext_lazy("Count of focal indicators"),
    "random": gettext_lazy("Random order"),
}
BASELINE_GLOSSES = {
    "logistic_regression": gettext_lazy("a simple straight-line model on the same 44 indicators"),
    "focal_count": gettext_lazy(
        "youth ordered by how many focal events (offence, exposure, dropout, substantiated protection "
        "report, serious campus incident) they have, the early-warning rule without a model"
    ),
    "random": gettext_lazy("youth in random order: what no model at all achieves"),
}


def metric_text(name: str, value: float | None) -> str:
    return pct(value) if name == "prevalence" else dec(value)


def test_metrics(model: RiskModel) -> dict:
    return (model.metrics or {}).get("test") or {}


def test_outcomes(model: RiskModel) -> int | None:
    test = test_metrics(model)
    if test.get("n") is None or test.get("prevalence") is None:
        return None
    return round(test["n"] * test["prevalence"])


def has_report(model: RiskModel) -> bool:
    """A model can be read, and so made active, only with a report that says what its bands mean."""
    return bool(model.report) and bool((model.report or {}).get("bands"))


# ---------------------------------------------------------------------------------------------------------
# Bands in plain words
# ---------------------------------------------------------------------------------------------------------


def _per_hundred(rate: float) -> str:
    per100 = rate * 100
    if per100 <= 0:
        return _("none of these youth")
    if per100 < 1:
        return _("fewer than 1 of every 100 such youth")
    return _("about %(n)s of every 100 such youth") % {"n": round(per100)}


def band_rows(model: RiskModel) -> list[dict]:
    """Each band of the report's ``bands.table`` with its share of youth and observed outcome rate, and one
    sentence a supervisor can read it by."""
    table = (((model.report or {}).get("bands") or {}).get("table")) or []
    total = sum(row.get("n") or 0 for row in table)
    intended = list((model.config or {}).get("band_shares") or [])
    if len(intended) == len(table) - 1:
        intended.append(max(0.0, 1 - sum(intended)))
    months = horizon_months(model)
    rows, above = [], 0.0
    for i, row in enumerate(table):
        band = row.get("band", "")
        label = str(RiskBand(band).label) if band in RiskBand.values else band
        n = row.get("n") or 0
        share = n / total if total else None
        rate = row.get("observed_rate")
        if not n or share is None:
            sentence = _("%(band)s: no youth in the test period fell in this band.") % {"band": label}
        else:
            outcome = _per_hundred(rate or 0.0)
            values = {
                "band": label,
                "share": pct(share),
                "above": pct(above),
                "outcome": outcome,
                "months": months,
            }
            if i == 0:
                sentence = _(
                    "%(band)s: the top %(share)s of youth. In the test period %(outcome)s had an adverse "
                    "outcome within %(months)s months."
                )
            elif i == len(table) - 1:
                sentence = _(
                    "%(band)s: the remaining %(share)s of youth. In the test period %(outcome)s had an "
                    "adverse outcome within %(months)s months."
                )
            else:
                sentence = _(
                    "%(band)s: the next %(share)s of youth, below the top %(above)s. In the test period "
                    "%(outcome)s had an adverse outcome within %(months)s months."
                )
            sentence %= values
        intended_share = intended[i] if i < len(intended) else None
        note = ""
        if share is not None and intended_share is not None and abs(share - intended_share) > 0.005:
            note = _(
                "Many youth share the same score, so this band holds %(share)s of youth instead of the "
                "intended %(intended)s."
            ) % {"share": pct(share), "intended": pct(intended_share, 0)}
        rows.append(
            {
                "band": band,
                "label": label,
                "n": n,
                "share": share,
                "share_text": pct(share),
                "intended_text": pct(intended_share, 0) if intended_share is not None else "—",
                "min_score": row.get("min_score"),
                "min_score_text": pct(row.get("min_score"), 2) if row.get("min_score") is not None else "—",
                "observed_rate": rate,
                "observed_text": pct(rate),
                "mean_score_text": pct(row.get("mean_score")),
                "sentence": sentence,
                "note": note,
            }
        )
        above += share or 0.0
    return rows


# ---------------------------------------------------------------------------------------------------------
# Fairness in plain words
# ---------------------------------------------------------------------------------------------------------

ATTRIBUTE_NAMES = {
    "sex": gettext_lazy("Sex"),
    "indigenous": gettext_lazy("Indigenous"),
    "new_immigrant_parent": gettext_lazy("New-immigrant parent"),
    "district": gettext_lazy("District"),
    "low_income": gettext_lazy("Household low or middle-low income"),
    "age": gettext_lazy("Age in completed years"),
}
# TPR is left out: it is 1 − FNR, and its ratio would tell the same story less directly.
FAIRNESS_METRICS = ("prev", "pprev", "fnr", "fpr", "precision")
FAIRNESS_METRIC_NAMES = {
    "prev": gettext_lazy("Had an outcome"),
    "pprev": gettext_lazy("Share flagged"),
    "fnr": gettext_lazy("Missed"),
    "fpr": gettext_lazy("Contacted without need"),
    "precision": gettext_lazy("Flagged who had an outcome"),
}
FAIRNESS_METRIC_GLOSSES = {
    "prev": gettext_lazy("share of the group who had an adverse outcome (base rate)"),
    "pprev": gettext_lazy("share of the group whose score reached the threshold"),
    "fnr": gettext_lazy("of those with an outcome, the share not flagged: missed children (FNR)"),
    "fpr": gettext_lazy("of those without an outcome, the share flagged anyway (FPR)"),
    "precision": gettext_lazy("of those flagged, the share who had an outcome (precision)"),
}
# The disparities that matter most for supportive outreach (docs/fairness.md): missed children, who gets
# flagged, families contacted without need.
KEY_FAIRNESS_METRICS = ("fnr", "pprev", "fpr", "precision")


def in_order(mapping: dict | None, order) -> list[tuple]:
    """``mapping``'s items with the keys of ``order`` first, in that order, then the rest sorted. The
    registry's JSON comes back from PostgreSQL (jsonb) with its keys reordered, so pages and cards put them
    back in the order people read them."""
    mapping = mapping or {}
    known = [k for k in order if k in mapping]
    return [(k, mapping[k]) for k in known + sorted(k for k in mapping if k not in set(known))]


def attributes(model: RiskModel) -> list[tuple[str, dict]]:
    """The fairness audit per attribute, in the order of ATTRIBUTE_NAMES."""
    return in_order((model.fairness or {}).get("by_attribute"), ATTRIBUTE_NAMES)


def attribute_name(attribute: str) -> str:
    return str(ATTRIBUTE_NAMES.get(attribute, attribute))


def group_name(attribute: str, value: str) -> str:
    if value in ("", "unknown"):
        return _("unknown")
    if attribute == "sex" and value in ("M", "F"):
        return _("male") if value == "M" else _("female")
    if value == "Y":
        return _("yes")
    if value == "N":
        return _("no")
    return value


_PAIR_PART = re.compile(r"^\s*([^=&]+?)=(.*?)\s*$")


def pair_group_name(name: str) -> str:
    """'sex=F & indigenous=Y' -> 'Sex: female · Indigenous: yes'."""
    parts = []
    for part in name.split(" & "):
        match = _PAIR_PART.match(part)
        if match is None:
            parts.append(part)
            continue
        attribute, value = match.groups()
        parts.append(f"{attribute_name(attribute)}: {group_name(attribute, value)}")
    return " · ".join(parts)


def fairness_summary(model: RiskModel) -> list[dict]:
    """Per audited attribute: the reference group, how many groups, and which groups are outside the
    0.8–1.25 band on the disparities that matter most."""
    out = []
    for attribute, audit in attributes(model):
        flags = audit.get("flags") or {}
        flagged = []
        for metric in KEY_FAIRNESS_METRICS:
            groups = [group_name(attribute, g) for g, metrics in flags.items() if metric in (metrics or [])]
            if groups:
                flagged.append(f"{FAIRNESS_METRIC_NAMES[metric]}: {', '.join(groups)}")
        out.append(
            {
                "attribute": attribute,
                "name": attribute_name(attribute),
                "reference": group_name(attribute, audit.get("reference_group") or ""),
                "groups": len(audit.get("groups") or {}),
                "flagged": flagged,
            }
        )
    return out


# ---------------------------------------------------------------------------------------------------------
# Activation history (from the access log)
# ---------------------------------------------------------------------------------------------------------


def activation(model: RiskModel) -> AuditEntry | None:
    """The access-log row of the model's latest activation (who, when, and any override reason)."""
    return (
        AuditEntry.objects.filter(
            object_type=RiskModel._meta.model_name,
            object_id=str(model.pk),
            action=AuditAction.UPDATE,
            detail__activated=True,
        )
        .order_by("-at", "-pk")
        .first()
    )


# ---------------------------------------------------------------------------------------------------------
# The card
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def _model_details(model: RiskModel) -> Section:
    config = model.config or {}
    lgbm = config.get("lgbm") or {}
    calibration = config.get("calibration", "isotonic")
    calibration_name = _("isotonic calibration") if calibration == "isotonic" else _("Platt calibration")
    owner = model.trained_by.get_username() if model.trained_by else _("a scheduled job (no person)")
    entry = activation(model)
    bullets = [
        _("Version: %(label)s (registry version %(version)s), status: %(status)s.")
        % {"label": model.label, "version": model.version, "status": model.get_status_display()},
        _("Trained on %(created)s on what was known by %(as_of)s.")
        % {"created": timezone.localdate(model.created_at).isoformat(), "as_of": model.as_of.isoformat()},
        _(
            "Type: gradient-boosted decision trees (LightGBM, %(trees)s trees of at most %(leaves)s leaves) "
            "whose output is turned into a probability by %(calibration)s fitted on a later period than "
            "training."
        )
        % {
            "trees": lgbm.get("n_estimators", "—"),
            "leaves": lgbm.get("num_leaves", "—"),
            "calibration": calibration_name,
        },
        _("Inputs: %(n)s indicators from the catalogue (docs/indicators.md).")
        % {"n": len(config.get("features") or [])},
        _("Predicts: %(label)s within %(months)s months of the scoring date.")
        % {"label": label_text(model.label_variant), "months": horizon_months(model)},
        _("Code version: %(code)s; random seed: %(seed)s.")
        % {"code": model.code_version or "—", "seed": model.seed},
        _(
            "Owner: the guidance committee's model stewards, who keep the model registry; trained by "
            "%(owner)s."
        )
        % {"owner": owner},
    ]
    if model.activated_at:
        bullets.append(
            _("Made active on %(when)s by %(who)s.")
            % {
                "when": timezone.localdate(model.activated_at).isoformat(),
                "who": (entry.username or entry.path) if entry else "—",
            }
        )
    return Section("model-details", _("Model details"), bullets=bullets)


def _intended_use(model: RiskModel) -> Section:
    return Section(
        "intended-use",
        _("Intended use"),
        paragraphs=[
            _(
                "The score helps juvenile officers, guidance workers and social workers, who have too little "
                "time to reach everyone, decide whom to offer supportive, voluntary help first, under the "
                "city's Prediction · Prevention · Protection (3P) programme. A person reviews every score "
                "with its reasons and the integrated record, and decides; the platform records who decided "
                "what, and why."
            )
        ],
        bullets=[
            _("Use it to order outreach: who to visit, call or refer first, and which offer of help fits."),
            _("Read a score as a band with its reasons, never as a finding about a child."),
            _("Out of scope: any punitive use, police investigation or surveillance."),
            _("Out of scope: court proceedings of any kind; a score is never shown to a court."),
            _("Out of scope: deciding eligibility for benefits, services or school places."),
            _("Out of scope: any decision taken without a person reviewing the case."),
        ],
    )


def _factors(model: RiskModel) -> Section:
    fairness = model.fairness or {}
    names = [attribute_name(a) for a, _audit in attributes(model)]
    pairs = ((fairness.get("pairs") or {}).get("pairs")) or {}
    min_n = (fairness.get("pairs") or {}).get("min_n", 30)
    bullets = [
        _("Groups audited: %(groups)s.") % {"groups": ", ".join(names) or "—"},
        _(
            "Pairs of attributes audited together (%(n)s pairs); groups with fewer than %(min_n)s youth are "
            "left out because their rates would be noise."
        )
        % {"n": len(pairs), "min_n": min_n},
        _(
            "None of these attributes is a model input: they are kept apart (FairnessAttributes) only so "
            "that this audit can be done. Age is an input."
        ),
        _(
            "Other factors reported: the label definition (three narrower labels beside the model's own) "
            "and the household indicators (the model retrained without them)."
        ),
    ]
    return Section("factors", _("Factors"), bullets=bullets)


def _metrics_section(model: RiskModel) -> Section:
    capacities = ", ".join(str(k) for k in (model.config or {}).get("capacities") or [])
    return Section(
        "metrics",
        pgettext("model card section", "Metrics"),
        bullets=[
            _(
                "Precision and recall at capacity k (k = %(k)s): teams can reach only so many youth, so "
                "what matters is how many of the top k later had an adverse outcome (precision) and what "
                "share of all such youth the top k include (recall)."
            )
            % {"k": capacities or "—"},
            _(
                "ROC AUC and average precision: how well the whole list is ordered, compared with a count "
                "of focal indicators, logistic regression and random order."
            ),
            _(
                "Brier score, calibration error (ECE) and the calibration curve: bands and scores are read "
                "as chances, so they must match the outcome rates actually seen."
            ),
            _(
                "Fairness rates per group at the capacity threshold: missed children (FNR) first, then who "
                "gets flagged (share flagged against the group's outcome rate) and families contacted "
                "without need (FPR), each as a ratio to the largest group, with 95-percent bootstrap intervals."
            ),
        ],
    )


def _evaluation_data(model: RiskModel) -> Section:
    metrics = model.metrics or {}
    split = metrics.get("split") or {}
    rows = metrics.get("rows") or {}
    test = test_metrics(model)
    return Section(
        "evaluation-data",
        _("Evaluation data"),
        paragraphs=[
            _(
                "A temporal test: the model is judged on months after everything it learned from, as it "
                "would be used. Each row is one youth aged 12–17 on one test date, with the indicators known "
                "on that date and what happened in the following %(months)s months."
            )
            % {"months": horizon_months(model)}
        ],
        bullets=[
            _("Test dates: %(dates)s.") % {"dates": ", ".join(split.get("test") or []) or "—"},
            _("Test rows: %(rows)s; with an adverse outcome: %(outcomes)s (%(rate)s).")
            % {
                "rows": rows.get("test", test.get("n", "—")),
                "outcomes": test_outcomes(model) if test_outcomes(model) is not None else "—",
                "rate": pct(test.get("prevalence")),
            },
            _("Calibration dates (later than training, before the test): %(dates)s; rows: %(rows)s.")
            % {
                "dates": ", ".join(split.get("calibration") or []) or "—",
                "rows": rows.get("calibration", "—"),
            },
        ],
    )


def _training_data(model: RiskModel) -> Section:
    snapshot = model.data_snapshot or {}
    split = (model.metrics or {}).get("split") or {}
    train = split.get("train") or []
    rows = (model.metrics or {}).get("rows") or {}
    return Section(
        "training-data",
        _("Training data"),
        paragraphs=[
            _(
                "The platform's own integrated records (education, police and welfare feeds, linked into one "
                "record per youth), as known on each training date. Sealed records count as never made. "
                "Training dates end a full label window before the first test date, so no training label "
                "overlaps the test period."
            )
        ],
        bullets=[
            _("Known by: %(d)s; feeds used from: %(start)s.")
            % {"d": snapshot.get("known_by", "—"), "start": snapshot.get("data_start", "—")},
            _("Events known: %(events)s; youth in the matrix: %(youth)s.")
            % {"events": snapshot.get("events", "—"), "youth": snapshot.get("youth", "—")},
            _("Training dates: %(n)s months, %(first)s to %(last)s; rows: %(rows)s.")
            % {
                "n": len(train),
                "first": train[0] if train else "—",
                "last": train[-1] if train else "—",
                "rows": rows.get("train", "—"),
            },
            _("Fingerprint of the training matrix (SHA-256): %(sha)s.")
            % {"sha": snapshot.get("matrix_sha256", "—")},
        ],
    )


def headline_table(model: RiskModel) -> Table:
    test = test_metrics(model)
    baselines = (model.metrics or {}).get("baselines") or {}
    header = [_("Metric"), *[str(BASELINE_NAMES[b]) for b in ("model", *BASELINES)]]
    rows = []
    for name in HEADLINE:
        row = [str(METRIC_NAMES[name]), metric_text(name, test.get(name))]
        row += [metric_text(name, (baselines.get(b) or {}).get(name)) for b in BASELINES]
        rows.append(row)
    return Table(_("Headline metrics on the test period, with the baselines"), header, rows)


def at_k_table(model: RiskModel) -> Table:
    test = test_metrics(model)
    baselines = (model.metrics or {}).get("baselines") or {}
    header = [_("Capacity k"), *[str(BASELINE_NAMES[b]) for b in ("model", *BASELINES)]]
    rows = []
    for i, item in enumerate(test.get("at_k") or []):
        row = [str(item.get("k")), f"{pct(item.get('precision'))} / {pct(item.get('recall'))}"]
        for b in BASELINES:
            other = (baselines.get(b) or {}).get("at_k") or []
            other = other[i] if i < len(other) else {}
            row.append(f"{pct(other.get('precision'))} / {pct(other.get('recall'))}")
        rows.append(row)
    return Table(_("Precision / recall among the top k of the test period"), header, rows)


def _quantitative(model: RiskModel) -> Section:
    bands = band_rows(model)
    fairness = fairness_summary(model)
    ablation = (model.report or {}).get("ablation_without_household") or {}
    tables = [headline_table(model), at_k_table(model)]
    if bands:
        tables.append(
            Table(
                _("What each band means in the test period"),
                [_("Band"), _("Share of youth"), _("Lowest score in band"), _("Observed outcome rate")],
                [[b["label"], b["share_text"], b["min_score_text"], b["observed_text"]] for b in bands],
            )
        )
    if fairness:
        threshold = (model.fairness or {}).get("threshold")
        tables.append(
            Table(
                _("Fairness audit at the capacity threshold (score ≥ %(t)s): groups outside 0.8–1.25")
                % {"t": pct(threshold, 2)},
                [_("Attribute"), _("Reference group"), _("Groups"), _("Outside the band")],
                [
                    [f["name"], f["reference"], str(f["groups"]), "; ".join(f["flagged"]) or _("none")]
                    for f in fairness
                ],
            )
        )
    paragraphs = [b["sentence"] for b in bands]
    if ablation.get("test"):
        paragraphs.append(ablation_sentence(model))
    return Section("quantitative-analyses", _("Quantitative analyses"), paragraphs=paragraphs, tables=tables)


def ablation_sentence(model: RiskModel) -> str:
    ablation = (model.report or {}).get("ablation_without_household") or {}
    without = ablation.get("test") or {}
    return _(
        "Without the %(n)s household indicators the ROC AUC is %(without)s against %(with)s with them, and "
        "the average precision %(ap_without)s against %(ap_with)s."
    ) % {
        "n": len(ablation.get("excluded") or []),
        "without": dec(without.get("roc_auc")),
        "with": dec(test_metrics(model).get("roc_auc")),
        "ap_without": dec(without.get("average_precision")),
        "ap_with": dec(test_metrics(model).get("average_precision")),
    }


# ---------------------------------------------------------------------------------------------------------
# Pairs of indicators at the top of the list (report["top_of_list_interactions"])
# ---------------------------------------------------------------------------------------------------------

INTERACTION_DIRECTIONS = {
    "up": gettext_lazy("higher together"),
    "down": gettext_lazy("lower together"),
    "mixed": gettext_lazy("either way"),
}


def log_odds(value: float | None, *, sign: bool = False) -> str:
    """A SHAP figure: three decimals, four when it is under 0.01 (so a small push never reads 0.000); with
    ``sign``, a + before a positive one."""
    if value is None:
        return "—"
    text = f"{value:.3f}" if abs(value) >= 0.01 or value == 0 else f"{value:.4f}"
    return "+" + text if sign and value > 0 else text


def interaction_direction(pair: dict) -> str:
    """'up' when at least three quarters of a pair's |interaction| raises the score (mean ≥ mean |·| / 2),
    'down' when three quarters lowers it, 'mixed' otherwise."""
    mean, size = pair.get("mean") or 0.0, pair.get("mean_abs") or 0.0
    if size and mean >= size / 2:
        return "up"
    if size and mean <= -size / 2:
        return "down"
    return "mixed"


def interaction_sentence(pair: dict) -> str:
    """What a pair of indicators does to the scores at the top of the list, made from the pair's figures."""
    a, b = (indicator_name(key) for key in pair["keys"])
    main_a, main_b = pair["main_abs"]
    values = {
        "a": a,
        "b": b,
        "size": log_odds(abs(pair["mean"])),
        "mean": log_odds(pair["mean"], sign=True),
        "mean_abs": log_odds(pair["mean_abs"]),
        "main_a": log_odds(main_a),
        "main_b": log_odds(main_b),
    }
    direction = interaction_direction(pair)
    if direction == "up":
        text = _(
            "For these youth, %(a)s and %(b)s together move the score %(size)s higher on average than their "
            "own effects added up; each one's own effect averages %(main_a)s and %(main_b)s in size."
        )
    elif direction == "down":
        text = _(
            "For these youth, %(a)s and %(b)s together move the score %(size)s lower on average than their "
            "own effects added up; each one's own effect averages %(main_a)s and %(main_b)s in size."
        )
    else:
        text = _(
            "For these youth, %(a)s and %(b)s together move the score %(mean_abs)s on average away from their "
            "own effects added up, higher for some and lower for others (%(mean)s net); each one's own effect "
            "averages %(main_a)s and %(main_b)s in size."
        )
    return text % values


def _ethics(model: RiskModel) -> Section:
    district = ((model.fairness or {}).get("by_attribute") or {}).get("district") or {}
    flagged_districts = [
        g for g, m in (district.get("flags") or {}).items() if set(m or []) & {"fnr", "pprev", "fpr"}
    ]
    bullets = [
        _(
            "Labels record what the system did, not only what the youth did. Police contacts depend on "
            "how closely each district is policed, so youth in heavily policed districts have more "
            "recorded contacts, look riskier and are flagged more. District is not an input, but the "
            "police indicators carry it; the audit by district shows %(n)s of %(total)s districts outside "
            "the band on missed, flagged or contacted-without-need rates."
        )
        % {"n": len(flagged_districts), "total": len(district.get("groups") or {})},
        _(
            "Self-fulfilling labels: outreach itself creates records (cases, interventions, reports), and "
            "a youth who is watched more has more recorded outcomes. When help works, the predicted outcome "
            "does not happen and the model looks wrong. Judge new models on periods before the previous "
            "model was in use where possible, and read recorded outcomes with this in mind."
        ),
        _(
            "Sealed records (Juvenile Justice Act Art. 83-1) count as never made: they are removed from "
            "every indicator and label. A model trained before a sealing notice has learned patterns that "
            "included the record; retrain after sealing notices so no model keeps them."
        ),
        _(
            "Protected attributes (sex, indigenous status, new-immigrant parentage, district, household "
            "low income as a group) are never inputs. They are kept apart for the fairness audit only. "
            "Other indicators can still stand in for them, which is why the audit is run on every model."
        ),
        _(
            "Household indicators describe the family, not the youth, and can keep flagging a child for "
            "the family's situation. They point to help the family can be offered, and every report shows "
            "the model retrained without them. %(ablation)s"
        )
        % {"ablation": ablation_sentence(model)},
        _(
            "What this field has taught: lists without a supportive protocol led to more "
            "arrests, not more help; registration errors produced unjustified flags; families had no way "
            "to correct data. Here a score only ever leads to an offer of help, overrides are logged and "
            "reviewed, records can be corrected and sealed, and data expires."
        ),
    ]
    return Section("ethical-considerations", _("Ethical considerations"), bullets=bullets)


def caveats(model: RiskModel) -> list[str]:
    """What a reader should know before relying on this model, derived from its own numbers."""
    out = []
    test = test_metrics(model)
    verdict = model.gate or {}
    sentences = gate_sentences(verdict)
    if verdict and not verdict.get("passed"):
        out.append(
            _("The model did not pass the promotion gate: %(failed)s.") % {"failed": failed_names(verdict)}
        )
        out += [s["text"] for s in sentences if not s["passed"]]
        entry = activation(model)
        if entry and (entry.detail or {}).get("override_reason"):
            out.append(
                _("It was made active anyway, with this reason: “%(reason)s”.")
                % {"reason": entry.detail["override_reason"]}
            )
    # A simple baseline the test months cannot tell apart from the model may do as well: say so, in figures.
    differences = (verdict.get("evidence") or {}).get("differences") or {}
    for s in sentences:
        if s["passed"] and s["key"] in ("baselines_auc", "baselines_precision"):
            metric = "roc_auc" if s["key"] == "baselines_auc" else "precision_at_k"
            if any(
                _where((differences.get(b) or {}).get(metric)) != "above"
                for b in ("logistic_regression", "focal_count")
            ):
                out.append(s["text"])
    if not sentences and test.get("roc_auc") is not None:
        # A model judged by the earlier gate, which did not test it against chance: its figures, no verdict.
        lr = ((model.metrics or {}).get("baselines") or {}).get("logistic_regression") or {}
        out.append(
            _(
                "ROC AUC %(auc)s on the test period, against 0.5 for random order and %(lr)s for logistic "
                "regression. This model was judged by an earlier promotion gate, which did not test whether it "
                "orders youth better than chance."
            )
            % {"auc": dec(test.get("roc_auc")), "lr": dec(lr.get("roc_auc"))}
        )
    bands = band_rows(model)
    if any(b["note"] for b in bands):
        out.append(
            _(
                "Bands are not the intended sizes because many youth share the same calibrated score; read "
                "the band table for the real shares."
            )
        )
    rates = [b["observed_rate"] for b in bands if b["observed_rate"] is not None]
    if any(later > earlier for earlier, later in zip(rates, rates[1:], strict=False)):
        out.append(
            _(
                "A lower band had a higher observed outcome rate than the band above it in the test period: "
                "the bands do not order youth reliably."
            )
        )
    months = len(((model.metrics or {}).get("split") or {}).get("test") or [])
    if months > 1:
        out.append(
            _(
                "Precision and recall at k are taken over all %(months)s test months together, so k counts "
                "youth-months, not youth in one month."
            )
            % {"months": months}
        )
    out.append(
        _(
            "Scores of different model versions are not comparable; compare bands and reasons, and retrain "
            "at least yearly and after waves of sealing notices."
        )
    )
    out.append(
        _(
            "Review overrides (triage decisions that go against the band) regularly: they show where the "
            "model and the people who know the youth disagree."
        )
    )
    return out


GATE_NAMES = {
    "enough_test_outcomes": gettext_lazy("enough outcomes to tell"),
    "beats_random_order_auc": gettext_lazy("orders youth better than random order"),
    "beats_random_order_precision": gettext_lazy("finds more outcomes than random order at capacity"),
    "baselines_auc": gettext_lazy("no simple baseline orders youth better"),
    "baselines_precision": gettext_lazy("no simple baseline finds more outcomes at capacity"),
    "calibrated": gettext_lazy("calibrated"),
    "fairness_explained": gettext_lazy("fairness flags explained"),
    "shap_additive": gettext_lazy("explanations add up"),
    # Checks of the earlier gate, still named on the pages of models it judged.
    "beats_logistic_regression": gettext_lazy("at least as good as logistic regression"),
}
FAIRNESS_REASONS = {
    "unexplained_harm": gettext_lazy("firm, and the group's base rate does not explain it"),
    "not_firm": gettext_lazy("its interval reaches into the band: it could be chance"),
    "explained_by_base_rate": gettext_lazy("the group's base rate explains it (one threshold for everyone)"),
    "not_a_harm": gettext_lazy("the group fares better, or another view of the same counts"),
    "model_input": gettext_lazy("age is a model input with its own base rates"),
    "unrecorded_group": gettext_lazy("the attribute was not recorded for these youth"),
    "intersection": gettext_lazy("a pair of attributes: small groups, no interval"),
}


def _interval_text(item: dict | None, fmt) -> str:
    interval = (item or {}).get("interval")
    if not interval:
        return _("no interval")
    return _("95%% interval %(low)s to %(high)s") % {"low": fmt(interval[0]), "high": fmt(interval[1])}


def _bound_text(difference: dict | None, fmt, offset: float = 0.0) -> str:
    """The one-sided 95 % bound the gate decided on, when it clears zero (so a two-sided interval that
    still reaches zero does not read as contradicting the verdict): '; one-sided 95% bound 0.531'."""
    difference = difference or {}
    bounds, where = difference.get("bounds"), _where(difference)
    if not bounds or where not in ("above", "below"):
        return ""
    bound = bounds[0] if where == "above" else bounds[1]
    return _("; one-sided 95%% bound %(bound)s") % {"bound": fmt(bound + offset)}


def _where(item: dict | None) -> str:
    """Where a difference lies with 95 % confidence, as the gate decides it (one-sided bounds): 'above',
    'below' or 'across' zero (or 'none')."""
    item = item or {}
    limits = item.get("bounds") or item.get("interval")
    if not limits:
        return "none"
    return "above" if limits[0] > 0 else "below" if limits[1] < 0 else "across"


def gate_sentences(verdict: dict) -> list[dict]:
    """One sentence per check of a verdict of the current gate, each made from the figures it judged (so no
    sentence can say more, or other, than the numbers): ``[{"key", "passed", "text"}]`` in the gate's order.
    Empty for a verdict of the earlier gate, which recorded no evidence."""
    from . import gate as gate_rules

    if not gate_rules.is_current(verdict):
        return []
    rules, checks = verdict.get("rules") or {}, verdict.get("checks") or {}
    evidence = verdict.get("evidence") or {}
    scorers, differences = evidence.get("scorers") or {}, evidence.get("differences") or {}
    k, months = evidence.get("capacity"), evidence.get("months") or 1
    model = scorers.get("model") or {}
    out = []

    def add(key: str, text: str) -> None:
        out.append(
            {"key": key, "name": GATE_NAMES.get(key, key), "passed": bool(checks.get(key)), "text": text}
        )

    n, minimum = evidence.get("youth_with_outcome") or 0, rules.get("min_test_outcomes")
    if checks.get("enough_test_outcomes"):
        text = _(
            "%(n)s youth had an adverse outcome in the %(months)s test months; at least %(min)s are needed to "
            "tell a model from chance."
        )
    else:
        text = _(
            "Only %(n)s youth had an adverse outcome in the %(months)s test months: at least %(min)s are needed "
            "to tell a model from chance, so these months cannot show whether it works."
        )
    add("enough_test_outcomes", text % {"n": n, "months": months, "min": minimum})

    auc, versus_random = model.get("roc_auc") or {}, (differences.get("random_order") or {})
    where = _where(versus_random.get("roc_auc"))
    figures = {
        "auc": dec(auc.get("value")),
        "interval": _interval_text(auc, dec) + _bound_text(versus_random.get("roc_auc"), dec, 0.5),
    }
    text = {
        "above": _("It orders youth better than random order: ROC AUC %(auc)s (%(interval)s), above 0.5."),
        "below": _("It orders youth worse than random order: ROC AUC %(auc)s (%(interval)s), below 0.5."),
    }.get(
        where,
        _(
            "The test months do not show that it orders youth better than random order: ROC AUC %(auc)s "
            "(%(interval)s) reaches 0.5."
        ),
    )
    add("beats_random_order_auc", text % figures)

    precision = model.get("precision_at_k") or {}
    base = ((scorers.get("random_order") or {}).get("precision_at_k") or {}).get("value")
    where = _where(versus_random.get("precision_at_k"))
    figures = {
        "k": k,
        "p": pct(precision.get("value")),
        "interval": _interval_text(precision, pct)
        + _bound_text(versus_random.get("precision_at_k"), pct, base or 0.0),
        "base": pct(base),
    }
    text = {
        "above": _(
            "Among each test month's top %(k)s youth, %(p)s (%(interval)s) had an adverse outcome, more than "
            "the %(base)s of all youth that random order would find."
        ),
        "below": _(
            "Among each test month's top %(k)s youth, %(p)s (%(interval)s) had an adverse outcome, fewer than "
            "the %(base)s of all youth that random order would find."
        ),
    }.get(
        where,
        _(
            "Among each test month's top %(k)s youth, %(p)s (%(interval)s) had an adverse outcome; the test "
            "months do not show that this is more than the %(base)s of all youth that random order would find."
        ),
    )
    add("beats_random_order_precision", text % figures)

    for key, metric, fmt in (
        ("baselines_auc", "roc_auc", dec),
        ("baselines_precision", "precision_at_k", pct),
    ):
        parts = []
        for name in ("logistic_regression", "focal_count"):
            if name not in differences:
                continue
            difference = differences[name].get(metric) or {}
            figures = {
                "baseline": BASELINE_NAMES[name],
                "model": fmt(model.get(metric, {}).get("value")),
                "other": fmt(((scorers.get(name) or {}).get(metric) or {}).get("value")),
                "interval": _interval_text(difference, lambda v: signed(v, 3))
                + _bound_text(difference, lambda v: signed(v, 3)),
                "difference": signed(difference.get("value"), 3),
            }
            parts.append(
                {
                    "above": _("better than %(baseline)s (%(model)s against %(other)s; difference %(difference)s, "
                               "%(interval)s)"),
                    "below": _("worse than %(baseline)s (%(model)s against %(other)s; difference %(difference)s, "
                               "%(interval)s)"),
                }.get(
                    _where(difference),
                    _("not told apart from %(baseline)s (%(model)s against %(other)s; difference %(difference)s, "
                      "%(interval)s)"),
                )
                % figures
            )  # fmt: skip
        lead = (
            _("ROC AUC: %(parts)s.")
            if metric == "roc_auc"
            else _("Outcomes among each month's top %(k)s: %(parts)s.")
        )
        add(key, lead % {"parts": "; ".join(parts) or "—", "k": k})

    calibration = verdict.get("calibration") or {}
    ratio = evidence.get("observed_to_expected") or {}
    low, high = rules.get("observed_to_expected") or (0.8, 1.25)
    interval = ratio.get("interval")
    if interval and interval[0] > high:
        direction = _("the scores firmly under-estimate the outcomes")
    elif interval and interval[1] < low:
        direction = _("the scores firmly over-estimate the outcomes")
    else:
        direction = _("the interval reaches into %(low)s to %(high)s, so no firm over- or under-estimate") % {
            "low": low,
            "high": high,
        }
    add(
        "calibrated",
        _(
            "Expected calibration error %(ece)s (at most %(max)s allowed); %(ratio)s times as many outcomes as "
            "the scores expect (%(interval)s): %(direction)s."
        )
        % {
            "ece": dec(calibration.get("ece")),
            "max": rules.get("max_ece"),
            "ratio": dec(ratio.get("value"), 2),
            "interval": _interval_text(ratio, lambda v: dec(v, 2)),
            "direction": direction,
        },
    )

    review = verdict.get("fairness") or {}
    blocking, warnings = review.get("blocking") or [], review.get("warnings") or []
    if blocking:
        items = [
            _(
                "%(attribute)s %(group)s: %(metric)s %(ratio)s times the reference group's (%(interval)s), base "
                "rate %(prev)s times"
            )
            % {
                "attribute": attribute_name(b["attribute"]),
                "group": group_name(b["attribute"], b["group"]),
                "metric": FAIRNESS_METRIC_NAMES.get(b["metric"], b["metric"]),
                "ratio": dec(b.get("disparity"), 2),
                "interval": _interval_text(b, lambda v: dec(v, 2)),
                "prev": dec(b.get("prev_disparity"), 2),
            }
            for b in blocking
        ]
        text = _("%(n)s fairness findings are firm and not explained by base rates: %(items)s.") % {
            "n": len(blocking),
            "items": "; ".join(items),
        }
    else:
        text = _("No fairness finding blocks; %(n)s flags only warn.") % {"n": len(warnings)}
    add("fairness_explained", text)

    error = verdict.get("shap_error")
    add(
        "shap_additive",
        _("The explanations add up to the model's output within %(error)s (at most %(max)s allowed).")
        % {"error": f"{error:.1e}" if error is not None else "—", "max": rules.get("max_shap_error")},
    )
    return out


def failed_names(verdict: dict) -> str:
    return ", ".join(str(GATE_NAMES.get(c, c)) for c in (verdict or {}).get("failed") or []) or "—"


def gate_refusal(verdict: dict) -> str:
    """Why a model cannot be made active at all: the sentences of its failed signal checks."""
    from . import gate as gate_rules

    return " ".join(
        s["text"] for s in gate_sentences(verdict) if not s["passed"] and s["key"] in gate_rules.SIGNAL_CHECKS
    )


def _caveats(model: RiskModel) -> Section:
    return Section("caveats", _("Caveats and recommendations"), bullets=caveats(model))


def sections(model: RiskModel) -> list[Section]:
    """The nine sections of a model card, in Mitchell et al.'s order."""
    return [
        _model_details(model),
        _intended_use(model),
        _factors(model),
        _metrics_section(model),
        _evaluation_data(model),
        _training_data(model),
        _quantitative(model),
        _ethics(model),
        _caveats(model),
    ]


def title(model: RiskModel) -> str:
    return _("Model card: %(label)s") % {"label": model.label}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(model: RiskModel) -> str:
    """The model card as Markdown, in the active language."""
    lines = [f"# {title(model)}", ""]
    for section in sections(model):
        lines += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [paragraph, ""]
        if section.bullets:
            lines += [f"- {bullet}" for bullet in section.bullets] + [""]
        for table in section.tables:
            lines += [f"**{table.caption}**", ""]
            lines.append("| " + " | ".join(_cell(h) for h in table.header) + " |")
            lines.append("|" + "---|" * len(table.header))
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
