"""The main journeys of the casework, each in a real browser, in Traditional Chinese, ending in screenshots.

1. A juvenile police officer triages an alert into a case and refers it to social welfare.
2. A social worker accepts that referral and logs a home visit with a next step.
3. A supervisor approves a closure, then reads the reports and the active model's explanation report.

Assertions lean on URLs, ids, classes, youth public IDs and the database rather than on translated text, so
they hold whether or not the zh-Hant catalogue has been compiled. Screenshots are named ``j1_``, ``j2_`` and
``j3_`` after their journey.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casework.cases import services as case_services
from casework.models import (
    AlertRule,
    AlertStatus,
    Case,
    CaseStatus,
    ClosureReason,
    ConcernType,
    ConsentBasis,
    Intervention,
    InterventionKind,
    Referral,
    ReferralStatus,
    RiskScore,
    TriageDecision,
    TriageDecisionKind,
    TriageReason,
)
from casework.triage import services as triage_services
from riskmodel.models import ModelStatus
from tests.browser.conftest import DESKTOP, TABLET, horizontal_overflow, html_lang, login, nav_hrefs, snap
from tests.fixtures import actor
from tests.riskmodel.test_registry_pages import build_risk_model

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZH = "zh-Hant-TW"
POLICE_REASON = "近一年深夜遊蕩紀錄：1 次"
SCHOOL_REASON = "近 90 日無故缺課：1 日"
QUIET_REASON = "近 90 日無觸法紀錄"
DECISION_NOTE = "少年深夜遊蕩，家長表示需要協助，開案進行外展輔導。"
REFERRAL_REASON = "家庭經濟困難，請社會局評估家庭支持服務。"
NEXT_STEP = "安排家長會談，申請急難救助"


def url(live_server, path: str) -> str:
    return f"{live_server.url}{path}"


def fits(page, what: str) -> None:
    scroll_width, inner_width = horizontal_overflow(page)
    assert scroll_width <= inner_width + 1, f"{what} is {scroll_width}px wide in a {inner_width}px viewport"


def submit(page, button) -> None:
    """Click a form's submit button and wait for the page the server answers with."""
    with page.expect_navigation():
        button.click()


def scored_alert(world):
    """The world's police alert, raised by a rule, for a youth scored "high" with reasons from police and
    school records (the officer may read the police ones only)."""
    rule = AlertRule.objects.create(
        key="j_late_night",
        name_zh="深夜遊蕩：評估是否需要輔導",
        name_en="Late-night loitering: assess the need for guidance",
        duty_zh="7 日內評估並決定是否開案",
        duty_en="Assess within 7 days and decide whether to open a case",
        trigger="event",
        event_kind="police_deviant",
        route_to=["police"],
        deadline_days=7,
        concern=ConcernType.DEVIANT,
    )
    world.alert.rule = rule
    world.alert.save(update_fields=["rule"])
    RiskScore.objects.create(
        youth=world.y.alert,
        as_of=world.today - dt.timedelta(days=1),
        score=0.214,
        band="high",
        rank=12,
        model_version="risk-v1",
        reasons=[
            _reason("police_deviant_contacts_365d", POLICE_REASON, "police", 0.61),
            _reason("unexcused_absence_days_90d", SCHOOL_REASON, "school", 0.34),
            _reason("police_offence_contacts_365d", QUIET_REASON, "police", -0.12),
        ],
    )
    return world.alert


def _reason(key: str, text: str, source: str, shap: float) -> dict:
    return {
        "key": key,
        "direction": "up" if shap > 0 else "down",
        "value": 1,
        "shap": shap,
        "source": source,
        "text_zh": text,
        "text_en": key,
    }


def officer_case_referred_to_welfare(world) -> tuple[Case, Referral]:
    """Where journey 1 ends, made through the services: a police case for the alerted youth, referred to
    social welfare with consent."""
    officer = actor(world.u.officer)
    decision = triage_services.decide_alert(
        actor=officer,
        alert=scored_alert(world),
        decision=TriageDecisionKind.OPEN_CASE,
        reason_code=TriageReason.NEEDS_SUPPORT,
        note=DECISION_NOTE,
        assignee=world.u.officer,
    )
    referral = case_services.refer(
        actor=officer,
        youth=world.y.alert,
        case=decision.case,
        from_bureau=world.b.police,
        to_bureau=world.b.welfare,
        reason=REFERRAL_REASON,
        consent=ConsentBasis.OBTAINED,
    )
    return decision.case, referral


def committee_case_asking_to_close(world) -> Case:
    """The world's committee case taken by its guidance worker through every step, monitored for 200 days,
    and asked to close for goals met."""
    guidance = actor(world.u.guidance)
    case = world.case

    def move(name: str, **extra) -> Case:
        return case_services.move_case(
            actor=guidance, case=case, move=name, expected_version=case.version, **extra
        )

    case = move("start_assessment")
    case = case_services.update_case(
        actor=guidance,
        case=case,
        expected_version=case.version,
        assessment="少年中輟三個月，家庭支持不足，有偷竊紀錄。",
    )
    case = move("start_planning")
    case = case_services.update_case(
        actor=guidance,
        case=case,
        expected_version=case.version,
        plan="每週家訪一次，協助復學，轉介課後輔導。",
    )
    case = move("start_intervention")
    case = move("start_monitoring")
    Case.objects.filter(pk=case.pk).update(monitoring_since=world.today - dt.timedelta(days=200))
    case.refresh_from_db()
    case = move("request_closure", closure_reason=ClosureReason.GOALS_MET, note="已穩定復學半年，無再犯。")
    assert case.status == CaseStatus.CLOSURE_REQUESTED
    return case


# ---------------------------------------------------------------------------------------------------------
# Journey 1: the juvenile officer
# ---------------------------------------------------------------------------------------------------------


def test_officer_triages_an_alert_into_a_case_and_refers_it_to_social_welfare(new_page, live_server, world):
    """Queue → alert → "open a case" with a reason and note → the new case → refer it to welfare with consent.
    Before the referral the social worker gets 404 on the case; after it, the case page."""
    alert = scored_alert(world)
    youth = world.y.alert
    page = new_page()
    login(page, live_server, "officer")
    assert html_lang(page) == ZH
    assert "/triage/" in nav_hrefs(page)

    page.locator('header nav a[href="/triage/"]').click()
    expect(page).to_have_url(url(live_server, "/triage/"))
    rows = page.locator("table.triage-queue tbody tr[data-alert]")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_have_attribute("data-alert", str(alert.pk))
    expect(row.locator(f'th a[href="/youth/{youth.public_id}/"]')).to_have_text(youth.public_id)
    expect(row.locator(".triage-score")).to_have_attribute("data-score", "0.214")
    expect(row.locator(".risk-band")).to_have_class("risk-band risk-band-high")
    # The three strongest reasons; the school's is withheld from the police, its direction still shown.
    reasons = row.locator(".triage-reasons li")
    expect(reasons).to_have_count(3)
    expect(reasons.nth(0)).to_have_class("reason-up")
    expect(reasons.nth(0)).to_contain_text(POLICE_REASON)
    expect(reasons.nth(1).locator(".restricted")).to_have_count(1)
    expect(reasons.nth(2)).to_have_class("reason-down")
    expect(row).not_to_contain_text(SCHOOL_REASON)
    snap(page, "j1_01_officer_triage_queue")

    page.set_viewport_size(TABLET)
    fits(page, "the triage queue")
    snap(page, "j1_02_officer_triage_queue_tablet")
    page.set_viewport_size(DESKTOP)

    row.locator(f'a[href="/triage/alerts/{alert.pk}/"]').click()
    expect(page).to_have_url(url(live_server, f"/triage/alerts/{alert.pk}/"))
    expect(page.locator("h1")).to_contain_text(youth.public_id)
    expect(page.locator("#alert a[href='/alert-rules/j_late_night/']")).to_be_visible()
    risk_reasons = page.locator("#risk .triage-reasons li")
    expect(risk_reasons).to_have_count(3)
    expect(risk_reasons.nth(0)).to_contain_text(POLICE_REASON)
    expect(risk_reasons.nth(2)).to_contain_text(QUIET_REASON)
    expect(page.locator("#risk")).not_to_contain_text(SCHOOL_REASON)
    expect(
        page.locator('#timeline tr[data-kind="police_deviant"] td[data-code="late_night_loitering"]')
    ).to_have_count(1)
    expect(page.locator("#timeline tr[data-kind='absence']")).to_have_count(0)
    expect(page.locator("#timeline [data-restricted-count]")).to_have_attribute("data-restricted-count", "1")
    # A high band: no action would be the override, so the page warns about that choice only.
    expect(page.locator("#override-warning")).to_have_attribute("data-override-for", "no_action")
    # Until a decision is chosen, the fields of "open a case" and "refer" stay folded away.
    expect(page.locator("fieldset.fields-open_case")).to_be_hidden()
    snap(page, "j1_03_officer_alert_decision_page")

    page.set_viewport_size(TABLET)
    fits(page, "the decision page")
    snap(page, "j1_04_officer_alert_decision_page_tablet")
    page.set_viewport_size(DESKTOP)

    form = page.locator("form.triage-form")
    form.locator("input[name=decision][value=open_case]").check()
    expect(page.locator("fieldset.fields-open_case")).to_be_visible()
    expect(page.locator("fieldset.fields-refer")).to_be_hidden()
    expect(page.locator("#id_concern")).to_have_value(ConcernType.DEVIANT)  # from the alert's rule
    page.select_option("#id_reason_code", TriageReason.NEEDS_SUPPORT)
    page.fill("#id_note", DECISION_NOTE)
    page.select_option("#id_assignee", str(world.u.officer.pk))
    page.locator("#decide").scroll_into_view_if_needed()
    snap(page, "j1_05_officer_decision_filled")
    submit(page, form.locator("button[type=submit]"))

    case = Case.objects.get(youth=youth)
    case_path = f"/cases/{case.pk}/"
    expect(page).to_have_url(url(live_server, case_path))
    expect(page.locator(".messages li.success")).to_contain_text(str(case))
    expect(page.locator("h1")).to_contain_text(str(case))
    expect(page.locator("h1 .case-status")).to_have_class("case-status status-opened")
    expect(page.locator(f'main a[href="/youth/{youth.public_id}/"]')).to_be_visible()
    decision = TriageDecision.objects.get(alert=alert)
    assert (decision.decision, decision.reason_code, decision.note) == (
        TriageDecisionKind.OPEN_CASE,
        TriageReason.NEEDS_SUPPORT,
        DECISION_NOTE,
    )
    assert (decision.case_id, decision.band, decision.is_override) == (case.pk, "high", False)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert (case.lead_bureau, case.assignee, case.concern, case.summary) == (
        world.b.police,
        world.u.officer,
        ConcernType.DEVIANT,
        DECISION_NOTE,
    )
    snap(page, "j1_06_officer_new_case")

    # Refused side: before any referral the social worker has no reason to see the police case.
    social = new_page()
    login(social, live_server, "social")
    response = social.goto(url(live_server, case_path))
    assert response.status == 404
    expect(social.locator("#not-found")).to_be_visible()
    expect(social.locator("main")).not_to_contain_text(youth.public_id)
    expect(social.locator("main")).not_to_contain_text(DECISION_NOTE)
    snap(social, "j1_07_social_case_before_referral_404")

    page.locator("details.form-panel:has(form.refer-form) > summary").click()
    refer = page.locator("form.refer-form")
    expect(refer).to_be_visible()
    expect(page.locator("#id_refer_from_bureau")).to_have_value(str(world.b.police.pk))
    expect(refer.locator("input[name=kind][value=referral]")).to_be_checked()
    page.select_option("#id_refer_to_bureau", str(world.b.welfare.pk))
    page.fill("#id_refer_reason", REFERRAL_REASON)
    refer.locator(f"input[name=consent][value={ConsentBasis.OBTAINED}]").check()
    refer.scroll_into_view_if_needed()
    snap(page, "j1_08_officer_refer_form_filled")
    submit(page, refer.locator("button[type=submit]"))

    expect(page).to_have_url(url(live_server, case_path))
    expect(page.locator(".messages li.success")).to_be_visible()
    referral = Referral.objects.get(case=case)
    assert (referral.from_bureau, referral.to_bureau, referral.to_user) == (
        world.b.police,
        world.b.welfare,
        None,
    )
    assert (referral.consent, referral.status, referral.reason) == (
        ConsentBasis.OBTAINED,
        ReferralStatus.PENDING,
        REFERRAL_REASON,
    )
    referral_row = page.locator(f"table.case-referrals tbody tr#referral-{referral.pk}")
    expect(referral_row).to_contain_text(REFERRAL_REASON)
    # The sender may withdraw it, but never answer it.
    expect(referral_row.locator(".btn-accept")).to_have_count(0)
    expect(referral_row.locator("details.row-action")).to_have_count(1)
    snap(page, "j1_09_officer_case_referred")

    # Allowed side: with the referral pending, the same address now shows the social worker the case.
    response = social.goto(url(live_server, case_path))
    assert response.status == 200
    expect(social.locator("h1")).to_contain_text(str(case))


# ---------------------------------------------------------------------------------------------------------
# Journey 2: the social worker
# ---------------------------------------------------------------------------------------------------------


def test_social_worker_accepts_the_referral_and_logs_a_home_visit(page, live_server, world):
    """Inbox says a referral came → referrals → accept → the case → log a home visit with a next step →
    it is in the case's interventions table (its next step on "my tasks" is the xfail test below)."""
    case, referral = officer_case_referred_to_welfare(world)
    youth = world.y.alert
    case_path = f"/cases/{case.pk}/"
    login(page, live_server, "social")
    assert {"/inbox/", "/referrals/", "/tasks/"} <= set(nav_hrefs(page))

    page.locator('header nav a[href="/inbox/"]').click()
    expect(page).to_have_url(url(live_server, "/inbox/"))
    notes = page.locator("ul.inbox li.notification")
    expect(notes).to_have_count(1)
    note = notes.first
    expect(note).to_have_class("notification unread")
    expect(note.locator(".notification-kind")).to_have_class(
        "notification-kind notification-kind-referral_received"
    )
    expect(note.locator(".notification-text")).to_contain_text(youth.public_id)
    expect(note.locator(f'.notification-actions a[href="{case_path}"]')).to_be_visible()
    snap(page, "j2_01_social_inbox_referral_received")

    page.locator('header nav a[href="/referrals/"]').click()
    expect(page).to_have_url(url(live_server, "/referrals/"))
    row = page.locator(f"table.referrals tbody tr#referral-{referral.pk}")
    expect(row.locator(f'a[href="/youth/{youth.public_id}/"]')).to_have_text(youth.public_id)
    expect(row.locator(f'a[href="{case_path}"]')).to_be_visible()
    expect(row).to_contain_text(REFERRAL_REASON)
    # The world's own pending referral to welfare is there too: two to answer.
    expect(page.locator('table.referrals tbody form[action$="/respond/"] .btn-accept')).to_have_count(2)
    snap(page, "j2_02_social_referrals_pending")

    submit(page, row.locator('form[action$="/respond/"] button.btn-accept'))
    expect(page).to_have_url(url(live_server, "/referrals/"))
    expect(page.locator(".messages li.success")).to_be_visible()
    # Answered: no more accept or decline, but the receiver may now report the work done.
    expect(row.locator('form[action$="/respond/"]')).to_have_count(0)
    expect(row.locator('form[action$="/complete/"]')).to_have_count(1)
    referral.refresh_from_db()
    assert (referral.status, referral.responded_by) == (ReferralStatus.ACCEPTED, world.u.social)
    snap(page, "j2_03_social_referral_accepted")

    row.locator(f'a[href="{case_path}"]').click()
    expect(page).to_have_url(url(live_server, case_path))
    expect(page.locator("h1")).to_contain_text(str(case))
    expect(page.locator("table.interventions")).to_have_count(0)
    snap(page, "j2_04_social_case_page")

    today = timezone.localdate()
    due = today + dt.timedelta(days=7)
    page.locator("details.form-panel:has(form.intervention-form) > summary").click()
    form = page.locator("form.intervention-form")
    expect(page.locator("#id_intervention_occurred_on")).to_have_value(today.isoformat())
    page.select_option("#id_intervention_kind", InterventionKind.HOME_VISIT)
    page.fill("#id_intervention_occurred_on", today.isoformat())
    page.fill("#id_intervention_duration_minutes", "90")
    page.fill("#id_intervention_notes", "與母親及少年面談，家中經濟困難，少年晚歸。")
    page.fill("#id_intervention_outcome", "母親同意接受家庭支持服務。")
    page.fill("#id_intervention_next_step", NEXT_STEP)
    page.fill("#id_intervention_next_due", due.isoformat())
    form.scroll_into_view_if_needed()
    snap(page, "j2_05_social_intervention_form_filled")
    submit(page, form.locator("button[type=submit]"))

    expect(page).to_have_url(url(live_server, case_path))
    expect(page.locator(".messages li.success")).to_be_visible()
    visits = page.locator("table.interventions tbody tr")
    expect(visits).to_have_count(1)
    cells = visits.first.locator("td")
    expect(cells.nth(0)).to_have_text(today.isoformat())
    expect(cells.nth(2)).to_have_text("90")
    expect(cells.nth(3)).to_have_text("social")
    expect(cells.nth(6)).to_have_text(NEXT_STEP)
    expect(cells.nth(7)).to_have_text(due.isoformat())
    logged = Intervention.objects.get(case=case)
    assert (logged.kind, logged.worker, logged.duration_minutes, logged.next_due) == (
        InterventionKind.HOME_VISIT,
        world.u.social,
        90,
        due,
    )
    page.locator("table.interventions").scroll_into_view_if_needed()
    snap(page, "j2_06_social_intervention_logged")

    # Answered, the referral leaves "my tasks"; the world's other referral to welfare still waits there.
    page.locator('header nav a[href="/tasks/"]').click()
    expect(page).to_have_url(url(live_server, "/tasks/"))
    waiting = page.locator("table.tasks tbody tr.task-referral")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text(world.y.referred.public_id)
    expect(page.locator("table.tasks tbody tr.task-referral")).not_to_contain_text(youth.public_id)
    # The home visit's next step is now the social worker's task on this youth.
    expect(page.locator("table.tasks tbody tr.task-next_step")).to_contain_text(youth.public_id)
    snap(page, "j2_07_social_tasks")


def test_next_step_a_social_worker_sets_on_a_referred_case_is_on_their_tasks(page, live_server, world):
    """The end of journey 2: the home visit's next step, with its due day, is on the social worker's tasks."""
    case, referral = officer_case_referred_to_welfare(world)
    social = actor(world.u.social)
    case_services.respond_to_referral(actor=social, referral=referral, accept=True)
    due = timezone.localdate() + dt.timedelta(days=7)
    case_services.log_intervention(
        actor=social,
        case=case,
        kind=InterventionKind.HOME_VISIT,
        occurred_on=timezone.localdate(),
        duration_minutes=90,
        next_step=NEXT_STEP,
        next_due=due,
    )
    login(page, live_server, "social")
    page.goto(url(live_server, "/tasks/"))
    task = page.locator("table.tasks tbody tr.task-next_step")
    expect(task).to_have_count(1, timeout=2_000)
    expect(task).to_contain_text(due.isoformat())
    expect(task).to_contain_text(NEXT_STEP)
    expect(task.locator(f'a[href="/cases/{case.pk}/"]')).to_be_visible()


# ---------------------------------------------------------------------------------------------------------
# Journey 3: the supervisor
# ---------------------------------------------------------------------------------------------------------


def test_supervisor_approves_a_closure_then_reads_the_reports_and_the_model_report(page, live_server, world):
    """My tasks lists the closure → the case → approve → closed, with the approver named; then the reports,
    the overrides report and the active model's explanation report."""
    case = committee_case_asking_to_close(world)
    model = build_risk_model(version=1, status=ModelStatus.ACTIVE, seed=3)
    case_path = f"/cases/{case.pk}/"
    login(page, live_server, "supervisor")
    assert {"/tasks/", "/reports/"} <= set(nav_hrefs(page))

    page.locator('header nav a[href="/tasks/"]').click()
    expect(page).to_have_url(url(live_server, "/tasks/"))
    task = page.locator("table.tasks tbody tr.task-closure_approval")
    expect(task).to_have_count(1)
    expect(task).to_contain_text(str(case))
    expect(task).to_contain_text(world.y.case.public_id)
    snap(page, "j3_01_supervisor_tasks_closure")

    task.locator(f'a[href="{case_path}"]').click()
    expect(page).to_have_url(url(live_server, case_path))
    expect(page.locator("h1 .case-status")).to_have_class("case-status status-closure_requested")
    expect(page.locator(".case-steps li.step-current")).to_have_count(1)
    approve = page.locator("form.closure-decision")
    expect(approve).to_be_visible()
    snap(page, "j3_02_supervisor_case_closure_requested")

    approve.locator("textarea[name=note]").fill("目標達成，同意結案。")
    submit(page, approve.locator("button.btn-accept"))
    expect(page).to_have_url(url(live_server, case_path))
    expect(page.locator(".messages li.success")).to_be_visible()
    expect(page.locator("h1 .case-status")).to_have_class("case-status status-closed")
    expect(page.locator("form.closure-decision")).to_have_count(0)
    expect(page.locator("form.record-form")).to_have_count(0)  # a closed case is read-only
    expect(page.locator("main dl.grid").first).to_contain_text("supervisor")
    case.refresh_from_db()
    assert (case.status, case.closure_approved_by) == (CaseStatus.CLOSED, world.u.supervisor)
    assert case.closed_at is not None
    snap(page, "j3_03_supervisor_case_closed")

    page.locator('header nav a[href="/reports/"]').click()
    expect(page).to_have_url(url(live_server, "/reports/"))
    # The committee's only open case was just closed.
    expect(page.locator("#tile-open .tile-n")).to_have_text("0")
    expect(page.locator("#headline a.tile")).to_have_count(6)
    snap(page, "j3_04_supervisor_reports")

    page.locator(".report-nav a[href^='/reports/overrides/']").click()
    expect(page).to_have_url(url(live_server, "/reports/overrides/?bureau=committee"))
    expect(page.locator("#total-decisions")).to_have_text("0")
    expect(page.locator("#no-overrides")).to_be_visible()
    snap(page, "j3_05_supervisor_overrides_report")

    page.locator(".report-nav a[href='/models/active/']").click()
    expect(page).to_have_url(url(live_server, "/models/active/"))
    expect(page.locator("#active-intro")).to_be_visible()
    expect(page.locator("#model-status")).to_have_class("status status-active")
    expect(page.locator("#version-link")).to_have_attribute("href", f"/models/{model.version}/")
    auc = f"{model.metrics['test']['roc_auc']:.3f}"
    expect(page.locator('#metrics-table tr[data-metric="roc_auc"] td.model-value')).to_have_text(auc)
    expect(page.locator("#importance svg.chart-svg")).to_be_visible()
    snap(page, "j3_06_supervisor_active_model_report")

    page.set_viewport_size(TABLET)
    fits(page, "the active model report")
    snap(page, "j3_07_supervisor_active_model_report_tablet")
