"""Every chart of the site, in a real browser: no label drawn over another, none cut at its chart's edge, and
no chart wider than the page, in Traditional Chinese and in English, at a laptop's width (1366) and a
tablet's (768).

The pages are every page that prints a chart of the kit (``charts/``): the model report (the active model's
and a candidate's, with its comparison, drift over runs and fairness picture), the supervisors' caseload,
alert-deadline and override reports, the annual work report, the outreach evaluation and the youth page's
score line and reason bars. Each page is read as a role that may open it, with small hand-built data made
once; one browser does it all. For each ``svg`` of the kit the page's own layout is measured (the boxes
Chromium gives each ``text``, in the fonts the page asks for), so a wrong width estimate in ``charts.text``
shows here. Screenshots: test-artifacts/screenshots/chart_labels_*.png (the whole page) and, with
``CHART_SNAPS=1``, one per chart in test-artifacts/screenshots/chart_labels/.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from django.utils import timezone

from casework.models import RiskScore
from riskmodel import indicators, service
from riskmodel.models import ModelStatus, ScoringRun
from tests.browser.conftest import SCREENSHOT_DIR, horizontal_overflow, html_lang, login, snap
from tests.browser.test_annual_report_browser import busy_world  # noqa: F401 - fixture
from tests.browser.test_evaluation_browser import simulated  # noqa: F401 - fixture
from tests.casework.test_annual_report import (  # noqa: F401 - fixtures
    annual_world,
    decided_world,
    period_query,
)
from tests.casework.test_reports import alert_world, caseload_world, override_world  # noqa: F401 - fixtures
from tests.riskmodel.test_registry_pages import build_risk_model

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"laptop": {"width": 1366, "height": 900}, "tablet": {"width": 768, "height": 1024}}
LANGUAGES = {"zh-hant": "zh-Hant", "en": "en"}
TOLERANCE = 1.0  # px a box may overlap another or cross its chart's edge (anti-aliasing, rounding)

# Every svg the kit draws: charts with axes (.chart-svg), the youth page's score line and its reason bars.
KIT_SVGS = "svg.chart-svg, svg.score-history, svg.bar"

# For each svg of the kit: its name, its box, the box it can be seen in (its own, cut by any ancestor that
# clips or scrolls), and every non-empty text's box, in CSS pixels of the page.
MEASURE = """
(selector) => {
  const box = (r) => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll(selector)).map((svg, index) => {
    const own = box(svg.getBoundingClientRect());
    const visible = {...own};
    for (let el = svg.parentElement; el && el !== document.documentElement; el = el.parentElement) {
      const style = getComputedStyle(el);
      if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
      const r = el.getBoundingClientRect();
      const left = r.left + el.clientLeft, top = r.top + el.clientTop;
      visible.left = Math.max(visible.left, left);
      visible.top = Math.max(visible.top, top);
      visible.right = Math.min(visible.right, left + el.clientWidth);
      visible.bottom = Math.min(visible.bottom, top + el.clientHeight);
    }
    const labelled = svg.getAttribute('aria-labelledby');
    const name = labelled ? labelled.replace(/-title$/, '') : `${svg.getAttribute('class')}#${index}`;
    const texts = Array.from(svg.querySelectorAll('text'))
      .filter((t) => t.textContent.trim())
      .map((t) => ({text: t.textContent, css: t.getAttribute('class') || '', ...box(t.getBoundingClientRect())}));
    return {name, own, visible, page: width, texts};
  });
}
"""


def problems_in(charts: list[dict]) -> list[str]:
    """What a reader would see wrong: labels over one another, labels cut at the chart's visible edge, a
    chart wider than the page."""
    found = []
    for chart in charts:
        own, visible, name = chart["own"], chart["visible"], chart["name"]
        if own["right"] - own["left"] <= 0:
            continue  # not laid out (a closed disclosure): nothing to see
        if own["left"] < -TOLERANCE or own["right"] > chart["page"] + TOLERANCE:
            found.append(f"{name}: the chart ({own['left']:.0f}–{own['right']:.0f}) overflows the page")
        texts = chart["texts"]
        for t in texts:
            cut = [
                side
                for side, outside in (
                    ("left", t["left"] < visible["left"] - TOLERANCE),
                    ("right", t["right"] > visible["right"] + TOLERANCE),
                    ("top", t["top"] < visible["top"] - TOLERANCE),
                    ("bottom", t["bottom"] > visible["bottom"] + TOLERANCE),
                )
                if outside
            ]
            if cut:
                found.append(f"{name}: {t['text']!r} ({t['css']}) is cut at the {'/'.join(cut)}")
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                across = min(a["right"], b["right"]) - max(a["left"], b["left"])
                down = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
                if across > TOLERANCE and down > TOLERANCE:
                    found.append(
                        f"{name}: {a['text']!r} ({a['css']}) and {b['text']!r} ({b['css']}) overlap "
                        f"by {across:.1f}×{down:.1f}px"
                    )
    return found


# ---------------------------------------------------------------------------------------------------------
# The data: small, made once
# ---------------------------------------------------------------------------------------------------------

DRIFTED = [k for k in indicators.KEYS if k != "age_years"][:8]


def _distributions(shift: float) -> dict:
    out = {"__score__": {"edges": [0.02, 0.05], "p": [0.6 - shift, 0.3, 0.1 + shift]}}
    for n, key in enumerate(DRIFTED):
        s = shift * (n % 4) / 3
        out[key] = {"edges": [1, 3], "p": [0.7 - s, 0.2, 0.1 + s]}
    return out


def _runs(model) -> None:
    """Three scoring runs, each drifting a little further, as score_youth records them."""
    reference = _distributions(0.0)
    previous = None
    for n, shift in enumerate((0.1, 0.2, 0.35)):
        current = _distributions(shift)
        figures = {
            "bands": {"very_high": 18, "high": 72, "medium": 180, "low": 630},
            "distributions": current,
            "drift_vs_training": service.drift(reference, current),
        }
        as_of = dt.date(2025, 7 + n, 1)
        if previous is not None:
            figures["drift_vs_previous_run"] = {
                "as_of": dt.date(2025, 6 + n, 1).isoformat(),
                **service.drift(previous, current),
            }
        ScoringRun.objects.create(model=model, as_of=as_of, scored=900, figures=figures)
        previous = current


def _scores(youth) -> None:
    """A score over four runs with reasons, for the youth page's line and bars."""
    reasons = [
        {
            "key": key, "direction": "up" if shap > 0 else "down", "value": 1, "shap": shap, "source": "police",
            "reads": ["police"], "text_zh": f"{key} 的說明文字", "text_en": f"{key}: what it says",
        }
        for key, shap in (("police_offence_contacts_365d", 0.8), ("unexcused_absence_days_90d", -0.2))
    ]  # fmt: skip
    for n, value in enumerate((0.02, 0.05, 0.04, 0.09)):
        RiskScore.objects.create(
            youth=youth, as_of=timezone.localdate() - dt.timedelta(days=30 * (3 - n)), score=value,
            band="very_high" if value > 0.05 else "high", rank=10 + n, model_version="risk-v9", reasons=reasons,
        )  # fmt: skip


def _pages(world) -> list[str]:
    active = build_risk_model(version=1, status=ModelStatus.ACTIVE, seed=3)
    candidate = build_risk_model(version=2, gate_passed=False, seed=7)
    _runs(active)
    _runs(candidate)
    _scores(world.y.case)
    annual = "&".join(f"{k}={v}" for k, v in period_query(world).items())
    return [
        "/models/active/",
        f"/models/{candidate.version}/",
        "/reports/caseload/",
        "/reports/alerts/",
        "/reports/overrides/",
        f"/reports/annual/?{annual}",
        "/evaluation/",
        f"/youth/{world.y.case.public_id}/",
    ]


# ---------------------------------------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------------------------------------


def _snap_charts(page, name: str) -> None:
    """One screenshot per chart, to look at (CHART_SNAPS=1)."""
    folder = SCREENSHOT_DIR / "chart_labels"
    folder.mkdir(parents=True, exist_ok=True)
    for n, svg in enumerate(page.locator("svg.chart-svg").all()):
        if svg.is_visible():
            label = svg.get_attribute("aria-labelledby") or str(n)
            svg.screenshot(path=str(folder / f"{name}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}.png"))


def test_no_chart_label_is_cut_or_drawn_over_another(
    new_page,
    live_server,
    world,
    busy_world,  # noqa: F811 - first: it counts the exposure alerts of the world it is given
    caseload_world,  # noqa: F811
    alert_world,  # noqa: F811
    override_world,  # noqa: F811
    simulated,  # noqa: F811
):
    pages = _pages(world)
    page = new_page(viewport=WIDTHS["laptop"])
    page.set_default_timeout(60_000)  # a whole model report in a CJK font takes a while to capture
    login(page, live_server, "supervisor")
    found: list[str] = []
    seen: dict[str, int] = {}
    for language, lang_attr in LANGUAGES.items():
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        for path in pages:
            page.set_viewport_size(WIDTHS["laptop"])
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, f"{path}: {response.status}"
            assert html_lang(page).startswith(lang_attr), (path, html_lang(page))
            # Charts inside a closed disclosure are laid out too.
            page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
            for width_name, viewport in WIDTHS.items():
                page.set_viewport_size(viewport)
                measured = page.evaluate(MEASURE, KIT_SVGS)
                seen[path] = max(seen.get(path, 0), len(measured))
                where = f"{path} [{language}, {viewport['width']}]"
                found += [f"{where} {p}" for p in problems_in(measured)]
                scroll, inner = horizontal_overflow(page)
                if scroll > inner + 1:
                    found.append(f"{where} the page scrolls sideways: {scroll} > {inner}")
                short = (
                    "youth" if path.startswith("/youth/") else path.strip("/").split("?")[0].replace("/", "_")
                )
                name = f"chart_labels_{short}_{language}_{width_name}"
                snap(page, name)
                if os.environ.get("CHART_SNAPS") == "1":
                    _snap_charts(page, name)
    empty = [path for path in pages if not seen.get(path)]
    assert not empty, f"pages without a chart to measure: {empty}"
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found)
