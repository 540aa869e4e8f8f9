"""Does outreach help? The estimator checked where the truth is known, the platform's panel, and the page."""
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse
from django.utils import translation

from casework.models import AuditAction, AuditEntry, Case, ConcernType, EventKind
from casework.youth import services as youth_services
from integrations.synthetic.city import simulate_city
from integrations.synthetic.simulate import Outreach
from riskmodel.evaluation import estimator, panel, report
from tests.fixtures import PASSWORD, world  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from evaluation import START, panel_from_simulation  # noqa: E402

READERS = ["supervisor", "police_supervisor"]
REFUSED = [
    "officer",
    "guidance",
    "social",
    "counsellor",
    "steward",
    "modeller",
    "auditor",
    "admin",
    "secretariat",
]


# --- the estimator on cities whose effect of outreach is known ---------------------------------------------


@pytest.fixture(scope="module")
def cities():
    out = {}
    for effect in (0.6, 0.0):
        sim = simulate_city(youth=20_000, years=4, seed=4, start=START, outreach=Outreach(effect=effect))
        frame, covariates = panel_from_simulation(sim)
        out[effect] = (sim, frame[frame["y6"].notna()].reset_index(drop=True), covariates)
    return out


def _truth(sim, frame, covariates) -> float:
    """The true effect on the reached youth the estimator matched (treated minus untreated)."""
    t_rows, _ = estimator.match(frame, estimator.propensity_logit(frame, covariates))
    by_person = dict(sim.events.true_effect["6"].tolist())
    return -float(np.mean([by_person[int(p)] for p in frame["unit"].to_numpy()[t_rows]]))


def test_with_the_effect_set_the_matched_interval_holds_the_true_effect_and_the_naive_one_does_not(cities):
    sim, frame, covariates = cities[0.6]
    truth = _truth(sim, frame, covariates)
    est = estimator.estimate(frame, covariates, "y6")
    assert truth < -0.005  # the knob lowered the outcome of the reached
    assert est.low <= truth <= est.high
    # Youth are reached for their records, so the unmatched comparison is pulled towards harm.
    assert est.naive_effect > est.effect
    assert not est.naive_low <= truth <= est.naive_high


def test_with_the_effect_off_the_matched_interval_holds_zero_and_the_naive_comparison_reads_worse(cities):
    sim, frame, covariates = cities[0.0]
    assert np.allclose(sim.events.true_effect["6"][:, 1], 0.0)
    est = estimator.estimate(frame, covariates, "y6")
    assert est.low <= 0.0 <= est.high
    assert est.naive_effect > est.effect  # the reached were at higher risk: unmatched, outreach looks worse
    assert max(abs(b.after) for b in est.balance) < 0.15 and max(abs(b.before) for b in est.balance) > 0.5


def test_the_knob_changes_nothing_but_the_hazards_of_the_reached():
    plain = simulate_city(youth=1500, years=2, seed=3, start=START)
    knob_off = simulate_city(youth=1500, years=2, seed=3, start=START, outreach=Outreach(effect=0.0))
    for table in ("police", "cp", "dropout", "absence"):
        a, b = plain.events.get(table), knob_off.events.get(table)
        assert all(np.array_equal(a[c], b[c]) for c in a), table
    assert plain.events.reached_month is None
    assert (knob_off.events.reached_month >= 0).sum() > 0


def test_who_is_reached_follows_their_records():
    sim = simulate_city(youth=8000, years=3, seed=5, start=START, outreach=Outreach(effect=0.0))
    frame, _ = panel_from_simulation(sim)
    reached = frame[frame["treated"] == 1]
    others = frame[frame["treated"] == 0]
    assert reached["police_12m"].mean() > 3 * others["police_12m"].mean()


def test_too_few_reached_gives_no_estimate_and_says_why():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"unit": range(400), "period": 1, "treated": [1] * 10 + [0] * 390, "x": rng.normal(size=400),
         "y6": rng.integers(0, 2, 400).astype(float)}
    )  # fmt: skip
    est = estimator.estimate(frame, ["x"], "y6")
    assert est.effect is None and est.refused == "too_few_reached"
    with translation.override("en"):
        assert "too few youth were reached" in report.sentence(est, 6)


def test_a_reached_youth_is_only_matched_within_its_month():
    frame = pd.DataFrame(
        {"unit": [1, 2, 3, 4], "period": [1, 1, 2, 2], "treated": [1, 0, 0, 0], "x": [0.0, 5.0, 0.0, 0.0],
         "y6": [1.0, 0.0, 1.0, 1.0]}
    )  # fmt: skip
    rows, sets = estimator.match(frame, np.asarray([0.0, 0.0, 0.0, 0.0]))
    assert rows.tolist() == [0] and sets[0].tolist() == [1]
    # a control outside the caliper is no match
    rows, sets = estimator.match(frame, np.asarray([0.0, 3.0, 0.0, 0.0]))
    assert rows.size == 0


@pytest.mark.parametrize(
    "effect,low,high,words",
    [(-0.03, -0.05, -0.01, "Fewer adverse outcomes"), (0.01, -0.01, 0.03, "holds zero"),
     (0.03, 0.01, 0.05, "More adverse outcomes")],
)  # fmt: skip
def test_the_verdict_is_written_from_the_figures(effect, low, high, words):
    est = estimator.Estimate("y6", 50, 50, 0, 200, 0.1 + effect, 0.1, effect, low, high)
    with translation.override("en"):
        text = report.sentence(est, 6)
    assert words in text and report.points(effect) in text


# --- the platform's own records as a panel -----------------------------------------------------------------


def _month(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(y, m + 1, 1)


@pytest.mark.django_db
def test_the_panel_counts_a_youth_reached_in_the_month_before_and_drops_it_afterwards(world):
    today = dt.date.today()
    first = _month(today, -14)
    reached = youth_services.create_youth(
        name="丙評估", birth_date=first.replace(year=first.year - 14), sex="F"
    )
    other = youth_services.create_youth(
        name="丁評估", birth_date=first.replace(year=first.year - 15), sex="M"
    )
    opened = first + dt.timedelta(days=9)
    Case.objects.create(
        youth=reached, lead_bureau=world.b.welfare, assignee=world.u.social, opened_by=world.u.social,
        concern=ConcernType.HIGH_CONCERN, summary="Outreach", opened_at=dt.datetime(opened.year, opened.month,
        opened.day, 10, tzinfo=dt.UTC),
    )  # fmt: skip
    youth_services.record_event(
        youth=other, kind=EventKind.POLICE_OFFENCE, event_date=_month(today, -11) + dt.timedelta(days=3),
        knowledge_date=_month(today, -11) + dt.timedelta(days=3), owning_bureau=world.b.police, code="theft",
    )  # fmt: skip
    data = panel.build(first, _month(today, -2), today=today)
    frame = data.frame.set_index(["youth_id", "as_of"])
    d = _month(first, 1)
    assert frame.loc[(reached.pk, d), "treated"] == 1
    assert not any(frame.loc[reached.pk].index > d)  # after its reach a youth is no control
    assert (frame.loc[other.pk, "treated"] == 0).all()
    assert frame.loc[(other.pk, d), "y6"] == 1.0  # the offence came within 6 months of D
    assert np.isnan(frame.loc[(other.pk, _month(today, -2)), "y6"])  # that window has not ended
    welfare = panel.for_group(data, f"bureau:{world.b.welfare.code}").set_index(["youth_id", "as_of"])
    assert welfare.loc[(reached.pk, d), "treated"] == 1
    police = panel.for_group(data, f"bureau:{world.b.police.code}")
    assert police["treated"].sum() == 0


# --- the page ---------------------------------------------------------------------------------------------


@pytest.fixture
def simulated_panel(monkeypatch):
    """The page's panel replaced by a simulated city's, whose effect is known."""
    sim = simulate_city(youth=12_000, years=4, seed=6, start=START, outreach=Outreach(effect=0.6))
    frame, covariates = panel_from_simulation(sim)
    frame["band"] = 0
    frame["as_of"] = [dt.date(2021, 1, 1) + dt.timedelta(days=31 * int(p)) for p in frame["period"]]
    frame["youth_id"] = frame["unit"]
    built = panel.Panel(frame, covariates, sorted(set(frame["as_of"])), "risk-v9", {}, {})
    monkeypatch.setattr(report.panel, "build", lambda start, end, today: built)
    return built


@pytest.mark.django_db
@pytest.mark.parametrize("username", READERS)
def test_supervisors_read_the_evaluation_with_its_verdict_chart_and_caveats(
    client, world, simulated_panel, username
):
    assert client.login(username=username, password=PASSWORD)
    page = client.get(reverse("evaluation:outreach"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'aria-labelledby="overall-chart-title"' in page and "<script" not in page
    assert "comparable youth not reached" in page
    assert "Who was reached was not random" in page
    assert "unmatched" in page
    entry = AuditEntry.objects.filter(action=AuditAction.LIST, object_type="outreach_evaluation").latest("pk")
    assert entry.username == username
    # every published count of youth (reached, matched) is rounded to a multiple of 5
    import re

    table = page[page.index('id="overall-table"') : page.index("</table>", page.index('id="overall-table"'))]
    counts = [int(n) for row in re.findall(r"</th>\s*<td>(\d+)</td><td>(\d+)</td>", table) for n in row]
    assert len(counts) == 4 and all(n % 5 == 0 for n in counts), counts


@pytest.mark.django_db
@pytest.mark.parametrize("username", REFUSED)
def test_workers_and_other_roles_are_refused_and_the_refusal_is_logged(client, world, username):
    assert client.login(username=username, password=PASSWORD)
    response = client.get(reverse("evaluation:outreach"))
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, username=username).exists()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(reverse("evaluation:outreach"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
def test_a_city_without_old_enough_cases_says_so_instead_of_guessing(client, world):
    assert client.login(username="supervisor", password=PASSWORD)
    page = client.get(reverse("evaluation:outreach"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No estimate: too few youth were reached" in page
    assert "overall-chart-title" not in page


@pytest.mark.django_db
def test_the_page_reads_in_traditional_chinese(client, world, simulated_panel):
    assert client.login(username="supervisor", password=PASSWORD)
    page = client.get(reverse("evaluation:outreach"), HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    for words in ("關懷有幫助嗎？", "比較結果", "條件相近", "使用前請注意", "計算方式"):
        assert words in page, words
    for english in ("comparable youth", "Before you rely on it", "too few to tell", "months after"):
        assert english not in page, english


@pytest.mark.django_db
def test_an_erased_case_leaves_the_evaluation_at_once_despite_the_cache(world):
    """Sealing erases a case (and the events it rests on); the evaluation is cached for an hour, keyed by the
    records it reads, so the next reading no longer counts the erased case."""
    today = dt.date.today()
    first = _month(today, -14)
    y = youth_services.create_youth(name="戊評估", birth_date=first.replace(year=first.year - 14), sex="F")
    opened = first + dt.timedelta(days=9)
    case = Case.objects.create(
        youth=y, lead_bureau=world.b.welfare, assignee=world.u.social, opened_by=world.u.social,
        concern=ConcernType.HIGH_CONCERN, summary="Outreach",
        opened_at=dt.datetime(opened.year, opened.month, opened.day, 10, tzinfo=dt.UTC),
    )  # fmt: skip
    before = report.evaluate(first, _month(today, -2), today=today)
    assert before.reached_total >= 1
    Case.objects.filter(pk=case.pk).delete()  # what sealing does to a case resting on a sealed record
    after = report.evaluate(first, _month(today, -2), today=today)
    assert after.reached_total == before.reached_total - 1
