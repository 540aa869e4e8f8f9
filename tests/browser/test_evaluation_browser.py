"""Does outreach help? The supervisors' evaluation page in a real browser, in Traditional Chinese, at a laptop's
width (1366) and a tablet's (768), on a simulated city whose effect of outreach is known. Screenshots land in
test-artifacts/screenshots/evaluation_*.png."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from integrations.synthetic.city import simulate_city
from integrations.synthetic.simulate import Outreach
from riskmodel.evaluation import panel, report
from tests.browser.conftest import (
    current_totp_code,
    ensure_authenticator,
    horizontal_overflow,
    html_lang,
    snap,
)
from tests.fixtures import PASSWORD

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from evaluation import START, panel_from_simulation  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def simulated(monkeypatch):
    sim = simulate_city(youth=12_000, years=4, seed=6, start=START, outreach=Outreach(effect=0.6))
    frame, covariates = panel_from_simulation(sim)
    frame["band"] = 0
    frame["as_of"] = [dt.date(2021, 1, 1) + dt.timedelta(days=31 * int(p)) for p in frame["period"]]
    frame["youth_id"] = frame["unit"]
    # Two bureaus' first cases, to draw the breakdown: every reached youth by one or the other.
    reached = frame.loc[frame["treated"] == 1, ["youth_id", "as_of"]]
    months = {
        int(y): (d - dt.timedelta(days=1)).replace(day=1)
        for y, d in zip(reached["youth_id"], reached["as_of"], strict=True)
    }
    groups = {
        "bureau:welfare": {y: m for y, m in months.items() if y % 3},
        "bureau:police": {y: m for y, m in months.items() if not y % 3},
    }
    built = panel.Panel(frame, covariates, sorted(set(frame["as_of"])), "risk-v9", {}, groups)
    monkeypatch.setattr(report.panel, "build", lambda start, end, today: built)
    return built


def sign_in(page, live_server, username: str) -> None:
    ensure_authenticator(username)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("form:has(#id_username) button[type=submit]").click()
    if "/second-factor/verify/" in page.url:
        page.fill("#id_code", current_totp_code(username))
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()


@pytest.mark.parametrize("width", [1366, 768])
def test_a_supervisor_reads_whether_outreach_helped(new_page, live_server, world, simulated, width):
    page = new_page(viewport={"width": width, "height": 1000})
    sign_in(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/reports/")
    page.locator("nav.report-nav a[href='/evaluation/']").click()
    page.wait_for_url(f"{live_server.url}/evaluation/")
    assert html_lang(page).startswith("zh")
    assert page.locator("#verdict-6").inner_text().startswith("其後 6 個月內")
    assert page.locator("svg[aria-labelledby='overall-chart-title'] circle").count() == 4  # 2 windows × 2
    assert page.locator("svg[aria-labelledby='breakdown-chart-title'] text.label").count() == 2
    assert page.locator("#balance-table tbody tr").count() == min(12, len(simulated.covariates))
    scroll, viewport = horizontal_overflow(page)
    assert scroll <= viewport + 1, f"the page scrolls sideways at {width}: {scroll} > {viewport}"
    snap(page, f"evaluation_{width}")
    # A worker does not get the page.
    other = new_page(viewport={"width": width, "height": 1000})
    sign_in(other, live_server, "social")
    response = other.goto(f"{live_server.url}/evaluation/")
    assert response.status == 403
