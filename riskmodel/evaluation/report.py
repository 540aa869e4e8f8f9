"""The outreach evaluation as a supervisor reads it: every estimate of the period, and the sentences that say
what each means, written from its figures (never a fixed verdict that could contradict them)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Max
from django.utils.translation import gettext as _

from casework.models import Bureau, Case, Event, Intervention, InterventionKind
from casework.reports.suppression import Cell, cell_key, rounded

from . import estimator, panel

WINDOWS = (("y6", 6), ("y12", 12))
CACHE_SECONDS = 3600
BALANCED_SMD = 0.1  # a standardised difference below this is usually read as balanced (Austin 2011)


@dataclass
class Row:
    """One estimate as shown: a label, the published counts, the figures in percentage points and a sentence."""

    key: str
    label: str
    window: int
    estimate: estimator.Estimate
    reached_shown: int  # rounded to base 5, like every published count of young people
    matched_shown: int
    sentence: str = ""

    @property
    def has_estimate(self) -> bool:
        return self.estimate.effect is not None

    @property
    def figures(self) -> dict[str, str]:
        """The row's figures as the page writes them: shares in per cent, differences in signed points."""
        e = self.estimate
        return {
            "treated": percent(e.treated_rate),
            "control": percent(e.control_rate),
            "effect": points(e.effect),
            "interval": f"{points(e.low)} – {points(e.high)}",
            "naive": points(e.naive_effect),
        }


@dataclass
class Evaluation:
    start: dt.date
    end: dt.date
    model_label: str | None
    overall: list[Row] = field(default_factory=list)  # one per window
    breakdown: list[Row] = field(default_factory=list)  # per bureau and per intervention kind, 6 months
    naive_sentence: str = ""
    balance_sentence: str = ""
    balance: list[estimator.Balance] = field(default_factory=list)
    reached_total: int = 0  # true count; only ``overall[*].reached_shown`` is published
    periods: int = 0


def points(value: float | None) -> str:
    """A difference in shares as signed percentage points."""
    return "—" if value is None else f"{100 * value:+.1f}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _published(n: int, kind: str, ids: list[int], key: str) -> int:
    """A count of youth rounded like every published count (base 5, up or down at random), the draw keyed by
    the youth it counts and the publication, so the same youth always publish the same figure."""
    return rounded(Cell(n, cell_key(kind, ids, key)))


def sentence(est: estimator.Estimate, window: int) -> str:
    """What the estimate says, in words chosen by its figures."""
    if est.effect is None:
        if est.refused == "too_few_matched":
            return _(
                "No estimate: too few of the youth reached found comparable youth not reached (at least %(n)d "
                "needed)."
            ) % {"n": estimator.MIN_TREATED}
        return _(
            "No estimate: too few youth were reached in this period whose next %(months)d months are already "
            "known (at least %(n)d needed)."
        ) % {"months": window, "n": estimator.MIN_TREATED}
    figures = {
        "months": window,
        "treated": percent(est.treated_rate),
        "control": percent(est.control_rate),
        "effect": points(est.effect),
        "low": points(est.low),
        "high": points(est.high),
    }
    if est.high < 0:
        return (
            _(
                "In the %(months)d months after, %(treated)s of the youth reached had an adverse outcome, against "
                "%(control)s of comparable youth not reached: %(effect)s points (95 %% interval %(low)s to "
                "%(high)s). Fewer adverse outcomes followed outreach than chance alone would explain."
            )
            % figures
        )
    if est.low > 0:
        return (
            _(
                "In the %(months)d months after, %(treated)s of the youth reached had an adverse outcome, against "
                "%(control)s of comparable youth not reached: %(effect)s points (95 %% interval %(low)s to "
                "%(high)s). More adverse outcomes followed outreach; read the caveats before concluding anything: "
                "outreach also brings more of a youth's life to a bureau's attention."
            )
            % figures
        )
    return (
        _(
            "In the %(months)d months after, %(treated)s of the youth reached had an adverse outcome, against "
            "%(control)s of comparable youth not reached: %(effect)s points (95 %% interval %(low)s to %(high)s). "
            "The interval holds zero: this comparison cannot tell whether outreach changed the outcome."
        )
        % figures
    )


def _naive_sentence(est: estimator.Estimate) -> str:
    if est.naive_effect is None:
        return ""
    figures = {"naive": points(est.naive_effect), "matched": points(est.effect)}
    if est.effect is None:
        return (
            _(
                "Compared with every youth not reached, unmatched, the youth reached differ by %(naive)s points; "
                "that comparison mixes the effect of outreach with the reasons they were reached."
            )
            % figures
        )
    return (
        _(
            "Compared with every youth not reached, unmatched, the difference would read %(naive)s points instead "
            "of %(matched)s: youth are reached because their records already showed more risk, so an unmatched "
            "comparison mixes the effect of outreach with the reasons they were reached."
        )
        % figures
    )


def _balance_sentence(est: estimator.Estimate) -> str:
    if not est.balance or est.effect is None:
        return ""
    before = max(abs(b.before) for b in est.balance)
    after = max(abs(b.after) for b in est.balance)
    figures = {"before": f"{before:.2f}", "after": f"{after:.2f}", "limit": f"{BALANCED_SMD:.1f}"}
    if after < BALANCED_SMD:
        return (
            _(
                "Matching made the groups alike in what was known of them: the largest standardised difference fell "
                "from %(before)s to %(after)s (below %(limit)s is usually read as alike)."
            )
            % figures
        )
    return (
        _(
            "Matching left the groups unlike in what was known of them: the largest standardised difference is "
            "%(after)s after matching (from %(before)s; below %(limit)s is usually read as alike), so the estimate "
            "compares youth who still differed."
        )
        % figures
    )


def _fingerprint() -> tuple:
    cases = Case.objects.aggregate(n=Count("pk"), last=Max("pk"))
    events = Event.objects.aggregate(n=Count("pk"), last=Max("pk"))
    return (cases["n"], cases["last"], Intervention.objects.count(), events["n"], events["last"])


def evaluate(start: dt.date, end: dt.date, *, today: dt.date) -> Evaluation:
    """Every estimate for youth reached from ``start`` to ``end``, cached until the records change."""
    key = (
        "outreach-evaluation-"
        + hashlib.sha256(f"{start}|{end}|{today}|{_fingerprint()}".encode()).hexdigest()
    )
    found = cache.get(key)
    if found is not None:
        return found
    result = _evaluate(start, end, today=today)
    cache.set(key, result, CACHE_SECONDS)
    return result


def _row(key: str, label: str, frame, covariates, outcome: str, window: int) -> Row:
    est = estimator.estimate(frame, covariates, outcome, exact=("period", "band"), seed=7)
    known = frame[frame[outcome].notna()]
    reached_ids = sorted(int(u) for u in known.loc[known["treated"] == 1, "unit"])
    publication = f"outreach:{key}:{outcome}:{len(reached_ids)}"
    return Row(
        key=key,
        label=label,
        window=window,
        estimate=est,
        reached_shown=_published(est.treated, "outreach_reached", reached_ids, publication),
        matched_shown=_published(est.matched, "outreach_matched", reached_ids, publication),
        sentence=sentence(est, window),
    )


def _evaluate(start: dt.date, end: dt.date, *, today: dt.date) -> Evaluation:
    data = panel.build(start, end, today=today)
    result = Evaluation(start=start, end=end, model_label=data.model_label, periods=len(data.periods))
    frame = data.frame
    if frame.empty:
        for outcome, window in WINDOWS:
            empty = estimator.Estimate(outcome=outcome, treated=0, matched=0, unmatched=0, controls=0)
            empty.refused = "too_few_reached"
            result.overall.append(Row("all", _("All outreach"), window, empty, 0, 0, sentence(empty, window)))
        return result
    result.reached_total = int(frame["treated"].sum())
    for outcome, window in WINDOWS:
        result.overall.append(_row("all", _("All outreach"), frame, data.covariates, outcome, window))
    first = result.overall[0].estimate
    result.naive_sentence = _naive_sentence(first)
    result.balance_sentence = _balance_sentence(first)
    result.balance = first.balance
    names = {b.code: b.display_name for b in Bureau.objects.all()}
    kinds = dict(InterventionKind.choices)
    for group in sorted(data.groups):
        kind_of, code = group.split(":", 1)
        if kind_of == "bureau":
            label = _("Cases led by %(bureau)s") % {"bureau": names.get(code, code)}
        else:
            label = _("Outreach begun with: %(kind)s") % {"kind": kinds.get(code, code)}
        result.breakdown.append(_row(group, label, panel.for_group(data, group), data.covariates, "y6", 6))
    return result
