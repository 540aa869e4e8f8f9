"""A committee supervisor reads the annual work report in a real browser, at a laptop's and a tablet's width in
zh-Hant, sees a picture beside every section's table, and downloads the report as PDF and XLSX."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from casework.models import (
    AlertRule,
    AuditAction,
    AuditEntry,
    Case,
    CaseStatus,
    ClosureReason,
    ConcernType,
    Intervention,
    InterventionKind,
    StatutoryDuty,
    TriageDecisionKind,
    TriageReason,
)
from tests.browser.conftest import horizontal_overflow, login, snap
from tests.casework.test_annual_report import (  # noqa: F401 - fixtures
    DAY,
    annual_world,
    decide,
    decided_world,  # noqa: F811
    pdf_text,
    period_query,
)
from tests.casework.test_reports import new_alert, new_youth

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 768, "height": 1024}


@pytest.fixture
def busy_world(decided_world):  # noqa: F811
    """Enough of a period for bars: a few dozen cases, interventions and decided exposure alerts."""
    w, now, today = decided_world, decided_world.now, decided_world.today
    # The rules the migrations seed are flushed between browser tests (transactional tests): put back the two
    # the report reads, so that every run sees the exposure rule's 14-day duty.
    common = {"trigger": "event", "route_to": ["committee"], "created_by": None}
    AlertRule.objects.get_or_create(
        key="exposure",
        is_current=True,
        defaults={
            **common, "name_zh": "曝險行為：14日內決定是否開案", "name_en": "Exposure: decide within 14 days",
            "duty_zh": "14 日內決定是否開案", "duty_en": "Decide within 14 days", "event_kind": "police_exposure",
            "deadline_days": 14, "concern": ConcernType.EXPOSURE, "statutory_duty": StatutoryDuty.EXPOSURE_14D,
        },
    )  # fmt: skip
    AlertRule.objects.get_or_create(
        key="top_band",
        is_current=True,
        defaults={
            **common, "trigger": "score", "bands": ["very_high"], "name_zh": "高風險分數且無開案：少輔會分案",
            "name_en": "Top band, no case", "duty_zh": "7 日內分案", "duty_en": "Triage within 7 days",
            "deadline_days": 7, "concern": ConcernType.HIGH_CONCERN,
        },
    )  # fmt: skip
    concerns = [ConcernType.EXPOSURE, ConcernType.HIGH_CONCERN, ConcernType.DEVIANT, ConcernType.OFFENCE]
    reasons = [ClosureReason.GOALS_MET, ClosureReason.MOVED_AWAY, ClosureReason.DECLINED]
    for i in range(24):
        closed = i % 3 == 0
        case = Case.objects.create(
            youth=new_youth(f"忙碌{i}"),
            lead_bureau=w.b.committee,
            assignee=w.u.guidance,
            opened_by=w.u.guidance,
            concern=concerns[i % 4],
            status=CaseStatus.CLOSED if closed else CaseStatus.INTERVENTION,
            opened_at=now - (40 - i) * DAY,
            closed_at=now - 2 * DAY if closed else None,
            closure_reason=reasons[i % 3] if closed else "",
        )
        for k in range(2):
            Intervention.objects.create(
                case=case,
                kind=[
                    InterventionKind.HOME_VISIT,
                    InterventionKind.COUNSELLING,
                    InterventionKind.FAMILY_MEETING,
                ][(i + k) % 3],
                occurred_on=today - (i % 20 + k) * DAY,
                worker=w.u.guidance,
            )
    # Cases closed 6 to 8 months ago, whose 6-month follow-up ended in the period; a new alert after some.
    for i in range(14):
        case = Case.objects.create(
            youth=new_youth(f"追蹤{i}"),
            lead_bureau=w.b.committee,
            assignee=w.u.guidance,
            opened_by=w.u.guidance,
            concern=ConcernType.EXPOSURE,
            status=CaseStatus.CLOSED,
            opened_at=now - 400 * DAY,
            closed_at=now - (190 + i) * DAY,
            closure_reason=ClosureReason.GOALS_MET,
        )
        if i % 2:
            new_alert(
                w.b.committee, "top_band", raised=now - 120 * DAY, due=now - 110 * DAY, youth=case.youth
            )
    raised = now - 25 * DAY
    outcomes = [
        (TriageDecisionKind.OPEN_CASE, TriageReason.LEGAL_DUTY, 5),
        (TriageDecisionKind.NO_ACTION, TriageReason.NO_CONCERN, 6),
        (TriageDecisionKind.REFER, TriageReason.BETTER_PLACED, 8),
    ]
    for i in range(21):
        decision, reason, after = outcomes[i % 3]
        alert = new_alert(
            w.b.committee, "exposure", raised=raised, due=raised + 14 * DAY, resolved=raised + after * DAY
        )
        decide(w, alert, decision, reason, at=raised + after * DAY)
    return w


@pytest.mark.parametrize("viewport", [LAPTOP, TABLET], ids=["1366", "768"])
def test_the_supervisor_reads_every_section_with_its_picture_and_downloads_pdf_and_xlsx(
    new_page, live_server, busy_world, viewport
):
    w = busy_world
    page = new_page(viewport=viewport)
    login(page, live_server, "supervisor")
    query = "&".join(f"{k}={v}" for k, v in period_query(w).items())
    page.goto(f"{live_server.url}/reports/annual/?{query}")
    assert page.locator("html").get_attribute("lang").lower().startswith("zh-hant")
    assert page.locator("h1").inner_text().startswith("年度工作報告")
    # A picture for every section that has figures to draw, each named, drawn at a readable width; a chart
    # is left out only where its table has nothing but zeros and dashes to draw.
    charts = {
        "opened-chart": "opened-table", "exposure-outcomes-chart": "not-opened-table", "open-chart": "open-table",
        "closed-chart": "closed-table", "followup-chart": "followup-table", "referrals-chart": "sent-table",
        "interventions-chart": "interventions-table", "alerts-chart": "alerts-table",
        "overrides-chart": "overrides-table", "models-chart": "models-table",
    }  # fmt: skip
    drawn = 0
    for chart, table_id in charts.items():
        svg = page.locator(f'svg[aria-labelledby="{chart}-title"]')
        if svg.count():
            drawn += 1
            assert svg.bounding_box()["width"] > 300, chart
            assert svg.locator("rect.bar").count() > 0, chart  # never an empty axis
        else:
            cells = page.locator(f"#{table_id} tbody td.num").all_inner_texts()
            assert chart in ("followup-chart", "alerts-chart", "overrides-chart") or not any(
                c.strip() not in ("0", "—", "") for c in cells
            ), (chart, cells)
    assert drawn >= 7
    assert page.locator("#not-opened-table tfoot td").inner_text() not in ("0", "—")
    assert page.locator("#not-opened-table").is_visible() and page.locator("#followup-table").is_visible()
    # Nothing spills out of the page sideways (wide tables scroll inside their own box).
    scroll_width, width = horizontal_overflow(page)
    assert scroll_width <= width
    snap(page, f"annual-report-{viewport['width']}")

    with page.expect_download() as info:
        page.locator("#export-annual-pdf").click()
    pdf = Path(info.value.path()).read_bytes()
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT, detail__format="pdf").get()
    assert info.value.suggested_filename == f"annual-report-committee-export-{entry.pk:06d}.pdf"
    text = pdf_text(pdf)
    assert "一、受理轉介與開案" in text and "結案後追蹤" in text and "匯出者：supervisor" in text

    with page.expect_download() as info:
        page.locator("#export-annual").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    xlsx = AuditEntry.objects.filter(action=AuditAction.EXPORT, detail__format="xlsx").get()
    assert workbook.properties.identifier == str(xlsx.pk)
    assert xlsx.username == "supervisor" and xlsx.detail["object_type"] == "report_annual"
