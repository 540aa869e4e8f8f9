"""Planned services reach their owner (issue 17; docs/case-plan.md, "Owners, tasks and access").

A step of a case's plan named to a person is on that person's tasks while it is open and they may read the
case; a step owned only by a bureau is the task of the worker carrying the case, and so is a step whose owner
may no longer read it. Naming an owner never grants access: only someone who may already read the case is
offered or accepted, and the owner is told through the inbox. The test world's committee case is read by
``guidance`` (its assignee), ``guidance2`` and ``supervisor`` (the committee); nobody else reads it.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from casework import start
from casework.access import policy
from casework.cases import plan as plan_services
from casework.cases import services as case_services
from casework.cases import worklist
from casework.models import (
    Alert,
    AlertRule,
    Case,
    CaseStatus,
    ClosureReason,
    InterventionKind,
    Membership,
    Notification,
    NotificationKind,
    PlannedService,
    Role,
    StatutoryDuty,
    User,
)
from tests.casework.test_every_word import problems
from tests.fixtures import ONE_PER_ROLE, PASSWORD, actor

pytestmark = pytest.mark.django_db

STEP = "Planned step of a case plan"  # the task's kind, as /tasks/ says it in English
# Who may own a step of the world's committee case: exactly who may read it (rule 6), case workers only.
OWNERS = {"guidance", "guidance2", "supervisor"}


def login(client, username: str, language: str = "en") -> None:
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    client.post(reverse("set_language"), {"language": language, "next": "/"})


def tasks_html(client) -> str:
    response = client.get(reverse("my-tasks"))
    assert response.status_code == 200
    return unescape(response.content.decode())


def row_of(html: str, text: str) -> str:
    """The task row that mentions ``text``."""
    found = re.search(rf"<tr class=\"task [^\"]*\">(?:(?!</tr>).)*{re.escape(text)}.*?</tr>", html, re.S)
    assert found, f"no task row with {text!r}"
    return found.group(0)


def step(world, description: str, *, by=None, days: int = 3, **owner) -> PlannedService:
    """A step of the world's committee case, planned by its assignee unless said otherwise."""
    return plan_services.plan_service(
        actor=actor(by or world.u.guidance),
        case=world.case,
        description=description,
        due_on=world.today + dt.timedelta(days=days),
        **owner,
    )


def update(world, service: PlannedService, *, by=None, **changes) -> PlannedService:
    service = PlannedService.objects.get(pk=service.pk)
    fields = {
        "description": service.description,
        "due_on": service.due_on,
        "status": service.status,
        "not_done_reason": service.not_done_reason,
        "owner_bureau": service.owner_bureau,
        "owner_user": service.owner_user,
        "goal": service.goal,
        **changes,
    }
    return plan_services.update_service(actor=actor(by or world.u.guidance), service=service, **fields)


def fresh(user: User) -> User:
    """The user as a new request sees them (memberships read again)."""
    return User.objects.get(pk=user.pk)


def steps_of(user: User) -> list[worklist.Task]:
    return [t for t in worklist.my_tasks(fresh(user)) if t.kind == worklist.TaskKind.PLANNED_STEP]


def owner_names(world) -> set[str]:
    return {u.username for u in policy.planned_service_owners(world.case)}


# ---------------------------------------------------------------------------------------------------------
# The owner's task
# ---------------------------------------------------------------------------------------------------------


def test_a_step_named_to_a_person_is_on_their_tasks_linking_to_the_case(client, world):
    service = step(world, "Meet the father at the community centre", owner_user=world.u.guidance2)
    login(client, "guidance2")
    html = tasks_html(client)
    row = row_of(html, "Meet the father at the community centre")
    assert STEP in row and str(world.case) in row and world.y.case.public_id in row
    assert f'href="{reverse("case-detail", args=[world.case.pk])}#service-{service.pk}"' in row
    assert "overdue" not in row
    # The link opens the case, where the step stands under that id.
    page = client.get(reverse("case-detail", args=[world.case.pk]))
    assert page.status_code == 200 and f'id="service-{service.pk}"' in page.content.decode()


@pytest.mark.parametrize("username", sorted(set(ONE_PER_ROLE) - {"guidance2"}))
def test_a_step_named_to_one_person_is_nobody_elses_task(client, world, username):
    step(world, "Meet the father at the community centre", owner_user=world.u.guidance2)
    user = getattr(world.u, username)
    assert steps_of(user) == []
    if policy.is_caseworker(user):
        login(client, username)
        assert "Meet the father" not in tasks_html(client)


def test_a_step_owned_only_by_a_bureau_reaches_the_worker_carrying_the_case(client, world):
    service = step(world, "School meeting on attendance", owner_bureau=world.b.education)
    login(client, "guidance")  # the case's assignee
    row = row_of(tasks_html(client), "School meeting on attendance")
    assert STEP in row and "Owner bureau: Education" in row and f"#service-{service.pk}" in row
    # Not the bureau's people (who may not read the case), nor a colleague who does not carry it.
    for other in (world.u.counsellor, world.u.guidance2, world.u.supervisor):
        assert steps_of(other) == []


def test_a_step_owned_by_a_bureau_and_a_person_is_the_persons(world):
    step(
        world,
        "Home visit with the welfare bureau",
        owner_user=world.u.guidance2,
        owner_bureau=world.b.welfare,
    )
    assert [t.detail for t in steps_of(world.u.guidance2)] == ["Home visit with the welfare bureau"]
    assert steps_of(world.u.guidance) == []


def test_a_case_nobody_is_assigned_to_gives_its_bureau_steps_to_whoever_opened_it(world):
    Case.objects.filter(pk=world.case.pk).update(assignee=None)
    step(world, "Call the grandmother", owner_bureau=world.b.committee)
    assert [t.detail.splitlines()[0] for t in steps_of(world.u.guidance)] == ["Call the grandmother"]


def test_planned_steps_are_ordinary_duties_ordered_by_due_day_among_the_other_tasks(client, world):
    g = world.u.guidance
    # A next step due yesterday, logged with a visit on the case guidance carries.
    case_services.log_intervention(
        actor=actor(g), case=world.case, kind=InterventionKind.HOME_VISIT,
        occurred_on=world.today - dt.timedelta(days=2), next_step="Call the school",
        next_due=world.today - dt.timedelta(days=1),
    )  # fmt: skip
    late = step(world, "Apply for the school meal subsidy", owner_user=g, days=-5)
    later = step(world, "Review the plan with the family", owner_user=g, days=10)
    today = step(world, "Write to the youth's tutor", owner_user=g, days=0)
    # An alert with a legal duty, due after all of them, still comes first (the duty, then the deadline).
    exposure = AlertRule.objects.get(key="exposure", is_current=True)
    Alert.objects.create(
        youth=world.y.case, reason=exposure.key, rule=exposure, routed_to=world.b.committee,
        due_at=world.now + dt.timedelta(days=20),
    )  # fmt: skip
    assert exposure.statutory_duty != StatutoryDuty.OTHER
    tasks = worklist.my_tasks(fresh(g))
    assert [(t.kind, t.detail) for t in tasks] == [
        ("alert", tasks[0].detail),
        ("planned_step", "Apply for the school meal subsidy"),
        ("next_step", "Call the school"),
        ("planned_step", "Write to the youth's tutor"),
        ("planned_step", "Review the plan with the family"),
    ]
    steps = {t.detail: t for t in tasks if t.kind == "planned_step"}
    assert steps[late.description].overdue and steps[late.description].duty == StatutoryDuty.OTHER
    assert not steps[today.description].overdue and not steps[later.description].overdue
    assert steps[late.description].duty_label == ""
    login(client, "guidance")
    html = tasks_html(client)
    assert 'class="task task-planned_step overdue"' in row_of(html, late.description)
    assert "overdue" not in row_of(html, later.description)
    assert html.index(late.description) < html.index("Call the school") < html.index(later.description)


@pytest.mark.parametrize(("status", "listed"), [("in_progress", True), ("done", False), ("not_done", False)])
def test_a_step_is_a_task_while_it_is_open(world, status, listed):
    service = step(world, "Meet the father", owner_user=world.u.guidance2)
    update(
        world, service, status=status, not_done_reason="The father moved away" if status == "not_done" else ""
    )
    assert bool(steps_of(world.u.guidance2)) is listed


def test_a_closed_case_leaves_no_planned_step_on_anyones_tasks(world):
    step(world, "Meet the father", owner_user=world.u.guidance2)
    step(world, "School meeting", owner_bureau=world.b.education)
    step(world, "Review the plan", owner_user=world.u.supervisor)
    Case.objects.filter(pk=world.case.pk).update(status=CaseStatus.CLOSED)
    assert steps_of(world.u.guidance2) == [] and steps_of(world.u.guidance) == []
    # The committee's supervisor still reads the closed case (rule 3), but its steps are no longer work.
    assert policy.can_view_case(fresh(world.u.supervisor), world.case)
    assert steps_of(world.u.supervisor) == []


# ---------------------------------------------------------------------------------------------------------
# Need-to-know: naming an owner grants nothing
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ONE_PER_ROLE)
def test_only_case_workers_who_may_read_the_case_may_own_its_steps(world, username):
    user = getattr(world.u, username)
    allowed = username in OWNERS
    assert policy.can_own_planned_service(user, world.case) is allowed
    assert policy.can_view_case(user, world.case) or not allowed  # never wider than reading the case
    assert (username in owner_names(world)) is allowed
    if allowed:
        step(world, f"Step for {username}", owner_user=user)
        return
    with pytest.raises(ValidationError) as refused:
        step(world, f"Step for {username}", owner_user=user)
    assert "owner_user" in refused.value.message_dict
    assert not PlannedService.objects.exists() and not Notification.objects.exists()


def test_the_owners_offered_are_exactly_those_the_policy_allows(world):
    everyone = User.objects.all()
    assert owner_names(world) == {
        u.username for u in everyone if policy.can_own_planned_service(u, world.case)
    }
    # A referral on the case to welfare's social worker lets them read it, so they may own a step; when it
    # is completed, they may no longer.
    referral = case_services.refer(
        actor=actor(world.u.guidance), youth=world.y.case, case=world.case, from_bureau=world.b.committee,
        to_bureau=world.b.welfare, to_user=world.u.social, reason="Emergency aid", consent="obtained",
    )  # fmt: skip
    assert owner_names(world) == OWNERS | {"social"}
    case_services.respond_to_referral(actor=actor(world.u.social), referral=referral, accept=True)
    case_services.complete_referral(actor=actor(world.u.social), referral=referral)
    assert owner_names(world) == OWNERS


def test_the_plan_form_offers_only_people_who_may_read_the_case_and_refuses_anyone_else(client, world):
    login(client, "guidance")
    page = client.get(reverse("case-detail", args=[world.case.pk]))
    form = page.context["case_page"].plan_forms["service"]
    assert {u.username for u in form.fields["owner_user"].queryset} == OWNERS
    url = reverse("case-plan-service-add", args=[world.case.pk])
    data = {
        "description": "Visit with the police",
        "due_on": str(world.today),
        "owner_user": world.u.officer.pk,
    }
    response = client.post(url, data)
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "Name as owner only someone who may already read this case" in html
    assert "never access" in html
    assert not PlannedService.objects.exists() and not Notification.objects.exists()
    assert not policy.can_view_case(fresh(world.u.officer), world.case)
    # Someone who may read it is accepted.
    response = client.post(url, {**data, "owner_user": world.u.guidance2.pk})
    assert response.status_code == 302
    assert PlannedService.objects.get().owner_user == world.u.guidance2


def test_a_step_cannot_be_handed_to_someone_who_may_not_read_the_case(client, world):
    service = step(world, "Meet the father", owner_user=world.u.guidance2)
    with pytest.raises(ValidationError):
        update(world, service, owner_user=world.u.social)
    login(client, "guidance")
    response = client.post(
        reverse("case-plan-service-edit", args=[world.case.pk, service.pk]),
        {"description": "Meet the father", "due_on": str(service.due_on), "status": "planned",
         "owner_user": world.u.police_supervisor.pk},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Name as owner only someone who may already read this case" in unescape(response.content.decode())
    assert PlannedService.objects.get(pk=service.pk).owner_user == world.u.guidance2


def lose_access(world, user: User) -> None:
    """The worker moves to the police unit: still a case worker, no longer a reader of the committee case."""
    Membership.objects.filter(user=user).update(bureau=world.b.police, role=Role.JUVENILE_OFFICER)


def test_an_owner_who_loses_access_loses_the_task_and_the_carrier_is_told_to_name_another(client, world):
    service = step(world, "Meet the father", owner_user=world.u.guidance2)
    assert len(steps_of(world.u.guidance2)) == 1 and steps_of(world.u.guidance) == []
    lose_access(world, world.u.guidance2)
    assert steps_of(world.u.guidance2) == []
    login(client, "guidance2")
    assert "Meet the father" not in tasks_html(client)
    # The step is not lost: the worker carrying the case gets it, with what to do.
    login(client, "guidance")
    row = row_of(tasks_html(client), "Meet the father")
    assert "may no longer read this case: name another owner" in row and "guidance2" in row
    html = unescape(client.get(reverse("case-detail", args=[world.case.pk])).content.decode())
    assert "The owner may no longer read this case" in html
    # The step stays open only with an owner who may read the case; closing it keeps the one it had.
    with pytest.raises(ValidationError):
        update(world, service, due_on=world.today + dt.timedelta(days=7))
    update(world, service, status="done")
    assert PlannedService.objects.get(pk=service.pk).owner_user == world.u.guidance2
    assert steps_of(world.u.guidance) == []


def test_an_owner_through_a_referral_loses_the_task_when_the_referral_ends(world):
    referral = case_services.refer(
        actor=actor(world.u.guidance), youth=world.y.case, case=world.case, from_bureau=world.b.committee,
        to_bureau=world.b.welfare, to_user=world.u.social, reason="Emergency aid", consent="obtained",
    )  # fmt: skip
    case_services.respond_to_referral(actor=actor(world.u.social), referral=referral, accept=True)
    step(world, "Apply for emergency aid", owner_user=world.u.social)
    assert [t.detail for t in steps_of(world.u.social)] == ["Apply for emergency aid"]
    case_services.complete_referral(actor=actor(world.u.social), referral=referral)
    assert steps_of(world.u.social) == []
    assert "may no longer read this case" in steps_of(world.u.guidance)[0].detail


# ---------------------------------------------------------------------------------------------------------
# The owner is told
# ---------------------------------------------------------------------------------------------------------


def test_the_person_named_owner_is_told_and_only_of_what_they_may_read(client, world):
    service = step(world, "Meet the father", owner_user=world.u.guidance2, days=5)
    note = Notification.objects.get()
    assert note.kind == NotificationKind.TASK_DUE and note.user == world.u.guidance2 and note.bureau is None
    assert note.case == world.case and note.youth == world.y.case
    assert note.alert is None and note.referral is None
    assert note.detail == {
        "next_step": "Meet the father",
        "due": (world.today + dt.timedelta(days=5)).isoformat(),
        "planned_service": service.pk,
    }
    assert policy.can_view_case(fresh(world.u.guidance2), world.case)
    login(client, "guidance2")
    inbox = unescape(client.get(reverse("inbox")).content.decode())
    assert "Meet the father" in inbox and reverse("case-detail", args=[world.case.pk]) in inbox
    # Nobody else hears of it.
    for username in OWNERS - {"guidance2"}:
        assert not policy.visible_notifications(fresh(getattr(world.u, username))).exists()


def test_the_owner_is_told_when_a_step_is_handed_to_them_and_not_when_it_is_merely_edited(world):
    service = step(world, "Meet the father", owner_user=world.u.guidance2)
    update(world, service, due_on=world.today + dt.timedelta(days=9), status="in_progress")
    assert Notification.objects.count() == 1
    update(world, service, owner_user=world.u.supervisor)
    handed = Notification.objects.latest("pk")
    assert Notification.objects.count() == 2 and handed.user == world.u.supervisor
    # Handed back: told again.
    update(world, service, owner_user=world.u.guidance2)
    assert Notification.objects.latest("pk").user == world.u.guidance2 and Notification.objects.count() == 3


def test_nobody_is_told_of_a_step_they_gave_themselves_a_bureaus_step_or_a_closed_one(world):
    step(world, "Call the school", owner_user=world.u.guidance)
    step(world, "School meeting", owner_bureau=world.b.education)
    done = step(world, "Home visit", owner_user=world.u.guidance)
    update(world, done, status="done")
    update(world, done, owner_user=world.u.guidance2)  # a done step handed on is nobody's task
    assert not Notification.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# Counts agree with the lists
# ---------------------------------------------------------------------------------------------------------


def test_my_tasks_counts_the_planned_steps_it_lists(client, world):
    step(world, "Meet the father", owner_user=world.u.guidance)
    step(world, "School meeting", owner_bureau=world.b.education, days=-1)
    login(client, "guidance")
    response = client.get(reverse("my-tasks"))
    counts = {c["kind"]: c["n"] for c in response.context["counts"]}
    rows = [t for t in response.context["tasks"] if t.kind == "planned_step"]
    assert (
        counts["planned_step"]
        == len(rows)
        == len(worklist.planned_steps(fresh(world.u.guidance), today=world.today))
        == 2
    )
    html = unescape(response.content.decode())
    assert f"{STEP}: 2" in html and html.count("task-planned_step") == 3  # two rows and the count's tag
    assert response.context["overdue_count"] == sum(t.overdue for t in response.context["tasks"]) >= 1


def test_the_start_page_counts_agree_with_my_tasks_when_a_supervisor_owns_a_step(client, world):
    step(world, "Review the family's plan", owner_user=world.u.supervisor)
    case_services.move_case(
        actor=actor(world.u.guidance), case=world.case, move="request_closure",
        expected_version=Case.objects.get(pk=world.case.pk).version, closure_reason=ClosureReason.DECLINED,
        note="The family declined voluntary guidance.",
    )  # fmt: skip
    login(client, "supervisor")
    panels = {p.key: p for p in client.get(reverse("home")).context["panels"]}
    tasks = client.get(reverse("my-tasks")).context
    counts = {c["kind"]: c["n"] for c in tasks["counts"]}
    # The closures panel counts the closures on My tasks, and none of the planned steps beside them.
    assert panels["closures"].count == counts["closure_approval"] == 1
    assert counts["planned_step"] == 1
    assert len(tasks["tasks"]) == sum(counts.values())
    assert panels["closures"].count == len(start.closures_panel(fresh(world.u.supervisor), world.now).lines)


# ---------------------------------------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------------------------------------


def test_the_tasks_and_the_plan_read_in_zh_hant(client, world):
    step(world, "與父親在社區中心會談", owner_user=world.u.guidance)
    step(world, "學校出缺席會議", owner_bureau=world.b.education, days=-2)
    moved = step(world, "家訪", owner_user=world.u.guidance2)
    lose_access(world, world.u.guidance2)
    login(client, "guidance", language="zh-hant")
    usernames = set(User.objects.values_list("username", flat=True))
    html = tasks_html(client)
    assert not problems(html, usernames)
    assert "負責機關：" in html  # the label separator is the full-width colon
    assert "逾期" in row_of(html, "學校出缺席會議")
    case_page = client.get(reverse("case-detail", args=[world.case.pk])).content.decode()
    assert not problems(case_page, usernames)
    assert f'id="service-{moved.pk}"' in case_page
