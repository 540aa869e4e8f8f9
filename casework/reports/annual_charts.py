"""The annual report's pictures: one description of each chart, drawn as SVG by the chart kit for the page and
by reportlab for the PDF, so both show the same bars from the same published figures.

A chart is a list of rows, each with one value per series (a published count, or a share computed from
published counts); a withheld figure (``None``) has no bar, only a dash. A chart with no bar to draw is left
out (the kit's rule: never an empty axis); its table still says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

import charts
from casework.reports.annual_followup import FOLLOWUP_COLUMNS, followup_labels
from casework.words import labelled


def count_text(n: int | float | None) -> str:
    """A published count as the page shows it; a withheld one as a dash."""
    return "—" if n is None else str(n)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@dataclass(frozen=True)
class Spec:
    """One chart: rows of ``(label, [value per series])``, the series' names and colours, shares or counts."""

    id: str
    title: str
    rows: list[tuple[str, list[float | None]]]
    series: list[tuple[str, str]]
    share: bool = False
    # The step the figures come in: published counts are multiples of 5, so the axis is marked in fives.
    step: int = 5

    def text(self, value: float | None) -> str:
        return percent(value) if self.share else count_text(value)

    @property
    def empty(self) -> bool:
        return not any(v for _label, values in self.rows for v in values if v is not None)


def _counts(rows: list[dict[str, Any]], column: str = "n", *, skip_zero: bool = False):
    return [
        (r["label"], [r[column]]) for r in rows if not r.get("total") and not (skip_zero and r[column] == 0)
    ]


def annual_specs(report: dict[str, Any], override_rows: list[dict[str, Any]]) -> dict[str, Spec]:
    """Every chart of the report, by section, from its published figures."""
    one = [(_("Count"), "seg-intervention")]
    labels = followup_labels()
    followup_columns = [
        c for c in FOLLOWUP_COLUMNS[1:-1] if c != "police_contact" or report["police_readable"]
    ]
    windows = report["followup"]
    referrals = {r["key"]: r for r in report["referrals_received"] if not r["total"]}
    specs = [
        Spec("opened-chart", _("Cases opened, by concern"), _counts(report["opened"]), one),
        Spec(
            "exposure-outcomes-chart",
            _("What became of the exposure alerts: opened, not opened by reason, not decided"),
            _counts(report["exposure_outcomes"], skip_zero=True),
            one,
        ),
        Spec(
            "open-chart",
            _("Cases open at the end of the period, by concern"),
            _counts(report["open_at_end"]),
            one,
        ),
        Spec("closed-chart", _("Cases closed, by reason"), _counts(report["closed"]), one),
        Spec(
            "followup-chart",
            _("Share of closed cases with each sign after closure, within 6 and 12 months"),
            [(labels[c], [w[f"{c}_share"] for w in windows]) for c in followup_columns],
            [(w["label"], css) for w, css in zip(windows, ("seg-opened", "seg-intervention"), strict=False)],
            share=True,
        ),
        Spec(
            "referrals-chart",
            _("Referrals sent and received, by the other bureau"),
            [
                (r["label"], [r["n"], referrals[r["key"]]["n"]])
                for r in report["referrals_sent"]
                if not r["total"] and r["key"] in referrals
            ],
            [(_("Referrals sent"), "seg-opened"), (_("Referrals received"), "seg-intervention")],
        ),
        Spec("interventions-chart", _("Interventions, by kind"), _counts(report["interventions"]), one),
        Spec(
            "alerts-chart",
            _("Share of alerts decided on time, per rule"),
            [(r["label"], [r["on_time_share"]]) for r in report["alerts"] if not r["total"]],
            [(_("On-time share"), "bar-on-time")],
            share=True,
        ),
        Spec(
            "overrides-chart",
            _("Override rate, by reason given"),
            [(r["label"], [r["rate"]]) for r in override_rows],
            [(_("Override rate"), "bar-override")],
            share=True,
        ),
        Spec(
            "models-chart",
            _("Months each model version scored in"),
            [(m["version"], [len(m["months"])]) for m in report["models"]],
            [(_("Months in use"), "seg-monitoring")],
            step=1,
        ),
    ]
    return {spec.id: spec for spec in specs}


def svg_chart(spec: Spec) -> charts.Chart | None:
    """The chart as the page draws it (the chart kit), or None when it has no bar."""
    if spec.empty:
        return None
    rows = [
        charts.Row(
            label,
            [
                charts.Bar(
                    [
                        charts.Segment(
                            value or 0.0, css, title=f"{label} · {labelled(name, spec.text(value))}"
                        )
                    ],
                    text=spec.text(value),
                )
                for value, (name, css) in zip(values, spec.series, strict=True)
            ],
            title=labelled(
                label,
                " / ".join(
                    f"{name} {spec.text(v)}" for v, (name, _c) in zip(values, spec.series, strict=True)
                ),
            ),
        )
        for label, values in spec.rows
    ]
    return charts.hbar_chart(
        rows,
        id=spec.id,
        title_text=spec.title,
        tick_format=charts.percent_format if spec.share else charts.count_format,
        maximum=1.0 if spec.share else None,
        whole=not spec.share,
        legend=[charts.Series(name, css) for name, css in spec.series] if len(spec.series) > 1 else (),
    )
