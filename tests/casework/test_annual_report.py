"""The annual work report (issue 19 part 2): one supervised bureau's period in seven tables, every count of
young people published through the reports' ``Release`` (a multiple of 5), for supervisors of that bureau
only, logged as a list; its XLSX export logged as an export."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import zlib

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from casework.models import (
    Alert,
    AuditAction,
    AuditEntry,
    Case,
    CaseStatus,
    ClosureReason,
    ConcernType,
    Event,
    EventKind,
    Intervention,
    InterventionKind,
    Referral,
    ReferralStatus,
    RiskScore,
    Role,
    TriageDecision,
    TriageDecisionKind,
    TriageReason,
    User,
)
from casework.reports import (
    annual,
    annual_charts,
    annual_exposure,
    annual_followup,
    annual_models,
    annual_pdf,
    suppression,
)
from casework.reports import selectors as report_selectors
from casework.youth import services as youth_services
from tests.casework.test_reports import get_page, new_alert, new_decision, new_youth, roundings, table
from tests.fixtures import PASSWORD, make_user

DAY = dt.timedelta(days=1)


@pytest.fixture
def annual_world(world):
    """The committee's last 60 days, built by hand (the expected true counts are in the tests)."""
    w, now, today = world, world.now, world.today
    w.period = report_selectors.Period(start=today - 60 * DAY, end=today)

    def referral(frm, to, status, *, days_ago, answered_after=None, youth=None):
        created = now - days_ago * DAY
        return Referral.objects.create(
            youth=youth or new_youth("轉介"),
            from_bureau=frm,
            from_user=w.u.social if frm == w.b.welfare else w.u.guidance,
            to_bureau=to,
            reason="Support",
            consent="obtained",
            status=status,
            created_at=created,
            responded_at=created + answered_after * DAY if answered_after is not None else None,
        )

    # Received from welfare: one accepted after 4 days, one declined after 10, one pending; the same youth
    # twice (two referrals, one young person); one received long before the period.
    twice = new_youth("兩次")
    referral(w.b.welfare, w.b.committee, ReferralStatus.ACCEPTED, days_ago=20, answered_after=4, youth=twice)
    referral(w.b.welfare, w.b.committee, ReferralStatus.DECLINED, days_ago=30, answered_after=10, youth=twice)
    referral(w.b.welfare, w.b.committee, ReferralStatus.PENDING, days_ago=5)
    referral(w.b.police, w.b.committee, ReferralStatus.COMPLETED, days_ago=40, answered_after=2)
    referral(w.b.welfare, w.b.committee, ReferralStatus.ACCEPTED, days_ago=400, answered_after=1)
    # Sent: to the police, accepted after 6 days (the world's pending referral to welfare is sent today).
    referral(w.b.committee, w.b.police, ReferralStatus.ACCEPTED, days_ago=15, answered_after=6)

    def case(concern, *, opened_days_ago, closed_days_ago=None, reason="", lead=None):
        return Case.objects.create(
            youth=new_youth("個案"),
            lead_bureau=lead or w.b.committee,
            assignee=w.u.guidance,
            opened_by=w.u.guidance,
            concern=concern,
            status=CaseStatus.CLOSED if closed_days_ago is not None else CaseStatus.INTERVENTION,
            opened_at=now - opened_days_ago * DAY,
            closed_at=now - closed_days_ago * DAY if closed_days_ago is not None else None,
            closure_reason=reason,
        )

    # The world has two committee cases opened today: high concern (open) and deviant (closed today, no
    # reason). Opened in the period: two exposure cases, one closed (goals met) within it.
    w.exposure_case = case(ConcernType.EXPOSURE, opened_days_ago=10)
    case(ConcernType.EXPOSURE, opened_days_ago=50, closed_days_ago=3, reason=ClosureReason.GOALS_MET)
    # Opened before the period: one still open, one closed in it (moved away), one closed before it.
    case(ConcernType.OFFENCE, opened_days_ago=300)
    case(ConcernType.OFFENCE, opened_days_ago=300, closed_days_ago=20, reason=ClosureReason.MOVED_AWAY)
    case(ConcernType.DEVIANT, opened_days_ago=500, closed_days_ago=100, reason=ClosureReason.TURNED_18)
    # Another bureau's case: never counted.
    case(ConcernType.OFFENCE, opened_days_ago=5, lead=w.b.police)

    def intervention(c, kind, days_ago):
        Intervention.objects.create(
            case=c, kind=kind, occurred_on=today - days_ago * DAY, worker=w.u.guidance
        )

    intervention(w.exposure_case, InterventionKind.HOME_VISIT, 8)
    intervention(w.exposure_case, InterventionKind.HOME_VISIT, 4)
    intervention(w.case, InterventionKind.COUNSELLING, 2)
    intervention(w.case, InterventionKind.COUNSELLING, 90)  # before the period

    # Exposure alerts (the 14-day duty): decided in time, decided late, open within, open past the deadline.
    raised = now - 30 * DAY
    new_alert(w.b.committee, "exposure", raised=raised, due=raised + 14 * DAY, resolved=raised + 3 * DAY)
    new_alert(w.b.committee, "exposure", raised=raised, due=raised + 14 * DAY, resolved=raised + 20 * DAY)
    new_alert(w.b.committee, "exposure", raised=now - DAY, due=now + 13 * DAY)
    new_alert(w.b.committee, "exposure", raised=raised, due=raised + 14 * DAY)
    # Another rule's alert, and one raised before the period.
    new_alert(w.b.committee, "top_band", raised=now - 2 * DAY, due=now + 5 * DAY)
    new_alert(w.b.committee, "exposure", raised=now - 100 * DAY, due=now - 86 * DAY, resolved=now - 90 * DAY)

    # Triage decisions: three, one an override (each raises a resolved top_band alert on time).
    for i, override in enumerate((True, False, False)):
        new_decision(w, new_youth(f"決定{i}"), override=override, decision="no_action", reason_code="agree")

    # Scores of two model versions in two months.
    first_month = today - 30 * DAY
    for youth, version, as_of in (
        (w.y.case, "m-2026a", first_month),
        (w.y.closed, "m-2026a", first_month),
        (w.y.case, "m-2026b", today),
    ):
        RiskScore.objects.create(
            youth=youth, as_of=as_of, score=0.5, band="high", rank=1, model_version=version
        )
    w.first_month = first_month
    return w


def n(cells_row, column="n"):
    return cells_row["cells"][column]["n"]


def by_key(section):
    return {row["key"]: row for row in [*section["rows"], section["total"]]}


# ---------------------------------------------------------------------------------------------------------
# The figures
# ---------------------------------------------------------------------------------------------------------


def test_annual_counts_on_hand_built_data(annual_world):
    w = annual_world
    counts = annual.annual_counts(w.u.supervisor, bureau=w.b.committee, period=w.period, now=w.now)

    # 1. Four referrals received in the period about three young people; cases opened by concern.
    assert counts["referred_youth"]["cells"]["n"]["n"] == 3
    opened = by_key(counts["opened"])
    assert n(opened[ConcernType.EXPOSURE]) == 2 and n(opened[ConcernType.HIGH_CONCERN]) == 1
    assert n(opened[ConcernType.DEVIANT]) == 1 and n(opened[ConcernType.OFFENCE]) == 0
    assert n(opened["total"]) == 4
    exposure = {c: cell["n"] for c, cell in counts["exposure"]["cells"].items()}
    assert exposure == {"raised": 4, "on_time": 1, "late": 1, "open": 2}

    # 2. Open at the end: the world's open case, the exposure case and the old offence case.
    open_at_end = by_key(counts["open_at_end"])
    assert n(open_at_end["total"]) == 3 and n(open_at_end[ConcernType.OFFENCE]) == 1
    closed = by_key(counts["closed"])
    assert n(closed[ClosureReason.GOALS_MET]) == 1 and n(closed[ClosureReason.MOVED_AWAY]) == 1
    assert n(closed[ClosureReason.TURNED_18]) == 0 and n(closed[""]) == 1 and n(closed["total"]) == 3

    # 3. Referrals between bureaus, by the other bureau and outcome, with the median days to an answer.
    received = by_key(counts["referrals_received"])
    welfare, police = received[w.b.welfare.pk], received[w.b.police.pk]
    assert {c: cell["n"] for c, cell in welfare["cells"].items()} == {
        "n": 3, "accepted": 1, "declined": 1, "pending": 1, "revoked": 0
    }  # fmt: skip
    assert welfare["median_days"] == 7 and n(police) == 1 and n(police, "accepted") == 1
    assert n(received["total"]) == 4 and received["total"]["median_days"] == 4
    sent = by_key(counts["referrals_sent"])
    assert n(sent[w.b.police.pk]) == 1 and sent[w.b.police.pk]["median_days"] == 6
    assert n(sent[w.b.welfare.pk], "pending") == 1 and n(sent["total"]) == 2

    # 4. Interventions by kind, and the young people they reached.
    interventions = by_key(counts["interventions"])
    assert n(interventions[InterventionKind.HOME_VISIT]) == 2
    assert n(interventions[InterventionKind.HOME_VISIT], "youth") == 1
    assert n(interventions["total"]) == 3 and n(interventions["total"], "youth") == 2


def test_alerts_by_rule_are_the_alerts_reports_figures(annual_world):
    w = annual_world
    counts = annual.annual_counts(w.u.supervisor, bureau=w.b.committee, period=w.period, now=w.now)
    sla = report_selectors.alert_sla(w.u.supervisor, bureau=w.b.committee, period=w.period, now=w.now)
    rows = by_key(counts["alerts"])
    for rule in [*sla["rules"], {**sla["total"], "key": "total"}]:
        row = rows[rule["key"]]
        assert n(row, "raised") == rule["raised"]
        assert n(row, "on_time") == rule["on_time"]
        assert n(row, "missed") == rule["settled"] - rule["on_time"]
        assert n(row, "pending") == rule["raised"] - rule["settled"]
    exposure = rows["exposure"]
    assert (n(exposure, "raised"), n(exposure, "on_time"), n(exposure, "missed"), n(exposure, "pending")) == (
        4, 1, 2, 1
    )  # fmt: skip


def _published_counts(report):
    """Every published count of the report (None: withheld)."""
    yield report["referred_youth"]
    yield from (report["exposure"][c] for c in annual.EXPOSURE_COLUMNS)
    for section in ("opened", "open_at_end", "closed", "interventions"):
        for row in report[section]:
            yield row["n"]
            yield row.get("youth", 0)
    for section in ("referrals_sent", "referrals_received"):
        for row in report[section]:
            yield from (row[c] for c in ("n", *annual.OUTCOMES))
    for row in report["alerts"]:
        yield from (row[c] for c in annual.ALERT_COLUMNS)
    yield report["overrides"]["total"]["decisions"]
    yield report["overrides"]["total"]["overrides"]


def test_every_published_count_is_the_true_count_rounded_to_a_multiple_of_five(annual_world):
    w = annual_world
    report = annual.annual_report(w.u.supervisor, bureau=w.b.committee, period=w.period, now=w.now)
    published = [v for v in _published_counts(report) if v is not None]
    assert published and all(v % 5 == 0 for v in published)
    # Each is the true count rounded one way or the other, and asking again gives the same figures.
    counts = annual.annual_counts(w.u.supervisor, bureau=w.b.committee, period=w.period, now=w.now)
    assert str(report["referred_youth"]) in roundings(3)
    total_opened = next(r for r in report["opened"] if r["total"])
    assert str(total_opened["n"]) in roundings(n(counts["opened"]["total"]))
    assert str(report["exposure"]["raised"]) in roundings(4)
    assert annual.annual_report(w.u.supervisor, bureau=w.b.committee, period=w.period, now=w.now) == report
    # The overrides section is the overrides report's own publication.
    assert report["overrides"]["total"] == report_selectors.override_total(
        w.u.supervisor, bureau=w.b.committee, period=w.period
    )


def test_models_in_use_are_the_score_versions_with_their_months(annual_world):
    w = annual_world
    models = annual.models_in_use(w.u.supervisor, period=w.period)
    assert {m["version"]: m["months"] for m in models} == {
        "m-2026a": [f"{w.first_month:%Y-%m}"],
        "m-2026b": [f"{w.today:%Y-%m}"],
    }
    assert models[0]["version"] == "m-2026b"


def test_the_default_period_is_the_last_full_calendar_year():
    period = annual.last_full_year(dt.date(2026, 3, 5))
    assert (period.start, period.end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_the_selectors_refuse_a_bureau_the_user_does_not_supervise(annual_world):
    w = annual_world
    for user in (w.u.police_supervisor, w.u.guidance):
        with pytest.raises(PermissionDenied):
            annual.annual_report(user, bureau=w.b.committee, period=w.period)


# ---------------------------------------------------------------------------------------------------------
# The page and the export
# ---------------------------------------------------------------------------------------------------------


def period_query(w):
    return {
        "bureau": "committee",
        "date_from": w.period.start.isoformat(),
        "date_to": w.period.end.isoformat(),
    }


def test_the_page_shows_every_section_with_published_counts_and_is_logged(client, annual_world):
    w = annual_world
    page = get_page(client, "supervisor", "reports-annual", **period_query(w))
    for table_id in (
        "opened-table", "exposure-table", "open-table", "closed-table", "sent-table", "received-table",
        "interventions-table", "alerts-table", "overrides-table", "models-table",
    ):  # fmt: skip
        assert f'id="{table_id}"' in page
    assert 'id="opened-chart"' in page or "Cases opened" in page
    # Every number in a count table is a multiple of 5 (a dash where withheld).
    for table_id in ("opened-table", "open-table", "closed-table", "interventions-table", "alerts-table"):
        for label, cells in table(page, table_id).items():
            for cell in cells:
                if re.fullmatch(r"\d+", cell):
                    assert int(cell) % 5 == 0, (table_id, label, cells)
    assert table(page, "opened-table")["All"][0] in roundings(4)
    interventions = table(page, "interventions-table")
    assert interventions["Kind"] == ["Interventions", "Young people reached"]
    assert interventions["All kinds"][0] in roundings(3) and interventions["All kinds"][1] in roundings(2)
    received = table(page, "received-table")
    assert received["All bureaus"][0] in roundings(4) and len(received["All bureaus"]) == 6
    assert table(page, "alerts-table")["All rules"][0] in roundings(8)
    assert "m-2026a" in page and "m-2026b" in page
    entry = AuditEntry.objects.filter(action=AuditAction.LIST, object_type="report_annual").latest("at")
    assert entry.username == "supervisor" and entry.detail["query"]["bureau"] == "committee"
    assert entry.detail["query"]["period"] == [w.period.start.isoformat(), w.period.end.isoformat()]
    # Linked from the reports index.
    assert f'href="{reverse("reports-annual")}?bureau=committee"' in get_page(client, "supervisor", "reports")


def test_without_a_period_the_page_reports_the_last_full_year(client, annual_world):
    w = annual_world
    page = get_page(client, "supervisor", "reports-annual")
    year = w.today.year - 1
    assert f"{year}-01-01" in page and f"{year}-12-31" in page
    entry = AuditEntry.objects.filter(action=AuditAction.LIST, object_type="report_annual").latest("at")
    assert entry.detail["query"]["period"] == [f"{year}-01-01", f"{year}-12-31"]


@pytest.mark.parametrize("username", ["guidance", "officer", "steward", "secretariat"])
def test_the_page_and_export_are_refused_to_everyone_but_supervisors(client, world, username):
    assert client.login(username=username, password=PASSWORD)
    assert client.get(reverse("reports-annual")).status_code == 403
    assert client.get(reverse("export-report-annual")).status_code == 403
    assert client.get(reverse("reports-annual-pdf")).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT, username=username).exists()


def test_another_bureaus_supervisor_gets_404_for_the_page_and_the_export(client, world):
    assert client.login(username="police_supervisor", password=PASSWORD)
    assert client.get(reverse("reports-annual"), {"bureau": "committee"}).status_code == 404
    assert client.get(reverse("export-report-annual"), {"bureau": "committee"}).status_code == 404
    assert client.get(reverse("reports-annual-pdf"), {"bureau": "committee"}).status_code == 404
    assert AuditEntry.objects.filter(
        action=AuditAction.DENIED, detail__object_type="bureau", detail__object_id="committee"
    ).exists()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_xlsx_export_downloads_the_same_tables_and_is_logged(client, annual_world):
    w = annual_world
    assert client.login(username="supervisor", password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("export-report-annual"), period_query(w))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="annual-report-committee-export-')
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).latest("at")
    assert entry.username == "supervisor" and entry.detail["object_type"] == "report_annual"
    assert set(entry.detail["sheets"]) >= {
        "intake", "opened", "exposure_outcomes", "closed", "followup", "referrals", "alerts", "models",
    }  # fmt: skip
    wb = load_workbook(io.BytesIO(response.content))
    assert len(wb.worksheets) == 11
    report = annual.annual_report(w.u.supervisor, bureau=w.b.committee, period=w.period, now=w.now)
    opened = wb.worksheets[1]
    values = [[c.value for c in row] for row in opened.iter_rows()]
    total = next(r for r in report["opened"] if r["total"])["n"]
    assert ["All", total] in values
    numbers = [
        c.value
        for ws in wb.worksheets[1:6]
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, int)
    ]
    assert numbers and all(v % 5 == 0 for v in numbers)
    # The 14-day outcomes add up to the exposure alerts raised, as on the page.
    outcomes = [[c.value for c in row] for row in wb.worksheets[2].iter_rows()]
    assert ["Exposure alerts raised", report["exposure"]["raised"]] in outcomes
    # The models sheet carries the gate columns.
    header = next(
        r for r in ([c.value for c in row] for row in wb.worksheets[-1].iter_rows()) if "Model version" in r
    )
    assert "Promotion gate" in header and "Calibration error (ECE)" in header
    # The page links to it.
    page = get_page(client, "supervisor", "reports-annual")
    assert 'id="export-annual"' in page


# ---------------------------------------------------------------------------------------------------------
# Cases opened and not opened within 14 days, with the reasons recorded
# ---------------------------------------------------------------------------------------------------------


def exposure_alerts_in_period(w):
    start, end = w.period.bounds
    return Alert.objects.filter(
        reason="exposure", routed_to=w.b.committee, created_at__gte=start, created_at__lt=end
    ).order_by("created_at", "resolved_at", "id")


def decide(w, alert, decision, reason, *, at):
    return TriageDecision.objects.create(
        youth=alert.youth,
        alert=alert,
        bureau=w.b.committee,
        decided_by=w.u.guidance,
        decision=decision,
        reason_code=reason,
        created_at=at,
    )


@pytest.fixture
def decided_world(annual_world):
    """The fixture's exposure alerts decided: one case opened on time, one not opened (no concern, decided
    late); plus a case opened late, a referral elsewhere (better placed) on time after an earlier 'monitor',
    and one resolved with no decision recorded."""
    w = annual_world
    raised = w.now - 30 * DAY
    on_time, late = [a for a in exposure_alerts_in_period(w) if a.resolved_at is not None]
    decide(w, on_time, TriageDecisionKind.OPEN_CASE, TriageReason.LEGAL_DUTY, at=raised + 3 * DAY)
    decide(w, late, TriageDecisionKind.NO_ACTION, TriageReason.NO_CONCERN, at=raised + 20 * DAY)
    opened_late = new_alert(
        w.b.committee, "exposure", raised=raised, due=raised + 14 * DAY, resolved=raised + 16 * DAY
    )
    decide(w, opened_late, TriageDecisionKind.OPEN_CASE, TriageReason.LEGAL_DUTY, at=raised + 16 * DAY)
    referred = new_alert(
        w.b.committee, "exposure", raised=raised, due=raised + 14 * DAY, resolved=raised + 9 * DAY
    )
    decide(w, referred, TriageDecisionKind.MONITOR, TriageReason.RECENT_CHANGE, at=raised + 2 * DAY)
    decide(w, referred, TriageDecisionKind.REFER, TriageReason.BETTER_PLACED, at=raised + 9 * DAY)
    new_alert(w.b.committee, "exposure", raised=raised, due=raised + 14 * DAY, resolved=raised + DAY)
    return w


def test_each_exposure_alert_is_in_one_row_opened_or_not_with_the_reason_its_decision_gave(decided_world):
    w = decided_world
    counts = annual.annual_counts(w.u.supervisor, bureau=w.b.committee, period=w.period, now=w.now)
    rows = {row["key"]: row["cells"]["n"]["n"] for row in counts["exposure_outcomes"]["rows"]}
    assert rows.pop(annual_exposure.OPENED_ON_TIME) == 1
    assert rows.pop(annual_exposure.OPENED_LATE) == 1
    assert rows.pop(f"not_opened:{TriageReason.NO_CONCERN}") == 1
    # The latest decision counts: monitored first, then referred elsewhere.
    assert rows.pop(f"not_opened:{TriageReason.BETTER_PLACED}") == 1
    assert rows.pop(annual_exposure.NO_DECISION) == 1
    assert rows.pop(annual_exposure.PENDING_WITHIN) == 1
    assert rows.pop(annual_exposure.PENDING_OVERDUE) == 1
    assert set(rows.values()) == {0}  # every other reason is listed, with nothing in it
    assert counts["exposure"]["cells"]["raised"]["n"] == 7


def test_the_exposure_outcomes_are_published_adding_up_to_the_alerts_raised(decided_world, client):
    w = decided_world
    report = annual.annual_report(w.u.supervisor, bureau=w.b.committee, period=w.period, now=w.now)
    rows = [r for r in report["exposure_outcomes"] if not r["total"]]
    total = next(r for r in report["exposure_outcomes"] if r["total"])
    assert total["n"] == report["exposure"]["raised"] and total["n"] in (5, 10)
    shown = [r["n"] for r in rows if r["n"] is not None]
    assert all(v % 5 == 0 for v in shown)
    # Each row is its true count rounded (up or down at random, to base 5), so the rows need not add up to
    # the rounded total exactly; the true counts do.
    counts = annual.annual_counts(w.u.supervisor, bureau=w.b.committee, period=w.period, now=w.now)
    truth = {r["key"]: r["cells"]["n"]["n"] for r in counts["exposure_outcomes"]["rows"]}
    assert sum(truth.values()) == counts["exposure"]["cells"]["raised"]["n"]
    for r in rows:
        if r["n"] is not None:
            low, high = suppression.possible_counts(r["n"])
            assert low <= truth[r["key"]] <= high, r
    page = get_page(client, "supervisor", "reports-annual", **period_query(w))
    table_ = table(page, "not-opened-table")
    assert table_["Exposure alerts raised"] == [str(total["n"])]
    assert "Not opened: No concern found on review" in table_
    # The picture draws the rows with a published count above 0 (none: no picture, never an empty axis).
    assert ('id="exposure-outcomes-chart-title"' in page) == any(shown)


# ---------------------------------------------------------------------------------------------------------
# Follow-up after closure
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def followup_world(annual_world):
    """Closed committee cases whose 6- or 12-month window after closure ended in the period (the last 60 days)."""
    w, now, today = annual_world, annual_world.now, annual_world.today

    def closed_case(days_ago, *, lead=None, youth=None):
        return Case.objects.create(
            youth=youth or new_youth("結案"),
            lead_bureau=lead or w.b.committee,
            assignee=w.u.guidance,
            opened_by=w.u.guidance,
            concern=ConcernType.EXPOSURE,
            status=CaseStatus.CLOSED,
            opened_at=now - (days_ago + 200) * DAY,
            closed_at=now - days_ago * DAY,
            closure_reason=ClosureReason.GOALS_MET,
        )

    def police(youth, days_ago, kind=EventKind.POLICE_OFFENCE):
        return youth_services.record_event(
            youth=youth,
            kind=kind,
            event_date=today - days_ago * DAY,
            knowledge_date=today - days_ago * DAY,
            owning_bureau=w.b.police,
        )

    # 6-month windows that ended in the period: A (a new alert and a police contact after closure), C (nothing
    # after; a contact before closure only), D (a contact after closure, sealed since).
    w.case_a = closed_case(200)
    new_alert(w.b.committee, "exposure", raised=now - 100 * DAY, due=now - 86 * DAY, youth=w.case_a.youth)
    police(w.case_a.youth, 50)
    w.case_c = closed_case(190)
    police(w.case_c.youth, 250)
    w.case_d = closed_case(195)
    sealed = police(w.case_d.youth, 150)
    Event.all_objects.filter(pk=sealed.pk).update(sealed_at=now)
    # 12-month window that ended in the period: B (a new case opened by the police 300 days ago).
    w.case_b = closed_case(400)
    Case.objects.create(
        youth=w.case_b.youth,
        lead_bureau=w.b.police,
        assignee=w.u.officer,
        opened_by=w.u.officer,
        concern=ConcernType.OFFENCE,
        opened_at=now - 300 * DAY,
    )
    # Windows not ended in the period: closed 30 days ago (6 months ahead), closed 500 days ago (ended before).
    closed_case(30)
    old = closed_case(500)
    police(old.youth, 400)
    # Another bureau's closed case (of a young person the committee sees): not the committee's follow-up.
    closed_case(200, lead=w.b.police, youth=w.case_a.youth)
    return w


def test_follow_up_counts_what_the_record_shows_within_6_and_12_months_of_closure(followup_world):
    w = followup_world
    counts = annual.annual_counts(w.u.supervisor, bureau=w.b.committee, period=w.period, now=w.now)
    rows = {row["key"]: row for row in counts["followup"]["rows"]}
    six = {c: cell["ids"] for c, cell in rows["m6"]["cells"].items()}
    a, c, d = w.case_a.pk, w.case_c.pk, w.case_d.pk
    assert six == {
        "closed": sorted([a, c, d]),
        "new_alert": [a],
        "police_contact": [a],
        "new_case": [],
        "any": [a],
        "none": sorted([c, d]),
    }
    twelve = {col: cell["ids"] for col, cell in rows["m12"]["cells"].items()}
    assert twelve["closed"] == [w.case_b.pk] and twelve["new_case"] == [w.case_b.pk]
    assert twelve["police_contact"] == [] and twelve["none"] == []


def test_follow_up_is_published_rounded_with_shares_only_on_ten_or_more(followup_world, client):
    w = followup_world
    report = annual.annual_report(w.u.supervisor, bureau=w.b.committee, period=w.period, now=w.now)
    six = next(r for r in report["followup"] if r["months"] == 6)
    assert str(six["closed"]) in roundings(3)
    for column in annual_followup.FOLLOWUP_COLUMNS:
        assert six[column] is None or six[column] % 5 == 0
    assert six["new_alert_share"] is None  # a base of 5 or less shows no share
    page = get_page(client, "supervisor", "reports-annual", **period_query(w))
    followup = table(page, "followup-table")
    assert followup["Window"][0] == "Cases whose follow-up window ended in the period"
    assert followup["Within 6 months of closure"][0] == str(six["closed"])


def test_follow_up_leaves_out_police_contacts_for_a_bureau_that_does_not_read_police_records(world):
    w = world
    period = report_selectors.Period(start=w.today - 60 * DAY, end=w.today)
    welfare_supervisor = make_user("welfare_supervisor", w.b.welfare, Role.SUPERVISOR)
    counts = annual.annual_counts(welfare_supervisor, bureau=w.b.welfare, period=period, now=w.now)
    assert counts["followup"]["police_readable"] is False
    assert all("police_contact" not in row["cells"] for row in counts["followup"]["rows"])
    counts = annual.annual_counts(w.u.supervisor, bureau=w.b.committee, period=period, now=w.now)
    assert all("police_contact" in row["cells"] for row in counts["followup"]["rows"])


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert annual_followup.add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert annual_followup.add_months(dt.date(2025, 1, 15), 12) == dt.date(2026, 1, 15)
    assert annual_followup.add_months(dt.date(2025, 7, 1), -12) == dt.date(2024, 7, 1)


# ---------------------------------------------------------------------------------------------------------
# The PDF
# ---------------------------------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    """The text drawn on the pages of a reportlab PDF (its ASCII85 + Flate content streams), strings set in the
    CID font read as UTF-16."""
    out = []
    streams = re.findall(
        rb"/Filter \[ /ASCII85Decode /FlateDecode \][^>]*>>\s*stream\r?\n(.*?)endstream", content, re.S
    )
    for body in streams:
        data = zlib.decompress(base64.a85decode(body.strip().removesuffix(b"~>")))
        cid = False
        for font, raw in re.findall(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\)\s*Tj", data, re.S):
            if font:
                cid = font != b"F1"  # F1 is Helvetica, the CID font comes after it
                continue
            text = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m.group(1), 8)]), raw)
            text = re.sub(rb"\\(.)", rb"\1", text)
            out.append(text.decode("utf-16-be", "replace") if cid else text.decode("latin-1"))
    return "\n".join(out)


def get_pdf(client, w, username="supervisor", language="zh-hant"):
    assert client.login(username=username, password=PASSWORD)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    return client.get(reverse("reports-annual-pdf"), period_query(w))


def test_the_pdf_holds_every_section_with_the_pages_figures_watermarked_and_logged(client, annual_world):
    w = annual_world
    response = get_pdf(client, w)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and response["Cache-Control"] == "no-store, private"
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).get()
    assert entry.username == "supervisor" and entry.detail["format"] == "pdf"
    assert entry.detail["object_type"] == "report_annual" and entry.detail["query"]["bureau"] == "committee"
    assert entry.detail["query"]["period"] == [w.period.start.isoformat(), w.period.end.isoformat()]
    assert response["Content-Disposition"] == (
        f'attachment; filename="annual-report-committee-export-{entry.pk:06d}.pdf"'
    )
    text = pdf_text(response.content)
    # Every section, in Traditional Chinese.
    for title in ("一、", "二、", "三、", "四、", "五、", "六、", "七、"):
        assert title in text, title
    # The watermark on every page: who, the export number, when.
    pages = text.count(f"匯出編號：{entry.pk}")
    assert pages >= 2 and text.count("匯出者：supervisor") == pages
    # The page's published figures: the opened total, the models in use.
    report = annual.annual_report(w.u.supervisor, bureau=w.b.committee, period=w.period, now=w.now)
    lines = text.split("\n")
    total_opened = next(r for r in report["opened"] if r["total"])["n"]
    assert lines[lines.index("全部") + 1] == str(total_opened)
    assert "m-2026a" in text and "m-2026b" in text


def test_every_count_in_the_pdf_is_a_published_multiple_of_five(client, decided_world):
    w = decided_world
    # Up to section 7, whose only figures are months (not counts of young people).
    text = pdf_text(get_pdf(client, w).content).split("七、")[0]
    numbers = [int(line) for line in text.split("\n") if re.fullmatch(r"\d+", line)]
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).get()
    # Whole numbers are counts, except the export number and the page numbers of the watermark; the
    # charts' axes are drawn in multiples of 5 too.
    counts = [n for n in numbers if n != entry.pk]
    assert counts and all(n % 5 == 0 for n in counts), counts


def test_the_pdf_watermark_says_what_every_exports_watermark_says(annual_world):
    from casework.exports.writers import Watermark

    when = dt.datetime(2026, 3, 5, 14, 30, 0)
    fields = {
        "number": 42,
        "username": "supervisor",
        "full_name": "王督導",
        "roles": "督導",
        "at": when,
        "title": "T",
    }
    for language in ("zh-hant", "en"):
        with translation.override(language):
            assert annual_pdf.PdfMark(**fields).lines() == Watermark(**fields).lines()


def test_the_pdf_draws_a_picture_per_section_with_figures_and_none_without(annual_world):
    spec = annual_charts.Spec("x", "t", [("甲", [5]), ("乙", [None])], [("n", "seg-intervention")])
    drawing = annual_pdf.chart_drawing(spec, 500)
    texts = [s.text for s in drawing.contents if hasattr(s, "text")]
    assert "甲" in texts and "5" in texts and "—" in texts
    empty = annual_charts.Spec("y", "t", [("甲", [0]), ("乙", [None])], [("n", "seg-intervention")])
    assert annual_pdf.chart_drawing(empty, 500) is None and annual_charts.svg_chart(empty) is None


# ---------------------------------------------------------------------------------------------------------
# Model versions with their gate figures (read through the seam the scoring app registers)
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def gate_reader():
    asked = []

    def reader(labels):
        asked.append(list(labels))
        return {
            "m-2026a": {
                "passed": False,
                "failed": ["calibrated"],
                "overridden": True,
                "roc_auc": 0.7123,
                "roc_auc_interval": [0.68, 0.74],
                "precision_at_k": 0.42,
                "capacity": 50,
                "ece": 0.031,
                "not a gate field": "dropped",
            }
        }

    registered = annual_models._gate_reader  # the risk-model app's, registered at start-up
    annual_models.register_gate_reader(reader)
    yield asked
    annual_models.register_gate_reader(registered)


def test_models_in_use_carry_the_gate_figures_the_scoring_app_gives(annual_world, gate_reader):
    w = annual_world
    models = {m["version"]: m for m in annual.models_in_use(w.u.supervisor, period=w.period)}
    assert sorted(gate_reader[0]) == ["m-2026a", "m-2026b"]
    assert (
        models["m-2026a"]["gate"]["roc_auc"] == 0.7123 and "not a gate field" not in models["m-2026a"]["gate"]
    )
    assert models["m-2026b"]["gate"] is None  # a label the registry does not know


def test_the_page_and_pdf_show_the_gate_figures_or_say_they_are_not_connected(client, annual_world):
    w = annual_world
    registered = annual_models._gate_reader
    annual_models.register_gate_reader(None)
    page = get_page(client, "supervisor", "reports-annual", **period_query(w))
    assert 'id="gates-unavailable"' in page
    assert table(page, "models-table")["m-2026a"][1] == "Not available here"
    annual_models.register_gate_reader(lambda labels: {"m-2026a": {"passed": True, "roc_auc": 0.7123,
                                                                   "roc_auc_interval": [0.68, 0.74],
                                                                   "precision_at_k": 0.42, "capacity": 50,
                                                                   "ece": 0.031}})  # fmt: skip
    try:
        page = get_page(client, "supervisor", "reports-annual", **period_query(w))
        assert 'id="gates-unavailable"' not in page
        row = table(page, "models-table")["m-2026a"]
        assert row[1:] == ["Passed", "0.712 (0.680–0.740)", "42.0% (k=50)", "0.031"]
        text = pdf_text(get_pdf(client, w).content)
        assert "0.712 (0.680–0.740)" in text and "42.0% (k=50)" in text
    finally:
        annual_models.register_gate_reader(registered)


def test_the_risk_model_app_gives_the_gate_figures_of_its_registry(db):
    """The reader the risk-model app registers at start-up reads each model's stored verdict."""
    from riskmodel.models import RiskModel
    from riskmodel.readings import gate_figures

    assert annual_models._gate_reader is gate_figures
    gate = {"passed": False, "failed": ["calibrated"],
            "evidence": {"capacity": 50, "scorers": {"model": {"roc_auc": {"value": 0.71, "interval": [0.66, 0.75]},
                                                                "precision_at_k": {"value": 0.4}}}},
            "calibration": {"ece": 0.03}}  # fmt: skip
    RiskModel.objects.create(version=4, as_of=dt.date(2026, 1, 1), config={}, data_snapshot={}, seed=1,
                             booster="-", calibrator={}, gate=gate)  # fmt: skip
    figures = annual_models.gate_figures(["risk-v4", "risk-v9", "m-2026a"])
    assert set(figures) == {"risk-v4"}
    assert figures["risk-v4"]["roc_auc"] == 0.71 and figures["risk-v4"]["roc_auc_interval"] == [0.66, 0.75]
    assert figures["risk-v4"]["precision_at_k"] == 0.4 and figures["risk-v4"]["capacity"] == 50
    assert figures["risk-v4"]["ece"] == 0.03 and figures["risk-v4"]["passed"] is False
    assert figures["risk-v4"]["failed"] and not figures["risk-v4"]["overridden"]


def test_the_page_reads_in_zh_hant_with_every_section_filled(client, decided_world, gate_reader):
    from tests.casework.test_every_word import problems

    w = decided_world
    assert client.login(username="supervisor", password=PASSWORD)
    response = client.get(reverse("reports-annual"), period_query(w), HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert response.status_code == 200
    page = response.content.decode()
    assert "一、受理轉介與開案" in page and "結案後追蹤" in page
    usernames = set(User.objects.values_list("username", flat=True))
    assert problems(page, usernames) == []
