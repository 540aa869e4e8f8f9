"""Each person's start page is their work (issue 17; docs/start-pages.md).

Every role sees the panels of its own work and no other role's; each panel counts exactly what the page it
links to lists for the same person; a count never includes records the reader may not read; a panel with
nothing waiting says so in words; every panel that lists records is logged like the caseworkers' dashboard.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from casework import start
from casework.cases import services as case_services
from casework.models import (
    AlertStatus,
    AuditAction,
    AuditEntry,
    ClosureReason,
    Role,
)
from casework.youth import services as youth_services
from tests.fixtures import PASSWORD, actor, make_user

pytestmark = pytest.mark.django_db

# The panels each role's start page shows: their own work, and nothing of another role's.
PANELS_BY_ROLE = {
    "officer": set(),
    "guidance": set(),
    "social": set(),
    "counsellor": set(),
    "supervisor": {
        "closures",
        "escalations",
        "access_reviews",
        "meeting_shares",
        "overrides_to_decide",
        "meetings",
        "action_items",
    },
    "police_supervisor": {"closures", "escalations", "access_reviews"},
    "steward": {"quarantine", "review_pairs", "contests", "retention"},
    "modeller": {"candidates", "drift", "overrides_proposed"},
    "auditor": {"access_reviews", "meeting_shares", "retention", "denials", "lockouts"},
    "admin": {"account_changes", "locked_sign_ins"},
    "secretariat": {"meetings", "action_items"},
}


def login(client, username: str) -> None:
    """Sign in and read the pages in English (the assertions quote English text)."""
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def start_page(client, username: str):
    login(client, username)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def panels(response) -> dict[str, start.Panel]:
    return {p.key: p for p in response.context["panels"]}


def text(response) -> str:
    return response.content.decode()


def section(response, key: str) -> str:
    """The HTML of one panel."""
    found = re.search(rf'<section[^>]*id="panel-{key}".*?</section>', text(response), re.S)
    assert found, f"no panel {key}"
    return found.group(0)


def count_shown(response, key: str) -> int:
    found = re.search(rf'id="panel-{key}"[^>]*data-count="(\d+)"', text(response))
    assert found, f"no panel {key}"
    return int(found.group(1))


def request_closure(world, case=None):
    case = case or world.case
    return case_services.move_case(
        actor=actor(world.u.guidance),
        case=case,
        move="request_closure",
        expected_version=type(case).objects.get(pk=case.pk).version,
        closure_reason=ClosureReason.DECLINED,
        note="The family declined voluntary guidance.",
    )


# ---------------------------------------------------------------------------------------------------------
# Who sees which panels
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", sorted(PANELS_BY_ROLE))
def test_each_role_sees_the_panels_of_its_own_work_and_no_other_roles(client, world, username):
    response = start_page(client, username)
    assert set(panels(response)) == PANELS_BY_ROLE[username]
    for key in PANELS_BY_ROLE[username]:
        assert f'id="panel-{key}"' in text(response)
    for key in set().union(*PANELS_BY_ROLE.values()) - PANELS_BY_ROLE[username]:
        assert f'id="panel-{key}"' not in text(response)


def test_every_app_registers_its_panels_with_casework(world):
    keys = set(start.registered())
    assert {"quarantine", "review_pairs", "contests", "retention"} <= keys  # integrations
    assert {"candidates", "drift", "overrides_proposed", "overrides_to_decide"} <= keys  # riskmodel
    assert {"account_changes", "locked_sign_ins"} <= keys  # accounts
    assert {"closures", "escalations", "access_reviews", "meetings", "action_items", "denials"} <= keys


@pytest.mark.parametrize(
    ("username", "key", "words"),
    [
        ("steward", "review_pairs", "No pairs waiting."),
        ("steward", "quarantine", "No rows waiting in the quarantine."),
        ("steward", "contests", "No contests waiting."),
        ("police_supervisor", "closures", "No closures waiting for your approval."),
        ("police_supervisor", "escalations", "No escalated alerts."),
        ("modeller", "candidates", "No candidate models waiting"),
        ("modeller", "drift", "No model is active"),
        ("secretariat", "action_items", "No open action items."),
        ("admin", "account_changes", "No account changes waiting."),
        ("admin", "locked_sign_ins", "No sign-ins are locked now."),
        ("auditor", "lockouts", "No sign-ins were locked in the last 7 days."),
    ],
)
def test_a_panel_with_nothing_waiting_stays_and_says_so_with_why_it_is_yours(
    client, world, username, key, words
):
    response = start_page(client, username)
    html = section(response, key)
    assert words in html
    assert count_shown(response, key) == 0
    assert 'class="start-panel-why"' in html and escape(panels(response)[key].why) in html


def test_a_supervisor_is_told_when_closures_come_to_them(client, world):
    html = section(start_page(client, "police_supervisor"), "closures")
    assert "when a worker of a bureau you supervise asks to close a case" in html


def test_case_workers_keep_their_dashboard_and_the_other_roles_lose_the_old_refusal(client, world):
    response = start_page(client, "officer")
    assert "active alerts" in text(response) and not panels(response)
    for username in ("steward", "modeller", "auditor", "admin", "secretariat"):
        assert "does not carry cases" not in text(start_page(client, username))


# ---------------------------------------------------------------------------------------------------------
# Data stewards
# ---------------------------------------------------------------------------------------------------------


def quarantine_rows():
    from integrations.feeds.importing import import_rows

    welfare = {"name": "王小明", "sex": "M", "reported_on": "2024-02-10", "level": "high"}
    import_rows(
        feed="welfare.reports",
        rows=[
            # A physical-abuse report held back only by a birth-date typo.
            {
                **welfare,
                "report_no": "W-CP",
                "birth_date": "2010-02-30",
                "kind": "兒少保護",
                "reason_codes": "physical",
            },
            # Its kind cannot be read: it may be a child-protection report, so it is treated as one.
            {**welfare, "report_no": "W-KIND", "birth_date": "2010-02-31", "kind": "兒X保"},
            # A fragile-family report with the same typo: a clock of days, not hours.
            {**welfare, "report_no": "W-FF", "birth_date": "2010-13-01", "kind": "fragile_family"},
        ],
    )
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
            for i in range(3)
        ],
    )


def test_quarantine_counts_the_quarantine_page_and_puts_child_protection_reports_first(client, world):
    quarantine_rows()
    response = start_page(client, "steward")
    panel = panels(response)["quarantine"]
    listed = client.get(reverse("integrations:quarantine-list")).context["page"].paginator.count
    assert panel.count == listed == 6
    urgent = [line for line in panel.lines if line.urgent]
    assert [line.text.split(" · ")[0] for line in urgent] == ["welfare.reports", "welfare.reports"]
    assert all("Child-protection report" in line.flag for line in urgent)
    assert panel.lines[0].urgent and panel.lines[0].url.startswith("/integrations/quarantine/")
    # The fragile-family row and the absences are not marked urgent; they are counted per feed.
    from integrations.models import QuarantinedRow

    fragile = QuarantinedRow.objects.get(raw__report_no="W-FF")
    assert reverse("integrations:quarantine-detail", args=[fragile.pk]) not in {line.url for line in urgent}
    per_feed = {line.text: line for line in panel.lines if not line.urgent}
    absences = next(line for name, line in per_feed.items() if "school.absences" in name)
    assert "3 rows waiting" in absences.note
    assert client.get(absences.url).context["page"].paginator.count == 3
    assert "2 of them are child-protection reports" in panel.warning
    html = section(response, "quarantine")
    assert "start-line-urgent" in html and "start-panel-urgent" in html
    # Its lines are the urgent rows and one line per feed, not a part of the rows: no "showing 3 of 6".
    assert "start-panel-more" not in html


def test_a_urgent_welfare_report_is_one_whose_kind_says_child_protection_not_one_whose_feed_is_welfare(world):
    from integrations.models import QuarantinedRow
    from integrations.start_panels import CHILD_PROTECTION, urgency

    quarantine_rows()
    kinds = {
        row.raw.get("report_no") or row.raw.get("absence_no"): urgency(row)
        for row in QuarantinedRow.objects.all()
    }
    assert kinds["W-CP"] == kinds["W-KIND"] == CHILD_PROTECTION
    assert kinds["W-FF"] == "" and kinds["A-0"] == ""


def test_review_pairs_count_the_review_queue(client, world):
    from tests.linkage_fixtures import build_linkage

    build_linkage()
    response = start_page(client, "steward")
    panel = panels(response)["review_pairs"]
    listed = client.get(reverse("integrations:review-list")).context["page"].paginator.count
    assert panel.count == listed >= 1
    assert panel.lines[0].url.startswith("/integrations/review/")
    assert client.get(panel.lines[0].url).status_code == 200


def file_contest(world):
    from integrations.corrections.services import file_contest as file

    return file(
        actor=actor(world.u.officer), youth=world.y.alert, event_id=world.alert.source_event_id,
        contested_by="guardian", part="not_them", statement="The guardian says the youth was at home that night.",
    )  # fmt: skip


def test_contests_count_the_contest_queue_and_the_list_is_logged(client, world):
    contest = file_contest(world)
    response = start_page(client, "steward")
    panel = panels(response)["contests"]
    listed = client.get(reverse("integrations:corrections-queue")).context["page"].paginator.count
    assert panel.count == listed == 1
    assert panel.lines[0].url == reverse("integrations:contest-decide", args=[contest.pk])
    line = AuditEntry.objects.filter(object_type="dashboard", detail__query__panel="contests").get()
    assert line.action == AuditAction.LIST and line.username == "steward"
    assert line.detail["query"]["youth"] == [world.y.alert.public_id]


def test_a_steward_sees_no_case_workers_youth_and_no_case_work(client, world):
    response = start_page(client, "steward")
    html = text(response)
    for youth in (world.y.case, world.y.alert, world.y.referred, world.y.student, world.y.none):
        assert youth.public_id not in html
        assert youth.name not in html
    assert "active alerts" not in html and "referrals waiting" not in html


def test_records_past_retention_count_the_retention_reports_expired_row(client, world):
    youth_services.create_youth(name="辛過期", birth_date=world.today - dt.timedelta(days=40 * 365), sex="F")
    response = start_page(client, "steward")
    panel = panels(response)["retention"]
    report = client.get(reverse("integrations:retention-report")).context
    assert panel.count == sum(report["overdue"]) >= 1
    assert "Data stewards run the purge" in panel.why
    auditor = panels(start_page(client, "auditor"))["retention"]
    assert auditor.count == panel.count and "Auditors check the purge" in auditor.why


# ---------------------------------------------------------------------------------------------------------
# Supervisors
# ---------------------------------------------------------------------------------------------------------


def test_closures_come_to_the_lead_bureaus_supervisor_and_match_my_tasks(client, world):
    request_closure(world)
    response = start_page(client, "supervisor")
    panel = panels(response)["closures"]
    tasks = client.get(reverse("my-tasks")).context
    assert panel.count == sum(c["n"] for c in tasks["counts"] if c["kind"] == "closure_approval") == 1
    assert panel.lines[0].url == reverse("case-detail", args=[world.case.pk])
    assert world.y.case.public_id in section(response, "closures")
    line = AuditEntry.objects.filter(object_type="dashboard", detail__query__panel="closures").get()
    assert line.detail["query"]["youth"] == [world.y.case.public_id]
    # The police supervisor may not read that case: no count, no youth.
    police = start_page(client, "police_supervisor")
    assert panels(police)["closures"].count == 0
    assert world.y.case.public_id not in text(police)


def test_a_supervisor_who_asked_for_the_closure_does_not_count_it(client, world):
    case = world.case
    case_services.move_case(
        actor=actor(world.u.supervisor), case=case, move="request_closure", expected_version=case.version,
        closure_reason=ClosureReason.DECLINED, note="The family declined voluntary guidance.",
    )  # fmt: skip
    assert panels(start_page(client, "supervisor"))["closures"].count == 0


def test_escalations_count_the_alert_list_filtered_to_escalated_for_the_bureau_it_is_routed_to(client, world):
    type(world.alert).objects.filter(pk=world.alert.pk).update(status=AlertStatus.ESCALATED)
    response = start_page(client, "police_supervisor")
    panel = panels(response)["escalations"]
    listed = client.get(panel.url).context["page"].paginator.count
    assert panel.count == listed == 1
    assert panel.url == f"{reverse('alert-list')}?status=escalated"
    assert world.y.alert.public_id in section(response, "escalations")
    # Routed to the police: the committee's supervisor does not see it, so does not count it.
    committee = start_page(client, "supervisor")
    assert panels(committee)["escalations"].count == 0
    assert world.y.alert.public_id not in section(committee, "escalations")


def test_access_reviews_count_the_review_list_awaiting_review(client, world):
    from casework.access.services import grant_access

    grant_access(
        actor=actor(world.u.officer), youth=[world.y.none], bureau=world.b.police, purpose_code="new_report",
        purpose_text="Report received from a school tonight",
    )  # fmt: skip
    for username, expected in (("police_supervisor", 1), ("auditor", 1), ("supervisor", 0)):
        response = start_page(client, username)
        panel = panels(response)["access_reviews"]
        assert panel.count == client.get(panel.url).context["awaiting"] == expected, username
        shown = world.y.none.public_id in section(response, "access_reviews")
        assert shown == bool(expected), username


def test_a_committee_supervisor_decides_overrides_and_a_police_supervisor_does_not(client, world):
    from riskmodel.models import PromotionOverride
    from tests.riskmodel.test_registry_pages import build_risk_model

    failed = build_risk_model(version=2, gate_passed=False)
    PromotionOverride.objects.create(
        model=failed, reason="A proposal to decide for this city.", proposed_by=world.u.modeller
    )
    panel = panels(start_page(client, "supervisor"))["overrides_to_decide"]
    assert panel.count == 1 and panel.lines[0].url == f"{reverse('riskmodel:model-report', args=[2])}#promote"
    assert "overrides_to_decide" not in panels(start_page(client, "police_supervisor"))


# ---------------------------------------------------------------------------------------------------------
# Secretariat
# ---------------------------------------------------------------------------------------------------------


def test_the_secretariat_sees_the_next_meetings_and_every_open_action_item(client, world):
    from casework.meetings import services as meeting_services

    meeting = meeting_services.schedule_meeting(
        actor=actor(world.u.secretariat), title="聯繫會議", starts_at=world.now + dt.timedelta(days=2),
        chair=world.u.supervisor, invited_bureaus=[world.b.police, world.b.committee], invitees=[world.u.officer],
    )  # fmt: skip
    item = meeting_services.add_item(
        actor=actor(world.u.secretariat), meeting=meeting, summary="深夜遊蕩：協調", youth=world.y.alert
    )
    meeting_services.add_action_item(
        actor=actor(world.u.secretariat), item=item, text="聯繫家長", due_on=world.today - dt.timedelta(days=1),
        owner_user=world.u.officer,
    )  # fmt: skip
    response = start_page(client, "secretariat")
    meetings = panels(response)["meetings"]
    assert meetings.count == len(client.get(meetings.url).context["meetings"]) == 1
    assert meetings.lines[0].url == reverse("meeting-detail", args=[meeting.pk])
    actions = panels(response)["action_items"]
    assert actions.count == 1 and actions.lines[0].urgent
    assert actions.lines[0].url == f"{reverse('meeting-detail', args=[meeting.pk])}#item-{item.pk}"
    assert client.get(actions.lines[0].url).status_code == 200


# ---------------------------------------------------------------------------------------------------------
# Model stewards
# ---------------------------------------------------------------------------------------------------------


def test_a_model_steward_sees_candidates_with_the_gates_verdict_drift_and_proposals(client, world):
    from riskmodel.models import ModelStatus, PromotionOverride, ScoringRun
    from tests.riskmodel.test_registry_pages import build_risk_model

    active = build_risk_model(version=1, status=ModelStatus.ACTIVE)
    build_risk_model(version=2, gate_passed=False)
    build_risk_model(version=3)
    old = build_risk_model(version=4)
    RiskModelQS = type(old).objects
    RiskModelQS.filter(pk=old.pk).update(version=0)  # trained before the active one: passed over
    PromotionOverride.objects.create(
        model=RiskModelQS.get(version=2),
        reason="A proposal to decide for this city.",
        proposed_by=world.u.modeller,
    )
    ScoringRun.objects.create(
        model=active,
        as_of=world.today,
        scored=10,
        figures={
            "drift_vs_training": {
                "psi": {"__score__": 0.3, "unexcused_absence_days_90d": 0.4, "age_years": 0.01},
                "levels": {
                    "__score__": "major",
                    "unexcused_absence_days_90d": "major",
                    "age_years": "stable",
                },
            }
        },
    )
    response = start_page(client, "modeller")
    candidates = panels(response)["candidates"]
    assert [line.text for line in candidates.lines] == ["risk-v3", "risk-v2"]
    assert candidates.count == 2
    assert candidates.lines[0].flag == "passed" and not candidates.lines[0].urgent
    assert "Passed the promotion gate" in candidates.lines[0].note
    assert candidates.lines[1].flag == "failed" and candidates.lines[1].urgent
    assert "An override with a written reason is possible" in candidates.lines[1].note
    assert client.get(reverse("riskmodel:model-list")).status_code == 200
    drift = panels(response)["drift"]
    assert drift.count == 2 and drift.urgent
    assert drift.url == f"{reverse('riskmodel:active-report')}#drift"
    overrides = panels(response)["overrides_proposed"]
    assert overrides.count == 1 and overrides.lines[0].text == "risk-v2"


def test_the_activate_address_opened_in_a_browser_goes_to_the_promotion_section(client, world):
    from riskmodel.models import ModelStatus, RiskModel
    from tests.riskmodel.test_registry_pages import build_risk_model

    build_risk_model(version=2)
    login(client, "modeller")
    response = client.get(reverse("riskmodel:model-activate", args=[2]))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('riskmodel:model-report', args=[2])}#promote"
    assert RiskModel.objects.get(version=2).status == ModelStatus.CANDIDATE  # a GET changes nothing
    assert client.get(reverse("riskmodel:model-activate", args=[9])).status_code == 404
    # POST is unchanged: it makes the model active and comes back to its report.
    response = client.post(reverse("riskmodel:model-activate", args=[2]))
    assert response.status_code == 302 and response["Location"] == reverse("riskmodel:model-report", args=[2])
    assert RiskModel.objects.get(version=2).status == ModelStatus.ACTIVE
    assert client.get(reverse("riskmodel:model-activate", args=[2]))["Location"].endswith("#gate")
    login(client, "officer")
    assert client.get(reverse("riskmodel:model-activate", args=[2])).status_code == 403


# ---------------------------------------------------------------------------------------------------------
# Administrators and auditors
# ---------------------------------------------------------------------------------------------------------


def test_an_administrator_sees_changes_waiting_for_a_second_administrator_and_locked_sign_ins(client, world):
    from axes.models import AccessAttempt

    from accounts.models import AccountChangeKind, AccountChangeRequest

    other = make_user("admin2", world.b.committee, Role.ADMINISTRATOR, is_staff=True)
    AccountChangeRequest.objects.create(
        kind=AccountChangeKind.PASSWORD, target=world.u.officer, proposed_by=other
    )
    AccountChangeRequest.objects.create(
        kind=AccountChangeKind.PASSWORD, target=world.u.social, proposed_by=world.u.admin
    )
    AccountChangeRequest.objects.create(  # lapsed: nobody approved it within a day
        kind=AccountChangeKind.PASSWORD, target=world.u.guidance, proposed_by=other,
        proposed_at=timezone.now() - dt.timedelta(hours=25),
    )  # fmt: skip
    AccessAttempt.objects.create(
        username="officer", ip_address="10.0.0.1", user_agent="x", http_accept="*/*", path_info="/accounts/login/",
        get_data="", post_data="", failures_since_start=5,
    )  # fmt: skip
    AccessAttempt.objects.create(
        username="social", ip_address="10.0.0.2", user_agent="x", http_accept="*/*", path_info="/accounts/login/",
        get_data="", post_data="", failures_since_start=2,
    )  # fmt: skip
    response = start_page(client, "admin")
    changes = panels(response)["account_changes"]
    assert changes.count == 2 and "1 of them you may approve" in changes.warning
    assert [line.urgent for line in changes.lines] == [True, False]
    listed = client.get(changes.url)
    assert listed.status_code == 200 and listed.context["cl"].result_count == 2
    locked = panels(response)["locked_sign_ins"]
    assert locked.count == 1 and locked.lines[0].text == "officer"


def test_an_auditor_reads_the_latest_refusals_as_the_audit_log_lists_them(client, world):
    login(client, "officer")
    assert client.get(reverse("audit-log")).status_code == 403
    assert client.get(reverse("integrations:quarantine-list")).status_code == 403
    response = start_page(client, "auditor")
    panel = panels(response)["denials"]
    listed = client.get(panel.url).context["page"].paginator.count
    assert panel.count == listed >= 2
    assert panel.lines[0].note == "officer"
    line = AuditEntry.objects.filter(object_type="dashboard", detail__query__panel="denials").get()
    assert line.username == "auditor"
