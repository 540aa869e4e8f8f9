"""The plain readings of a model's recorded numbers that the model card and the model report page share:
numbers as people read them, the names and glosses of metrics, baselines, bands and fairness measures, who
activated a model, and the pairs of indicators at the top of the list."""

from __future__ import annotations

import re

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from casework.models import AuditAction, AuditEntry, RiskBand
from casework.words import labelled

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
        parts.append(labelled(attribute_name(attribute), group_name(attribute, value)))
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
                flagged.append(labelled(FAIRNESS_METRIC_NAMES[metric], "、".join(groups)))
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


# ---------------------------------------------------------------------------------------------------------
# The gate figures of the models in use, for the annual report (casework.reports.annual_models)
# ---------------------------------------------------------------------------------------------------------


def gate_figures(labels: list[str]) -> dict[str, dict]:
    """For each ``risk-v<N>`` label of a model in the registry: the gate's verdict and its headline figures, in
    the shape ``casework.reports.annual_models`` reads (no count of young people)."""
    from .gate_text import GATE_NAMES  # gate_text reads this module

    versions = {}
    for label in labels:
        prefix, _sep, number = str(label).rpartition("-v")
        if prefix == "risk" and number.isdigit():
            versions[int(number)] = label
    out: dict[str, dict] = {}
    for model in RiskModel.objects.filter(version__in=versions):
        verdict = model.gate or {}
        model_figures = ((verdict.get("evidence") or {}).get("scorers") or {}).get("model") or {}
        auc = model_figures.get("roc_auc") or {}
        precision = model_figures.get("precision_at_k") or {}
        entry = activation(model)
        out[versions[model.version]] = {
            "passed": bool(verdict.get("passed")),
            "failed": [str(GATE_NAMES.get(c, c)) for c in verdict.get("failed") or []],
            "overridden": bool(entry and (entry.detail or {}).get("override_reason")),
            "roc_auc": auc.get("value"),
            "roc_auc_interval": auc.get("interval"),
            "precision_at_k": precision.get("value"),
            "capacity": (verdict.get("evidence") or {}).get("capacity"),
            "ece": (verdict.get("calibration") or {}).get("ece"),
        }
    return out
