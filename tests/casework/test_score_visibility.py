"""Rule 19: who sees the risk model's score, band, rank, history and reasons (insider review F2).

The model reads every bureau's records. Everyone acting for a bureau may know, for every youth they see, that
those records exist (rule 5's count line), so they see the score, with the factors they may not read withheld
in place. A school counsellor may not know that police or welfare hold records on a student (rule 4), and a
"very high" band over a few mild school records would tell them; so a counsellor sees no score for any youth,
by role (a score shown for some students and not others would tell by its absence), and nothing is ordered by
a score for them.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from casework import notifications
from casework.access import policy
from casework.models import (
    Alert,
    Enrollment,
    EventSource,
    Membership,
    RiskScore,
    Role,
    TriageDecision,
)
from casework.triage import alerting
from casework.triage import selectors as triage_selectors
from casework.triage import services as triage_services
from tests.fixtures import ONE_PER_ROLE, PASSWORD, actor

NOT_SHOWN = "Risk scores are not shown to your role, for any youth"
WITHHELD = "a factor from records you have no reason to see"
WELFARE_R = "months the household held assistance status in the last two years: 18"
SCHOOL_R = "unexcused absence days per 100 school days: 0.4"
SEES_SCORES = {"officer", "guidance", "social", "supervisor", "police_supervisor"}


def login(client, username: str):
    assert client.login(username=username, password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def reason(text: str, shap: float, reads: list[str]) -> dict:
    return {
        "key": text[:12], "direction": "up" if shap > 0 else "down", "value": 1, "shap": shap,
        "source": reads[0], "reads": reads, "text_zh": text, "text_en": text,
    }  # fmt: skip


def score(youth, *, band="very_high", value=0.051, rank=44, days_ago=0, reasons=None) -> RiskScore:
    return RiskScore.objects.create(
        youth=youth, as_of=timezone.localdate() - dt.timedelta(days=days_ago), score=value, band=band,
        rank=rank, model_version="risk-v9",
        reasons=reasons if reasons is not None else [
            reason(WELFARE_R, 0.747, ["welfare"]), reason(SCHOOL_R, -0.158, ["education"]),
        ],
    )  # fmt: skip


def risk_section(client, youth) -> str:
    response = client.get(reverse("youth-detail", args=[youth.public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('id="risk"') : html.index('id="alerts"')]


def shows_a_score(risk: str) -> bool:
    return bool(re.search(r"data-score=|· band |· rank |risk-v9|score-history", risk))


@pytest.fixture
def driven_by_welfare(world):
    """The report's case: the counsellor's student, scored "very high, rank 44" by welfare records, with one
    school factor that lowers the score, and a history of two scoring runs."""
    y = world.y.student
    score(y, days_ago=30, value=0.04, rank=60, band="high")
    score(y)
    return y


class TestTheYouthPage:
    def test_a_counsellor_sees_no_score_band_rank_or_history(self, client, world, driven_by_welfare):
        risk = risk_section(login(client, "counsellor"), driven_by_welfare)
        assert not shows_a_score(risk)
        assert "Very high" not in risk and ">High<" not in risk and "0.051" not in risk and "0.04" not in risk
        assert SCHOOL_R not in risk and WELFARE_R not in risk and WITHHELD not in risk
        assert NOT_SHOWN in risk

    def test_what_a_counsellor_reads_is_the_same_for_every_student_scored_or_not(
        self, client, world, driven_by_welfare
    ):
        """By role, never by youth: a scored and an unscored student's risk sections are the same text."""
        unscored = world.y.former
        Enrollment.objects.filter(youth=unscored).update(left_on=None)
        login(client, "counsellor")
        assert risk_section(client, driven_by_welfare) == risk_section(client, unscored).replace(
            unscored.public_id, driven_by_welfare.public_id
        )

    @pytest.mark.parametrize("username", ["guidance", "officer"])
    def test_those_acting_for_a_bureau_see_score_band_and_rank(
        self, client, world, driven_by_welfare, username
    ):
        Alert.objects.create(
            youth=driven_by_welfare, reason="t", routed_to=getattr(world.b, "committee" if username ==
            "guidance" else "police"), due_at=timezone.now() + dt.timedelta(days=3),
        )  # fmt: skip
        risk = risk_section(login(client, username), driven_by_welfare)
        assert shows_a_score(risk) and "Very high" in risk and "rank 44" in risk.replace("</", " </")
        assert NOT_SHOWN not in risk
        if username == "guidance":  # the committee reads every source: every reason in full
            assert WELFARE_R in risk and SCHOOL_R in risk
        else:  # the police know both sources' records exist (count lines) and read neither
            assert WELFARE_R not in risk and risk.count(WITHHELD) == 2


class TestThePolicy:
    @pytest.mark.parametrize("username", ONE_PER_ROLE)
    def test_who_sees_scores(self, world, username):
        user = getattr(world.u, username)
        assert policy.sees_model_scores(user) is (username in SEES_SCORES)

    def test_the_rule_is_by_role_because_what_is_hidden_from_a_counsellor_is_hidden_for_every_student(
        self, world, driven_by_welfare
    ):
        """Whoever sees scores has no source the model reads hidden for any youth they see (at worst a count
        line); a counsellor has police and welfare hidden for every student, whatever the student's records."""
        for username in ONE_PER_ROLE:
            user = getattr(world.u, username)
            for youth in policy.visible_youth(user):
                levels = policy.record_detail_by_source(user, youth)
                hidden = {s for s in policy.EVERYTHING_READ if levels[s] == policy.Detail.HIDDEN}
                if policy.sees_model_scores(user):
                    assert not hidden, (username, youth)
                else:
                    assert {EventSource.POLICE, EventSource.WELFARE} <= hidden, (username, youth)

    def test_visible_scores(self, world, driven_by_welfare):
        score(world.y.alert)  # routed to the police
        assert not policy.visible_scores(world.u.counsellor).exists()
        assert set(policy.visible_scores(world.u.officer).values_list("youth", flat=True)) == {
            world.y.alert.pk
        }
        assert policy.visible_scores(world.u.steward).count() == 0

    def test_no_reason_is_read_out_for_a_viewer_who_sees_no_scores(self, world, driven_by_welfare):
        latest = RiskScore.objects.filter(youth=driven_by_welfare).latest("as_of")
        assert not triage_selectors.readable_reasons(world.u.counsellor, driven_by_welfare, latest)
        Alert.objects.create(
            youth=driven_by_welfare, reason="t", routed_to=world.b.committee,
            due_at=timezone.now() + dt.timedelta(days=3),
        )  # fmt: skip
        assert len(triage_selectors.readable_reasons(world.u.guidance, driven_by_welfare, latest).shown) == 2


class TestTheQueueOrder:
    def _two_alerts(self, world):
        """Same deadline; the one that arrived first is about the lower score."""
        due = timezone.now() + dt.timedelta(days=2)
        world.alert.delete()
        first = Alert.objects.create(youth=world.y.alert, reason="t1", routed_to=world.b.police, due_at=due)
        later = Alert.objects.create(youth=world.y.student, reason="t2", routed_to=world.b.police, due_at=due)
        Alert.objects.filter(pk=later.pk).update(created_at=first.created_at + dt.timedelta(minutes=5))
        score(world.y.alert, value=0.1, band="low", rank=90)
        score(world.y.student, value=0.9, band="very_high", rank=1)
        return first, later

    def test_a_viewer_who_sees_scores_gets_the_higher_score_first_at_the_same_deadline(self, world):
        first, later = self._two_alerts(world)
        assert list(triage_selectors.triage_queue(world.u.officer, world.b.police)) == [later, first]

    def test_a_viewer_who_sees_no_scores_gets_deadline_then_arrival(self, world, monkeypatch):
        """No role both triages and sees no scores today; were one to, its queue would not be ordered by a
        score it may not see (the order would tell what the score hides)."""
        first, later = self._two_alerts(world)
        monkeypatch.setattr(policy, "sees_model_scores", lambda user: False)
        queue = list(triage_selectors.triage_queue(world.u.officer, world.b.police))
        assert queue == [first, later]
        assert all(a.latest_score is None and a.latest_band is None for a in queue)


class TestAlertsMessagesAndTheApi:
    def test_a_top_band_alert_routed_to_the_education_bureau_never_reaches_a_counsellor(
        self, client, world, driven_by_welfare
    ):
        """A counsellor works for a school, not for the education bureau's triage: an alert raised by the
        top-band rule and routed to that bureau, and its name ("Top risk band …"), never reach them."""
        alerting.revise_alert_rule(
            actor=actor(world.u.admin), key="top_band", changes={"route_to": ["committee", "education"]},
            note="Schools' bureau hears of its students too",
        )  # fmt: skip
        assert alerting.raise_score_alerts(model_version="risk-v9", as_of=timezone.localdate()) == 2
        to_education = Alert.objects.get(routed_to=world.b.education, youth=driven_by_welfare)
        notifications.notify(
            kind="alert_raised", bureau=world.b.education, youth=driven_by_welfare, alert=to_education
        )
        login(client, "counsellor")
        html = client.get(reverse("youth-detail", args=[driven_by_welfare.public_id])).content.decode()
        assert "Top risk band" not in html and "top_band" not in html
        assert client.get(reverse("api:alert-list")).json()["count"] == 0
        assert client.get(reverse("api:alert-detail", args=[to_education.pk])).status_code == 404
        assert client.get(reverse("api:notification-list")).json()["count"] == 0
        assert "Top risk band" not in client.get(reverse("inbox")).content.decode()
        # The allowed side: the committee's triage sees the alert by the rule's name.
        login(client, "guidance")
        html = client.get(reverse("youth-detail", args=[driven_by_welfare.public_id])).content.decode()
        assert "Top risk band" in html

    def test_the_youth_api_carries_no_score_for_anyone(self, client, world, driven_by_welfare):
        """No API endpoint carries a youth's score: the score rule has nothing to withhold there."""
        Alert.objects.create(
            youth=driven_by_welfare, reason="t", routed_to=world.b.committee,
            due_at=timezone.now() + dt.timedelta(days=3),
        )  # fmt: skip
        for username in ("counsellor", "guidance"):
            login(client, username)
            for name in ("api:youth-detail", "api:youth-timeline"):
                response = client.get(reverse(name, args=[driven_by_welfare.public_id]))
                assert response.status_code == 200, (username, name)
                body = response.content.decode()
                assert '"score"' not in body and '"band"' not in body and '"rank"' not in body

    def test_triage_decisions_carry_the_score_so_they_follow_the_score_rule(
        self, client, world, driven_by_welfare
    ):
        """Allowed: the police supervisor who decided reads the decision with the band shown (a supervisor keeps
        the youth once the alert is decided). Refused: once the same person is only a school counsellor of the
        student's school, they still see the student, but neither the decision nor any score."""
        alert = Alert.objects.create(
            youth=driven_by_welfare, reason="t", routed_to=world.b.police,
            due_at=timezone.now() + dt.timedelta(days=3),
        )  # fmt: skip
        triage_services.decide_alert(
            actor=actor(world.u.police_supervisor), alert=alert, decision="monitor", reason_code="recent_change",
            note="Watch over the next month",
        )  # fmt: skip
        assert TriageDecision.objects.get(alert=alert).band == "very_high"
        login(client, "police_supervisor")
        rows = client.get(reverse("api:triagedecision-list")).json()["results"]
        assert [(r["band"], r["score"]) for r in rows] == [("very_high", 0.051)]
        Membership.objects.filter(user=world.u.police_supervisor).update(active=False)
        Membership.objects.create(
            user=world.u.police_supervisor,
            bureau=world.b.education,
            role=Role.SCHOOL_COUNSELLOR,
            school=world.schools["J01"],
        )
        login(client, "police_supervisor")
        assert client.get(reverse("api:triagedecision-list")).json()["count"] == 0
        risk = risk_section(client, driven_by_welfare)
        assert not shows_a_score(risk) and NOT_SHOWN in risk


class TestAFactorFromRecordsTheYouthDoesNotHave:
    """Insider review F7, kept as it is: a school factor stays in place, withheld, for a social worker even
    when the youth's timeline says "School: No records." The factor reads the rosters (enrolments) too, which
    the timeline does not count, and whether a youth is enrolled anywhere is a school detail (rule 5, the
    current school); shown in full or left out only for youth with no school records, it would tell that."""

    def test_the_placeholder_stands_whatever_the_youth_holds_in_that_source(self, client, world):
        y = world.y.referred  # welfare records only, referred to social welfare
        assert not y.events.filter(source=EventSource.SCHOOL).exists()
        score(y, reasons=[reason(SCHOOL_R, 0.2, ["education"]), reason(WELFARE_R, 0.5, ["welfare"])])
        risk = risk_section(login(client, "social"), y)
        assert risk.count(WITHHELD) == 1 and SCHOOL_R not in risk and WELFARE_R in risk


@pytest.fixture(autouse=True)
def _no_active_model_gate(monkeypatch):
    """The risk model's 'no active model' switch is not what these tests are about."""
    monkeypatch.setattr(triage_selectors, "_scores_shown", None)
