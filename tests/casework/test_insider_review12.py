"""Insider review 12: the plan's log lines hold no case content; an approval acknowledges only the steps the
approver was shown; the messages API gives each person their own read time."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.urls import reverse

from casework.cases import plan as plan_services
from casework.models import AuditEntry, CaseStatus, ClosureAcknowledgement, Notification, NotificationKind
from tests.casework.test_case_story import ask_closure, fresh, login, with_plan
from tests.fixtures import PASSWORD, actor, world  # noqa: F401

pytestmark = pytest.mark.django_db
PLAN_OBJECTS = ("caseneed", "casegoal", "plannedservice", "caseplanreview")


def test_the_log_names_plan_changes_but_never_what_they_say(world):  # noqa: F811
    """F1: a need's area ("substance use"), a step's status or a review's day stayed in the access log, which
    outlives a sealing order and which the auditor reads without any reason to see case work."""
    g = actor(world.u.guidance)
    plan_services.record_need(actor=g, case=world.case, area="substance_use", finding="Uses at weekends")
    goal = plan_services.add_goal(actor=g, case=world.case, area="mental_health", text="Sees a counsellor")
    with_plan(world)
    plan_services.edit_goal(actor=g, goal=goal, area="mental_health", text="Sees a counsellor weekly")
    rows = AuditEntry.objects.filter(object_type__in=PLAN_OBJECTS)
    assert rows.count() >= 8
    text = json.dumps([r.detail for r in rows], ensure_ascii=False)
    for content in ("substance_use", "mental_health", "school", "not_done", "done", world.today.isoformat()):
        assert f'"{content}"' not in text, content
    # what changed is still said, by field name
    assert any("status" in (r.detail or {}).get("changed", []) for r in rows)


def _shown_steps(page: str) -> str:
    return re.search(r'name="undone_steps" value="([^"]*)"', page).group(1)


def test_an_approval_acknowledges_only_the_steps_the_approver_was_shown(client, world):  # noqa: F811
    """F2: a step added after the supervisor opened the case was recorded as acknowledged by them."""
    with_plan(world)
    ask_closure(world)
    login(client, "supervisor")
    page = unescape(client.get(reverse("case-detail", args=[world.case.pk])).content.decode())
    shown = _shown_steps(page)
    assert shown
    late = plan_services.plan_service(
        actor=actor(world.u.guidance), case=world.case, description="Added while the supervisor read",
        due_on=world.today, owner_user=world.u.guidance,
    )  # fmt: skip
    url = reverse("case-move", args=[world.case.pk, "approve_closure"])
    body = {"version": fresh(world.case).version, "acknowledge_undone": "on", "undone_steps": shown}
    refused = client.post(url, body)
    assert refused.status_code == 400
    assert (
        fresh(world.case).status == CaseStatus.CLOSURE_REQUESTED
        and not ClosureAcknowledgement.objects.exists()
    )
    page = unescape(refused.content.decode())
    assert "Added while the supervisor read" in page
    approved = client.post(url, {**body, "undone_steps": _shown_steps(page)})
    assert approved.status_code == 302 and fresh(world.case).status == CaseStatus.CLOSED
    ack = ClosureAcknowledgement.objects.get(case=world.case)
    assert late.pk in [s["id"] for s in ack.steps]


def test_the_api_approval_names_the_steps_it_acknowledges(client, world):  # noqa: F811
    steps = with_plan(world)
    ask_closure(world)
    assert client.login(username="supervisor", password=PASSWORD)
    url = reverse("api:case-move", args=[world.case.pk])
    body = {
        "move": "approve_closure",
        "expected_version": fresh(world.case).version,
        "acknowledge_undone": True,
    }
    assert client.post(url, body, content_type="application/json").status_code == 400  # no list
    stale = client.post(url, {**body, "acknowledged_steps": []}, content_type="application/json")
    assert stale.status_code == 400 and fresh(world.case).status == CaseStatus.CLOSURE_REQUESTED
    ok = client.post(
        url, {**body, "acknowledged_steps": [steps["undone"].pk]}, content_type="application/json"
    )
    assert ok.status_code == 200 and fresh(world.case).status == CaseStatus.CLOSED


def test_the_messages_api_gives_each_person_their_own_read_time(client, world):  # noqa: F811
    """F3: a colleague's read time of a bureau's message showed as the reader's own."""
    guidance2 = world.u.__dict__["guidance2"]
    note = Notification.objects.create(
        kind=NotificationKind.TRIAGE_OUTCOME, bureau=world.b.committee, youth=world.y.case,
        detail={"decision": "monitor", "decided_by_bureau": "police"},
    )  # fmt: skip
    login(client, "guidance")
    assert client.post(reverse("inbox-mark-read", args=[note.pk])).status_code == 302
    mine = {n["id"]: n for n in client.get(reverse("api:notification-list")).json()["results"]}
    assert mine[note.pk]["read_at"] is not None
    client.logout()
    assert client.login(username=guidance2.username, password=PASSWORD)
    theirs = {n["id"]: n for n in client.get(reverse("api:notification-list")).json()["results"]}
    assert theirs[note.pk]["read_at"] is None
