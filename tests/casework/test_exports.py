"""Exports: only for roles that need them, only the rows the page shows, logged before the file leaves,
watermarked with who/when/export number, and safe against spreadsheet formula injection."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from casework.access.audit import Actor
from casework.cases import views as case_views
from casework.exports import views as export_views
from casework.exports.writers import CONFIDENTIALITY, Column, Sheet, cell_value, neutralise, render_export
from casework.models import (
    AuditAction,
    AuditEntry,
    Case,
    ConcernType,
    Referral,
    ReferralStatus,
    TriageDecision,
    TriageDecisionKind,
    TriageReason,
)
from tests.fixtures import PASSWORD, USER_SPECS

EXPORTS = {
    "export-cases": "cases",
    "export-referrals": "referrals",
    "export-audit-log": "audit",
    "export-report-caseload": "reports",
    "export-report-alerts": "reports",
    "export-report-overrides": "reports",
}
# Who may use each kind of export (policy); everyone else gets 403.
ALLOWED = {
    "cases": {"officer", "guidance", "guidance2", "social", "supervisor", "police_supervisor"},
    "referrals": {"officer", "guidance", "guidance2", "social", "supervisor", "police_supervisor"},
    "audit": {"auditor"},
    "reports": {"supervisor", "police_supervisor"},
}
USERS = list(USER_SPECS)


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def get(client, name, fmt="csv", query="", **headers):
    url = reverse(name, args=[fmt]) + (f"?{query}" if query else "")
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en", **headers)


def parse_csv(response) -> tuple[list[str], list[str], list[list[str]]]:
    """(comment lines, header, data rows) of a CSV export."""
    body = response.content
    assert body.startswith("\ufeff".encode()), "CSV must start with a UTF-8 byte-order mark for Excel"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    comments = [r[0] for r in rows if r and r[0].startswith("# ")]
    rest = [r for r in rows if not (r and r[0].startswith("# "))]
    return comments, rest[0], rest[1:]


def export_entry(response) -> AuditEntry:
    return AuditEntry.objects.get(pk=int(response["X-Export-Number"]), action=AuditAction.EXPORT)


# ---------------------------------------------------------------------------------------------------------
# The formula guard
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"])
def test_text_that_could_start_a_formula_is_prefixed_with_a_quote(prefix):
    text = f'{prefix}HYPERLINK("http://evil.example","x")'
    assert neutralise(text) == "'" + text
    assert cell_value(text) == "'" + text


def test_a_formula_after_leading_spaces_is_neutralised_too():
    assert neutralise("  =1+1") == "'  =1+1"
    assert neutralise("\u3000＝1+1") == "'\u3000＝1+1"


def test_ordinary_text_and_numbers_are_untouched():
    assert neutralise("甲案例 home visit") == "甲案例 home visit"
    assert neutralise("") == ""
    assert cell_value(-5) == -5 and isinstance(cell_value(-5), int)
    assert cell_value(-2.5) == -2.5 and isinstance(cell_value(-2.5), float)
    assert cell_value(True) is True
    assert cell_value(None) == ""


@pytest.mark.django_db
def test_numbers_stay_numbers_and_text_stays_text_in_xlsx(world):
    sheet = Sheet.of(
        "t",
        [Column("n", "n"), Column("neg", "neg"), Column("text", "text")],
        [{"n": 7, "neg": -3.5, "text": "=1+1"}],
    )
    export = render_export(
        [sheet],
        "xlsx",
        Actor(user=world.u.auditor),
        title="T",
        query={},
        object_type="test",
        filename_stem="t",
    )
    ws = load_workbook(io.BytesIO(export.content)).worksheets[0]
    last = list(ws.iter_rows(values_only=False))[-1]
    assert [c.value for c in last] == [7, -3.5, "'=1+1"]
    assert [c.data_type for c in last] == ["n", "n", "s"]


# ---------------------------------------------------------------------------------------------------------
# Who may export what
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_each_export_is_allowed_to_its_roles_and_refused_to_every_other(client, world, name):
    for username in USERS:
        client.logout()
        login(client, username)
        response = get(client, name)
        expected = 200 if username in ALLOWED[EXPORTS[name]] else 403
        assert response.status_code == expected, (name, username, response.status_code)


@pytest.mark.django_db
def test_a_refused_export_writes_no_file_and_no_export_entry(client, world):
    login(client, "counsellor")
    assert get(client, "export-cases").status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


@pytest.mark.django_db
def test_exports_need_a_signed_in_user(client, world):
    response = get(client, "export-cases")
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
def test_an_unknown_format_is_not_found(client, world):
    login(client, "guidance")
    assert get(client, "export-cases", fmt="html").status_code == 404
    assert get(client, "export-cases", fmt="json").status_code == 404


@pytest.mark.django_db
def test_there_is_no_export_of_the_youth_list(world):
    from django.urls import NoReverseMatch

    from casework.access import policy

    assert not any(policy.can_export_youth_list(getattr(world.u, u)) for u in USERS)
    with pytest.raises(NoReverseMatch):
        reverse("export-youth", args=["csv"])


# ---------------------------------------------------------------------------------------------------------
# Only what the page shows
# ---------------------------------------------------------------------------------------------------------


def police_case(world):
    return Case.objects.create(
        youth=world.y.alert,
        lead_bureau=world.b.police,
        assignee=world.u.officer,
        opened_by=world.u.officer,
        concern=ConcernType.DEVIANT,
    )


@pytest.mark.django_db
def test_a_case_of_another_bureau_never_appears_in_the_case_export(client, world):
    other = police_case(world)
    login(client, "guidance")
    _, header, rows = parse_csv(get(client, "export-cases"))
    case_ids = {r[0] for r in rows}
    assert str(world.case) in case_ids
    assert str(other) not in case_ids
    assert str(world.closed_case) not in case_ids  # closed: workers no longer see it
    client.logout()
    login(client, "officer")
    _, _, rows = parse_csv(get(client, "export-cases"))
    assert {r[0] for r in rows} == {str(other)}


@pytest.mark.django_db
def test_the_case_export_holds_exactly_the_rows_of_the_page_with_its_filters(client, world):
    police_case(world)
    login(client, "supervisor")
    page = client.get(reverse("case-list"), {"status": "closed"})
    on_page = {str(c) for c in page.context["page"]}
    _, _, rows = parse_csv(get(client, "export-cases", query="status=closed"))
    assert {r[0] for r in rows} == on_page == {str(world.closed_case)}
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).latest("id")
    assert entry.detail["query"] == {"status": "closed"}
    assert entry.detail["rows"] == 1


@pytest.mark.django_db
def test_the_export_takes_every_page_of_the_list_not_only_the_one_shown(client, world, monkeypatch):
    from casework import pagination

    monkeypatch.setattr(
        case_views, "paginate", lambda request, qs: pagination.paginate(request, qs, per_page=2)
    )
    for _ in range(3):
        Case.objects.create(
            youth=world.y.case,
            lead_bureau=world.b.committee,
            assignee=world.u.guidance,
            opened_by=world.u.guidance,
            concern=ConcernType.HIGH_CONCERN,
        )
    login(client, "guidance")
    page = client.get(reverse("case-list"), {"page": "1"}).context["page"]
    assert len(page.object_list) == 2 and page.paginator.count == 4
    _, _, rows = parse_csv(get(client, "export-cases", query="page=1"))
    assert len(rows) == 4


@pytest.mark.django_db
def test_the_referral_export_shows_what_the_worker_sent_but_not_other_bureaus_referrals(client, world):
    hidden = Referral.objects.create(
        youth=world.y.alert,
        from_bureau=world.b.police,
        from_user=world.u.officer,
        to_bureau=world.b.welfare,
        reason="police to welfare",
        consent="obtained",
        status=ReferralStatus.PENDING,
    )
    login(client, "guidance")
    _, _, rows = parse_csv(get(client, "export-referrals"))
    reasons = [r[8] for r in rows]
    assert reasons == ["Family support"]
    assert hidden.reason not in reasons


@pytest.mark.django_db
def test_the_audit_log_export_keeps_the_filter(client, world):
    login(client, "guidance")
    client.get(reverse("youth-detail", args=[world.y.case.public_id]))
    client.logout()
    login(client, "auditor")
    response = get(client, "export-audit-log", query=f"action=view&youth={world.y.case.public_id}")
    _, header, rows = parse_csv(response)
    assert rows and all(r[4] == "View" and r[6] == world.y.case.public_id for r in rows)
    assert export_entry(response).detail["rows"] == len(rows)


@pytest.mark.django_db
def test_an_export_bigger_than_the_limit_is_refused(client, world, monkeypatch):
    monkeypatch.setattr(export_views, "EXPORT_ROW_LIMIT", 0)
    login(client, "guidance")
    response = get(client, "export-cases")
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


# ---------------------------------------------------------------------------------------------------------
# Logged, and marked with who, when and the export number
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_csv_export_is_logged_with_its_count_and_watermarked(client, world):
    world.u.guidance.first_name, world.u.guidance.last_name = "Mei", "Lin"
    world.u.guidance.save()
    login(client, "guidance")
    response = get(client, "export-cases", query="status=opened")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    entry = export_entry(response)
    number = entry.pk
    assert f"-export-{number:06d}.csv" in response["Content-Disposition"]
    comments, header, rows = parse_csv(response)
    text = "\n".join(comments)
    assert f"Export number: {number}" in text
    assert "Exported by: guidance (Mei Lin)" in text
    assert "Roles: Guidance worker" in text  # the roles in words, in the export's language
    assert "Asia/Taipei" in text
    assert CONFIDENTIALITY in text
    assert header[:2] == ["Case", "Youth ID"]
    assert entry.username == "guidance"
    assert entry.detail["format"] == "csv"
    assert entry.detail["rows"] == len(rows) == 1
    assert entry.detail["query"] == {"status": "opened"}
    assert response["Cache-Control"].startswith("no-store")


@pytest.mark.django_db
def test_an_xlsx_export_is_watermarked_in_rows_properties_and_print_header(client, world):
    login(client, "guidance")
    response = get(client, "export-cases", fmt="xlsx")
    assert response.status_code == 200
    number = export_entry(response).pk
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.properties.creator == "guidance"
    assert wb.properties.identifier == str(number)
    assert CONFIDENTIALITY in wb.properties.description
    assert wb.properties.title == "Cases"
    ws = wb.worksheets[0]
    top = [row[0] for row in ws.iter_rows(max_row=8, values_only=True)]
    assert f"Export number: {number}" in top
    assert any(str(v).startswith("Exported by: guidance") for v in top)
    assert f"#{number}" in ws.oddHeader.right.text
    assert "guidance" in ws.oddFooter.left.text
    values = list(ws.iter_rows(values_only=True))
    assert any(row[0] == str(world.case) for row in values)
    assert export_entry(response).detail["rows"] == 1


@pytest.mark.django_db
def test_html_and_formulas_in_a_name_are_exported_as_inert_text(client, world):
    world.u.guidance.first_name = "=cmd|' /C calc'!A0"
    world.u.guidance.last_name = "<script>alert(1)</script>"
    world.u.guidance.save()
    login(client, "guidance")
    _, header, rows = parse_csv(get(client, "export-cases"))
    assignee = rows[0][header.index("Assignee")]
    assert assignee == "'=cmd|' /C calc'!A0 <script>alert(1)</script>"
    ws = load_workbook(io.BytesIO(get(client, "export-cases", fmt="xlsx").content)).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row if c.value and "calc" in str(c.value)]
    assert cells and all(c.data_type == "s" and not c.value.startswith("=") for c in cells)
    assert any(c.value == assignee for c in cells)


# ---------------------------------------------------------------------------------------------------------
# Supervisor reports: aggregates with counts rounded to base 5
# ---------------------------------------------------------------------------------------------------------


def decide(world, *, override: bool):
    return TriageDecision.objects.create(
        youth=world.y.case,
        bureau=world.b.committee,
        decided_by=world.u.guidance,
        decision=TriageDecisionKind.MONITOR,
        reason_code=TriageReason.NEEDS_SUPPORT,
        band="high",
        model_version="risk-v1",
        is_override=override,
    )


@pytest.mark.django_db
def test_the_overrides_export_rounds_counts_like_the_page(client, world):
    for i in range(6):
        decide(world, override=i == 0)
    login(client, "supervisor")
    _, header, rows = parse_csv(get(client, "export-report-overrides", query="bureau=committee"))
    total = rows[0]
    # Counts of youth are rounded to base 5 (docs/privacy.md): 6 decisions and 1 override never show as such.
    assert total[header.index("Decisions")] in ("5", "10")
    assert total[header.index("Overrides")] in ("0", "5")
    if total[header.index("Decisions")] == "5":
        assert total[header.index("Override rate")] == ""  # no rate over a rounded denominator under 10
    ws = load_workbook(
        io.BytesIO(get(client, "export-report-overrides", fmt="xlsx", query="bureau=committee").content)
    ).worksheets[0]
    cells = {tuple(r) for r in ws.iter_rows(values_only=True)}
    assert any(r[2] in (5, 10) and r[3] in (0, 5) for r in cells if len(r) >= 4)
    assert not any(r[2] == 6 for r in cells if len(r) >= 4)
    # No row of one youth: no youth ID in the file.
    assert world.y.case.public_id not in str(cells)


@pytest.mark.django_db
def test_report_exports_answer_404_for_a_bureau_the_supervisor_does_not_supervise(client, world):
    login(client, "supervisor")
    assert get(client, "export-report-caseload", query="bureau=police").status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


@pytest.mark.django_db
def test_the_caseload_export_has_a_row_per_worker_and_the_team(client, world):
    login(client, "supervisor")
    response = get(client, "export-report-caseload", query="bureau=committee")
    _, header, rows = parse_csv(response)
    by_worker = {r[0]: r for r in rows}
    assert by_worker["guidance"][header.index("All open")] == "1"
    assert any(name.startswith("Team") for name in by_worker)
    assert export_entry(response).detail["query"]["bureau"] == "committee"


@pytest.mark.django_db
def test_the_alert_deadline_export_covers_the_chosen_period(client, world):
    login(client, "police_supervisor")
    response = get(client, "export-report-alerts", query="date_from=2024-01-01&date_to=2024-01-31")
    assert response.status_code == 200
    assert export_entry(response).detail["query"]["period"] == ["2024-01-01", "2024-01-31"]


# ---------------------------------------------------------------------------------------------------------
# Links on the pages
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_pages_link_to_their_exports_with_the_current_filters(client, world):
    login(client, "guidance")
    html = client.get(reverse("case-list"), {"status": "opened", "page": "1"}).content.decode()
    assert f'href="{reverse("export-cases", args=["csv"])}?status=opened"' in html
    assert f'href="{reverse("export-cases", args=["xlsx"])}?status=opened"' in html
    html = client.get(reverse("referral-list")).content.decode()
    assert reverse("export-referrals", args=["xlsx"]) in html


@pytest.mark.django_db
def test_pages_show_no_export_link_to_who_may_not_export(client, world):
    login(client, "counsellor")
    html = client.get(reverse("case-list")).content.decode()
    assert reverse("export-cases", args=["csv"]) not in html


@pytest.mark.django_db
def test_report_and_audit_pages_link_to_their_exports(client, world):
    login(client, "supervisor")
    html = client.get(reverse("reports-overrides"), {"bureau": "committee"}).content.decode()
    assert f"{reverse('export-report-overrides', args=['csv'])}?bureau=committee" in html
    client.logout()
    login(client, "auditor")
    html = client.get(reverse("audit-log"), {"action": "view"}).content.decode()
    assert f"{reverse('export-audit-log', args=['xlsx'])}?action=view" in html
