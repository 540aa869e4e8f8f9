"""Workflow rules: focal-linkage alerts with deadlines and escalation, triage decisions, case statuses with
supervisor closure approval, and referrals from sending to completion."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.access.audit import Actor
from casework.cases import services as case_services
from casework.models import (
    Alert,
    AlertRule,
    AlertStatus,
    AuditEntry,
    Case,
    CaseStatus,
    CaseStatusChange,
    ClosureReason,
    ConcernType,
    Event,
    EventKind,
    Notification,
    NotificationKind,
    Referral,
    ReferralKind,
    ReferralStatus,
    RiskScore,
    TriageDecision,
)
from casework.triage import alerting
from casework.triage import services as triage_services
from casework.youth import services as youth_services
from tests.fixtures import actor

TAIPEI = ZoneInfo("Asia/Taipei")


def rule(key: str) -> AlertRule:
    return AlertRule.objects.get(key=key, is_current=True)


def new_event(world, youth, kind, bureau, *, days_ago=1, code=""):
    day = world.today - dt.timedelta(days=days_ago)
    return youth_services.record_event(
        youth=youth, kind=kind, event_date=day, knowledge_date=day, owning_bureau=bureau, code=code
    )


def score(youth, band, value=0.5, version="risk-v1", as_of=None):
    return RiskScore.objects.create(
        youth=youth,
        as_of=as_of or timezone.localdate(),
        score=value,
        band=band,
        rank=1,
        model_version=version,
        reasons=[],
    )


# ---------------------------------------------------------------------------------------------------------
# Deadlines, in Taipei time
# ---------------------------------------------------------------------------------------------------------


def test_a_days_deadline_ends_at_midnight_in_taipei_on_the_last_day(db):
    exposure = rule("exposure")
    raised = dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC)
    due = alerting.due_at(exposure, raised_at=raised, known_on=dt.date(2026, 11, 1))
    # Known on 1 November: the 14 days are 2-15 November; the duty ends as 16 November begins in Taipei.
    assert due == dt.datetime(2026, 11, 16, 0, 0, tzinfo=TAIPEI)
    assert due.astimezone(dt.UTC) == dt.datetime(2026, 11, 15, 16, 0, tzinfo=dt.UTC)


def test_an_hours_deadline_runs_from_the_moment_the_alert_is_raised(db):
    raised = dt.datetime(2026, 11, 22, 23, 30, tzinfo=TAIPEI)
    due = alerting.due_at(rule("child_protection"), raised_at=raised, known_on=dt.date(2026, 11, 20))
    assert due == raised + dt.timedelta(hours=24)


def test_default_rules_carry_the_legal_deadlines(db):
    assert rule("exposure").deadline_days == 14 and rule("exposure").route_to == ["committee"]
    assert rule("exposure").notify_referrer
    assert rule("child_protection").deadline_hours == 24 and rule("child_protection").route_to == ["welfare"]
    assert sorted(rule("dropout").route_to) == ["education", "police"]
    assert rule("top_band").trigger == "score" and rule("top_band").bands == ["very_high"]


# ---------------------------------------------------------------------------------------------------------
# Raising alerts from events and scores
# ---------------------------------------------------------------------------------------------------------


def test_an_offence_goes_to_the_police_for_court_referral_and_to_the_committee(world):
    event = new_event(world, world.y.none, EventKind.POLICE_OFFENCE, world.b.police, days_ago=2, code="theft")
    raised = alerting.raise_event_alerts(Event.objects.filter(pk=event.pk))
    assert raised == 2
    alerts = {a.routed_to.code: a for a in Alert.objects.filter(source_event=event)}
    assert set(alerts) == {"police", "committee"}
    assert alerts["police"].rule == rule("offence_court")
    assert alerts["committee"].rule == rule("offence_guidance")
    known = event.knowledge_date
    assert alerts["committee"].due_at == dt.datetime.combine(
        known + dt.timedelta(days=15), dt.time.min, tzinfo=TAIPEI
    )


def test_a_child_protection_report_reaches_welfare_with_24_hours(world):
    event = new_event(world, world.y.none, EventKind.CHILD_PROTECTION, world.b.welfare, days_ago=0)
    before = timezone.now()
    alerting.raise_event_alerts(Event.objects.filter(pk=event.pk))
    alert = Alert.objects.get(source_event=event)
    assert alert.routed_to == world.b.welfare
    assert before + dt.timedelta(hours=24) <= alert.due_at <= timezone.now() + dt.timedelta(hours=24)


def test_raising_again_does_not_pile_up_alerts(world):
    first = new_event(world, world.y.none, EventKind.POLICE_EXPOSURE, world.b.police, code="drugs")
    second = new_event(
        world, world.y.none, EventKind.POLICE_EXPOSURE, world.b.police, days_ago=0, code="weapon"
    )
    events = Event.objects.filter(pk__in=[first.pk, second.pk])
    assert alerting.raise_event_alerts(events) == 1
    assert alerting.raise_event_alerts(events) == 0
    assert Alert.objects.filter(youth=world.y.none, reason="exposure").count() == 1


def test_events_learned_of_long_ago_raise_no_alert(world):
    old = new_event(world, world.y.none, EventKind.POLICE_EXPOSURE, world.b.police, days_ago=400)
    assert alerting.raise_event_alerts(Event.objects.filter(pk=old.pk)) == 0


def test_a_disabled_rule_raises_nothing(world):
    alerting.revise_alert_rule(
        actor=actor(world.u.admin), key="exposure", changes={"enabled": False}, note="paused for review"
    )
    event = new_event(world, world.y.none, EventKind.POLICE_EXPOSURE, world.b.police)
    assert alerting.raise_event_alerts(Event.objects.filter(pk=event.pk)) == 0


def test_a_top_band_youth_without_an_open_case_goes_to_the_committee_queue(world):
    score(world.y.none, "very_high")
    score(world.y.case, "very_high")  # has an open case: no alert
    score(world.y.referred, "high")  # not in the rule's band
    assert alerting.raise_score_alerts(model_version="risk-v1", as_of=timezone.localdate()) == 1
    alert = Alert.objects.get(reason="top_band")
    assert alert.youth == world.y.none and alert.routed_to == world.b.committee


def test_a_decided_top_band_alert_is_not_raised_again_every_night(world):
    score(world.y.none, "very_high")
    alerting.raise_score_alerts(model_version="risk-v1", as_of=timezone.localdate())
    alert = Alert.objects.get(reason="top_band")
    triage_services.decide_alert(
        actor=actor(world.u.guidance), alert=alert, decision="monitor", reason_code="recent_change"
    )
    assert alerting.raise_score_alerts(model_version="risk-v1", as_of=timezone.localdate()) == 0


# ---------------------------------------------------------------------------------------------------------
# Escalation and reminders
# ---------------------------------------------------------------------------------------------------------


def test_an_overdue_alert_escalates_once_to_the_bureau_supervisors(world):
    world.alert.due_at = timezone.now() - dt.timedelta(minutes=1)
    world.alert.save()
    assert alerting.escalate_overdue_alerts() == 1
    assert alerting.escalate_overdue_alerts() == 0
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.ESCALATED and world.alert.escalated_at is not None
    notes = Notification.objects.filter(kind=NotificationKind.ALERT_ESCALATED, alert=world.alert)
    assert [n.user for n in notes] == [world.u.police_supervisor]


def test_an_alert_within_its_deadline_does_not_escalate(world):
    assert alerting.escalate_overdue_alerts() == 0
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.OPEN


def test_an_escalated_alert_can_still_be_acknowledged_and_decided(world):
    world.alert.due_at = timezone.now() - dt.timedelta(hours=1)
    world.alert.save()
    alerting.escalate_overdue_alerts()
    world.alert.refresh_from_db()
    triage_services.acknowledge_alert(actor=actor(world.u.officer), alert=world.alert)
    triage_services.decide_alert(
        actor=actor(world.u.officer), alert=world.alert, decision="monitor", reason_code="recent_change"
    )
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.RESOLVED and world.alert.met_deadline is False


def test_a_next_step_due_tomorrow_reminds_the_worker_once(world):
    case_services.log_intervention(
        actor=actor(world.u.guidance),
        case=world.case,
        kind="home_visit",
        occurred_on=world.today,
        next_step="Call the school",
        next_due=world.today + dt.timedelta(days=1),
    )
    assert alerting.remind_due_steps() == 1
    assert alerting.remind_due_steps() == 0
    note = Notification.objects.get(kind=NotificationKind.TASK_DUE)
    assert note.user == world.u.guidance and note.case == world.case


# ---------------------------------------------------------------------------------------------------------
# Triage decisions on alerts
# ---------------------------------------------------------------------------------------------------------


def test_opening_a_case_from_an_alert_resolves_it_and_records_the_score_seen(world):
    score(world.y.alert, "high", 0.41, version="risk-v7")
    row = triage_services.decide_alert(
        actor=actor(world.u.officer),
        alert=world.alert,
        decision="open_case",
        reason_code="legal_duty",
        note="Court referral and outreach",
        concern=ConcernType.OFFENCE,
    )
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.RESOLVED and world.alert.resolved_by == world.u.officer
    assert row.case.lead_bureau == world.b.police and row.case.concern == ConcernType.OFFENCE
    assert (row.score, row.band, row.model_version, row.is_override) == (0.41, "high", "risk-v7", False)


def test_no_action_on_a_top_band_youth_is_an_override_that_needs_a_note(world):
    score(world.y.alert, "very_high", 0.8)
    with pytest.raises(ValidationError):
        triage_services.decide_alert(
            actor=actor(world.u.officer), alert=world.alert, decision="no_action", reason_code="no_concern"
        )
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.OPEN and not TriageDecision.objects.exists()
    row = triage_services.decide_alert(
        actor=actor(world.u.officer),
        alert=world.alert,
        decision="no_action",
        reason_code="already_supported",
        note="Already in a school programme",
    )
    assert row.is_override and row.band == "very_high"


def test_opening_a_case_for_a_low_band_youth_is_an_override(world):
    score(world.y.alert, "low", 0.02)
    row = triage_services.decide_alert(
        actor=actor(world.u.officer),
        alert=world.alert,
        decision="open_case",
        reason_code="family_request",
        note="The mother asked for help",
    )
    assert row.is_override


def test_referring_from_an_alert_routes_the_youth_to_the_other_bureau(world):
    row = triage_services.decide_alert(
        actor=actor(world.u.officer),
        alert=world.alert,
        decision="refer",
        reason_code="better_placed",
        note="Family needs welfare support",
        to_bureau=world.b.welfare,
        consent="obtained",
    )
    assert row.referral.to_bureau == world.b.welfare and row.referral.status == ReferralStatus.PENDING
    assert Notification.objects.filter(
        kind=NotificationKind.REFERRAL_RECEIVED, bureau=world.b.welfare
    ).exists()


def test_a_referral_from_an_alert_needs_a_bureau(world):
    with pytest.raises(ValidationError):
        triage_services.decide_alert(
            actor=actor(world.u.officer), alert=world.alert, decision="refer", reason_code="better_placed"
        )
    assert not Referral.objects.filter(youth=world.y.alert).exists()


def test_only_the_routed_bureau_decides_and_only_once(world):
    with pytest.raises(PermissionDenied):
        triage_services.decide_alert(
            actor=actor(world.u.social), alert=world.alert, decision="monitor", reason_code="recent_change"
        )
    triage_services.decide_alert(
        actor=actor(world.u.officer), alert=world.alert, decision="monitor", reason_code="recent_change"
    )
    with pytest.raises(ValidationError):
        triage_services.decide_alert(
            actor=actor(world.u.officer), alert=world.alert, decision="no_action", reason_code="no_concern"
        )


def test_deciding_an_exposure_alert_tells_the_referring_police_what_was_decided(world):
    event = new_event(world, world.y.none, EventKind.POLICE_EXPOSURE, world.b.police, code="drugs")
    alerting.raise_event_alerts(Event.objects.filter(pk=event.pk))
    alert = Alert.objects.get(reason="exposure")
    triage_services.decide_alert(
        actor=actor(world.u.guidance), alert=alert, decision="open_case", reason_code="legal_duty"
    )
    note = Notification.objects.get(kind=NotificationKind.TRIAGE_OUTCOME)
    assert note.bureau == world.b.police and note.detail["decision"] == "open_case"
    assert note.case.concern == ConcernType.EXPOSURE


def test_an_unknown_reason_code_is_refused(world):
    with pytest.raises(ValidationError):
        triage_services.decide_alert(
            actor=actor(world.u.officer), alert=world.alert, decision="monitor", reason_code="because"
        )


# ---------------------------------------------------------------------------------------------------------
# Case statuses
# ---------------------------------------------------------------------------------------------------------


def move(world, user, move_name, **kw):
    case = Case.objects.get(pk=world.case.pk)
    return case_services.move_case(
        actor=actor(user), case=case, move=move_name, expected_version=case.version, **kw
    )


def to_monitoring(world):
    g = world.u.guidance
    move(world, g, "start_assessment")
    case_services.update_case(
        actor=actor(g), case=world.case, expected_version=Case.objects.get(pk=world.case.pk).version,
        assessment="Truancy; family under strain",
    )  # fmt: skip
    move(world, g, "start_planning")
    case_services.update_case(
        actor=actor(g), case=world.case, expected_version=Case.objects.get(pk=world.case.pk).version,
        plan="Weekly counselling; school re-entry",
    )  # fmt: skip
    move(world, g, "start_intervention")
    return move(world, g, "start_monitoring")


def test_a_case_moves_through_its_statuses_with_a_history(world):
    case = to_monitoring(world)
    assert case.status == CaseStatus.MONITORING and case.monitoring_since == timezone.localdate()
    history = list(CaseStatusChange.objects.filter(case=case).values_list("from_status", "to_status"))
    assert history == [
        ("opened", "assessment"),
        ("assessment", "planning"),
        ("planning", "intervention"),
        ("intervention", "monitoring"),
    ]


def test_planning_needs_an_assessment_and_intervention_needs_a_plan(world):
    move(world, world.u.guidance, "start_assessment")
    with pytest.raises(ValidationError) as exc:
        move(world, world.u.guidance, "start_planning")
    assert "assessment" in exc.value.message_dict
    assert Case.objects.get(pk=world.case.pk).status == CaseStatus.ASSESSMENT


def test_a_status_cannot_be_skipped(world):
    with pytest.raises(ValidationError):
        move(world, world.u.guidance, "start_monitoring")
    assert Case.objects.get(pk=world.case.pk).status == CaseStatus.OPENED


def test_closing_for_goals_met_waits_for_six_months_of_monitoring(world):
    to_monitoring(world)
    with pytest.raises(ValidationError) as exc:
        move(world, world.u.guidance, "request_closure", closure_reason=ClosureReason.GOALS_MET)
    assert "closure_reason" in exc.value.message_dict
    Case.objects.filter(pk=world.case.pk).update(
        monitoring_since=timezone.localdate() - dt.timedelta(days=200)
    )
    case = move(world, world.u.guidance, "request_closure", closure_reason=ClosureReason.GOALS_MET)
    assert case.status == CaseStatus.CLOSURE_REQUESTED and case.closure_requested_by == world.u.guidance


def test_monitoring_ends_at_eighteen_if_that_comes_first(world):
    to_monitoring(world)
    youth = world.case.youth
    youth.birth_date = timezone.localdate() - dt.timedelta(days=18 * 366)
    youth.save()
    case = move(world, world.u.guidance, "request_closure", closure_reason=ClosureReason.GOALS_MET)
    assert case.status == CaseStatus.CLOSURE_REQUESTED


def test_closing_early_for_another_reason_needs_a_note(world):
    with pytest.raises(ValidationError):
        move(world, world.u.guidance, "request_closure", closure_reason=ClosureReason.MOVED_AWAY)
    case = move(
        world,
        world.u.guidance,
        "request_closure",
        closure_reason=ClosureReason.MOVED_AWAY,
        note="Moved to Tainan",
    )
    assert case.status == CaseStatus.CLOSURE_REQUESTED and case.status_before_closure == CaseStatus.OPENED
    assert Notification.objects.filter(
        kind=NotificationKind.CLOSURE_REQUESTED, user=world.u.supervisor
    ).exists()


def test_a_supervisor_of_the_lead_bureau_approves_closure(world):
    move(
        world,
        world.u.guidance,
        "request_closure",
        closure_reason=ClosureReason.DECLINED,
        note="Family declined",
    )
    case = move(world, world.u.supervisor, "approve_closure")
    assert case.status == CaseStatus.CLOSED and case.closure_approved_by == world.u.supervisor
    assert case.closed_at is not None
    decided = Notification.objects.get(kind=NotificationKind.CLOSURE_DECIDED)
    assert decided.user == world.u.guidance and decided.detail["approved"] is True


def test_no_one_approves_their_own_closure(world):
    # The supervisor carries this case and asks to close it: someone else must decide.
    Case.objects.filter(pk=world.case.pk).update(assignee=world.u.supervisor)
    move(
        world, world.u.supervisor, "request_closure", closure_reason=ClosureReason.DUPLICATE, note="Dup of C1"
    )
    with pytest.raises(PermissionDenied):
        move(world, world.u.supervisor, "approve_closure")
    assert Case.objects.get(pk=world.case.pk).status == CaseStatus.CLOSURE_REQUESTED


def test_workers_and_other_bureaus_supervisors_cannot_approve_closure(world):
    move(world, world.u.guidance, "request_closure", closure_reason=ClosureReason.DECLINED, note="Declined")
    for user in (world.u.guidance2, world.u.police_supervisor):
        with pytest.raises(PermissionDenied):
            move(world, user, "approve_closure")
    assert Case.objects.get(pk=world.case.pk).status == CaseStatus.CLOSURE_REQUESTED


def test_a_returned_closure_goes_back_to_where_it_was_with_the_reason(world):
    to_monitoring(world)
    move(world, world.u.guidance, "request_closure", closure_reason=ClosureReason.MOVED_AWAY, note="Moving")
    with pytest.raises(ValidationError):
        move(world, world.u.supervisor, "return_closure")
    case = move(world, world.u.supervisor, "return_closure", note="Confirm the new city has the file first")
    assert case.status == CaseStatus.MONITORING and case.closure_reason == ""
    assert CaseStatusChange.objects.filter(case=case).last().note.startswith("Confirm")


def test_moves_on_a_stale_page_are_refused_as_a_conflict(world):
    stale = Case.objects.get(pk=world.case.pk)
    move(world, world.u.guidance, "start_assessment")
    with pytest.raises(ValidationError) as exc:
        case_services.move_case(
            actor=actor(world.u.guidance2),
            case=stale,
            move="start_assessment",
            expected_version=stale.version,
        )
    assert exc.value.code == "conflict"


def test_only_people_working_the_case_move_it(world):
    with pytest.raises(PermissionDenied):
        move(world, world.u.officer, "start_assessment")


def test_available_moves_offer_only_what_the_user_may_do_now(world):
    case = Case.objects.get(pk=world.case.pk)
    assert case_services.available_moves(world.u.guidance, case) == ["start_assessment", "request_closure"]
    assert case_services.available_moves(world.u.officer, case) == []
    move(world, world.u.guidance, "request_closure", closure_reason=ClosureReason.DECLINED, note="Declined")
    case = Case.objects.get(pk=world.case.pk)
    assert case_services.available_moves(world.u.supervisor, case) == ["approve_closure", "return_closure"]
    assert case_services.available_moves(world.u.guidance, case) == []


# ---------------------------------------------------------------------------------------------------------
# Referrals
# ---------------------------------------------------------------------------------------------------------


def test_a_referral_is_accepted_then_completed_and_the_sender_hears_each_step(world):
    case_services.respond_to_referral(actor=actor(world.u.social), referral=world.referral, accept=True)
    case_services.complete_referral(
        actor=actor(world.u.social), referral=world.referral, note="Family on assistance"
    )
    world.referral.refresh_from_db()
    assert world.referral.status == ReferralStatus.COMPLETED and world.referral.closed_by == world.u.social
    answered = Notification.objects.filter(kind=NotificationKind.REFERRAL_ANSWERED, user=world.u.guidance)
    assert sorted(n.detail["status"] for n in answered) == ["accepted", "completed"]


def test_only_an_accepted_referral_can_be_completed_and_only_by_the_receiver(world):
    with pytest.raises(ValidationError):
        case_services.complete_referral(actor=actor(world.u.social), referral=world.referral)
    case_services.respond_to_referral(actor=actor(world.u.social), referral=world.referral, accept=True)
    with pytest.raises(PermissionDenied):
        case_services.complete_referral(actor=actor(world.u.guidance), referral=world.referral)


def test_the_sender_revokes_with_a_reason_and_the_receiver_loses_access(world):
    from casework.access import policy

    assert policy.can_view_youth(world.u.social, world.y.referred)
    with pytest.raises(ValidationError):
        case_services.revoke_referral(actor=actor(world.u.guidance), referral=world.referral, note="")
    with pytest.raises(PermissionDenied):
        case_services.revoke_referral(actor=actor(world.u.social), referral=world.referral, note="not mine")
    case_services.revoke_referral(
        actor=actor(world.u.guidance), referral=world.referral, note="Sent in error"
    )
    world.referral.refresh_from_db()
    assert world.referral.status == ReferralStatus.REVOKED
    policy.forget_principal(world.u.social)
    assert not policy.can_view_youth(world.u.social, world.y.referred)


def test_accepting_a_transfer_hands_over_the_case_lead(world):
    transfer = case_services.refer(
        actor=actor(world.u.guidance),
        youth=world.y.case,
        case=world.case,
        from_bureau=world.b.committee,
        to_bureau=world.b.welfare,
        reason="Protection now the main need",
        consent="override",
        consent_note="Art. 53 duty",
        kind=ReferralKind.TRANSFER,
    )
    case_services.respond_to_referral(actor=actor(world.u.social), referral=transfer, accept=True)
    case = Case.objects.get(pk=world.case.pk)
    assert case.lead_bureau == world.b.welfare and case.assignee == world.u.social


# ---------------------------------------------------------------------------------------------------------
# Rule administration
# ---------------------------------------------------------------------------------------------------------


def test_an_administrator_revises_a_rule_as_a_new_version_and_old_alerts_keep_theirs(world):
    event = new_event(world, world.y.none, EventKind.POLICE_EXPOSURE, world.b.police)
    alerting.raise_event_alerts(Event.objects.filter(pk=event.pk))
    old = rule("exposure")
    new = alerting.revise_alert_rule(
        actor=actor(world.u.admin), key="exposure", changes={"deadline_days": 10}, note="City shortens it"
    )
    assert (new.version, new.deadline_days, new.is_current) == (2, 10, True)
    old.refresh_from_db()
    assert not old.is_current and old.deadline_days == 14
    assert Alert.objects.get(reason="exposure").rule == old
    assert AuditEntry.objects.filter(object_type="alertrule", object_id=str(new.pk)).exists()


def test_only_administrators_change_rules(world):
    with pytest.raises(PermissionDenied):
        alerting.revise_alert_rule(
            actor=actor(world.u.supervisor), key="exposure", changes={"deadline_days": 10}, note="x"
        )
    assert AlertRule.objects.filter(key="exposure").count() == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"deadline_hours": 24},  # both a days and an hours deadline
        {"route_to": []},
        {"route_to": ["court"]},
        {"event_kind": "sunshine"},
    ],
)
def test_an_invalid_rule_is_refused(world, changes):
    with pytest.raises(ValidationError):
        alerting.revise_alert_rule(actor=actor(world.u.admin), key="exposure", changes=changes, note="try")
    assert AlertRule.objects.filter(key="exposure").count() == 1


def test_the_escalation_job_is_a_celery_task_that_can_run_twice(world):
    from casework.tasks import escalate_overdue_alerts

    world.alert.due_at = timezone.now() - dt.timedelta(hours=2)
    world.alert.save()
    assert escalate_overdue_alerts.apply().get() == {"escalated": 1}
    assert escalate_overdue_alerts.apply().get() == {"escalated": 0}


def test_system_actor_is_recorded_for_raised_alerts(world):
    event = new_event(world, world.y.none, EventKind.FRAGILE_FAMILY, world.b.welfare)
    alerting.raise_event_alerts(Event.objects.filter(pk=event.pk))
    entry = AuditEntry.objects.filter(object_type="alert", action="create").latest("at")
    assert entry.path == Actor.system("alert-rules").path and entry.detail == {"routed_to": "welfare"}
    # Why the alert was raised stays on the alert, not in the append-only log that outlives sealing.
    assert "fragile" not in str(entry.detail)


def test_only_the_lead_bureau_transfers_a_case(world):
    case_services.refer(
        actor=actor(world.u.guidance), youth=world.y.case, case=world.case, from_bureau=world.b.committee,
        to_bureau=world.b.welfare, reason="share", consent="obtained",
    )  # fmt: skip
    case_services.respond_to_referral(
        actor=actor(world.u.social), referral=Referral.objects.latest("pk"), accept=True
    )
    with pytest.raises(ValidationError):
        case_services.refer(
            actor=actor(world.u.social), youth=world.y.case, case=world.case, from_bureau=world.b.welfare,
            to_bureau=world.b.police, reason="hand over", consent="obtained", kind=ReferralKind.TRANSFER,
        )  # fmt: skip
    assert Case.objects.get(pk=world.case.pk).lead_bureau == world.b.committee


def test_a_referral_records_consent_or_a_documented_override(world):
    for consent, note in (("", ""), ("override", "")):
        with pytest.raises(ValidationError):
            case_services.refer(
                actor=actor(world.u.guidance), youth=world.y.case, from_bureau=world.b.committee,
                to_bureau=world.b.welfare, reason="support", consent=consent, consent_note=note,
            )  # fmt: skip
    assert not Referral.objects.filter(youth=world.y.case).exists()


def test_a_closed_case_is_not_referred(world):
    with pytest.raises(ValidationError):
        case_services.refer(
            actor=actor(world.u.supervisor), youth=world.y.closed, case=world.closed_case,
            from_bureau=world.b.committee, to_bureau=world.b.welfare, reason="after closure", consent="obtained",
        )  # fmt: skip
    assert not Referral.objects.filter(case=world.closed_case).exists()
