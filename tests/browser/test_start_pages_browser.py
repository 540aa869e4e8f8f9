"""Each person's start page is their work (issue 17), in a real browser, in Traditional Chinese, at a laptop's
width (1366) and a tablet's (768): every role's panels are there with their counts, urgent work stands out, and
nothing overflows the page sideways. Screenshots land in test-artifacts/screenshots/start_*.png.

Assertions lean on ids, data attributes, counts and youth IDs rather than on translated text.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casework.models import AlertStatus, ClosureReason, Role
from tests.browser.conftest import (
    current_totp_code,
    ensure_authenticator,
    horizontal_overflow,
    html_lang,
    snap,
)
from tests.fixtures import PASSWORD, actor, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"1366": {"width": 1366, "height": 900}, "768": {"width": 768, "height": 1024}}

# role -> {panel: count} in the world below
EXPECTED = {
    "officer": {},
    "supervisor": {
        "closures": 1,
        "escalations": 0,
        "access_reviews": 0,
        "meeting_shares": 1,
        "overrides_to_decide": 1,
        "meetings": 1,
        "action_items": 1,
    },
    "police_supervisor": {"closures": 0, "escalations": 1, "access_reviews": 1},
    "steward": {"quarantine": 4, "review_pairs": 1, "contests": 1, "retention": 1},
    "modeller": {"candidates": 1, "drift": 2, "overrides_proposed": 1},
    "auditor": {"access_reviews": 1, "meeting_shares": 1, "retention": 1, "denials": 1, "lockouts": 0},
    "admin": {"account_changes": 1, "locked_sign_ins": 1},
    "secretariat": {"meetings": 1, "action_items": 1},
}


def sign_in(page, live_server, username: str) -> None:
    ensure_authenticator(username)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("form:has(#id_username) button[type=submit]").click()
    if page.url.startswith(f"{live_server.url}/account/second-factor/verify/"):
        page.fill("#id_code", current_totp_code(username))
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()
    assert page.url == f"{live_server.url}/", f"{username} did not reach the start page (at {page.url})"


def build_work(w):
    """One piece of waiting work for every panel."""
    from axes.models import AccessAttempt

    from accounts.models import AccountChangeKind, AccountChangeRequest
    from casework.access.services import grant_access
    from casework.cases import services as case_services
    from casework.meetings import services as meeting_services
    from casework.youth import services as youth_services
    from integrations.corrections.services import file_contest
    from integrations.feeds.importing import import_rows
    from riskmodel.models import ModelStatus, PromotionOverride, ScoringRun
    from tests.linkage_fixtures import build_linkage
    from tests.riskmodel.test_registry_pages import build_risk_model

    welfare = {"name": "王小明", "sex": "M", "reported_on": "2024-02-10", "level": "high"}
    import_rows(
        feed="welfare.reports",
        rows=[
            {**welfare, "report_no": "W-CP", "birth_date": "2010-02-30", "kind": "兒少保護", "reason_codes": "physical"},
            {**welfare, "report_no": "W-FF", "birth_date": "2010-13-01", "kind": "fragile_family"},
        ],
    )  # fmt: skip
    import_rows(
        feed="school.absences",
        rows=[
            {
                "absence_no": f"A-{i}",
                "school_code": "J01",
                "student_no": "S-001",
                "date": "bad",
                "kind": "曠課",
            }
            for i in range(2)
        ],
    )
    build_linkage()
    file_contest(
        actor=actor(w.u.officer), youth=w.y.alert, event_id=w.alert.source_event_id, contested_by="guardian",
        part="not_them", statement="The guardian says the youth was at home that night.",
    )  # fmt: skip
    youth_services.create_youth(name="辛過期", birth_date=w.today - dt.timedelta(days=40 * 365), sex="F")
    case_services.move_case(
        actor=actor(w.u.guidance), case=w.case, move="request_closure", expected_version=w.case.version,
        closure_reason=ClosureReason.DECLINED, note="The family declined voluntary guidance.",
    )  # fmt: skip
    type(w.alert).objects.filter(pk=w.alert.pk).update(status=AlertStatus.ESCALATED)
    grant_access(
        actor=actor(w.u.officer), youth=[w.y.none], bureau=w.b.police, purpose_code="new_report",
        purpose_text="Report received from a school tonight",
    )  # fmt: skip
    meeting = meeting_services.schedule_meeting(
        actor=actor(w.u.secretariat), title="十二月聯繫會議", starts_at=w.now + dt.timedelta(days=3),
        chair=w.u.supervisor, invited_bureaus=[w.b.police, w.b.committee], invitees=[w.u.officer],
    )  # fmt: skip
    item = meeting_services.add_item(
        actor=actor(w.u.secretariat), meeting=meeting, summary="深夜遊蕩：協調", youth=w.y.alert
    )
    meeting_services.add_action_item(
        actor=actor(w.u.secretariat), item=item, text="聯繫家長並安排家訪", due_on=w.today - dt.timedelta(days=2),
        owner_user=w.u.officer,
    )  # fmt: skip
    meeting_services.share_item(
        actor=actor(w.u.secretariat), item=item, bureau=w.b.police, sources=["school"], case_content=False,
        reason="The police plan the school visit with the committee.",
    )  # fmt: skip
    active = build_risk_model(version=1, status=ModelStatus.ACTIVE)
    failed = build_risk_model(version=2, gate_passed=False)
    PromotionOverride.objects.create(
        model=failed, reason="The test months were too few for this city.", proposed_by=w.u.modeller
    )
    ScoringRun.objects.create(
        model=active, as_of=w.today, scored=120,
        figures={"drift_vs_training": {
            "psi": {"__score__": 0.3, "unexcused_absence_days_90d": 0.4},
            "levels": {"__score__": "major", "unexcused_absence_days_90d": "major"},
        }},
    )  # fmt: skip
    other = make_user("admin2", w.b.committee, Role.ADMINISTRATOR, is_staff=True)
    AccountChangeRequest.objects.create(
        kind=AccountChangeKind.PASSWORD, target=w.u.officer, proposed_by=other
    )
    AccessAttempt.objects.create(
        username="social", ip_address="10.0.0.1", user_agent="x", http_accept="*/*", path_info="/accounts/login/",
        get_data="", post_data="", failures_since_start=5, attempt_time=timezone.now(),
    )  # fmt: skip


def test_every_roles_start_page_shows_its_work_at_laptop_and_tablet_width(new_page, live_server, world):
    build_work(world)
    # One refused request for the auditor's panel: the officer tries the audit log.
    refused = new_page()
    sign_in(refused, live_server, "officer")
    refused.goto(f"{live_server.url}/audit/")
    for username, expected in EXPECTED.items():
        for width, viewport in WIDTHS.items():
            page = new_page(viewport=viewport)
            sign_in(page, live_server, username)
            assert html_lang(page) == "zh-Hant-TW"
            shown = page.locator("section.start-panel").evaluate_all(
                "els => Object.fromEntries(els.map(e => [e.dataset.panel, Number(e.dataset.count)]))"
            )
            assert shown == expected, f"{username} at {width}: {shown}"
            for key in expected:
                panel = page.locator(f"#panel-{key}")
                expect(panel.locator("h2")).to_be_visible()
                expect(panel.locator(".start-panel-why")).not_to_be_empty()
                expect(panel.locator("a.start-go")).to_have_count(1)
            scroll_width, inner_width = horizontal_overflow(page)
            assert scroll_width <= inner_width + 1, (
                f"{username} at {width}: {scroll_width}px in {inner_width}px"
            )
            snap(page, f"start_{username}_{width}")
    # The child-protection report held back by a birth-date typo stands out; the absences do not.
    page = new_page(viewport=WIDTHS["1366"])
    sign_in(page, live_server, "steward")
    urgent = page.locator("#panel-quarantine li.start-line-urgent")
    expect(urgent).to_have_count(1)
    expect(urgent).to_contain_text("welfare.reports")
    expect(page.locator("#panel-quarantine")).to_have_class("card start-panel start-panel-urgent")
    flag_colour = urgent.locator(".start-flag").evaluate("e => getComputedStyle(e).backgroundColor")
    plain = page.locator("#panel-quarantine li:not(.start-line-urgent)").first
    assert plain.evaluate("e => getComputedStyle(e).backgroundColor") != urgent.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert flag_colour not in ("rgba(0, 0, 0, 0)", "transparent")
    # A line's link opens the page where the work is done.
    with page.expect_navigation():
        urgent.locator("a").click()
    assert "/integrations/quarantine/" in page.url
