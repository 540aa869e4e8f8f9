"""Supervisor reports: caseload and deadlines, alert deadlines and overrides of the model, for the bureaus a
supervisor supervises only, with every count of decisions about young people rounded to a multiple of 5 (the
rounding itself, and what it defeats, is specified in test_suppression.py)."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from casework.models import (
    Alert,
    AlertStatus,
    AuditAction,
    AuditEntry,
    Case,
    CaseStatus,
    ConcernType,
    Intervention,
    InterventionKind,
    Membership,
    Referral,
    ReferralStatus,
    Role,
    TriageDecision,
)
from casework.reports import selectors as report_selectors
from casework.youth import services as youth_services
from tests.fixtures import PASSWORD

PAGES = ["reports", "reports-caseload", "reports-alerts", "reports-overrides"]


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------


class _Tables(HTMLParser):
    """Collects the cell texts of every table with an id, row by row."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join(" ".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The rows of a table of the page (header and footer rows included), as lists of cell texts."""
    parser = _Tables()
    parser.feed(page)
    assert table_id in parser.tables, f"no table {table_id}"
    return parser.tables[table_id]


def table(page: str, table_id: str) -> dict[str, list[str]]:
    """A table of the page as {first cell of the row: the other cells}."""
    return {row[0]: row[1:] for row in table_rows(page, table_id)}


def roundings(n: int) -> set[str]:
    """What a true count of ``n`` may be published as: itself if a multiple of 5, else the multiple of 5 just
    below or just above it."""
    low = n - n % 5
    return {str(n)} if n % 5 == 0 else {str(low), str(low + 5)}


def get_page(client, username: str, name: str, **params) -> str:
    assert client.login(username=username, password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse(name), params)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def new_youth(
    name: str, *, sex: str = "M", district: str = "桃園區", indigenous=None, immigrant=None, age=15
):
    return youth_services.create_youth(
        name=name,
        birth_date=dt.date.today() - dt.timedelta(days=int(age * 365.25)),
        sex=sex,
        district=district,
        indigenous=indigenous,
        new_immigrant_parent=immigrant,
    )


def new_alert(
    bureau, reason: str, *, raised, due, resolved=None, escalated=None, acknowledged_by=None, youth=None
) -> Alert:
    """An alert raised at ``raised`` with its deadline; resolved when ``resolved`` is given."""
    status = AlertStatus.RESOLVED if resolved else AlertStatus.ESCALATED if escalated else AlertStatus.OPEN
    if acknowledged_by is not None and status == AlertStatus.OPEN:
        status = AlertStatus.ACKNOWLEDGED
    return Alert.objects.create(
        youth=youth or new_youth("警示"),
        reason=reason,
        routed_to=bureau,
        status=status,
        created_at=raised,
        due_at=due,
        resolved_at=resolved,
        escalated_at=escalated,
        acknowledged_by=acknowledged_by,
    )


def new_decision(world, youth, *, bureau=None, when=None, override=False, **fields) -> TriageDecision:
    """A triage decision on an alert routed to the bureau (the reason the bureau's supervisor sees the youth)."""
    bureau = bureau or world.b.committee
    when = when or world.now - dt.timedelta(days=3)
    alert = new_alert(
        bureau, "top_band", raised=when, due=when + dt.timedelta(days=14), resolved=when, youth=youth
    )
    return TriageDecision.objects.create(
        youth=youth,
        alert=alert,
        bureau=bureau,
        decided_by=world.u.guidance if bureau == world.b.committee else world.u.officer,
        is_override=override,
        created_at=when,
        **fields,
    )


# ---------------------------------------------------------------------------------------------------------
# Caseload and deadlines
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def caseload_world(world):
    """Committee cases, referrals and alerts with known figures per worker (see the test for the answers)."""
    w, today, now = world, world.today, world.now

    def case(assignee, status, *, opened_days_ago=1, monitoring_since=None, lead=None):
        return Case.objects.create(
            youth=new_youth("個案"),
            lead_bureau=lead or w.b.committee,
            assignee=assignee,
            opened_by=w.u.guidance,
            concern=ConcernType.HIGH_CONCERN,
            status=status,
            opened_at=now - dt.timedelta(days=opened_days_ago),
            monitoring_since=monitoring_since,
        )

    def intervention(c, days_ago, next_due=None):
        return Intervention.objects.create(
            case=c,
            kind=InterventionKind.HOME_VISIT,
            occurred_on=today - dt.timedelta(days=days_ago),
            worker=w.u.guidance,
            next_due=next_due,
        )

    # guidance: the world's open case (opened today) and one in intervention whose latest next step is overdue
    # and whose latest intervention is 40 days old; an older intervention's later due date does not count.
    stalled = case(w.u.guidance, CaseStatus.INTERVENTION, opened_days_ago=60)
    intervention(stalled, 50, next_due=today + dt.timedelta(days=10))
    intervention(stalled, 40, next_due=today - dt.timedelta(days=1))
    # guidance2: two in monitoring, one for seven months (period served), one for one month.
    served = case(
        w.u.guidance2,
        CaseStatus.MONITORING,
        opened_days_ago=300,
        monitoring_since=today - dt.timedelta(days=213),
    )
    intervention(served, 5, next_due=today + dt.timedelta(days=3))
    recent = case(
        w.u.guidance2,
        CaseStatus.MONITORING,
        opened_days_ago=100,
        monitoring_since=today - dt.timedelta(days=30),
    )
    intervention(recent, 2, next_due=today)
    # Nobody's: in assessment for 31 days with no intervention at all.
    case(None, CaseStatus.ASSESSMENT, opened_days_ago=31)
    # Not open, or not the committee's: never counted.
    case(w.u.guidance, CaseStatus.CLOSED, opened_days_ago=90)
    case(w.u.officer, CaseStatus.INTERVENTION, opened_days_ago=90, lead=w.b.police)
    # Referrals waiting for the committee: one names guidance2 and waited 20 days, one names nobody (3 days).
    for to_user, days in ((w.u.guidance2, 20), (None, 3)):
        Referral.objects.create(
            youth=new_youth("轉介"),
            from_bureau=w.b.welfare,
            from_user=w.u.social,
            to_bureau=w.b.committee,
            to_user=to_user,
            reason="Family support",
            consent="obtained",
            status=ReferralStatus.PENDING,
            created_at=now - dt.timedelta(days=days),
        )
    Referral.objects.create(
        youth=new_youth("已回覆"),
        from_bureau=w.b.welfare,
        from_user=w.u.social,
        to_bureau=w.b.committee,
        reason="Answered",
        consent="obtained",
        status=ReferralStatus.ACCEPTED,
        created_at=now - dt.timedelta(days=40),
    )
    # Alerts: guidance acknowledged one due in 5 hours; nobody took one 2 hours overdue; one is due in 3 days.
    new_alert(
        w.b.committee, "exposure", raised=now, due=now + dt.timedelta(hours=5), acknowledged_by=w.u.guidance
    )
    new_alert(w.b.committee, "exposure", raised=now - dt.timedelta(days=14), due=now - dt.timedelta(hours=2))
    new_alert(w.b.committee, "exposure", raised=now, due=now + dt.timedelta(days=3))
    return w


def test_caseload_counts_each_workers_open_cases_and_deadlines(caseload_world):
    w = caseload_world
    load = report_selectors.caseload(w.u.supervisor, bureau=w.b.committee, today=w.today, now=w.now)
    rows = {r["name"]: r for r in load["workers"]}

    guidance = rows["guidance"]
    assert (
        guidance["by_status"][CaseStatus.OPENED] == 1 and guidance["by_status"][CaseStatus.INTERVENTION] == 1
    )
    assert guidance["open"] == 2
    assert (guidance["steps_overdue"], guidance["quiet"], guidance["monitoring_served"]) == (1, 1, 0)
    assert (guidance["alerts_due_soon"], guidance["alerts_overdue"]) == (1, 0)

    guidance2 = rows["guidance2"]
    assert guidance2["by_status"][CaseStatus.MONITORING] == 2 and guidance2["open"] == 2
    assert (guidance2["monitoring_served"], guidance2["steps_overdue"], guidance2["quiet"]) == (1, 0, 0)
    assert (
        guidance2["referrals_pending"],
        guidance2["referrals_oldest_days"],
        guidance2["referrals_late"],
    ) == (1, 20, 1)

    nobody = load["unassigned"]
    assert nobody["by_status"][CaseStatus.ASSESSMENT] == 1 and nobody["quiet"] == 1
    assert (nobody["referrals_pending"], nobody["referrals_oldest_days"], nobody["referrals_late"]) == (
        1,
        3,
        0,
    )
    assert (nobody["alerts_due_soon"], nobody["alerts_overdue"]) == (0, 1)

    team = load["team"]
    assert team["open"] == 5
    assert (team["monitoring_served"], team["steps_overdue"], team["quiet"]) == (1, 1, 2)
    assert (team["referrals_pending"], team["referrals_oldest_days"], team["referrals_late"]) == (2, 20, 1)
    assert (team["alerts_due_soon"], team["alerts_overdue"]) == (1, 1)
    # Every worker of the bureau has a row, also with nothing open; workers of other bureaus have none.
    assert rows["supervisor"]["open"] == 0
    assert "officer" not in rows


def test_caseload_page_draws_open_cases_per_worker_and_the_team_row(client, caseload_world):
    page = get_page(client, "supervisor", "reports-caseload")
    assert 'role="img"' in page and "seg-monitoring" in page and "<script" not in page
    statuses = table(page, "status-table")
    assert statuses["guidance2"][-1] == "2"
    assert statuses["Not assigned"][-1] == "1"
    assert statuses["Team · Committee"][-1] == "5"
    deadlines = table(page, "deadline-table")
    # Monitoring served, next step overdue, quiet, referrals, oldest, waiting 14+, due in 24 h, overdue.
    assert deadlines["guidance"] == ["0", "1", "1", "0", "—", "0", "1", "0"]
    assert deadlines["Team · Committee"] == ["1", "1", "2", "2", "20", "1", "1", "1"]


# ---------------------------------------------------------------------------------------------------------
# Alert deadlines
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def alert_world(world):
    w, now = world, world.now
    raised = now - dt.timedelta(days=10)
    # Exposure: three decided, two on time (after 2 and 10 hours), one late after 30 hours and escalated.
    new_alert(
        w.b.committee,
        "exposure",
        raised=raised,
        due=raised + dt.timedelta(days=14),
        resolved=raised + dt.timedelta(hours=2),
    )
    new_alert(
        w.b.committee,
        "exposure",
        raised=raised,
        due=raised + dt.timedelta(days=14),
        resolved=raised + dt.timedelta(hours=10),
    )
    new_alert(
        w.b.committee,
        "exposure",
        raised=raised,
        due=raised + dt.timedelta(hours=24),
        resolved=raised + dt.timedelta(hours=30),
        escalated=raised + dt.timedelta(hours=25),
    )
    # Offence guidance: one open past its deadline, one open within it.
    new_alert(w.b.committee, "offence_guidance", raised=raised, due=now - dt.timedelta(hours=1))
    new_alert(w.b.committee, "offence_guidance", raised=now, due=now + dt.timedelta(days=14))
    # Outside the last 90 days: raised 100 days ago and decided late.
    old = now - dt.timedelta(days=100)
    new_alert(
        w.b.committee,
        "exposure",
        raised=old,
        due=old + dt.timedelta(days=1),
        resolved=old + dt.timedelta(days=5),
    )
    # Police alerts (world.alert and a late one) are not the committee's.
    new_alert(w.b.police, "offence_court", raised=raised, due=raised + dt.timedelta(days=7), resolved=now)
    return w


def test_alert_sla_counts_on_time_decisions_and_the_median_time_to_decide(alert_world):
    w = alert_world
    sla = report_selectors.alert_sla(
        w.u.supervisor,
        bureau=w.b.committee,
        period=report_selectors.Period.last_days(today=w.today),
        now=w.now,
    )
    rules = {r["key"]: r for r in sla["rules"]}

    exposure = rules["exposure"]
    assert (exposure["raised"], exposure["decided"], exposure["on_time"], exposure["settled"]) == (3, 3, 2, 3)
    assert exposure["on_time_share"] == pytest.approx(2 / 3)
    assert exposure["median_hours"] == pytest.approx(10)
    assert exposure["escalated"] == 1 and exposure["deadline_days"] == 14

    # An open alert past its deadline is already a miss; one still within its deadline is not counted yet.
    guidance = rules["offence_guidance"]
    assert (guidance["raised"], guidance["decided"], guidance["still_open"], guidance["open_overdue"]) == (
        2,
        0,
        2,
        1,
    )
    assert guidance["on_time_share"] == 0 and guidance["median_hours"] is None

    # Every current rule routed to the committee has a row, with no alerts too; rules for others have none.
    assert rules["top_band"]["raised"] == 0 and rules["top_band"]["on_time_share"] is None
    assert "child_protection" not in rules and "offence_court" not in rules

    total = sla["total"]
    assert (total["raised"], total["decided"], total["on_time"], total["settled"]) == (5, 3, 2, 4)
    assert total["on_time_share"] == pytest.approx(0.5)


def test_alert_sla_counts_only_alerts_raised_in_the_period(alert_world):
    w = alert_world
    since_old = report_selectors.Period(
        start=w.today - dt.timedelta(days=120), end=w.today - dt.timedelta(days=95)
    )
    sla = report_selectors.alert_sla(w.u.supervisor, bureau=w.b.committee, period=since_old, now=w.now)
    exposure = {r["key"]: r for r in sla["rules"]}["exposure"]
    assert (exposure["raised"], exposure["on_time"], exposure["late"]) == (1, 0, 1)
    assert sla["total"]["raised"] == 1


def test_a_period_is_taipei_calendar_days_and_defaults_to_the_last_90(world):
    day = dt.date(2026, 3, 10)
    assert report_selectors.Period.last_days(today=day) == report_selectors.Period(
        start=dt.date(2025, 12, 11), end=day
    )
    assert report_selectors.Period.last_days(today=day).days == 90
    taipei = ZoneInfo("Asia/Taipei")
    inside = [dt.datetime(2026, 3, 10, 0, 0, tzinfo=taipei), dt.datetime(2026, 3, 10, 23, 59, tzinfo=taipei)]
    outside = [dt.datetime(2026, 3, 9, 23, 59, tzinfo=taipei), dt.datetime(2026, 3, 11, 0, 0, tzinfo=taipei)]
    for at in inside + outside:
        new_alert(world.b.committee, "exposure", raised=at, due=at + dt.timedelta(days=14), resolved=at)
    sla = report_selectors.alert_sla(
        world.u.supervisor, bureau=world.b.committee, period=report_selectors.Period(day, day)
    )
    assert sla["total"]["raised"] == 2


def test_alerts_page_shows_the_share_per_rule_and_follows_the_chosen_period(client, alert_world):
    w = alert_world
    page = get_page(client, "supervisor", "reports-alerts")
    rules = table(page, "rules-table")
    exposure = next(cells for name, cells in rules.items() if name.startswith("Exposure behaviour"))
    # Raised, decided, on time, share, escalated, still open, open past deadline, median hours.
    assert exposure == ["3", "3", "2", "66.7% 2/3", "1", "0", "0", "10.0"]
    assert 'id="on-time-chart-title"' in page and "bar-on-time" in page

    start = (w.today - dt.timedelta(days=120)).isoformat()
    end = (w.today - dt.timedelta(days=95)).isoformat()
    page = get_page(client, "supervisor", "reports-alerts", date_from=start, date_to=end)
    assert table(page, "rules-table")["All rules"][:3] == ["1", "1", "0"]
    assert f'value="{start}"' in page


def test_a_period_that_ends_before_it_starts_is_refused_on_the_form(client, alert_world):
    w = alert_world
    page = get_page(
        client, "supervisor", "reports-alerts", date_from=w.today.isoformat(), date_to="2020-01-01"
    )
    assert "The period must start on or before the day it ends." in page
    # The default period stands meanwhile.
    assert table(page, "rules-table")["All rules"][0] == "5"


# ---------------------------------------------------------------------------------------------------------
# Overrides
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def override_world(world):
    """13 committee decisions in the last 90 days, 6 of them overrides:

    - 10 on boys (indigenous, 桃園區) shown very high on model v2: 5 no-action overrides (no concern found),
      5 cases opened (needs support);
    - 3 on girls (indigenous not recorded, 中壢區) on model v1: 1 no-action override on a high band (record
      error), 2 monitored on a low band (needs support).
    """
    w = world
    for n in range(10):
        boy = new_youth(f"男{n}", sex="M", district="桃園區", indigenous=True, immigrant=False)
        override = n < 5
        new_decision(
            w,
            boy,
            override=override,
            decision="no_action" if override else "open_case",
            reason_code="no_concern" if override else "needs_support",
            band="very_high",
            score=0.8,
            model_version="v2",
            note=f"Reviewed boy {n}" if override else "",
            when=w.now - dt.timedelta(days=20 - n),
        )
    for n in range(3):
        girl = new_youth(f"女{n}", sex="F", district="中壢區", indigenous=None, immigrant=None)
        override = n == 0
        new_decision(
            w,
            girl,
            override=override,
            decision="no_action" if override else "monitor",
            reason_code="record_error" if override else "needs_support",
            band="high" if override else "low",
            model_version="v1",
            note="The school record was another girl's" if override else "",
        )
    # Outside the period, and another bureau's: never counted here.
    new_decision(
        w, new_youth("舊"), override=True, decision="no_action", reason_code="moved_away", band="high",
        note="Long ago", when=w.now - dt.timedelta(days=120),
    )  # fmt: skip
    new_decision(
        w, new_youth("警"), bureau=w.b.police, override=True, decision="no_action", reason_code="duplicate",
        band="very_high", note="Police decision",
    )  # fmt: skip
    return w


def test_override_counts_by_reason_band_decision_model_and_group(override_world):
    """The true counts behind the published figures (never shown as they are)."""
    w = override_world
    figures = report_selectors.override_counts(
        w.u.supervisor, bureau=w.b.committee, period=report_selectors.Period.last_days(today=w.today)
    )

    def by_key(rows):
        return {r["key"]: (r["decisions"], r["overrides"]) for r in rows}

    assert (figures["total"]["decisions"], figures["total"]["overrides"]) == (13, 6)
    assert len(figures["total"]["decision_ids"]) == 13 and len(figures["total"]["override_ids"]) == 6
    reasons = by_key(figures["by_reason"])
    assert (
        reasons["no_concern"] == (5, 5)
        and reasons["needs_support"] == (7, 0)
        and reasons["record_error"] == (1, 1)
    )
    assert reasons["moved_away"] == (0, 0) and reasons["duplicate"] == (0, 0)
    assert by_key(figures["by_band"]) == {
        "very_high": (10, 5),
        "high": (1, 1),
        "medium": (0, 0),
        "low": (2, 0),
        "": (0, 0),
    }
    decisions = by_key(figures["by_decision"])
    assert decisions == {"open_case": (5, 0), "monitor": (2, 0), "refer": (0, 0), "no_action": (6, 6)}
    assert by_key(figures["by_model"]) == {"v2": (10, 5), "v1": (3, 1), "": (0, 0)}
    groups = {key: by_key(rows) for key, rows in figures["by_group"].items()}
    assert groups["sex"] == {"M": (10, 5), "F": (3, 1), "": (0, 0)}
    assert groups["indigenous"] == {True: (10, 5), False: (0, 0), None: (3, 1)}
    assert groups["new_immigrant_parent"] == {True: (0, 0), False: (10, 5), None: (3, 1)}
    assert groups["district"] == {"桃園區": (10, 5), "中壢區": (3, 1), "": (0, 0)}


def test_published_override_figures_are_the_counts_rounded_to_a_multiple_of_five(override_world):
    w = override_world
    period = report_selectors.Period.last_days(today=w.today)
    counts = report_selectors.override_counts(w.u.supervisor, bureau=w.b.committee, period=period)
    figures = report_selectors.overrides(w.u.supervisor, bureau=w.b.committee, period=period)
    assert figures["groups_shown"]
    pairs = [(counts["total"], figures["total"])]
    for name in ("by_reason", "by_band", "by_decision", "by_model"):
        pairs += zip(counts[name], figures[name], strict=True)
    for key in counts["by_group"]:
        pairs += zip(counts["by_group"][key], figures["by_group"][key], strict=True)
    for true, shown in pairs:
        for column in ("decisions", "overrides"):
            assert str(shown[column]) in roundings(true[column]), (true, shown)
        # A rate is the rate of the rounded counts, and only on ten or more (rounded) decisions.
        if shown["decisions"] >= 10:
            assert shown["rate"] == pytest.approx(min(1, shown["overrides"] / shown["decisions"]))
        else:
            assert shown["rate"] is None
    # The headline tile reads the same publication as the overrides page.
    assert (
        report_selectors.override_total(w.u.supervisor, bureau=w.b.committee, period=period)
        == figures["total"]
    )


def test_group_tables_show_rounded_counts_and_rates_only_on_ten_or_more_decisions(client, override_world):
    page = get_page(client, "supervisor", "reports-overrides")
    assert "rounded to a multiple of 5" in page
    sex = table(page, "group-sex")
    # Ten decisions on boys, five overrides: multiples of 5 are published as they are.
    assert sex["Male"] == ["10", "5", "50.0%"]
    # Three decisions on girls, one an override: each rounded to 0 or 5, and no rate on fewer than ten.
    decisions, overrides, rate = sex["Female"]
    assert decisions in {"0", "5"} and overrides in {"0", "5"} and rate in {"not shown", "—"}
    assert sex["Not recorded"] == ["0", "0", "—"]
    indigenous = table(page, "group-indigenous")
    assert indigenous["Indigenous"] == ["10", "5", "50.0%"]
    assert indigenous["Not recorded"][0] in {"0", "5"} and indigenous["Not recorded"][2] in {"not shown", "—"}
    reasons = table(page, "by-reason")
    assert reasons["The record behind the alert is wrong"][0] in {"0", "5"}
    # Seven decisions, none an override: 5 (no rate on fewer than ten) or 10 (a rate of 0.0%).
    assert reasons["The record shows needs we can meet"] in (["5", "0", "not shown"], ["10", "0", "0.0%"])
    bands = table(page, "by-band")
    assert bands["Low"][0] in {"0", "5"} and bands["Low"][1] == "0"
    assert table(page, "group-district")["桃園區"] == ["10", "5", "50.0%"]
    # The chart draws only the rates the tables show: boys, indigenous youth, youth with no new-immigrant parent.
    chart = page.split('id="group-chart-title"')[1].split("</svg>")[0]
    assert chart.count("<rect") == 3
    assert "<title>Sex: Male: 50.0%</title>" in chart and "Sex: Female: " in chart


def test_latest_overrides_name_the_decider_the_youth_and_the_note_for_model_review(client, override_world):
    page = get_page(client, "supervisor", "reports-overrides")
    header, *rows = table_rows(page, "latest-table")
    assert header == ["Date", "Decided by", "Youth ID", "Band shown", "Decision", "Reason", "Note"]
    # Six overrides in the period, newest first; the old one and the police one are not listed.
    assert len(rows) == 6
    assert rows[0][1:3] == [
        "guidance",
        TriageDecision.objects.get(note__startswith="The school").youth.public_id,
    ]
    assert rows[0][3:6] == ["High v1", "No action", "The record behind the alert is wrong"]
    notes = [cells[-1] for cells in rows]
    assert notes[0] == "The school record was another girl's"
    assert notes[1:] == [f"Reviewed boy {n}" for n in (4, 3, 2, 1, 0)]
    assert "Long ago" not in page and "Police decision" not in page
    girl = TriageDecision.objects.get(note__startswith="The school record").youth
    assert f'href="{reverse("youth-detail", args=[girl.public_id])}"' in page
    # The list of youth shown is logged.
    entry = AuditEntry.objects.filter(action=AuditAction.LIST, object_type="report_overrides").latest("at")
    assert girl.public_id in entry.detail["query"]["youth"]


def test_override_period_filter_brings_in_older_decisions(client, override_world):
    w = override_world
    start = (w.today - dt.timedelta(days=130)).isoformat()
    page = get_page(client, "supervisor", "reports-overrides", date_from=start, date_to=w.today.isoformat())
    assert "Long ago" in page
    moved = table(page, "by-reason")["Moved out of the city"]
    assert moved[0] in {"0", "5"} and moved[1] in {"0", "5"} and moved[2] in {"not shown", "—"}


# ---------------------------------------------------------------------------------------------------------
# Bureau scoping
# ---------------------------------------------------------------------------------------------------------


def test_a_supervisor_sees_only_the_figures_of_the_bureaus_they_supervise(
    client, caseload_world, override_world
):
    w = caseload_world
    page = get_page(client, "police_supervisor", "reports-caseload")
    names = table(page, "status-table")
    assert "officer" in names and "guidance" not in names and "guidance2" not in names
    assert names["Team · Police"][-1] == "1"

    page = get_page(client, "police_supervisor", "reports-overrides")
    assert "Police decision" in page and "Reviewed boy" not in page
    duplicate = table(page, "by-reason")["Duplicate of an alert already handled"]
    assert duplicate[0] in {"0", "5"} and duplicate[2] in {"not shown", "—"}
    # One decision in the period: too few for figures by group.
    assert 'id="groups-withheld"' in page and 'id="group-sex"' not in page

    page = get_page(client, "police_supervisor", "reports-alerts")
    assert "Exposure behaviour" not in page and "Offence: court referral" in page

    # Asking for another bureau's figures answers as if it did not exist, and the attempt is logged.
    response = client.get(reverse("reports-caseload"), {"bureau": "committee"})
    assert response.status_code == 404
    assert AuditEntry.objects.filter(
        action=AuditAction.DENIED, detail__object_type="bureau", detail__object_id="committee"
    ).exists()
    # The selectors refuse another bureau too, whoever calls them.
    with pytest.raises(PermissionDenied):
        report_selectors.caseload(w.u.police_supervisor, bureau=w.b.committee)
    with pytest.raises(PermissionDenied):
        report_selectors.overrides(
            w.u.police_supervisor, bureau=w.b.committee, period=report_selectors.Period.last_days()
        )


def test_a_supervisor_of_several_bureaus_chooses_one_and_compares_the_teams(client, caseload_world):
    w = caseload_world
    Membership.objects.create(user=w.u.police_supervisor, bureau=w.b.committee, role=Role.SUPERVISOR)
    page = get_page(client, "police_supervisor", "reports-caseload")
    assert '<select name="bureau"' in page
    assert table(page, "teams-table")["Committee"][0] == "5"
    assert table(page, "teams-table")["Police"][0] == "1"
    # The first bureau by code is shown unless another is chosen.
    assert "guidance2" in table(page, "status-table")
    page = get_page(client, "police_supervisor", "reports-caseload", bureau="police")
    assert "guidance2" not in table(page, "status-table")
    page = get_page(client, "police_supervisor", "reports-alerts")
    assert set(table(page, "bureaus-table")) >= {"Committee", "Police"}


# ---------------------------------------------------------------------------------------------------------
# The index and access
# ---------------------------------------------------------------------------------------------------------


def test_index_shows_headline_figures_and_links_to_the_model_explanation_report(client, caseload_world):
    page = get_page(client, "supervisor", "reports")
    assert 'href="/models/active/"' in page
    for name in ("reports-caseload", "reports-alerts", "reports-overrides"):
        assert f'href="{reverse(name)}?bureau=committee"' in page
    assert '<span class="tile-n">5</span><span>open cases</span>' in page
    assert "1 more due within 24 hours" in page


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize(
    "username", ["officer", "guidance", "social", "counsellor", "steward", "modeller", "auditor", "admin"]
)
def test_report_pages_are_refused_to_everyone_but_supervisors(client, world, name, username):
    assert client.login(username=username, password=PASSWORD)
    assert client.get(reverse(name)).status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, username=username).exists()


@pytest.mark.parametrize("name", PAGES)
def test_report_pages_open_for_a_supervisor_and_are_logged(client, world, name):
    assert client.login(username="supervisor", password=PASSWORD)
    response = client.get(reverse(name))
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action=AuditAction.LIST, username="supervisor").latest("at")
    assert entry.object_type.startswith("report_") and entry.detail["query"]["bureau"] == "committee"


@pytest.mark.parametrize("name", PAGES)
def test_report_pages_send_anonymous_visitors_to_sign_in(client, world, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
