"""The promotion gate's verdict in words: what each check asked, what it found, and why a model was refused."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from riskmodel.readings import (
    BASELINE_NAMES,
    FAIRNESS_METRIC_NAMES,
    attribute_name,
    dec,
    group_name,
    pct,
    signed,
)

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
    bounds, where = difference.get("bounds"), confidence_side(difference)
    if not bounds or where not in ("above", "below"):
        return ""
    bound = bounds[0] if where == "above" else bounds[1]
    return _("; one-sided 95%% bound %(bound)s") % {"bound": fmt(bound + offset)}


def confidence_side(item: dict | None) -> str:
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
    where = confidence_side(versus_random.get("roc_auc"))
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
    where = confidence_side(versus_random.get("precision_at_k"))
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
                    confidence_side(difference),
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
