"""A model steward reads a risk model's report in a real browser, in Traditional Chinese, on a laptop and a
tablet, makes the candidate active with a written reason, and opens its model card.

Assertions lean on URLs, ids and numbers rather than on translated text.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from riskmodel import service
from riskmodel.models import ModelStatus, RiskModel, ScoringRun
from tests.browser.conftest import DESKTOP, TABLET, horizontal_overflow, html_lang, login, nav_hrefs, snap
from tests.riskmodel.test_registry_pages import build_risk_model

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REGISTRY = "/models/"


def _scored(model: RiskModel) -> None:
    """One scoring run with drift figures, as score_youth records them."""
    reference = {
        "__score__": {"edges": [0.02, 0.05], "p": [0.6, 0.3, 0.1]},
        "unexcused_absence_days_90d": {"edges": [1, 3], "p": [0.7, 0.2, 0.1]},
        "age_years": {"edges": [14, 16], "p": [0.34, 0.33, 0.33]},
    }
    current = {
        "__score__": {"edges": [0.02, 0.05], "p": [0.5, 0.35, 0.15]},
        "unexcused_absence_days_90d": {"edges": [1, 3], "p": [0.45, 0.3, 0.25]},
        "age_years": {"edges": [14, 16], "p": [0.34, 0.33, 0.33]},
    }
    ScoringRun.objects.create(
        model=model,
        as_of=dt.date(2025, 7, 1),
        scored=900,
        figures={
            "bands": {"very_high": 18, "high": 72, "medium": 180, "low": 630},
            "distributions": current,
            "drift_vs_training": service.drift(reference, current),
        },
    )


def test_modeller_reads_the_report_promotes_the_candidate_and_opens_the_card(page, live_server, world):
    old = build_risk_model(version=1, status=ModelStatus.ACTIVE, seed=3)
    candidate = build_risk_model(version=2, gate_passed=False, seed=7)
    _scored(old)
    _scored(candidate)  # a shadow run of the candidate, so its report shows drift too

    login(page, live_server, "modeller")
    assert html_lang(page) == "zh-Hant-TW"
    assert REGISTRY in nav_hrefs(page)
    page.locator(f'header nav a[href="{REGISTRY}"]').click()
    expect(page).to_have_url(f"{live_server.url}{REGISTRY}")
    expect(page.locator("#registry tbody tr")).to_have_count(2)
    # Newest first.
    expect(page.locator("#registry tbody tr").first).to_have_attribute("data-version", "2")
    snap(page, "30_modeller_model_registry")

    page.locator('#registry a[href="/models/2/"]').click()
    expect(page).to_have_url(f"{live_server.url}/models/2/")
    auc = f"{candidate.metrics['test']['roc_auc']:.3f}"
    expect(page.locator('#metrics-table tr[data-metric="roc_auc"] td.model-value')).to_have_text(auc)
    for band in candidate.report["bands"]["table"]:
        cell = page.locator(f'#bands-table tr[data-band="{band["band"]}"] td.observed')
        expect(cell).to_have_text(f"{band['observed_rate'] * 100:.1f}%")
    # Every chart is an inline SVG followed by its table.
    for section in ("bands", "capacity", "calibration", "importance", "beeswarm", "drift"):
        expect(page.locator(f"#{section} svg.chart-svg")).to_be_visible()
        expect(page.locator(f"#{section} table").first).to_be_visible()
    expect(page.locator("#beeswarm svg path.bee").first).to_be_attached()
    expect(page.locator("#fairness table.fairness[id^=fairness-]")).to_have_count(
        len(candidate.fairness["by_attribute"])
    )
    expect(page.locator("#comparison")).to_contain_text("risk-v1")
    expect(
        page.locator('#drift-table tr[data-indicator="unexcused_absence_days_90d"] .level-major')
    ).to_be_visible()
    snap(page, "31_modeller_model_report_laptop")

    page.set_viewport_size(TABLET)
    scroll_width, inner_width = horizontal_overflow(page)
    assert scroll_width <= inner_width + 1, f"report is {scroll_width}px wide in a {inner_width}px tablet"
    snap(page, "32_modeller_model_report_tablet")
    page.set_viewport_size(DESKTOP)

    # The gate failed: nobody makes it active alone. The browser will not send a proposal without a reason.
    reason = "試辦期間由委員會審閱後啟用：測試月份太少，無法判斷，委員會同意先行使用並每月覆核"
    page.locator("#propose-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/models/2/")
    assert RiskModel.objects.get(version=2).status == ModelStatus.CANDIDATE
    page.fill("#override-reason-input", reason)
    with page.expect_navigation():
        page.locator("#propose-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/models/2/")
    # Proposed, not yet active: a supervisor of the committee decides.
    assert RiskModel.objects.get(version=2).status == ModelStatus.CANDIDATE
    snap(page, "33_modeller_override_proposed")
    page.context.clear_cookies()
    login(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/models/2/")
    with page.expect_navigation():
        page.locator("#approve-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/models/2/")
    expect(page.locator("#model-status")).to_have_class("status status-active")
    expect(page.locator("#override-reason")).to_contain_text(reason)
    assert RiskModel.objects.get(version=2).status == ModelStatus.ACTIVE
    assert RiskModel.objects.get(version=1).status == ModelStatus.RETIRED
    snap(page, "34_supervisor_override_approved")

    page.locator("#card-link").click()
    expect(page).to_have_url(f"{live_server.url}/models/2/card/")
    expect(page.locator("section.model-card-section")).to_have_count(9)
    expect(page.locator("#caveats")).to_contain_text("試辦期間由委員會審閱後啟用")  # the approved reason
    snap(page, "34_modeller_model_card")
    page.set_viewport_size(TABLET)
    scroll_width, inner_width = horizontal_overflow(page)
    assert scroll_width <= inner_width + 1, f"card is {scroll_width}px wide in a {inner_width}px tablet"
    snap(page, "35_modeller_model_card_tablet")
