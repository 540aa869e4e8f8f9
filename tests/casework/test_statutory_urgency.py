"""Urgency that follows the law (issue 17): queues and task lists put the most severe legal duty first (24-hour
child protection, a missing child, the 14-day exposure decision, then everything else), then the deadline, then
the score; and opening a case on an alert that carries a legal duty is acting on the law, not overriding the
model."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from casework.cases import worklist
from casework.models import (
    DUTY_RANK,
    Alert,
    AlertRule,
    Membership,
    RiskScore,
    Role,
    StatutoryDuty,
    TriageDecisionKind,
)
from casework.triage import alerting
from casework.triage import selectors as triage_selectors
from casework.triage import services as triage_services
from tests.fixtures import PASSWORD, actor

pytestmark = pytest.mark.django_db


def rule(key: str) -> AlertRule:
    return AlertRule.objects.get(key=key, is_current=True)


def alert(world, youth, key: str, *, bureau, due_in: dt.timedelta) -> Alert:
    return Alert.objects.create(
        youth=youth, reason=key, rule=rule(key), routed_to=bureau, due_at=timezone.now() + due_in
    )


def test_the_default_rules_carry_their_legal_duty():
    assert rule("child_protection").statutory_duty == StatutoryDuty.PROTECTION_24H
    assert rule("missing").statutory_duty == StatutoryDuty.MISSING_CHILD
    assert rule("exposure").statutory_duty == StatutoryDuty.EXPOSURE_14D
    assert rule("deviant_followup").statutory_duty == StatutoryDuty.OTHER
    assert [d for d, _ in sorted(DUTY_RANK.items(), key=lambda x: x[1])] == [
        "protection_24h", "missing_child", "exposure_14d", "other",
    ]  # fmt: skip


class TestTheQueue:
    def test_a_missing_child_comes_before_follow_ups_eleven_days_overdue(self, world):
        world.alert.delete()
        late_1 = alert(
            world, world.y.alert, "deviant_followup", bureau=world.b.police, due_in=-dt.timedelta(days=11)
        )
        late_2 = alert(
            world, world.y.student, "deviant_followup", bureau=world.b.police, due_in=-dt.timedelta(days=11)
        )
        missing = alert(world, world.y.none, "missing", bureau=world.b.police, due_in=dt.timedelta(hours=20))
        # The officer may see the missing child's record through the alert itself.
        queue = list(triage_selectors.triage_queue(world.u.officer, world.b.police))
        assert queue[0] == missing
        assert set(queue[1:]) == {late_1, late_2}

    def test_within_one_duty_the_nearest_deadline_then_the_score_decide(self, world):
        world.alert.delete()
        later = alert(
            world, world.y.alert, "deviant_followup", bureau=world.b.police, due_in=dt.timedelta(days=5)
        )
        sooner = alert(
            world, world.y.student, "deviant_followup", bureau=world.b.police, due_in=dt.timedelta(days=1)
        )
        assert list(triage_selectors.triage_queue(world.u.officer, world.b.police)) == [sooner, later]

    def test_the_page_shows_the_duty(self, client, world):
        world.alert.delete()
        alert(world, world.y.none, "missing", bureau=world.b.police, due_in=dt.timedelta(hours=20))
        client.login(username="officer", password=PASSWORD)
        with translation.override("zh-hant"):
            page = client.get(reverse("triage-queue"), HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
        assert "duty-missing_child" in page and "失蹤兒少：立即協尋" in page


class TestTheTaskList:
    def test_a_child_protection_alert_comes_before_overdue_steps(self, world):
        welfare = world.b.welfare
        Membership.objects.get_or_create(user=world.u.social, bureau=welfare, role=Role.SOCIAL_WORKER)
        protection = alert(
            world, world.y.referred, "child_protection", bureau=welfare, due_in=dt.timedelta(hours=20)
        )
        visit = alert(world, world.y.referred, "fragile_family", bureau=welfare, due_in=-dt.timedelta(days=3))
        tasks = [t for t in worklist.my_tasks(world.u.social) if t.kind == worklist.TaskKind.ALERT]
        assert [t.url for t in tasks][:2] == [
            f"/triage/alerts/{protection.pk}/",
            f"/triage/alerts/{visit.pk}/",
        ]
        assert tasks[0].duty == StatutoryDuty.PROTECTION_24H and tasks[1].duty_label == ""

    def test_an_overdue_next_step_ranks_below_a_statutory_alert_but_above_a_later_one(self):
        today = timezone.localdate()
        step = worklist.Task(kind=worklist.TaskKind.NEXT_STEP, due=today - dt.timedelta(days=11), overdue=True,
                             url="/cases/1/", youth_public_id="Y1")  # fmt: skip
        later = worklist.Task(kind=worklist.TaskKind.ALERT, due=today + dt.timedelta(days=5), overdue=False,
                              url="/triage/alerts/2/", youth_public_id="Y2")  # fmt: skip
        missing = worklist.Task(kind=worklist.TaskKind.ALERT, due=today + dt.timedelta(days=1), overdue=False,
                                url="/triage/alerts/3/", youth_public_id="Y3", duty=StatutoryDuty.MISSING_CHILD)  # fmt: skip
        assert sorted([later, step, missing], key=lambda t: t.sort_key) == [missing, step, later]


class TestOverrides:
    @pytest.fixture
    def low_band(self, world):
        RiskScore.objects.create(
            youth=world.y.alert, as_of=world.today, score=0.01, band="low", rank=900, model_version="m1"
        )

    def decide(self, world, key: str, decision: str, note: str = ""):
        bureau = world.b.police
        raised = Alert.objects.filter(youth=world.y.alert, reason=key).first() or alert(
            world, world.y.alert, key, bureau=bureau, due_in=dt.timedelta(days=3)
        )
        return triage_services.record_triage_decision(
            actor=actor(world.u.officer), youth=world.y.alert, bureau=bureau, decision=decision,
            reason_code="needs_support", note=note, alert=raised,
        )  # fmt: skip

    def test_opening_a_case_on_a_missing_child_is_no_override_of_a_low_band(self, world, low_band):
        row = self.decide(world, "missing", TriageDecisionKind.OPEN_CASE)
        assert row.is_override is False and row.band == "low"

    def test_opening_a_case_on_an_ordinary_alert_for_a_low_band_is_still_an_override(self, world, low_band):
        with pytest.raises(ValidationError):
            self.decide(world, "deviant_followup", TriageDecisionKind.OPEN_CASE)
        row = self.decide(
            world, "deviant_followup", TriageDecisionKind.OPEN_CASE, note="school asked for help"
        )
        assert row.is_override is True

    def test_no_action_on_a_top_band_youth_stays_an_override_whatever_the_duty(self, world):
        RiskScore.objects.create(
            youth=world.y.alert, as_of=world.today, score=0.6, band="very_high", rank=1, model_version="m1"
        )
        row = self.decide(world, "missing", TriageDecisionKind.NO_ACTION, note="found the same evening")
        assert row.is_override is True


def test_an_administrator_sets_the_duty_of_a_rule_as_a_new_version(world):
    revised = alerting.revise_alert_rule(
        actor=actor(world.u.admin), key="dropout", changes={"statutory_duty": StatutoryDuty.MISSING_CHILD},
        note="A dropout is searched for like a missing child in this city",
    )  # fmt: skip
    assert revised.version == 2 and revised.statutory_duty == StatutoryDuty.MISSING_CHILD
    assert AlertRule.objects.get(key="dropout", version=1).statutory_duty == StatutoryDuty.OTHER
