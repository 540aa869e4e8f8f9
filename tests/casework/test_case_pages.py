"""The case, referral and task pages: who may do what from the browser, and what the page says when a
service refuses (the user's text kept, the reason shown, nothing changed)."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone

from casework.cases import services as case_services
from casework.models import (
    AuditAction,
    AuditEntry,
    Case,
    CaseStatus,
    CaseStatusChange,
    ClosureReason,
    ConcernType,
    Intervention,
    InterventionKind,
    Referral,
    ReferralKind,
    ReferralStatus,
    Role,
)
from casework.triage import services as triage_services
from casework.youth import services as youth_services
from tests.fixtures import PASSWORD, actor, make_user


def login(client, username: str) -> None:
    """Sign in and read the pages in English (the assertions quote English text)."""
    assert client.login(username=username, password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def post_move(client, case: Case, move: str, **data):
    return client.post(reverse("case-move", args=[case.pk, move]), {"version": fresh(case).version, **data})


def edit(user, case: Case, **fields) -> Case:
    return case_services.update_case(
        actor=actor(user), case=case, expected_version=fresh(case).version, **fields
    )


def move(user, case: Case, name: str, **kw) -> Case:
    return case_services.move_case(
        actor=actor(user), case=case, move=name, expected_version=fresh(case).version, **kw
    )


def to_monitoring(world) -> Case:
    g, case = world.u.guidance, world.case
    move(g, case, "start_assessment")
    edit(g, case, assessment="Truancy; family under strain")
    move(g, case, "start_planning")
    edit(g, case, plan="Weekly counselling; school re-entry")
    move(g, case, "start_intervention")
    return move(g, case, "start_monitoring")


def history(case: Case) -> list[tuple[str, str]]:
    return list(CaseStatusChange.objects.filter(case=case).values_list("from_status", "to_status"))


def page_of(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------------------------------------------------
# The case page: steps, history, moves
# ---------------------------------------------------------------------------------------------------------


def test_the_case_page_shows_the_steps_and_only_the_moves_the_user_may_make(client, world):
    login(client, "guidance")
    html = page_of(client.get(reverse("case-detail", args=[world.case.pk])))
    assert 'class="step step-current" aria-current="step"' in html
    assert reverse("case-move", args=[world.case.pk, "start_assessment"]) in html
    assert reverse("case-move", args=[world.case.pk, "request_closure"]) in html
    assert reverse("case-move", args=[world.case.pk, "approve_closure"]) not in html
    assert 'name="version" value="1"' in html
    assert reverse("case-edit", args=[world.case.pk]) in html


def test_each_move_posted_by_the_worker_moves_the_case_and_writes_its_history(client, world):
    case = world.case
    login(client, "guidance")
    steps = [
        ("start_assessment", {}, CaseStatus.ASSESSMENT),
        ("start_planning", {}, CaseStatus.PLANNING),
        ("start_intervention", {}, CaseStatus.INTERVENTION),
        ("start_monitoring", {}, CaseStatus.MONITORING),
        ("resume_intervention", {"note": "Relapse into truancy"}, CaseStatus.INTERVENTION),
        ("start_monitoring", {}, CaseStatus.MONITORING),
        (
            "request_closure",
            {"closure_reason": ClosureReason.MOVED_AWAY, "note": "Moved to Tainan"},
            CaseStatus.CLOSURE_REQUESTED,
        ),
    ]
    for name, data, status in steps:
        if name == "start_planning":
            edit(world.u.guidance, case, assessment="Needs school support")
        if name == "start_intervention":
            edit(world.u.guidance, case, plan="Weekly visits")
        before = len(history(case))
        response = post_move(client, case, name, **data)
        assert response.status_code == 302 and response["Location"] == reverse("case-detail", args=[case.pk])
        assert fresh(case).status == status, name
        assert len(history(case)) == before + 1 and history(case)[-1][1] == status
    assert CaseStatusChange.objects.filter(case=case).get(
        to_status="intervention", note__startswith="Relapse"
    )
    assert fresh(case).closure_requested_by == world.u.guidance


def test_the_supervisor_returns_a_closure_with_a_note_then_approves_the_next_request(client, world):
    case = world.case
    move(world.u.guidance, case, "request_closure", closure_reason=ClosureReason.DECLINED, note="Declined")
    login(client, "supervisor")
    html = page_of(client.get(reverse("case-detail", args=[case.pk])))
    assert reverse("case-move", args=[case.pk, "approve_closure"]) in html
    assert reverse("case-move", args=[case.pk, "return_closure"]) in html
    response = post_move(client, case, "return_closure", note="Try one more home visit")
    assert response.status_code == 302
    assert fresh(case).status == CaseStatus.OPENED
    assert CaseStatusChange.objects.filter(case=case).last().note == "Try one more home visit"
    move(
        world.u.guidance,
        case,
        "request_closure",
        closure_reason=ClosureReason.DECLINED,
        note="Still declined",
    )
    response = post_move(client, case, "approve_closure")
    assert response.status_code == 302
    closed = fresh(case)
    assert closed.status == CaseStatus.CLOSED and closed.closure_approved_by == world.u.supervisor
    html = page_of(client.get(reverse("case-detail", args=[case.pk])))
    assert "approved by supervisor" in html and 'class="step step-done"' in html


def test_a_return_without_a_note_is_refused_and_the_closure_stands(client, world):
    move(
        world.u.guidance,
        world.case,
        "request_closure",
        closure_reason=ClosureReason.DECLINED,
        note="Declined",
    )
    login(client, "supervisor")
    response = post_move(client, world.case, "return_closure", note="")
    assert response.status_code == 400
    assert "Say why the case is not ready to close." in page_of(response)
    assert fresh(world.case).status == CaseStatus.CLOSURE_REQUESTED


def test_a_guidance_worker_of_another_bureau_gets_404_and_the_attempt_is_logged(client, world):
    make_user("welfare_guidance", world.b.welfare, Role.GUIDANCE_WORKER)
    login(client, "welfare_guidance")
    for response in (
        client.get(reverse("case-detail", args=[world.case.pk])),
        post_move(client, world.case, "start_assessment"),
        client.post(reverse("case-edit", args=[world.case.pk]), {"version": 1, "summary": "x"}),
    ):
        assert response.status_code == 404
    assert fresh(world.case).status == CaseStatus.OPENED and fresh(world.case).summary == "Outreach plan"
    denied = AuditEntry.objects.filter(action=AuditAction.DENIED, username="welfare_guidance")
    assert denied.count() == 3 and {d.detail["status"] for d in denied} == {404}


def test_a_worker_cannot_approve_a_closure_and_nothing_changes(client, world):
    move(
        world.u.guidance,
        world.case,
        "request_closure",
        closure_reason=ClosureReason.DECLINED,
        note="Declined",
    )
    before = history(world.case)
    login(client, "guidance2")
    html = page_of(client.get(reverse("case-detail", args=[world.case.pk])))
    assert reverse("case-move", args=[world.case.pk, "approve_closure"]) not in html
    response = post_move(client, world.case, "approve_closure")
    assert response.status_code == 403
    assert "Closure is decided by a supervisor of the lead bureau" in page_of(response)
    assert fresh(world.case).status == CaseStatus.CLOSURE_REQUESTED and history(world.case) == before
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, username="guidance2").exists()


def test_a_supervisor_who_asked_for_the_closure_cannot_approve_it(client, world):
    login(client, "supervisor")
    response = post_move(
        client, world.case, "request_closure", closure_reason=ClosureReason.DUPLICATE, note="Same as C2"
    )
    assert response.status_code == 302 and fresh(world.case).closure_requested_by == world.u.supervisor
    html = page_of(client.get(reverse("case-detail", args=[world.case.pk])))
    assert reverse("case-move", args=[world.case.pk, "approve_closure"]) not in html
    response = post_move(client, world.case, "approve_closure")
    assert response.status_code == 403
    assert "neither asked for it nor carries the case" in page_of(response)
    assert fresh(world.case).status == CaseStatus.CLOSURE_REQUESTED


def test_closing_for_goals_met_before_six_months_of_monitoring_is_refused_with_the_date(client, world):
    case = to_monitoring(world)
    ends = case.monitoring_since + relativedelta(months=6)
    login(client, "guidance")
    html = page_of(client.get(reverse("case-detail", args=[case.pk])))
    assert f"the monitoring period ends on {ends.isoformat()}" in html
    before = history(case)
    response = post_move(
        client, case, "request_closure", closure_reason=ClosureReason.GOALS_MET, note="Back at school daily"
    )
    assert response.status_code == 400
    html = page_of(response)
    assert f"(here: {ends.isoformat()})" in html
    assert "Back at school daily" in html  # the note typed is still in the form
    assert fresh(case).status == CaseStatus.MONITORING and history(case) == before


def test_goals_met_closure_is_offered_once_the_monitoring_period_is_over(client, world):
    case = to_monitoring(world)
    Case.objects.filter(pk=case.pk).update(monitoring_since=world.today - dt.timedelta(days=200))
    login(client, "guidance")
    assert "The period is over" in page_of(client.get(reverse("case-detail", args=[case.pk])))
    response = post_move(client, case, "request_closure", closure_reason=ClosureReason.GOALS_MET)
    assert response.status_code == 302 and fresh(case).status == CaseStatus.CLOSURE_REQUESTED


def test_planning_without_an_assessment_is_not_offered_and_refused_if_posted(client, world):
    move(world.u.guidance, world.case, "start_assessment")
    login(client, "guidance")
    html = page_of(client.get(reverse("case-detail", args=[world.case.pk])))
    assert reverse("case-move", args=[world.case.pk, "start_planning"]) not in html
    assert "Write and save the assessment" in html
    response = post_move(client, world.case, "start_planning")
    assert response.status_code == 400 and "Write the assessment before planning." in page_of(response)
    assert fresh(world.case).status == CaseStatus.ASSESSMENT


def test_a_move_on_a_stale_page_is_refused_as_a_conflict(client, world):
    login(client, "guidance")
    move(world.u.guidance2, world.case, "start_assessment")
    response = client.post(reverse("case-move", args=[world.case.pk, "start_assessment"]), {"version": 1})
    assert response.status_code == 400
    assert "Someone else changed this case" in page_of(response)
    assert len(history(world.case)) == 1


def test_an_unknown_move_and_a_get_are_not_actions(client, world):
    login(client, "guidance")
    assert post_move(client, world.case, "delete_case").status_code == 404
    assert client.get(reverse("case-move", args=[world.case.pk, "start_assessment"])).status_code == 405
    assert fresh(world.case).status == CaseStatus.OPENED


def test_roles_that_carry_no_cases_are_refused_the_case_actions(client, world):
    login(client, "steward")
    assert post_move(client, world.case, "start_assessment").status_code == 403
    assert client.get(reverse("my-tasks")).status_code == 403


# ---------------------------------------------------------------------------------------------------------
# Assessment and plan, with the version
# ---------------------------------------------------------------------------------------------------------


def test_the_worker_saves_assessment_plan_and_assignee(client, world):
    login(client, "guidance")
    response = client.post(
        reverse("case-edit", args=[world.case.pk]),
        {
            "version": 1,
            "summary": "Outreach plan",
            "assessment": "Strong tie to an aunt",
            "plan": "Weekly visits",
            "assignee": world.u.guidance2.pk,
        },
    )
    assert response.status_code == 302
    case = fresh(world.case)
    assert (case.assessment, case.plan, case.assignee, case.version) == (
        "Strong tie to an aunt",
        "Weekly visits",
        world.u.guidance2,
        2,
    )


def test_a_case_is_assigned_only_to_a_worker_of_its_lead_bureau(client, world):
    login(client, "guidance")
    response = client.post(
        reverse("case-edit", args=[world.case.pk]), {"version": 1, "assignee": world.u.social.pk}
    )
    assert response.status_code == 400
    assert fresh(world.case).assignee == world.u.guidance


def test_a_stale_save_keeps_the_users_text_shows_the_conflict_and_changes_nothing(client, world):
    login(client, "guidance")
    client.get(reverse("case-detail", args=[world.case.pk]))  # the page shows version 1
    edit(world.u.guidance2, world.case, assessment="Colleague's assessment")
    data = {"version": 1, "summary": "Outreach plan", "assessment": "My careful assessment", "plan": ""}
    response = client.post(
        reverse("case-edit", args=[world.case.pk]), {**data, "assignee": world.u.guidance.pk}
    )
    assert response.status_code == 400
    html = page_of(response)
    assert "Someone else changed this case since you opened it." in html
    assert "My careful assessment" in html and "Colleague&#x27;s assessment" in html
    assert fresh(world.case).assessment == "Colleague's assessment"
    # Having read both, saving again is a deliberate overwrite: the form now carries the current version.
    assert 'name="version" value="2"' in html
    response = client.post(reverse("case-edit", args=[world.case.pk]), {**data, "version": 2})
    assert response.status_code == 302 and fresh(world.case).assessment == "My careful assessment"


def test_only_those_who_work_the_case_get_the_edit_form(client, world):
    login(client, "supervisor")
    assert reverse("case-edit", args=[world.closed_case.pk]) not in page_of(
        client.get(reverse("case-detail", args=[world.closed_case.pk]))
    )
    response = client.post(reverse("case-edit", args=[world.closed_case.pk]), {"version": 1, "summary": "x"})
    assert response.status_code == 403 and fresh(world.closed_case).summary == ""


# ---------------------------------------------------------------------------------------------------------
# Interventions
# ---------------------------------------------------------------------------------------------------------


def intervention_data(world, **overrides):
    return {
        "kind": InterventionKind.HOME_VISIT,
        "occurred_on": world.today.isoformat(),
        "duration_minutes": 45,
        "notes": "Met mother and son at home",
        "outcome": "Agreed to meet the school counsellor",
        "next_step": "Visit the school together",
        "next_due": (world.today + dt.timedelta(days=7)).isoformat(),
        **overrides,
    }


def test_the_worker_logs_an_intervention_with_its_next_step(client, world):
    login(client, "guidance")
    response = client.post(
        reverse("case-log-intervention", args=[world.case.pk]), intervention_data(world), follow=True
    )
    assert response.status_code == 200 and "The intervention was logged." in page_of(response)
    logged = Intervention.objects.get(case=world.case)
    assert (logged.worker, logged.duration_minutes, logged.next_due) == (
        world.u.guidance,
        45,
        world.today + dt.timedelta(days=7),
    )
    assert "Visit the school together" in page_of(response)


def test_an_intervention_in_the_future_is_refused_and_the_notes_are_kept(client, world):
    login(client, "guidance")
    tomorrow = (world.today + dt.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("case-log-intervention", args=[world.case.pk]), intervention_data(world, occurred_on=tomorrow)
    )
    assert response.status_code == 400
    html = page_of(response)
    assert "An intervention cannot be logged for a future date." in html
    assert "Met mother and son at home" in html
    assert not Intervention.objects.exists()


def test_no_intervention_on_a_case_out_of_reach_or_closed(client, world):
    login(client, "officer")
    url = reverse("case-log-intervention", args=[world.case.pk])
    assert client.post(url, intervention_data(world)).status_code == 404
    client.logout()
    login(client, "guidance")  # a closed case is out of a worker's reach
    url = reverse("case-log-intervention", args=[world.closed_case.pk])
    assert client.post(url, intervention_data(world)).status_code == 404
    assert not Intervention.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# Referrals: sending, answering, completing, revoking, transferring
# ---------------------------------------------------------------------------------------------------------


def refer_data(world, **overrides):
    return {
        "from_bureau": world.b.committee.pk,
        "kind": ReferralKind.REFERRAL,
        "to_bureau": world.b.welfare.pk,
        "to_user": "",
        "reason": "Family needs financial support",
        "consent": "obtained",
        "consent_note": "",
        **overrides,
    }


def test_the_receiver_sees_the_case_only_once_it_is_referred(client, world):
    login(client, "social")
    assert client.get(reverse("case-detail", args=[world.case.pk])).status_code == 404
    client.logout()
    login(client, "guidance")
    response = client.post(reverse("case-refer", args=[world.case.pk]), refer_data(world))
    assert response.status_code == 302
    referral = Referral.objects.get(case=world.case)
    assert (referral.from_user, referral.to_bureau, referral.status) == (
        world.u.guidance,
        world.b.welfare,
        ReferralStatus.PENDING,
    )
    client.logout()
    login(client, "social")
    html = page_of(client.get(reverse("case-detail", args=[world.case.pk])))
    assert "Family needs financial support" in html
    assert reverse("referral-respond", args=[referral.pk]) in html


def test_a_consent_override_without_a_reason_is_refused_and_the_reason_kept(client, world):
    login(client, "guidance")
    response = client.post(reverse("case-refer", args=[world.case.pk]), refer_data(world, consent="override"))
    assert response.status_code == 400
    html = page_of(response)
    assert "A consent override needs a documented reason." in html
    assert "Family needs financial support" in html
    assert not Referral.objects.filter(case=world.case).exists()


def test_a_referral_is_accepted_then_completed_from_the_referrals_page(client, world):
    login(client, "social")
    html = page_of(client.get(reverse("referral-list")))
    assert reverse("referral-respond", args=[world.referral.pk]) in html
    assert reverse("referral-revoke", args=[world.referral.pk]) not in html
    response = client.post(
        reverse("referral-respond", args=[world.referral.pk]),
        {"decision": "accept", "next": reverse("referral-list")},
        follow=True,
    )
    assert "The referral was accepted." in page_of(response)
    world.referral.refresh_from_db()
    assert world.referral.status == ReferralStatus.ACCEPTED and world.referral.responded_by == world.u.social
    assert reverse("referral-complete", args=[world.referral.pk]) in page_of(response)
    response = client.post(
        reverse("referral-complete", args=[world.referral.pk]), {"note": "Family on assistance"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("referral-list")
    world.referral.refresh_from_db()
    assert world.referral.status == ReferralStatus.COMPLETED
    assert world.referral.closed_note == "Family on assistance" and world.referral.closed_by == world.u.social


def test_declining_without_a_reason_is_refused(client, world):
    login(client, "social")
    response = client.post(
        reverse("referral-respond", args=[world.referral.pk]),
        {"decision": "decline", "note": " "},
        follow=True,
    )
    assert "Declining a referral needs a reason." in page_of(response)
    world.referral.refresh_from_db()
    assert world.referral.status == ReferralStatus.PENDING
    client.post(
        reverse("referral-respond", args=[world.referral.pk]),
        {"decision": "decline", "note": "Already known to the family centre"},
    )
    world.referral.refresh_from_db()
    assert world.referral.status == ReferralStatus.DECLINED
    assert world.referral.response_note == "Already known to the family centre"


def test_the_sender_cannot_answer_their_own_referral(client, world):
    login(client, "guidance")
    assert reverse("referral-respond", args=[world.referral.pk]) not in page_of(
        client.get(reverse("referral-list"))
    )
    response = client.post(reverse("referral-respond", args=[world.referral.pk]), {"decision": "accept"})
    assert response.status_code == 403
    assert "Only the receiving bureau or worker may respond" in page_of(response)
    world.referral.refresh_from_db()
    assert world.referral.status == ReferralStatus.PENDING
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, username="guidance").exists()


def test_the_sender_revokes_with_a_reason_and_the_receiver_cannot(client, world):
    login(client, "social")
    assert reverse("referral-revoke", args=[world.referral.pk]) not in page_of(
        client.get(reverse("referral-list"))
    )
    response = client.post(reverse("referral-revoke", args=[world.referral.pk]), {"note": "Not ours"})
    assert response.status_code == 403
    client.logout()
    login(client, "guidance")
    assert reverse("referral-revoke", args=[world.referral.pk]) in page_of(
        client.get(reverse("referral-list"))
    )
    response = client.post(reverse("referral-revoke", args=[world.referral.pk]), {"note": ""}, follow=True)
    assert "Revoking a referral needs a reason." in page_of(response)
    world.referral.refresh_from_db()
    assert world.referral.status == ReferralStatus.PENDING
    client.post(reverse("referral-revoke", args=[world.referral.pk]), {"note": "Sent in error"})
    world.referral.refresh_from_db()
    assert world.referral.status == ReferralStatus.REVOKED and world.referral.closed_by == world.u.guidance


def test_referral_actions_on_records_out_of_reach_answer_404(client, world):
    login(client, "officer")
    for name in ("referral-respond", "referral-complete", "referral-revoke"):
        response = client.post(reverse(name, args=[world.referral.pk]), {"decision": "accept", "note": "x"})
        assert response.status_code == 404
    world.referral.refresh_from_db()
    assert world.referral.status == ReferralStatus.PENDING
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, username="officer").count() == 3


def test_after_an_answer_the_user_goes_back_only_to_a_page_still_open_to_them(client, world):
    referral = case_services.refer(
        actor=actor(world.u.guidance),
        youth=world.y.case,
        case=world.case,
        from_bureau=world.b.committee,
        to_bureau=world.b.welfare,
        reason="Shared work",
        consent="obtained",
    )
    case_page = reverse("case-detail", args=[world.case.pk])
    login(client, "social")
    response = client.post(
        reverse("referral-respond", args=[referral.pk]),
        {"decision": "accept", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("referral-list")  # never off the site
    # Completing the work ends the receiver's reason to see the case: back to the referrals page instead.
    response = client.post(
        reverse("referral-complete", args=[referral.pk]), {"note": "Done", "next": case_page}
    )
    assert response["Location"] == reverse("referral-list")
    assert client.get(case_page).status_code == 404


def test_accepting_a_transfer_moves_the_case_lead(client, world):
    login(client, "guidance")
    response = client.post(
        reverse("case-refer", args=[world.case.pk]),
        refer_data(world, kind=ReferralKind.TRANSFER, consent="override", consent_note="Art. 53 duty"),
    )
    assert response.status_code == 302
    transfer = Referral.objects.get(case=world.case, kind=ReferralKind.TRANSFER)
    client.logout()
    login(client, "social")
    response = client.post(
        reverse("referral-respond", args=[transfer.pk]),
        {"decision": "accept", "next": reverse("case-detail", args=[world.case.pk])},
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "case-detail", args=[world.case.pk]
    )
    case = fresh(world.case)
    assert case.lead_bureau == world.b.welfare and case.assignee == world.u.social
    assert reverse("case-edit", args=[case.pk]) in page_of(client.get(reverse("case-detail", args=[case.pk])))


def test_only_the_lead_bureau_sends_a_transfer(client, world):
    """A bureau working the case through a referral may refer on, but may not hand over the lead."""
    case_services.respond_to_referral(
        actor=actor(world.u.social),
        referral=case_services.refer(
            actor=actor(world.u.guidance),
            youth=world.y.case,
            case=world.case,
            from_bureau=world.b.committee,
            to_bureau=world.b.welfare,
            reason="Shared work",
            consent="obtained",
        ),
        accept=True,
    )
    login(client, "social")
    response = client.post(
        reverse("case-refer", args=[world.case.pk]),
        refer_data(
            world, from_bureau=world.b.welfare.pk, to_bureau=world.b.police.pk, kind=ReferralKind.TRANSFER
        ),
    )
    assert response.status_code == 400
    assert not Referral.objects.filter(kind=ReferralKind.TRANSFER).exists()


def test_the_referrals_page_has_received_and_sent_views(client, world):
    login(client, "social")
    html = page_of(client.get(reverse("referral-list")))
    assert 'href="/referrals/?to_bureau=welfare"' in html and 'href="/referrals/?from_bureau=welfare"' in html
    assert world.y.referred.public_id in page_of(client.get(reverse("referral-list") + "?to_bureau=welfare"))
    assert world.y.referred.public_id not in page_of(
        client.get(reverse("referral-list") + "?from_bureau=welfare")
    )


# ---------------------------------------------------------------------------------------------------------
# My tasks
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def tasks_world(world):
    """One task of each kind, each for a known person."""
    w = world
    g = w.u.guidance
    # A next step overdue since yesterday on the case guidance carries.
    case_services.log_intervention(
        actor=actor(g),
        case=w.case,
        kind=InterventionKind.HOME_VISIT,
        occurred_on=w.today - dt.timedelta(days=3),
        next_step="Call the school",
        next_due=w.today - dt.timedelta(days=1),
    )

    def case_for(name, **fields):
        youth = youth_services.create_youth(name=name, birth_date=w.today - dt.timedelta(days=15 * 365))
        return Case.objects.create(
            youth=youth,
            lead_bureau=w.b.committee,
            assignee=g,
            opened_by=g,
            concern=ConcernType.HIGH_CONCERN,
            **fields,
        )

    # Monitoring over: six months and more.
    w.monitored = case_for(
        "辛監測", status=CaseStatus.MONITORING, monitoring_since=w.today - dt.timedelta(days=200)
    )
    Intervention.objects.create(
        case=w.monitored,
        kind=InterventionKind.COUNSELLING,
        occurred_on=w.today - dt.timedelta(days=5),
        worker=g,
    )
    # Quiet: opened 40 days ago, nothing logged.
    w.quiet = case_for("壬沉寂", opened_at=w.now - dt.timedelta(days=40))
    # A closure guidance asked for: the committee supervisor decides it.
    w.closing = case_for("癸結案申請")
    move(g, w.closing, "request_closure", closure_reason=ClosureReason.DECLINED, note="Declined help")
    return w


def task_rows(client) -> str:
    return page_of(client.get(reverse("my-tasks")))


def test_my_tasks_lists_the_workers_own_work_soonest_first(client, tasks_world):
    w = tasks_world
    login(client, "guidance")
    html = task_rows(client)
    assert "Call the school" in html
    assert "Monitoring period over: ready to close" in html and "辛監測" in html
    assert "No intervention logged for 30 days" in html and "壬沉寂" in html
    assert f'href="{reverse("case-detail", args=[w.quiet.pk])}"' in html
    # The quiet case was due 10 days ago, the next step yesterday: soonest first.
    assert html.index("壬沉寂") < html.index("Call the school")
    assert 'class="task task-next_step overdue"' in html
    # Not other people's: the referral to welfare, the police alert, the closure for the supervisor.
    assert (
        "Family support" not in html
        and "/triage/alerts/" not in html
        and "Closure to approve</td>" not in html
    )


def test_my_tasks_shows_a_pending_referral_to_the_receiving_bureau_only(client, tasks_world):
    login(client, "social")
    html = task_rows(client)
    assert "Referral to answer" in html and "Family support" in html
    assert f"#referral-{tasks_world.referral.pk}" in html
    assert "Call the school" not in html


def test_my_tasks_links_an_active_alert_of_the_bureau_to_its_triage_page(client, tasks_world):
    login(client, "officer")
    html = task_rows(client)
    assert f'href="/triage/alerts/{tasks_world.alert.pk}/"' in html and "Alert to decide" in html
    client.logout()
    login(client, "social")
    assert "/triage/alerts/" not in task_rows(client)


def test_my_tasks_shows_a_supervisor_the_closures_to_approve_but_not_their_own(client, tasks_world):
    w = tasks_world
    login(client, "supervisor")
    html = task_rows(client)
    assert "Closure to approve" in html and "癸結案申請" in html
    assert "Call the school" not in html  # the supervisor carries none of these cases
    # A closure the supervisor asked for themselves is someone else's to decide.
    Case.objects.filter(pk=w.closing.pk).update(closure_requested_by=w.u.supervisor)
    assert "癸結案申請" not in task_rows(client)


def test_another_worker_of_the_same_bureau_does_not_get_these_tasks(client, tasks_world):
    login(client, "guidance2")
    html = task_rows(client)
    assert "Nothing is waiting for you." in html
    for text in ("Call the school", "辛監測", "壬沉寂", "癸結案申請"):
        assert text not in html


def test_my_tasks_is_logged_as_a_list(client, tasks_world):
    login(client, "guidance")
    client.get(reverse("my-tasks"))
    entry = AuditEntry.objects.filter(action=AuditAction.LIST, object_type="task").get()
    assert entry.detail["count"] == 3 and tasks_world.y.case.public_id in entry.detail["query"]["youth"]


def test_a_task_due_today_is_not_yet_overdue(db, tasks_world):
    from casework.cases import worklist

    Intervention.objects.filter(case=tasks_world.case).update(next_due=timezone.localdate())
    steps = worklist.next_steps_due(tasks_world.u.guidance, today=timezone.localdate())
    assert [(t.detail, t.overdue) for t in steps] == [("Call the school", False)]


# ---------------------------------------------------------------------------------------------------------
# A case nobody carries yet (insider review F5): opened from triage or the API without an assignee
# ---------------------------------------------------------------------------------------------------------


def test_a_case_opened_from_triage_without_an_assignee_opens_and_says_not_assigned(client, world):
    triage_services.decide_alert(
        actor=actor(world.u.officer), alert=world.alert, decision="open_case", reason_code="legal_duty",
        note="Opened at triage, to be assigned at the team meeting",
    )  # fmt: skip
    case = Case.objects.get(youth=world.y.alert, lead_bureau=world.b.police)
    assert case.assignee is None
    login(client, "officer")
    response = client.get(reverse("case-detail", args=[case.pk]))
    assert response.status_code == 200
    assert '<span class="muted unassigned">Not assigned</span>' in page_of(response)
    # The lists that name a case's assignee say nothing for it either way, and do not fail.
    assert client.get(reverse("case-list")).status_code == 200
    assert client.get(reverse("youth-detail", args=[world.y.alert.public_id])).status_code == 200


def test_a_case_opened_through_the_api_without_an_assignee_reads_on_the_page_and_the_api(client, world):
    login(client, "guidance")
    made = client.post(
        reverse("api:case-list"),
        {"youth": world.y.case.public_id, "lead_bureau": "committee", "concern": "high_concern"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["assignee"] is None
    assert client.get(reverse("api:case-detail", args=[pk])).json()["assignee"] is None
    response = client.get(reverse("case-detail", args=[pk]))
    assert response.status_code == 200 and "Not assigned" in page_of(response)


def test_a_stale_save_on_a_case_nobody_carries_shows_the_conflict_with_not_assigned(client, world):
    """The conflict block repeats the assignee as saved: it must render for an unassigned case too."""
    edit(world.u.guidance, world.case, assignee=None)
    login(client, "guidance")
    edit(world.u.guidance2, world.case, assessment="Colleague's assessment")
    data = {"version": 1, "summary": "Outreach plan", "assessment": "Mine", "plan": ""}
    response = client.post(reverse("case-edit", args=[world.case.pk]), data)
    assert response.status_code == 400
    assert page_of(response).count("Not assigned") >= 2  # the case as saved, and the conflict block


def test_the_alert_filters_offer_rules_and_bureaus_by_name_and_all(client, world):
    """Issue 17: 原因 and 分派至 were free text matching internal codes only ("協尋" found nothing)."""
    from casework.models import Alert, AlertRule

    missing = AlertRule.objects.get(key="missing", is_current=True)
    Alert.objects.create(
        youth=world.y.alert, reason="missing", rule=missing, routed_to=world.b.police,
        due_at=timezone.now() + dt.timedelta(hours=20),
    )  # fmt: skip
    login(client, "officer")
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    html = client.get(reverse("alert-list")).content.decode()
    assert f'<option value="missing">{missing.name_zh}</option>' in html
    assert f'<option value="police">{world.b.police.name_zh}</option>' in html
    assert '<option value="" selected>全部</option>' in html and "---------" not in html
    shown = page_of(client.get(reverse("alert-list"), {"reason": "missing"}))
    assert world.y.alert.public_id in shown and missing.name_zh in shown and ">missing<" not in shown
    # The refused side: a choice that is no rule is refused rather than matched as text.
    assert world.y.alert.public_id not in page_of(client.get(reverse("alert-list"), {"reason": "協尋"}))
