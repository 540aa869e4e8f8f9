"""The triage pages: the queue per bureau, the decision page, the inbox and the alert rules, as each role
uses them in the browser (English pages, so assertions read like the screen)."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone, translation

from casework.clock import taipei_today
from casework.models import (
    Alert,
    AlertRule,
    AlertStatus,
    AuditAction,
    AuditEntry,
    Case,
    Enrollment,
    Notification,
    NotificationKind,
    Referral,
    RiskScore,
    TriageDecision,
)
from casework.triage.selectors import deadline_words
from casework.youth import services as youth_services
from tests.fixtures import PASSWORD

POLICE_REASON = "offence contacts in the last year: 2"
WELFARE_REASON = "child-protection reports: 1"
SCHOOL_REASON = "attended every day this term"
WEAK_REASON = "late-night contacts: 1"


def login(client, username: str) -> None:
    assert client.login(username=username, password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def rule(key: str, *, route_to=("police",), deadline_days=None, deadline_hours=None, **extra) -> AlertRule:
    if deadline_days is None and deadline_hours is None:
        deadline_days = 14
    return AlertRule.objects.create(
        key=key,
        name_zh=f"{key} 規則",
        name_en=f"Rule {key}",
        duty_zh="處理",
        duty_en=f"Duty of {key}",
        trigger="event",
        event_kind="police_exposure",
        route_to=list(route_to),
        deadline_days=deadline_days,
        deadline_hours=deadline_hours,
        concern=extra.pop("concern", "exposure"),
        **extra,
    )


def youth(name: str, *, age: int = 15, district: str = "桃園區"):
    born = taipei_today() - relativedelta(years=age, days=20)
    return youth_services.create_youth(name=name, birth_date=born, district=district)


def alert(y, bureau, alert_rule, *, due_in: dt.timedelta, status: str = AlertStatus.OPEN) -> Alert:
    return Alert.objects.create(
        youth=y,
        reason=alert_rule.key,
        rule=alert_rule,
        routed_to=bureau,
        due_at=timezone.now() + due_in,
        status=status,
    )


def score(y, value: float, band: str, *, rank: int = 1, reasons=None, as_of=None) -> RiskScore:
    return RiskScore.objects.create(
        youth=y,
        as_of=as_of or dt.date(2026, 11, 1),
        score=value,
        band=band,
        rank=rank,
        model_version="risk-v9",
        reasons=reasons or [],
    )


def reason(text: str, source: str, shap: float) -> dict:
    return {
        "key": text,
        "direction": "up" if shap > 0 else "down",
        "value": 1,
        "shap": shap,
        "source": source,
        "text_zh": text,
        "text_en": text,
    }


def queue_order(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-alert="(\d+)"', html)]


def row_of(html: str, alert_pk: int) -> str:
    match = re.search(rf'<tr[^>]*data-alert="{alert_pk}".*?</tr>', html, re.S)
    assert match, f"no row for alert {alert_pk}"
    return match.group(0)


@pytest.fixture
def police_rule(world):
    return rule("t_exposure", deadline_days=14)


# ---------------------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------------------


def test_queue_puts_overdue_first_then_nearest_deadline_then_highest_score(client, world, police_rule):
    Alert.objects.filter(pk=world.alert.pk).update(status=AlertStatus.RESOLVED)
    police = world.b.police
    same_due = dt.timedelta(days=3)
    made = {}
    for name, due_in, value in [
        ("a_overdue_long", -dt.timedelta(days=2), 0.1),
        ("b_overdue_just", -dt.timedelta(hours=3), 0.9),
        ("c_tomorrow", dt.timedelta(days=1), 0.2),
        ("d_low_score", same_due, 0.3),
        ("e_high_score", same_due, 0.8),
        ("f_unscored", same_due, None),
    ]:
        y = youth(name)
        made[name] = alert(y, police, police_rule, due_in=due_in)
        if value is not None:
            score(y, value, "medium")
    # All three with the same deadline share one due_at, so only the score can order them.
    Alert.objects.filter(pk__in=[made[n].pk for n in ("d_low_score", "e_high_score", "f_unscored")]).update(
        due_at=made["d_low_score"].due_at
    )
    login(client, "officer")
    html = client.get(reverse("triage-queue")).content.decode()
    expected = ["a_overdue_long", "b_overdue_just", "c_tomorrow", "e_high_score", "d_low_score", "f_unscored"]
    assert queue_order(html) == [made[n].pk for n in expected]
    assert "overdue by 2 days" in row_of(html, made["a_overdue_long"].pk)
    assert "overdue by 3 hours" in row_of(html, made["b_overdue_just"].pk)
    assert "due in 24 hours" in row_of(html, made["c_tomorrow"].pk)
    assert "due in 3 days" in row_of(html, made["e_high_score"].pk)
    assert 'class="overdue' in row_of(html, made["a_overdue_long"].pk)
    assert 'class="overdue' not in row_of(html, made["c_tomorrow"].pk)


def test_queue_row_shows_youth_rule_deadline_in_taipei_time_status_and_score(client, world, police_rule):
    y = youth("row", age=14, district="中壢區")
    Enrollment.objects.create(youth=y, school=world.schools["J02"], student_no="R-1", enrolled_on=world.today)
    a = alert(y, world.b.police, police_rule, due_in=dt.timedelta(days=5), status=AlertStatus.ESCALATED)
    # 16:00 UTC is midnight in Taipei.
    due = (timezone.now() + dt.timedelta(days=5)).astimezone(dt.UTC).replace(hour=16, minute=0, second=0)
    Alert.objects.filter(pk=a.pk).update(due_at=due)
    score(y, 0.4321, "high", rank=12)
    login(client, "officer")
    row = row_of(client.get(reverse("triage-queue")).content.decode(), a.pk)
    assert f'href="{reverse("youth-detail", args=[y.public_id])}"' in row
    assert "age 14" in row and "中壢區" in row
    assert "Demo 2" not in row  # the current school is a school detail, not the police's (rule 5)
    assert "Rule t_exposure" in row and "Duty of t_exposure" in row
    # A deadline at midnight is the end of the day before, and reads so (not "00:00" of the next day).
    assert (due + dt.timedelta(hours=8) - dt.timedelta(days=1)).strftime("%Y-%m-%d, end of day") in row
    assert "alert-status-escalated" in row and "Escalated" in row
    assert 'data-score="0.4321"' in row and "High" in row and "rank 12" in row


def test_queue_lists_only_active_alerts_of_the_chosen_bureau(client, world, police_rule):
    other = rule("t_committee", route_to=("committee",))
    done = alert(youth("done"), world.b.police, police_rule, due_in=dt.timedelta(days=1))
    Alert.objects.filter(pk=done.pk).update(status=AlertStatus.RESOLVED)
    committee = alert(youth("committee"), world.b.committee, other, due_in=dt.timedelta(days=1))
    login(
        client, "police_supervisor"
    )  # supervisors may see resolved alerts, but the queue is only active ones
    html = client.get(reverse("triage-queue")).content.decode()
    assert queue_order(html) == [world.alert.pk]
    assert 'class="bureau-tabs"' not in html  # one bureau: no selector
    assert client.get(reverse("triage-queue"), {"bureau": "committee"}).status_code == 404
    assert committee.pk not in queue_order(html)


def test_a_worker_of_two_bureaus_chooses_the_queue(client, world, police_rule):
    from casework.models import Membership, Role

    Membership.objects.create(user=world.u.officer, bureau=world.b.committee, role=Role.GUIDANCE_WORKER)
    committee = alert(
        youth("c"), world.b.committee, rule("t_c", route_to=("committee",)), due_in=dt.timedelta(1)
    )
    login(client, "officer")
    html = client.get(reverse("triage-queue")).content.decode()
    assert 'class="bureau-tabs"' in html and "?bureau=committee" in html and "?bureau=police" in html
    assert queue_order(html) == [committee.pk]  # the first bureau by code opens first
    html = client.get(reverse("triage-queue"), {"bureau": "committee"}).content.decode()
    assert queue_order(html) == [committee.pk]
    html = client.get(reverse("triage-queue"), {"bureau": "police"}).content.decode()
    assert queue_order(html) == [world.alert.pk]


@pytest.fixture
def filter_world(world, police_rule):
    """Three alerts in the police queue that differ in every filtered attribute."""
    Alert.objects.filter(pk=world.alert.pk).update(status=AlertStatus.RESOLVED)
    dropout = rule("t_dropout", deadline_hours=72)
    j01, j02 = world.schools["J01"], world.schools["J02"]
    one = youth("one", age=13, district="桃園區")
    Enrollment.objects.create(
        youth=one, school=j01, student_no="F-1", enrolled_on=world.today - dt.timedelta(100)
    )
    two = youth("two", age=16, district="中壢區")
    Enrollment.objects.create(
        youth=two, school=j02, student_no="F-2", enrolled_on=world.today - dt.timedelta(100)
    )
    three = youth("three", age=17, district="中壢區")
    Enrollment.objects.create(
        youth=three,
        school=j01,
        student_no="F-3",
        enrolled_on=world.today - dt.timedelta(700),
        left_on=world.today,
    )
    score(one, 0.5, "high")
    score(two, 0.05, "low")
    score(three, 0.9, "very_high")
    return SimpleNamespace(
        one=alert(one, world.b.police, police_rule, due_in=-dt.timedelta(hours=5)),
        two=alert(two, world.b.police, dropout, due_in=dt.timedelta(days=2)),
        three=alert(three, world.b.police, police_rule, due_in=dt.timedelta(days=4)),
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"one", "two", "three"}),
        ({"district": "中壢區"}, {"two", "three"}),
        # The police may not filter by current school (rule 5): the filter is ignored for them (see
        # test_school_details.py for those who may, where "three", who left J01 today, is not a student).
        ({"school": "J01"}, {"one", "two", "three"}),
        ({"reason": "t_dropout"}, {"two"}),
        ({"band": "high"}, {"one"}),
        ({"band": "very_high"}, {"three"}),
        ({"min_age": "16"}, {"two", "three"}),
        ({"max_age": "13"}, {"one"}),
        ({"min_age": "14", "max_age": "16"}, {"two"}),
        ({"overdue": "on"}, {"one"}),
        ({"district": "中壢區", "band": "low"}, {"two"}),
    ],
    ids=lambda v: "&".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else None,
)
def test_queue_filters(client, filter_world, query, expected):
    login(client, "officer")
    html = client.get(reverse("triage-queue"), query).content.decode()
    shown = {name for name in ("one", "two", "three") if getattr(filter_world, name).pk in queue_order(html)}
    assert shown == expected


def test_queue_is_logged_as_a_list_with_its_query_and_count(client, filter_world):
    login(client, "officer")
    client.get(reverse("triage-queue"), {"band": "high"})
    entry = AuditEntry.objects.filter(action=AuditAction.LIST, object_type="triage-queue").get()
    assert entry.username == "officer"
    assert entry.detail == {"count": 1, "query": {"band": "high", "bureau": "police"}}


@pytest.fixture
def scored_everywhere(world, police_rule):
    """One youth with reasons from police, welfare and school records, and an alert in both the police and
    the committee queue."""
    y = youth("reasons")
    score(
        y,
        0.7,
        "high",
        reasons=[
            reason(POLICE_REASON, "police", 0.5),
            reason(WEAK_REASON, "police", 0.01),
            reason(WELFARE_REASON, "welfare", 0.3),
            reason(SCHOOL_REASON, "school", -0.2),
        ],
    )
    return SimpleNamespace(
        youth=y,
        police=alert(y, world.b.police, police_rule, due_in=dt.timedelta(days=2)),
        committee=alert(
            y, world.b.committee, rule("t_comm", route_to=("committee",)), due_in=dt.timedelta(2)
        ),
    )


def test_queue_shows_the_top_three_reasons_and_withholds_those_from_sources_the_viewer_may_not_read(
    client, scored_everywhere
):
    login(client, "officer")
    row = row_of(client.get(reverse("triage-queue")).content.decode(), scored_everywhere.police.pk)
    assert POLICE_REASON in row
    assert WELFARE_REASON not in row and SCHOOL_REASON not in row
    assert row.count("a factor from records you have no reason to see") == 2
    assert WEAK_REASON not in row  # fourth by size: not in the top three
    assert "▲" in row and "▼" in row


def test_committee_workers_read_every_reason_in_their_queue(client, scored_everywhere):
    login(client, "guidance")
    row = row_of(client.get(reverse("triage-queue")).content.decode(), scored_everywhere.committee.pk)
    assert POLICE_REASON in row and WELFARE_REASON in row and SCHOOL_REASON in row
    assert "no reason to see" not in row


def test_roles_that_never_triage_are_refused_the_queue(client, world):
    for username in ("counsellor", "steward", "modeller", "auditor", "admin"):
        login(client, username)
        assert client.get(reverse("triage-queue")).status_code == 403, username
        assert client.get(reverse("triage-decide", args=[world.alert.pk])).status_code == 403, username
        client.logout()


@translation.override("en")
def test_deadline_words():
    now = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    assert deadline_words(now + dt.timedelta(minutes=20), now) == "due within the hour"
    assert deadline_words(now + dt.timedelta(hours=5, minutes=10), now) == "due in 5 hours"
    assert deadline_words(now + dt.timedelta(hours=1), now) == "due in 1 hour"
    assert deadline_words(now + dt.timedelta(hours=47), now) == "due in 47 hours"
    assert deadline_words(now + dt.timedelta(days=13, hours=23), now) == "due in 14 days"
    assert deadline_words(now - dt.timedelta(minutes=5), now) == "overdue"
    assert deadline_words(now - dt.timedelta(hours=30), now) == "overdue by 30 hours"
    assert deadline_words(now - dt.timedelta(days=1, hours=0), now) == "overdue by 24 hours"
    assert deadline_words(now - dt.timedelta(days=3), now) == "overdue by 3 days"


# ---------------------------------------------------------------------------------------------------------
# Acknowledging
# ---------------------------------------------------------------------------------------------------------


def test_the_routed_bureau_acknowledges_from_the_queue(client, world):
    login(client, "officer")
    queue = reverse("triage-queue") + "?bureau=police"
    response = client.post(reverse("triage-acknowledge", args=[world.alert.pk]), {"next": queue})
    assert response.status_code == 302 and response["Location"] == queue
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.ACKNOWLEDGED and world.alert.acknowledged_by == world.u.officer
    html = client.get(queue).content.decode()
    row = row_of(html, world.alert.pk)
    assert "Acknowledged" in row
    assert reverse("triage-acknowledge", args=[world.alert.pk]) not in row


def test_another_bureau_cannot_acknowledge_and_learns_nothing(client, world):
    login(client, "guidance")
    response = client.post(reverse("triage-acknowledge", args=[world.alert.pk]))
    assert response.status_code == 404
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.OPEN
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, detail__object_type="alert").exists()


def test_an_escalated_alert_stays_marked_after_it_is_acknowledged(client, world):
    Alert.objects.filter(pk=world.alert.pk).update(status=AlertStatus.ESCALATED, escalated_at=timezone.now())
    login(client, "officer")
    client.post(reverse("triage-acknowledge", args=[world.alert.pk]))
    row = row_of(client.get(reverse("triage-queue")).content.decode(), world.alert.pk)
    assert "Acknowledged" in row and "escalated to the bureau's supervisors" in row
    assert "escalated" in re.search(r"<tr[^>]*>", row).group(0)


def test_acknowledging_a_decided_alert_says_why_instead_of_failing(client, world):
    Alert.objects.filter(pk=world.alert.pk).update(status=AlertStatus.RESOLVED)
    login(client, "police_supervisor")  # still sees the resolved alert
    response = client.post(reverse("triage-acknowledge", args=[world.alert.pk]), follow=True)
    assert response.status_code == 200
    assert "This alert is not open." in response.content.decode()
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.RESOLVED


# ---------------------------------------------------------------------------------------------------------
# The decision page
# ---------------------------------------------------------------------------------------------------------


def test_decision_page_shows_the_alert_rule_score_reasons_and_timeline_redacted(
    client, world, scored_everywhere
):
    youth_services.record_event(
        youth=scored_everywhere.youth,
        kind="police_exposure",
        event_date=world.today,
        knowledge_date=world.today,
        owning_bureau=world.b.police,
        code="drug_use",
    )
    youth_services.record_event(
        youth=scored_everywhere.youth,
        kind="fragile_family",
        event_date=world.today,
        knowledge_date=world.today,
        owning_bureau=world.b.welfare,
        code="economic_hardship",
    )
    login(client, "officer")
    response = client.get(reverse("triage-decide", args=[scored_everywhere.police.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rule t_exposure" in html and "Duty of t_exposure" in html and "within 14 days" in html
    assert "version 1" in html
    assert 'data-score="0.7"' in html
    assert POLICE_REASON in html and WEAK_REASON in html  # every reason here, not only the top three
    assert WELFARE_REASON not in html and SCHOOL_REASON not in html
    assert "drug_use" in html and "economic_hardship" not in html
    assert "1 record from this source exists" in html
    # A high band: choosing "No action" would be an override, and the page says so before submitting.
    assert "Going against the model's band needs a note." in html
    assert 'data-override-for="no_action"' in html
    assert AuditEntry.objects.filter(
        action=AuditAction.VIEW, object_type="alert", object_id=str(scored_everywhere.police.pk)
    ).exists()


def test_decision_page_warns_that_opening_a_case_on_a_low_band_is_an_override(client, world):
    score(world.y.alert, 0.01, "low")
    login(client, "officer")
    html = client.get(reverse("triage-decide", args=[world.alert.pk])).content.decode()
    assert 'data-override-for="open_case"' in html
    assert "Choosing “Open a case for outreach” goes against that band" in html


def test_decision_page_lists_assignees_of_the_routed_bureau_and_referral_recipients_but_not_oneself(
    client, world
):
    login(client, "officer")
    html = client.get(reverse("triage-decide", args=[world.alert.pk])).content.decode()
    assignee = re.search(r'<select name="assignee".*?</select>', html, re.S).group(0)
    assert f'value="{world.u.police_supervisor.pk}"' in assignee
    assert f'value="{world.u.guidance.pk}"' not in assignee  # not of the police unit
    recipients = re.search(r'<select name="to_user".*?</select>', html, re.S).group(0)
    assert f'value="{world.u.social.pk}"' in recipients
    assert f'value="{world.u.officer.pk}"' not in recipients
    assert f'value="{world.u.counsellor.pk}"' not in recipients


def decide(client, alert_obj, **data):
    return client.post(
        reverse("triage-decide", args=[alert_obj.pk]), {"reason_code": "needs_support", **data}
    )


def test_opening_a_case_resolves_the_alert_and_goes_to_the_new_case(client, world):
    score(world.y.alert, 0.01, "low")
    login(client, "officer")
    response = decide(
        client,
        world.alert,
        decision="open_case",
        note="Family asked for help at the station",
        concern="deviant",
        assignee=world.u.police_supervisor.pk,
    )
    case = Case.objects.get(youth=world.y.alert)
    assert response.status_code == 302 and response["Location"] == reverse("case-detail", args=[case.pk])
    assert case.lead_bureau == world.b.police and case.concern == "deviant"
    assert case.assignee == world.u.police_supervisor
    decision = TriageDecision.objects.get(alert=world.alert)
    assert decision.decision == "open_case" and decision.case == case
    assert decision.is_override and decision.band == "low"
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.RESOLVED and world.alert.resolved_by == world.u.officer


def test_monitoring_resolves_the_alert_and_returns_to_the_queue(client, world):
    score(world.y.alert, 0.3, "medium")
    login(client, "officer")
    response = decide(client, world.alert, decision="monitor")
    assert response.status_code == 302
    assert response["Location"] == reverse("triage-queue") + "?bureau=police"
    decision = TriageDecision.objects.get(alert=world.alert)
    assert decision.decision == "monitor" and not decision.is_override and decision.band == "medium"
    assert decision.case is None and decision.referral is None
    assert not Case.objects.filter(youth=world.y.alert).exists()
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.RESOLVED
    page = client.get(response["Location"]).content.decode()
    assert "Decision recorded for youth" in page and "Monitor" in page


def test_referring_creates_the_referral_and_returns_to_the_queue(client, world):
    login(client, "officer")
    response = decide(
        client,
        world.alert,
        decision="refer",
        reason_code="better_placed",
        note="Family support is needed",
        to_bureau="welfare",
        to_user=world.u.social.pk,
        consent="obtained",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("triage-queue") + "?bureau=police"
    referral = Referral.objects.get(youth=world.y.alert)
    assert referral.from_bureau == world.b.police and referral.to_bureau == world.b.welfare
    assert referral.to_user == world.u.social and referral.consent == "obtained"
    decision = TriageDecision.objects.get(alert=world.alert)
    assert decision.decision == "refer" and decision.referral == referral and not decision.is_override
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.RESOLVED


def test_no_action_on_a_high_band_with_a_note_is_recorded_as_an_override(client, world):
    score(world.y.alert, 0.8, "high")
    login(client, "officer")
    response = decide(
        client, world.alert, decision="no_action", reason_code="record_error", note="Wrong boy: see the ID"
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("triage-queue") + "?bureau=police"
    decision = TriageDecision.objects.get(alert=world.alert)
    assert decision.decision == "no_action" and decision.is_override and decision.band == "high"
    assert decision.note == "Wrong boy: see the ID"
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.RESOLVED


@pytest.mark.parametrize(("band", "decision"), [("very_high", "no_action"), ("low", "open_case")])
def test_an_override_without_a_note_shows_the_error_and_changes_nothing(client, world, band, decision):
    score(world.y.alert, 0.5, band)
    login(client, "officer")
    response = decide(client, world.alert, decision=decision)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Going against the model&#x27;s band needs a note explaining why." in html
    assert re.search(rf'value="{decision}"[^>]*checked', html)  # the choice stays made
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.OPEN
    assert not TriageDecision.objects.exists()
    assert not Case.objects.filter(youth=world.y.alert).exists()


def test_a_referral_without_bureau_or_consent_is_refused_and_keeps_the_text(client, world):
    login(client, "officer")
    response = decide(client, world.alert, decision="refer", note="Needs a social worker")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose the bureau to refer to." in html
    assert "Say on what basis the youth&#x27;s record is shared." in html
    assert "Needs a social worker</textarea>" in html
    assert not Referral.objects.filter(youth=world.y.alert).exists()
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.OPEN


def test_a_user_of_another_bureau_gets_404_on_the_decision_page_and_cannot_post(client, world):
    login(client, "officer")
    assert client.get(reverse("triage-decide", args=[world.alert.pk])).status_code == 200
    client.logout()
    login(client, "guidance")
    assert client.get(reverse("triage-decide", args=[world.alert.pk])).status_code == 404
    response = decide(client, world.alert, decision="monitor")
    assert response.status_code == 404
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.OPEN
    assert not TriageDecision.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, detail__status=404).count() == 2


def test_a_decided_alert_leaves_the_worker_and_a_second_decision_keeps_the_text(client, world):
    login(client, "officer")
    decide(client, world.alert, decision="monitor")
    # A colleague who opened the page before that decision submits theirs.
    response = decide(client, world.alert, decision="monitor", note="My own reading of the record")
    assert response.status_code == 409
    html = response.content.decode()
    assert "Your decision was not recorded." in html and "My own reading of the record</textarea>" in html
    assert TriageDecision.objects.filter(alert=world.alert).count() == 1


def test_the_supervisor_reads_a_decided_alert_without_a_form(client, world):
    score(world.y.alert, 0.8, "high")
    login(client, "officer")
    decide(client, world.alert, decision="no_action", reason_code="no_concern", note="Checked at home")
    client.logout()
    login(client, "police_supervisor")
    html = client.get(reverse("triage-decide", args=[world.alert.pk])).content.decode()
    assert "Decided: No action, by officer" in html and "override of the model" in html
    assert 'class="triage-form"' not in html


# ---------------------------------------------------------------------------------------------------------
# The inbox
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def inbox_world(world):
    n = SimpleNamespace()
    n.mine = Notification.objects.create(
        kind=NotificationKind.REFERRAL_ANSWERED,
        user=world.u.officer,
        youth=world.y.alert,
        detail={"status": "declined"},
    )
    n.bureau = Notification.objects.create(
        kind=NotificationKind.TRIAGE_OUTCOME,
        bureau=world.b.police,
        youth=world.y.alert,
        alert=world.alert,
        detail={"decision": "open_case", "decided_by_bureau": "committee"},
    )
    n.others = Notification.objects.create(
        kind=NotificationKind.CLOSURE_REQUESTED, user=world.u.supervisor, youth=world.y.case, case=world.case
    )
    return n


def test_inbox_shows_own_and_bureau_messages_in_words_unread_first_highlighted(client, world, inbox_world):
    login(client, "officer")
    html = client.get(reverse("inbox")).content.decode()
    found = [int(pk) for pk in re.findall(r'data-notification="(\d+)"', html)]
    assert found == [inbox_world.bureau.pk, inbox_world.mine.pk]  # newest first; not the supervisor's
    assert f"Decision on your report about youth {world.y.alert.public_id}: Open a case for outreach" in html
    assert "(decided by Committee)" in html
    assert html.count('class="notification unread"') == 2 and "2 unread" in html
    # The alert is still active in the police queue: the message links to it.
    assert reverse("triage-decide", args=[world.alert.pk]) in html


def test_inbox_links_only_to_what_the_reader_may_open(client, world, inbox_world):
    login(client, "supervisor")
    html = client.get(reverse("inbox")).content.decode()
    assert f"Closure of case {world.case} (youth {world.y.case.public_id}) awaits your decision." in html
    assert reverse("case-detail", args=[world.case.pk]) in html
    Notification.objects.create(
        kind=NotificationKind.TASK_DUE, user=world.u.social, case=world.case, detail={"due": "2026-01-01"}
    )
    client.logout()
    login(client, "social")  # a case of the committee: welfare may not open it
    html = client.get(reverse("inbox")).content.decode()
    assert f"Next step on case {world.case}" in html
    assert reverse("case-detail", args=[world.case.pk]) not in html


def test_mark_as_read_works_on_own_messages_only(client, world, inbox_world):
    login(client, "officer")
    response = client.post(reverse("inbox-mark-read", args=[inbox_world.mine.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("inbox")
    inbox_world.mine.refresh_from_db()
    assert inbox_world.mine.read_at is not None
    response = client.post(reverse("inbox-mark-read", args=[inbox_world.others.pk]))
    assert response.status_code == 404
    inbox_world.others.refresh_from_db()
    assert inbox_world.others.read_at is None
    assert client.get(reverse("inbox-mark-read", args=[inbox_world.mine.pk])).status_code == 405
    html = client.get(reverse("inbox")).content.decode()
    assert "1 unread" in html


def test_mark_all_read_touches_only_the_readers_messages(client, world, inbox_world):
    login(client, "officer")
    response = client.post(reverse("inbox-mark-all-read"))
    assert response.status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).get() == inbox_world.others
    assert "2 messages marked as read." in client.get(reverse("inbox")).content.decode()


# ---------------------------------------------------------------------------------------------------------
# Alert rules
# ---------------------------------------------------------------------------------------------------------


def rule_post(**overrides) -> dict:
    data = {
        "name_zh": "測試規則",
        "name_en": "Test rule",
        "duty_zh": "測試",
        "duty_en": "Test duty",
        "enabled": "on",
        "trigger": "event",
        "event_kind": "police_exposure",
        "event_codes": "",
        "route_to": ["committee"],
        "deadline_value": "14",
        "deadline_unit": "days",
        "lookback_days": "30",
        "concern": "exposure",
        "change_note": "Why not",
    }
    data.update(overrides)
    return data


def test_rules_are_listed_for_case_workers_and_refused_to_stewards(client, world, police_rule):
    login(client, "officer")
    html = client.get(reverse("alert-rule-list")).content.decode()
    row = re.search(r'<tr data-rule="t_exposure".*?</tr>', html, re.S).group(0)
    assert "Rule t_exposure" in row and "within 14 days" in row and "Police juvenile unit" in row
    assert "Police contact: exposure behaviour" in row and ">1<" in row
    assert reverse("alert-rule-edit", args=["t_exposure"]) not in html
    assert reverse("alert-rule-new") not in html
    client.logout()
    login(client, "steward")
    assert client.get(reverse("alert-rule-list")).status_code == 403
    assert client.get(reverse("alert-rule-detail", args=["t_exposure"])).status_code == 403


def test_administrator_edit_writes_version_2_and_keeps_version_1(client, world, police_rule):
    raised = alert(world.y.alert, world.b.police, police_rule, due_in=dt.timedelta(days=1))
    login(client, "admin")
    assert (
        reverse("alert-rule-edit", args=["t_exposure"])
        in client.get(reverse("alert-rule-list")).content.decode()
    )
    form = client.get(reverse("alert-rule-edit", args=["t_exposure"])).content.decode()
    assert 'value="Rule t_exposure"' in form
    response = client.post(
        reverse("alert-rule-edit", args=["t_exposure"]),
        rule_post(
            name_en="Rule t_exposure",
            name_zh="t_exposure 規則",
            duty_en="Duty of t_exposure",
            duty_zh="處理",
            route_to=["police"],
            deadline_value="10",
            change_note="The law now asks for 10 days",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("alert-rule-detail", args=["t_exposure"])
    v1, v2 = AlertRule.objects.filter(key="t_exposure").order_by("version")
    assert (v1.version, v1.is_current, v1.deadline_days) == (1, False, 14)
    assert (v2.version, v2.is_current, v2.deadline_days) == (2, True, 10)
    assert v2.change_note == "The law now asks for 10 days" and v2.created_by == world.u.admin
    raised.refresh_from_db()
    assert raised.rule == v1
    html = client.get(response["Location"]).content.decode()
    assert 'data-version="2"' in html and 'data-version="1"' in html
    assert "The law now asks for 10 days" in html
    history_row = re.search(r'<tr data-version="2".*?</tr>', html, re.S).group(0)
    assert "Deadline" in history_row and "within 10 days" in history_row


def test_an_edit_needs_a_change_note_and_a_real_change(client, world, police_rule):
    login(client, "admin")
    url = reverse("alert-rule-edit", args=["t_exposure"])
    same = rule_post(
        name_en="Rule t_exposure",
        name_zh="t_exposure 規則",
        duty_en="Duty of t_exposure",
        duty_zh="處理",
        route_to=["police"],
    )
    response = client.post(url, {**same, "change_note": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    response = client.post(url, same)
    assert response.status_code == 200 and "Nothing changed." in response.content.decode()
    response = client.post(url, {**same, "route_to": [], "deadline_value": "0"})
    html = response.content.decode()
    assert response.status_code == 200 and "This field is required." in html
    assert AlertRule.objects.filter(key="t_exposure").count() == 1


def test_administrator_creates_a_new_rule(client, world):
    login(client, "admin")
    response = client.post(
        reverse("alert-rule-new"),
        rule_post(key="t_new", trigger="score", bands=["very_high", "high"], deadline_unit="hours",
                  deadline_value="48", event_kind="police_exposure", change_note="Pilot in one district"),
    )  # fmt: skip
    assert response.status_code == 302
    created = AlertRule.objects.get(key="t_new")
    assert created.version == 1 and created.is_current and created.trigger == "score"
    assert created.bands == ["very_high", "high"] and created.event_kind == ""
    assert created.deadline_hours == 48 and created.deadline_days is None
    response = client.post(reverse("alert-rule-new"), rule_post(key="t_new"))
    assert response.status_code == 200 and "A rule with this key exists already" in response.content.decode()


def test_others_get_403_on_the_rule_editor(client, world, police_rule):
    for username in ("officer", "supervisor", "police_supervisor", "auditor"):
        login(client, username)
        assert client.get(reverse("alert-rule-edit", args=["t_exposure"])).status_code == 403, username
        assert client.get(reverse("alert-rule-new")).status_code == 403, username
        response = client.post(reverse("alert-rule-edit", args=["t_exposure"]), rule_post(deadline_value="1"))
        assert response.status_code == 403, username
        assert client.post(reverse("alert-rule-new"), rule_post(key="t_x")).status_code == 403, username
        client.logout()
    assert AlertRule.objects.filter(key="t_exposure").count() == 1
    assert not AlertRule.objects.filter(key="t_x").exists()


def test_an_unknown_rule_answers_404(client, world):
    login(client, "admin")
    assert client.get(reverse("alert-rule-detail", args=["no-such-rule"])).status_code == 404
    assert client.get(reverse("alert-rule-edit", args=["no-such-rule"])).status_code == 404
