"""Liaison meetings (聯繫會議, issue 19; docs/meetings.md; access-policy rule 21) in a real browser, zh-Hant.

One journey, as the issue's "done means" puts it:
1. the secretariat schedules a meeting, inviting the police and social welfare (and one worker of each by
   name); the platform proposes the agenda from the stuck work the test data creates (an unanswered referral
   past its date, an escalated alert, a closure requested, a very-high-band youth with no case); the
   secretariat takes one item off and writes a note on another, with the keyboard;
2. the police and the welfare participant each open their bureau's pack and see only the youth they may see;
   a share for the meeting lets the police see a welfare youth in their pack, and nowhere else;
3. the meeting records decisions, action items (a person, a bureau; due dates) and attendance, and closes;
4. the minutes PDF downloads and is an ``export`` row of the access log;
5. the action items are on their owners' ``/tasks/`` and on the next meeting's proposed agenda until done.

Assertions lean on ids, classes, data attributes, youth public IDs and the database rather than on
translated text; screenshots are named ``meet_<step>_…``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casework.clock import TAIPEI
from casework.models import (
    ActionItem,
    AgendaItem,
    AgendaItemKind,
    Alert,
    AlertRule,
    AlertStatus,
    AuditAction,
    AuditEntry,
    ConcernType,
    Meeting,
    MeetingShare,
    MeetingStatus,
    Referral,
    RiskScore,
)
from casework.triage.alerting import escalate_overdue_alerts
from tests.browser.conftest import login, snap
from tests.browser.test_workflow_journeys import committee_case_asking_to_close

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "十二月聯繫會議"
NEXT_TITLE = "一月聯繫會議"
NOTE = "請少年隊報告已聯繫家長的情形"
SHARE_REASON = "少年隊需了解社會局掌握的家庭狀況，以便會後共同家訪。"
POLICE_DECISION = "少年隊一週內聯繫家長，評估是否開案輔導。"
POLICE_ACTION = "聯繫家長並向下次會議回報"
WELFARE_DECISION = "社會局於下週前回覆轉介，說明是否接案。"
WELFARE_ACTION = "回覆少輔會轉介並說明評估結果"


def url(live_server, path: str) -> str:
    return f"{live_server.url}{path}"


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def stuck_work(world) -> None:
    """The four kinds of stuck work the issue names, made as the platform makes them."""
    # An unanswered referral past its date: the committee's referral to welfare, sent 20 days ago.
    Referral.objects.filter(pk=world.referral.pk).update(created_at=world.now - dt.timedelta(days=20))
    # An escalated alert: the police alert (raised by a rule, as every alert is) past its deadline, escalated
    # by the escalation job.
    rule = AlertRule.objects.create(
        key="m_late_night",
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
    Alert.objects.filter(pk=world.alert.pk).update(rule=rule, due_at=world.now - dt.timedelta(hours=2))
    assert escalate_overdue_alerts() == 1
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.ESCALATED
    # A closure requested: the committee's case, through every step, asked to close.
    committee_case_asking_to_close(world)
    # A very-high-band youth with no case.
    RiskScore.objects.create(
        youth=world.y.none,
        as_of=world.today,
        score=0.912,
        band="very_high",
        rank=1,
        model_version="risk-v1",
    )


def agenda_item(page, youth):
    return page.locator(f'ol.agenda li.agenda-item[data-youth="{youth.public_id}"]')


def unlabelled_fields(form) -> list[str]:
    """Visible fields of a form with no label a screen reader would read."""
    return form.evaluate(
        """f => [...f.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden')
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.name || el.id)"""
    )


def pack_youth(page) -> list[str]:
    return page.locator("section.pack-entry").evaluate_all("els => els.map(e => e.dataset.youth)")


def test_a_liaison_meeting_from_the_proposed_agenda_to_the_next_meeting(new_page, live_server, world):
    w = world
    stuck_work(w)
    starts = timezone.localtime(w.now, TAIPEI).replace(hour=14, minute=0, second=0, microsecond=0)
    starts += dt.timedelta(days=1)

    # ---- 1. The secretariat schedules the meeting and edits the proposed agenda --------------------------
    sec = new_page()
    login(sec, live_server, "secretariat")
    sec.goto(url(live_server, "/meetings/"))
    snap(sec, "meet_1a_meeting_list_empty")
    submit(sec, sec.locator("#meeting-new"))
    expect(sec).to_have_url(url(live_server, "/meetings/new/"))
    form = sec.locator("#meeting-form")
    assert unlabelled_fields(form) == []
    sec.fill("#id_title", TITLE)
    sec.fill("#id_starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    sec.select_option("#id_chair", str(w.u.supervisor.pk))
    for bureau in (w.b.police, w.b.welfare):
        form.locator(f'input[name=invited_bureaus][value="{bureau.pk}"]').check()
    for user in (w.u.officer, w.u.social):
        form.locator(f'input[name=invitees][value="{user.pk}"]').check()
    snap(sec, "meet_1b_schedule_form")
    submit(sec, form.locator("button[type=submit]"))
    meeting = Meeting.objects.get()
    expect(sec).to_have_url(url(live_server, f"/meetings/{meeting.pk}/"))
    assert set(meeting.invited_bureaus.all()) == {w.b.police, w.b.welfare}

    # The proposed agenda: the four stuck items, most urgent kind first.
    items = sec.locator("ol.agenda li.agenda-item")
    expect(items).to_have_count(4)
    kinds = items.evaluate_all("els => els.map(e => [e.dataset.kind, e.dataset.youth])")
    assert kinds == [
        [AgendaItemKind.ESCALATED, w.y.alert.public_id],
        [AgendaItemKind.REFERRAL_OVERDUE, w.y.referred.public_id],
        [AgendaItemKind.CLOSURE, w.y.case.public_id],
        [AgendaItemKind.TOP_BAND_NO_CASE, w.y.none.public_id],
    ]
    # The secretariat reads agenda lines, never a youth's name or record.
    for youth in (w.y.alert, w.y.referred, w.y.case, w.y.none):
        expect(sec.locator("main")).not_to_contain_text(youth.name)
    snap(sec, "meet_1c_proposed_agenda")

    # Take the closure off (the committee's own supervisor decides it), with the keyboard.
    closure = agenda_item(sec, w.y.case)
    edit_form = closure.locator("form.record-form").first
    assert unlabelled_fields(edit_form) == []
    closure.locator("details summary").first.focus()
    sec.keyboard.press("Enter")
    expect(edit_form).to_be_visible()
    snap(sec, "meet_1d_item_edit_form_open")
    remove = closure.locator("button.remove-item")
    remove.focus()
    with sec.expect_navigation():
        sec.keyboard.press("Enter")
    expect(agenda_item(sec, w.y.case)).to_have_count(0)
    assert AgendaItem.objects.get(meeting=meeting, youth=w.y.case).removed_at is not None

    # A note on the escalated alert, typed and saved without the mouse.
    alert_item = agenda_item(sec, w.y.alert)
    alert_item.locator("details summary").first.focus()
    sec.keyboard.press("Enter")
    sec.keyboard.press("Tab")
    note = alert_item.locator("textarea").first
    expect(note).to_be_focused()
    sec.keyboard.type(NOTE)
    sec.keyboard.press("Tab")
    expect(alert_item.locator('button[value="note"]')).to_be_focused()
    with sec.expect_navigation():
        sec.keyboard.press("Enter")
    expect(agenda_item(sec, w.y.alert).locator(".item-note")).to_contain_text(NOTE)
    assert AgendaItem.objects.get(meeting=meeting, youth=w.y.alert).note == NOTE
    # Proposing again does not bring the removed item back.
    submit(sec, sec.locator("#propose-again"))
    expect(sec.locator("ol.agenda li.agenda-item")).to_have_count(3)
    snap(sec, "meet_1e_agenda_edited")

    # ---- 2. Each participant opens their pack and sees only what they may ---------------------------------
    police = new_page()
    login(police, live_server, "officer")
    police.goto(url(live_server, "/meetings/"))
    submit(police, police.locator(f'tr[data-meeting="{meeting.pk}"] a'))
    # Participants see the meeting and their pack, never the agenda.
    expect(police.locator("ol.agenda")).to_have_count(0)
    expect(police.locator("a.pack-link")).to_have_count(1)
    snap(police, "meet_2a_police_meeting_page")
    submit(police, police.locator("a.pack-link"))
    expect(police).to_have_url(url(live_server, f"/meetings/{meeting.pk}/packs/{w.b.police.code}/"))
    assert pack_youth(police) == [w.y.alert.public_id]
    entry = police.locator(f'section.pack-entry[data-youth="{w.y.alert.public_id}"]')
    expect(entry.locator(".pack-event")).to_have_count(1)
    expect(entry.locator('.pack-event[data-source="police"]')).to_have_count(1)
    expect(entry.locator('.restricted-count[data-source="school"]')).to_have_count(1)
    snap(police, "meet_2b_police_pack")
    # The welfare pack is not theirs.
    assert police.goto(url(live_server, f"/meetings/{meeting.pk}/packs/{w.b.welfare.code}/")).status == 404

    welfare = new_page()
    login(welfare, live_server, "social")
    welfare.goto(url(live_server, f"/meetings/{meeting.pk}/"))
    expect(welfare.locator("a.pack-link")).to_have_count(1)
    submit(welfare, welfare.locator("a.pack-link"))
    expect(welfare).to_have_url(url(live_server, f"/meetings/{meeting.pk}/packs/{w.b.welfare.code}/"))
    assert pack_youth(welfare) == [w.y.referred.public_id]
    snap(welfare, "meet_2c_welfare_pack")

    # The committee shares the welfare youth with the police, for this meeting only.
    referred = agenda_item(sec, w.y.referred)
    share_form = referred.locator("form.share-form")
    referred.locator("details summary").nth(1).click()
    assert unlabelled_fields(share_form) == []
    share_form.locator("select").select_option(str(w.b.police.pk))
    share_form.locator('input[type=checkbox][value="welfare"]').check()
    share_form.locator("textarea").fill(SHARE_REASON)
    snap(sec, "meet_2d_share_form")
    submit(sec, share_form.locator("button[type=submit]"))
    share = MeetingShare.objects.get()
    assert (share.bureau, share.youth, share.sources) == (w.b.police, w.y.referred, ["welfare"])
    expect(agenda_item(sec, w.y.referred).locator(".share-line")).to_have_count(1)
    snap(sec, "meet_2e_agenda_with_share")

    police.goto(url(live_server, f"/meetings/{meeting.pk}/packs/{w.b.police.code}/"))
    assert sorted(pack_youth(police)) == sorted([w.y.alert.public_id, w.y.referred.public_id])
    shared = police.locator(f'section.pack-entry[data-youth="{w.y.referred.public_id}"]')
    expect(shared.locator(".shared-note")).to_have_count(1)
    expect(shared.locator('.pack-event[data-source="welfare"]')).to_have_count(1)
    snap(police, "meet_2f_police_pack_with_share")
    views = AuditEntry.objects.filter(
        action=AuditAction.VIEW,
        object_type="agendaitem",
        username="officer",
        youth_public_id=w.y.referred.public_id,
    )
    assert [v.detail["meeting_share"] for v in views] == [share.pk]
    # The share is not a reason to open the youth's record anywhere else.
    assert police.goto(url(live_server, f"/youth/{w.y.referred.public_id}/")).status == 404
    # The welfare pack is unchanged by a share with the police; the welfare worker never sees the police's
    # youth, and nobody outside the committee sees the top-band youth without a case.
    welfare.reload()
    assert pack_youth(welfare) == [w.y.referred.public_id]
    for page in (police, welfare):
        expect(page.locator(f'section.pack-entry[data-youth="{w.y.none.public_id}"]')).to_have_count(0)

    # ---- 3. The meeting: decisions, action items, attendance, closing ------------------------------------
    due_police = w.today + dt.timedelta(days=7)
    due_welfare = w.today + dt.timedelta(days=5)
    sec.goto(url(live_server, f"/meetings/{meeting.pk}/"))

    def decide(youth, decision, action, owner, due):
        item = agenda_item(sec, youth)
        item.locator("details.decide summary").click()
        decision_form = item.locator("form.decision-form")
        assert unlabelled_fields(decision_form) == []
        decision_form.locator("textarea").fill(decision)
        decision_form.locator('input[name$="-action"]').fill(action)
        decision_form.locator('select[name$="-owner"]').select_option(owner)
        decision_form.locator('input[name$="-due_on"]').fill(due.isoformat())
        return item, decision_form

    item, decision_form = decide(
        w.y.alert, POLICE_DECISION, POLICE_ACTION, f"user:{w.u.officer.pk}", due_police
    )
    snap(sec, "meet_3a_decision_form")
    submit(sec, decision_form.locator("button[type=submit]"))
    item, decision_form = decide(
        w.y.referred, WELFARE_DECISION, WELFARE_ACTION, f"bureau:{w.b.welfare.pk}", due_welfare
    )
    submit(sec, decision_form.locator("button[type=submit]"))
    police_action = ActionItem.objects.get(text=POLICE_ACTION)
    welfare_action = ActionItem.objects.get(text=WELFARE_ACTION)
    assert (police_action.owner_user, police_action.due_on) == (w.u.officer, due_police)
    assert (welfare_action.owner_bureau, welfare_action.due_on) == (w.b.welfare, due_welfare)
    expect(agenda_item(sec, w.y.alert).locator(".decision-text")).to_contain_text(POLICE_DECISION)
    expect(agenda_item(sec, w.y.referred).locator(".action-line")).to_contain_text(WELFARE_ACTION)

    attendance = sec.locator("#attendance")
    assert unlabelled_fields(attendance) == []
    for user in (w.u.officer, w.u.social, w.u.secretariat, w.u.supervisor):
        attendance.locator(f'input[name=attendees][value="{user.pk}"]').check()
    attendance.locator("textarea").fill("教育局代表 王老師")
    submit(sec, attendance.locator("button[type=submit]"))
    snap(sec, "meet_3b_decisions_and_attendance")
    close = sec.locator("#close")
    close.locator("textarea").fill("下次會議追蹤兩項待辦。")
    submit(sec, close.locator("button[type=submit]"))
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert set(meeting.attendees.all()) == {w.u.officer, w.u.social, w.u.secretariat, w.u.supervisor}
    # Final: nothing on the page edits the meeting any more.
    expect(sec.locator("ol.agenda form")).to_have_count(0)
    expect(sec.locator("#close")).to_have_count(0)
    snap(sec, "meet_3c_minutes_final")

    # ---- 4. The minutes PDF -----------------------------------------------------------------------------
    with sec.expect_download() as info:
        sec.locator("#minutes-pdf").click()
    body = Path(info.value.path()).read_bytes()
    assert body.startswith(b"%PDF") and len(body) > 1000
    export = AuditEntry.objects.get(action=AuditAction.EXPORT, object_type="meeting")
    assert export.username == "secretariat" and export.object_id == str(meeting.pk)
    assert export.detail["format"] == "pdf"
    assert str(export.pk) in info.value.suggested_filename
    assert info.value.suggested_filename.endswith(".pdf")

    # ---- 5. Action items: the owners' tasks, and the next agenda until done ------------------------------
    police.goto(url(live_server, "/tasks/"))
    tasks = police.locator("table.tasks tbody tr.task-meeting_action")
    expect(tasks).to_have_count(1)
    expect(tasks).to_contain_text(POLICE_ACTION)
    snap(police, "meet_5a_police_tasks")
    welfare.goto(url(live_server, "/tasks/"))
    tasks = welfare.locator("table.tasks tbody tr.task-meeting_action")
    expect(tasks).to_have_count(1)
    expect(tasks).to_contain_text(WELFARE_ACTION)
    snap(welfare, "meet_5b_welfare_tasks")

    # The next meeting proposes both again.
    next_starts = starts + dt.timedelta(days=28)

    def schedule(title, when):
        sec.goto(url(live_server, "/meetings/new/"))
        sec.fill("#id_title", title)
        sec.fill("#id_starts_at", when.strftime("%Y-%m-%dT%H:%M"))
        for bureau in (w.b.police, w.b.welfare):
            sec.locator(f'#meeting-form input[name=invited_bureaus][value="{bureau.pk}"]').check()
        sec.locator(f'#meeting-form input[name=invitees][value="{w.u.officer.pk}"]').check()
        submit(sec, sec.locator("#meeting-form button[type=submit]"))
        return Meeting.objects.get(title=title)

    following = schedule(NEXT_TITLE, next_starts)
    follow_ups = sec.locator(f'ol.agenda li.agenda-item[data-kind="{AgendaItemKind.ACTION_FOLLOW_UP}"]')
    expect(follow_ups).to_have_count(2)
    assert set(
        following.items.filter(kind=AgendaItemKind.ACTION_FOLLOW_UP).values_list("follows_up", flat=True)
    ) == {police_action.pk, welfare_action.pk}
    # A person's item concerns the bureau they act for.
    officer_follow_up = sec.locator(
        f'li.agenda-item[data-kind="{AgendaItemKind.ACTION_FOLLOW_UP}"][data-youth="{w.y.alert.public_id}"]'
    )
    expect(officer_follow_up.locator("dl.item-facts")).to_contain_text(w.b.police.name_zh)
    snap(sec, "meet_5c_next_agenda_with_action_items")
    # The share was for the December meeting only: the police pack of the next one does not list the welfare
    # youth, though the welfare action item about them is on its agenda.
    # (The police youth is there twice: the alert still escalated, and the officer's item about them.)
    police.goto(url(live_server, f"/meetings/{following.pk}/packs/{w.b.police.code}/"))
    assert set(pack_youth(police)) == {w.y.alert.public_id}

    # The officer follows the task to the meeting and marks the item done.
    police.goto(url(live_server, "/tasks/"))
    submit(police, police.locator("table.tasks tr.task-meeting_action a"))
    row = police.locator(f"#action-{police_action.pk}")
    expect(row).to_be_visible()
    row.locator("input[name=note]").fill("已與家長面談")
    snap(police, "meet_5d_police_marks_done")
    submit(police, row.locator("button[type=submit]"))
    police_action.refresh_from_db()
    assert police_action.done_by == w.u.officer
    police.goto(url(live_server, "/tasks/"))
    expect(police.locator("table.tasks tbody tr.task-meeting_action")).to_have_count(0)

    # Done, it no longer comes back; the welfare item, still open, does.
    third = schedule("二月聯繫會議", next_starts + dt.timedelta(days=28))
    assert set(
        third.items.filter(kind=AgendaItemKind.ACTION_FOLLOW_UP).values_list("follows_up", flat=True)
    ) == {welfare_action.pk}
    expect(follow_ups).to_have_count(1)
