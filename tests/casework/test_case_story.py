"""The case as one story (issue 17): one timeline in Taipei time, the structured plan and who may edit it,
closure approval that acknowledges steps never done, why a viewer has no approve button, the inbox's read
state per person, and erasure of the plan with its case (sealing, retention) and its place in subject access."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from casework.access.sealing import erase_derived_from_events
from casework.cases import plan as plan_services
from casework.cases import services as case_services
from casework.cases.selectors import unread_messages
from casework.cases.story import case_story, why_not_approver
from casework.clock import TAIPEI, deadline_text
from casework.models import (
    Alert,
    AlertRule,
    AuditAction,
    AuditEntry,
    Case,
    CaseGoal,
    CaseNeed,
    CasePlanReview,
    CaseStatus,
    CaseStatusChange,
    ClosureAcknowledgement,
    ClosureReason,
    EventKind,
    Intervention,
    InterventionKind,
    Notification,
    NotificationKind,
    PlannedService,
    PlannedServiceStatus,
    Referral,
    ReferralStatus,
    RiskScore,
    Role,
    TriageDecision,
    TriageDecisionKind,
)
from casework.youth import services as youth_services
from privacy.subject_access import collect
from tests.fixtures import PASSWORD, actor, make_user


@pytest.fixture(autouse=True)
def in_english():
    """Selectors called directly speak the active language: these tests read English."""
    with translation.override("en"):
        yield


def login(client, username: str) -> None:
    assert client.login(username=username, password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def html_of(client, case: Case) -> str:
    response = client.get(reverse("case-detail", args=[case.pk]))
    assert response.status_code == 200
    return unescape(response.content.decode())


def reason(text: str, shap: float, reads: list[str]) -> dict:
    return {
        "key": text[:12], "direction": "up" if shap > 0 else "down", "value": 1, "shap": shap,
        "source": reads[0], "reads": reads, "text_zh": text, "text_en": text,
    }  # fmt: skip


def with_plan(world, case: Case | None = None) -> dict:
    """Needs, a goal, two planned services (one done, one not done) and a review, written by the assignee."""
    case = case or world.case
    g = actor(world.u.guidance)
    need = plan_services.record_need(actor=g, case=case, area="school", finding="Absent 12 days this term")
    goal = plan_services.add_goal(actor=g, case=case, area="school", text="Back in class four days a week")
    done = plan_services.plan_service(
        actor=g, case=case, description="Meet the school counsellor", due_on=world.today, owner_bureau=world.b.education, goal=goal
    )  # fmt: skip
    plan_services.update_service(
        actor=g, service=done, description=done.description, due_on=done.due_on, status="done",
        owner_bureau=world.b.education, goal=goal,
    )  # fmt: skip
    undone = plan_services.plan_service(
        actor=g, case=case, description="Family meeting with the father", due_on=world.today, owner_user=world.u.guidance2
    )  # fmt: skip
    plan_services.update_service(
        actor=g, service=undone, description=undone.description, due_on=undone.due_on, status="not_done",
        not_done_reason="Father moved away", owner_user=world.u.guidance2,
    )  # fmt: skip
    review = plan_services.review_plan(
        actor=g, case=case, reviewed_on=world.today, note="Attendance improving"
    )
    return {"need": need, "goal": goal, "done": done, "undone": undone, "review": review}


def ask_closure(world, case: Case | None = None) -> Case:
    case = case or world.case
    return case_services.move_case(
        actor=actor(world.u.guidance),
        case=case,
        move="request_closure",
        expected_version=fresh(case).version,
        closure_reason=ClosureReason.DECLINED,
        note="Family declined further guidance",
    )


# ---------------------------------------------------------------------------------------------------------
# The story: one timeline, in time order, in Taipei time
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def opened_on_alert(world):
    """The world's committee case, opened on an exposure alert (a police record) with a score then and now."""
    y = world.y.case
    day = world.today - dt.timedelta(days=20)
    event = youth_services.record_event(
        youth=y, kind=EventKind.POLICE_EXPOSURE, event_date=day, knowledge_date=day, owning_bureau=world.b.police,
        code="weapon",
    )  # fmt: skip
    raised = dt.datetime.combine(day, dt.time(9, 0), tzinfo=TAIPEI)
    rule = AlertRule.objects.get(key="exposure", is_current=True)
    alert = Alert.objects.create(
        youth=y, reason=rule.key, rule=rule, routed_to=world.b.committee, source_event=event,
        due_at=raised + dt.timedelta(days=14), status="resolved", resolved_at=raised + dt.timedelta(days=2),
        resolved_by=world.u.guidance,
    )  # fmt: skip
    Alert.objects.filter(pk=alert.pk).update(created_at=raised)
    opened = raised + dt.timedelta(days=2, hours=1)
    Case.objects.filter(pk=world.case.pk).update(opened_at=opened)
    decision = TriageDecision.objects.create(
        youth=y, alert=alert, bureau=world.b.committee, decided_by=world.u.guidance,
        decision=TriageDecisionKind.OPEN_CASE, reason_code="legal_duty", case=world.case,
    )  # fmt: skip
    TriageDecision.objects.filter(pk=decision.pk).update(created_at=opened - dt.timedelta(minutes=5))
    RiskScore.objects.create(
        youth=y, as_of=day, score=0.2, band="high", rank=80, model_version="risk-v1",
        reasons=[reason("police contacts in the last year: 2", 0.6, ["police"])],
    )  # fmt: skip
    RiskScore.objects.create(
        youth=y, as_of=world.today, score=0.05, band="low", rank=900, model_version="risk-v2",
        reasons=[reason("unexcused absence days per 100 school days: 0.4", -0.3, ["education"])],
    )  # fmt: skip
    return alert


def test_the_story_tells_the_case_from_its_alert_to_now_in_time_order(client, world, opened_on_alert):
    case = world.case
    g = actor(world.u.guidance)
    case_services.move_case(actor=g, case=case, move="start_assessment", expected_version=fresh(case).version)
    with_plan(world)
    case_services.log_intervention(
        actor=g, case=fresh(case), kind=InterventionKind.HOME_VISIT, occurred_on=world.today, notes="Met mother",
        next_step="Call the school", next_due=world.today + dt.timedelta(days=7),
    )  # fmt: skip
    referral = case_services.refer(
        actor=g, youth=case.youth, case=fresh(case), from_bureau=world.b.committee, to_bureau=world.b.welfare,
        reason="Family support needed", consent="obtained",
    )  # fmt: skip
    story = case_story(world.u.guidance, fresh(case))
    kinds = [e.kind for e in story]
    # What it was opened on comes first, then the case; the score now is the last thing said.
    assert kinds[:4] == ["alert", "decision", "score", "opened"]
    assert kinds[-1] == "score"
    assert [e.at for e in story[:-1]] == sorted(e.at for e in story[:-1])
    alert_entry = story[0]
    assert alert_entry.title == f"Alert: {opened_on_alert.label}"
    assert "Exposure behaviour: decide within 14 days" in alert_entry.lines
    due = opened_on_alert.due_at.astimezone(TAIPEI)
    assert any(f"Deadline {deadline_text(due)}," in line for line in alert_entry.lines)
    assert "Decided in time." in alert_entry.lines
    assert (
        story[2].title == "Score at opening"
        and story[2].reasons[0]["text"] == "police contacts in the last year: 2"
    )
    assert story[-1].title == "Score now" and "Low" in story[-1].lines[0]
    sent = next(e for e in story if e.kind == "referral")
    answer_by = referral.created_at.astimezone(TAIPEI).date() + dt.timedelta(days=14)
    assert sent.deadline == f"answer by {answer_by.isoformat()}"
    assert {"status", "plan", "review", "intervention"} <= set(kinds)
    visit = next(e for e in story if e.kind == "intervention")
    assert "Met mother" in visit.lines and visit.deadline.startswith("next step due")
    login(client, "guidance")
    html = html_of(client, case)
    assert html.index("Alert: ") < html.index("Case opened:") < html.index("Need found: School attendance")
    assert f"answer by {answer_by.isoformat()}" in html


def test_the_story_shows_times_in_taipei_whatever_the_server_keeps(client, world):
    # 17:30 UTC on 1 January is 01:30 on 2 January in Taipei.
    at = dt.datetime(2026, 1, 1, 17, 30, tzinfo=dt.UTC)
    CaseStatusChange.objects.create(
        case=world.case, from_status="opened", to_status="assessment", by=world.u.guidance, at=at
    )
    login(client, "guidance")
    html = html_of(client, world.case)
    assert 'datetime="2026-01-02T01:30:00+08:00"' in html and "2026-01-02 01:30" in html


def test_the_alert_reason_is_withheld_from_a_viewer_who_may_not_read_its_source(world, opened_on_alert):
    # Welfare works the case through an accepted referral: it reads the case, not the police record behind it.
    Referral.objects.create(
        youth=world.y.case, case=world.case, from_bureau=world.b.committee, from_user=world.u.guidance,
        to_bureau=world.b.welfare, reason="Family support", consent="obtained", status=ReferralStatus.ACCEPTED,
    )  # fmt: skip
    case = fresh(world.case)
    seen_by_welfare = case_story(world.u.social, case)[0]
    assert seen_by_welfare.title == f"Alert routed to {world.b.committee}"
    assert opened_on_alert.label not in " ".join([seen_by_welfare.title, *seen_by_welfare.lines])
    score_then = next(e for e in case_story(world.u.social, case) if e.title == "Score at opening")
    assert score_then.reasons == [{"up": True, "text": None}]  # in place, without its text
    assert case_story(world.u.guidance, case)[0].title == f"Alert: {opened_on_alert.label}"


# ---------------------------------------------------------------------------------------------------------
# The plan: edited by those who may edit the case, versioned and logged
# ---------------------------------------------------------------------------------------------------------

PLAN_POSTS = {
    "case-plan-need": ({"area": "family", "finding": "Parents separated"}, CaseNeed),
    "case-plan-goal-add": ({"area": "family", "text": "Weekly contact with the father"}, CaseGoal),
    "case-plan-service-add": (
        {"description": "Family counselling", "owner_bureau": "WELFARE", "due_on": "TODAY"},
        PlannedService,
    ),
    "case-plan-review": ({"reviewed_on": "TODAY", "note": "On track"}, CasePlanReview),
}


def plan_post(world, name: str) -> dict:
    data, _model = PLAN_POSTS[name]
    values = {"WELFARE": str(world.b.welfare.pk), "TODAY": world.today.isoformat()}
    return {k: values.get(v, v) for k, v in data.items()}


@pytest.mark.parametrize("name", sorted(PLAN_POSTS))
@pytest.mark.parametrize("username", ["guidance", "supervisor"])
def test_those_who_may_edit_the_case_edit_its_plan_as_versions_and_log_lines(client, world, name, username):
    login(client, username)
    response = client.post(reverse(name, args=[world.case.pk]), plan_post(world, name))
    assert response.status_code == 302, response.content.decode()[:500]
    assert response["Location"] == reverse("case-detail", args=[world.case.pk]) + "#plan-h"
    model = PLAN_POSTS[name][1]
    made = model.objects.get(case=world.case)
    assert made.history.count() == 1 and made.history.get().history_user.username == username
    entry = AuditEntry.objects.filter(object_type=model._meta.model_name, object_id=str(made.pk)).get()
    assert entry.action == AuditAction.CREATE and entry.username == username
    assert entry.youth_public_id == world.y.case.public_id


@pytest.mark.parametrize("name", sorted(PLAN_POSTS))
def test_a_worker_who_reads_the_case_but_may_not_edit_it_is_refused_403_and_logged(client, world, name):
    Referral.objects.create(
        youth=world.y.case, case=world.case, from_bureau=world.b.committee, from_user=world.u.guidance,
        to_bureau=world.b.welfare, reason="Family support", consent="obtained", status=ReferralStatus.ACCEPTED,
    )  # fmt: skip
    login(client, "social")
    assert client.get(reverse("case-detail", args=[world.case.pk])).status_code == 200
    response = client.post(reverse(name, args=[world.case.pk]), plan_post(world, name))
    assert response.status_code == 403
    assert not PLAN_POSTS[name][1].objects.exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.DENIED, username="social", path__contains="/plan/"
    ).exists()


@pytest.mark.parametrize("username", ["officer", "social", "counsellor", "police_supervisor"])
def test_the_plan_of_a_case_out_of_reach_answers_404(client, world, username):
    login(client, username)
    for name in PLAN_POSTS:
        assert client.post(reverse(name, args=[world.case.pk]), plan_post(world, name)).status_code == 404
    assert not CaseNeed.objects.exists() and not PlannedService.objects.exists()


def test_a_closed_case_plan_is_read_only_even_for_its_supervisor(client, world):
    login(client, "supervisor")
    html = html_of(client, world.closed_case)
    assert reverse("case-plan-need", args=[world.closed_case.pk]) not in html
    response = client.post(
        reverse("case-plan-need", args=[world.closed_case.pk]), plan_post(world, "case-plan-need")
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        plan_services.record_need(actor=actor(world.u.supervisor), case=world.closed_case, area="family")


def test_a_step_marked_not_done_needs_a_reason_and_each_change_is_a_version(client, world):
    g = actor(world.u.guidance)
    service = plan_services.plan_service(
        actor=g, case=world.case, description="School re-entry meeting", due_on=world.today, owner_bureau=world.b.education
    )  # fmt: skip
    login(client, "guidance")
    url = reverse("case-plan-service-edit", args=[world.case.pk, service.pk])
    data = {
        "description": "School re-entry meeting", "owner_bureau": world.b.education.pk,
        "due_on": world.today.isoformat(), "status": "not_done", "not_done_reason": "",
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 400 and "Say why the step was not done." in response.content.decode()
    assert PlannedService.objects.get(pk=service.pk).status == PlannedServiceStatus.PLANNED
    assert client.post(url, {**data, "not_done_reason": "The school refused"}).status_code == 302
    service.refresh_from_db()
    assert service.status == "not_done" and service.not_done_reason == "The school refused"
    assert service.history.count() == 2
    html = html_of(client, world.case)
    assert "The school refused" in html  # the page's history shows the plan's versions too
    # Another case's step is not reached through this case.
    assert (
        client.post(
            reverse("case-plan-service-edit", args=[world.closed_case.pk, service.pk]), data
        ).status_code
        == 404
    )


def test_a_step_needs_an_owner_person_or_bureau(world):
    with pytest.raises(ValidationError) as refused:
        plan_services.plan_service(
            actor=actor(world.u.guidance), case=world.case, description="Job training", due_on=world.today
        )
    assert "owner_bureau" in refused.value.message_dict


# ---------------------------------------------------------------------------------------------------------
# Closure approval acknowledges steps never done
# ---------------------------------------------------------------------------------------------------------


def test_approving_a_closure_with_a_step_never_done_needs_the_acknowledgement(client, world):
    steps = with_plan(world)
    ask_closure(world)
    login(client, "supervisor")
    html = html_of(client, world.case)
    assert "1 planned step was never done:" in html and "Family meeting with the father" in html
    assert (
        'name="acknowledge_undone"' in html
        and "required" in re.search(r"<input[^>]*acknowledge_undone[^>]*>", html).group()
    )
    url = reverse("case-move", args=[world.case.pk, "approve_closure"])
    response = client.post(url, {"version": fresh(world.case).version})
    assert response.status_code == 400
    assert (
        fresh(world.case).status == CaseStatus.CLOSURE_REQUESTED
        and not ClosureAcknowledgement.objects.exists()
    )
    shown = re.search(r'name="undone_steps" value="([^"]*)"', html).group(1)
    assert shown == str(steps["undone"].pk)
    response = client.post(
        url, {"version": fresh(world.case).version, "acknowledge_undone": "on", "undone_steps": shown}
    )
    assert response.status_code == 302 and fresh(world.case).status == CaseStatus.CLOSED
    ack = ClosureAcknowledgement.objects.get(case=world.case)
    assert ack.by == world.u.supervisor
    assert [s["description"] for s in ack.steps] == ["Family meeting with the father"]
    assert ack.steps[0]["reason"] == "Father moved away" and ack.steps[0]["id"] == steps["undone"].pk
    entry = AuditEntry.objects.filter(
        object_type="case", object_id=str(world.case.pk), action="update"
    ).latest("id")
    assert entry.detail["acknowledged_undone"] == [steps["undone"].pk] and entry.username == "supervisor"


def test_a_closure_with_every_step_done_asks_for_no_acknowledgement(client, world):
    service = plan_services.plan_service(
        actor=actor(world.u.guidance), case=world.case, description="Home visit", due_on=world.today,
        owner_user=world.u.guidance,
    )  # fmt: skip
    PlannedService.objects.filter(pk=service.pk).update(status="done")
    ask_closure(world)
    login(client, "supervisor")
    assert 'name="acknowledge_undone"' not in html_of(client, world.case)
    response = client.post(
        reverse("case-move", args=[world.case.pk, "approve_closure"]), {"version": fresh(world.case).version}
    )
    assert response.status_code == 302 and fresh(world.case).status == CaseStatus.CLOSED
    assert not ClosureAcknowledgement.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# Why there is no approve button
# ---------------------------------------------------------------------------------------------------------


def test_the_page_says_no_closure_has_been_asked_for(client, world):
    login(client, "supervisor")
    assert "No closure has been asked for" in html_of(client, world.case)


def test_the_page_says_why_a_viewer_may_not_approve(client, world):
    supervisor2 = make_user("supervisor2", world.b.committee, Role.SUPERVISOR)
    # supervisor2 carried the case before handing it to guidance.
    case_services.update_case(
        actor=actor(world.u.guidance), case=world.case, expected_version=1, assignee=supervisor2
    )
    case_services.update_case(
        actor=actor(world.u.guidance), case=world.case, expected_version=2, assignee=world.u.guidance
    )
    ask_closure(world)
    case = fresh(world.case)
    rule = "Closures are approved by a supervisor of the case's lead bureau (Committee) who never carried the case."
    login(client, "guidance")
    html = html_of(client, case)
    assert rule in html and reverse("case-move", args=[case.pk, "approve_closure"]) not in html
    client.logout()
    login(client, "supervisor2")
    html = html_of(client, case)
    assert f"{rule} You carried this case before." in html
    assert reverse("case-move", args=[case.pk, "approve_closure"]) not in html
    client.logout()
    login(client, "supervisor")  # may approve: the button, and no excuse
    html = html_of(client, case)
    assert reverse("case-move", args=[case.pk, "approve_closure"]) in html and rule not in html
    assert why_not_approver(world.u.supervisor, case) == ""


# ---------------------------------------------------------------------------------------------------------
# The inbox: read per person, cleared when its action is done
# ---------------------------------------------------------------------------------------------------------


def test_a_bureau_message_read_by_one_worker_stays_unread_for_a_colleague(client, world):
    guidance2 = world.u.__dict__["guidance2"]
    note = Notification.objects.create(
        kind=NotificationKind.TRIAGE_OUTCOME, bureau=world.b.committee, youth=world.y.case,
        detail={"decision": "monitor", "decided_by_bureau": "police"},
    )  # fmt: skip
    assert unread_messages(world.u.guidance).count() == unread_messages(guidance2).count() == 1
    login(client, "guidance")
    assert client.post(reverse("inbox-mark-read", args=[note.pk])).status_code == 302
    page = client.get(reverse("inbox")).content.decode()
    assert "0 unread" in page
    assert ">Inbox<" in page and "Inbox (1)" not in page  # the menu counts as the page does
    assert unread_messages(world.u.guidance).count() == 0
    assert list(unread_messages(guidance2)) == [note]
    client.logout()
    login(client, "guidance2")
    html = client.get(reverse("inbox")).content.decode()
    assert "1 unread" in html and 'class="notification unread"' in html
    assert "Inbox (1)" in html


def test_a_message_whose_action_is_done_leaves_everyones_unread_count(client, world):
    ask_closure(world)
    note = Notification.objects.get(kind=NotificationKind.CLOSURE_REQUESTED, user=world.u.supervisor)
    assert list(unread_messages(world.u.supervisor)) == [note]
    received = Notification.objects.create(
        kind=NotificationKind.REFERRAL_RECEIVED, bureau=world.b.welfare, youth=world.y.referred,
        referral=world.referral,
    )  # fmt: skip
    assert list(unread_messages(world.u.social)) == [received]
    case_services.move_case(
        actor=actor(world.u.supervisor), case=world.case, move="return_closure",
        expected_version=fresh(world.case).version, note="One more home visit",
    )  # fmt: skip
    case_services.respond_to_referral(actor=actor(world.u.social), referral=world.referral, accept=True)
    assert not unread_messages(world.u.supervisor).filter(pk=note.pk).exists()
    assert not unread_messages(world.u.social).exists()
    login(client, "supervisor")
    html = client.get(reverse("inbox")).content.decode()
    item = re.search(rf'data-notification="{note.pk}".*?</li>', html, re.S).group()
    assert 'class="tag action-done"' in item and "Unread" not in item


# ---------------------------------------------------------------------------------------------------------
# Erasure: the plan goes with its case; subject access lists it
# ---------------------------------------------------------------------------------------------------------

PLAN_MODELS = (CaseNeed, CaseGoal, PlannedService, CasePlanReview)


def test_sealing_erases_the_plan_of_a_case_opened_on_a_sealed_record_with_its_versions(
    world, opened_on_alert
):
    with_plan(world)
    ask_closure(world)
    case_services.move_case(
        actor=actor(world.u.supervisor), case=world.case, move="approve_closure",
        expected_version=fresh(world.case).version, acknowledge_undone=True,
    )  # fmt: skip
    assert ClosureAcknowledgement.objects.filter(case=world.case).exists()
    ids = {
        model: list(model.objects.filter(case=world.case).values_list("pk", flat=True))
        for model in PLAN_MODELS
    }
    assert all(ids.values())
    erased = erase_derived_from_events(
        event_ids=[opened_on_alert.source_event_id], actor=actor(world.u.steward)
    )
    assert not Case.objects.filter(pk=world.case.pk).exists()
    assert erased.counts["case_plan"] == sum(len(v) for v in ids.values()) + 1
    for model, pks in ids.items():
        assert not model.objects.filter(pk__in=pks).exists(), model
        assert not model.history.filter(id__in=pks).exists(), model
    assert not ClosureAcknowledgement.objects.exists()
    holdings = {s.key: s.rows for s in collect(world.y.case).sheets}
    for key in (
        "case_needs",
        "case_goals",
        "planned_services",
        "case_plan_reviews",
        "closure_acknowledgements",
    ):
        assert holdings[key] == [], key


def test_a_case_purged_by_retention_takes_its_plan_and_versions_with_it(world):
    with_plan(world)
    ids = {
        model: list(model.objects.filter(case=world.case).values_list("pk", flat=True))
        for model in PLAN_MODELS
    }
    # The retention purge deletes its cases' interventions and referrals, then the case (the rest cascades).
    Case.objects.filter(pk=world.case.pk).delete()
    for model, pks in ids.items():
        assert not model.objects.filter(pk__in=pks).exists() and not model.history.filter(id__in=pks).exists()


def test_subject_access_lists_every_part_of_the_plan(world):
    with_plan(world)
    ask_closure(world)
    case_services.move_case(
        actor=actor(world.u.supervisor), case=world.case, move="approve_closure",
        expected_version=fresh(world.case).version, acknowledge_undone=True,
    )  # fmt: skip
    sheets = {s.key: s for s in collect(world.y.case).sheets}
    assert [r["area"] for r in sheets["case_needs"].rows] == ["School attendance and learning"]
    assert sheets["case_needs"].rows[0]["finding"] == "Absent 12 days this term"
    assert [r["text"] for r in sheets["case_goals"].rows] == ["Back in class four days a week"]
    services = {r["description"]: r for r in sheets["planned_services"].rows}
    assert services["Family meeting with the father"]["not_done_reason"] == "Father moved away"
    assert services["Meet the school counsellor"]["owner_bureau"] == str(world.b.education)
    assert [r["note"] for r in sheets["case_plan_reviews"].rows] == ["Attendance improving"]
    assert "Family meeting with the father" in sheets["closure_acknowledgements"].rows[0]["steps"]
    assert list(sheets)[-1] == "access_log"  # the log stays the last sheet


def test_every_plan_change_is_in_the_access_log_and_a_version(world):
    steps = with_plan(world)
    for obj in (steps["need"], steps["goal"], steps["done"], steps["undone"], steps["review"]):
        assert AuditEntry.objects.filter(object_type=obj._meta.model_name, object_id=str(obj.pk)).exists()
    # Two versions for each step (planned, then how it went).
    assert steps["done"].history.count() == steps["undone"].history.count() == 2
    assert timezone.now() >= steps["review"].created_at
    assert Intervention.objects.count() == 0  # planning is not logging work


def test_a_role_without_casework_reads_an_empty_inbox(client, world):
    login(client, "auditor")
    response = client.get(reverse("inbox"))
    assert response.status_code == 200 and "0 unread" in response.content.decode()


def test_the_api_approves_a_closure_with_an_undone_step_only_with_the_acknowledgement(client, world):
    with_plan(world)
    ask_closure(world)
    assert client.login(username="supervisor", password=PASSWORD)
    url = reverse("api:case-move", args=[world.case.pk])
    body = {"move": "approve_closure", "expected_version": fresh(world.case).version}
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 400 and refused.json()
    assert fresh(world.case).status == CaseStatus.CLOSURE_REQUESTED
    steps = [s.pk for s in case_services.undone_services(world.case)]
    approved = client.post(
        url,
        {**body, "acknowledge_undone": True, "acknowledged_steps": steps},
        content_type="application/json",
    )
    assert approved.status_code == 200 and fresh(world.case).status == CaseStatus.CLOSED
    assert ClosureAcknowledgement.objects.get(case=world.case).by == world.u.supervisor
