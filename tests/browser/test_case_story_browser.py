"""The case as one story in a real browser, in Traditional Chinese, at 1366 and 768 pixels wide (issue 17).

A social worker writes a structured plan (a need, a goal, two planned services, one of them not done) and asks
to close the case; a welfare supervisor reads the story, sees the step never done and approves the closure
acknowledging it. Assertions lean on ids, URLs and the database; screenshots are named ``story_``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from casework.cases import services as case_services
from casework.models import (
    Case,
    CaseStatus,
    ClosureAcknowledgement,
    ClosureReason,
    ConcernType,
    PlannedService,
    Role,
)
from tests.browser.conftest import TABLET, horizontal_overflow, login, snap
from tests.fixtures import actor, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1366, "height": 900}


def fits(page, what: str) -> None:
    scroll_width, inner_width = horizontal_overflow(page)
    assert scroll_width <= inner_width, (
        f"{what}: the page is {scroll_width}px wide in a {inner_width}px window"
    )


def test_a_social_worker_plans_and_a_supervisor_approves_closure_acknowledging_a_step_not_done(
    new_page, live_server, world
):
    case = Case.objects.create(
        youth=world.y.referred,
        lead_bureau=world.b.welfare,
        assignee=world.u.social,
        opened_by=world.u.social,
        concern=ConcernType.PROTECTION,
        summary="家庭經濟困難，需要支持",
    )
    make_user("welfare_supervisor", world.b.welfare, Role.SUPERVISOR)
    case_path = f"{live_server.url}/cases/{case.pk}/"

    # -- the social worker writes the plan -------------------------------------------------------------
    page = new_page(WIDE)
    login(page, live_server, "social")
    page.goto(case_path)
    assert page.locator("html").get_attribute("lang").startswith("zh")
    page.locator("details:has(form.need-form) > summary").click()
    page.select_option("#id_need_area", "family")
    page.fill("#id_need_finding", "父母分居，母親獨力照顧三名子女")
    with page.expect_navigation():
        page.locator("form.need-form button[type=submit]").click()
    page.locator("details:has(form[action$='/plan/goals/']) > summary").click()
    page.select_option("#id_goal_area", "family")
    page.fill("#id_goal_text", "三個月內穩定家庭收入，少年每週與父親聯繫")
    with page.expect_navigation():
        page.locator("form[action$='/plan/goals/'] button[type=submit]").click()
    for description, owner_bureau in (("申請急難救助", "welfare"), ("安排父子會談", "committee")):
        page.locator("details:has(form[action$='/plan/services/']) > summary").click()
        page.fill("#id_service_description", description)
        page.select_option("#id_service_goal", index=1)
        page.select_option("#id_service_owner_bureau", str(getattr(world.b, owner_bureau).pk))
        page.fill("#id_service_due_on", world.today.isoformat())
        with page.expect_navigation():
            page.locator("form[action$='/plan/services/'] button[type=submit]").click()
    services = {s.description: s for s in PlannedService.objects.filter(case=case)}
    assert set(services) == {"申請急難救助", "安排父子會談"}
    # One step done, the other not done (with its reason).
    done, undone = services["申請急難救助"], services["安排父子會談"]
    page.locator(f"#service-{done.pk} details > summary").click()
    page.select_option(f"#id_service_{done.pk}_status", "done")
    with page.expect_navigation():
        page.locator(f"#service-{done.pk} button[type=submit]").click()
    page.locator(f"#service-{undone.pk} details > summary").click()
    page.select_option(f"#id_service_{undone.pk}_status", "not_done")
    page.fill(f"#id_service_{undone.pk}_not_done_reason", "父親拒絕會談")
    with page.expect_navigation():
        page.locator(f"#service-{undone.pk} button[type=submit]").click()
    undone.refresh_from_db()
    assert undone.status == "not_done" and undone.not_done_reason == "父親拒絕會談"
    expect(page.locator(f"#service-{undone.pk} .service-status")).to_have_text("未完成")
    expect(page.locator("ol.case-story li.story-plan").first).to_be_visible()
    snap(page, "story_01_social_plan_1366")
    page.set_viewport_size(TABLET)
    page.reload()
    fits(page, "the case page at 768 px")
    snap(page, "story_02_social_plan_768")

    case_services.move_case(
        actor=actor(world.u.social),
        case=case,
        move="request_closure",
        expected_version=Case.objects.get(pk=case.pk).version,
        closure_reason=ClosureReason.DECLINED,
        note="家長婉拒後續服務",
    )
    page.reload()
    expect(page.locator(".why-no-approve")).to_be_visible()
    snap(page, "story_03_social_why_no_approve_768")

    # -- the supervisor approves, acknowledging the step never done -------------------------------------
    boss = new_page(WIDE)
    login(boss, live_server, "welfare_supervisor")
    boss.goto(case_path)
    panel = boss.locator("form.closure-decision")
    expect(panel.locator(".undone-steps li")).to_have_count(1)
    expect(panel.locator(".undone-steps")).to_contain_text("安排父子會談")
    checkbox = panel.locator("#id_approve_closure_acknowledge_undone")
    assert checkbox.get_attribute("required") is not None
    snap(boss, "story_04_supervisor_approve_1366")
    boss.set_viewport_size(TABLET)
    boss.reload()
    fits(boss, "the approval at 768 px")
    snap(boss, "story_05_supervisor_approve_768")
    checkbox.check()
    with boss.expect_navigation():
        panel.locator("button[type=submit]").click()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CLOSED
    ack = ClosureAcknowledgement.objects.get(case=case)
    assert [s["description"] for s in ack.steps] == ["安排父子會談"]
    boss.goto(case_path)
    expect(boss.locator("ol.case-story li.story-closure")).to_contain_text("安排父子會談")
    snap(boss, "story_06_supervisor_closed_story_768")

    # -- the inbox: the closure request is done, and its link reads on one line at 768 px -----------------
    boss.goto(f"{live_server.url}/inbox/")
    item = boss.locator("li.notification").first
    expect(item.locator(".action-done")).to_be_visible()
    link = item.locator(".notification-actions a")
    box = link.bounding_box()
    line = float(link.evaluate("a => parseFloat(getComputedStyle(a).lineHeight) || 24"))
    assert box["height"] <= line * 1.5, f"the message's link wraps: {box}"
    fits(boss, "the inbox at 768 px")
    snap(boss, "story_07_supervisor_inbox_768")
