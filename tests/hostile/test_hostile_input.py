"""Hostile input through the feed upload API and every page that shows free text (issue 6).

* Oversized uploads answer 413 with the limit, and store nothing.
* Wrong encodings (Big5 declared UTF-8 and the reverse, UTF-16, binary) answer 400 with the reason, or are
  read with every row accounted for; nothing is half-stored.
* JSON rows the database cannot hold (NUL, lone surrogates) are refused as a whole with the reason.
* CSV-injection values are stored as the data they are and shown as text.
* HTML/script in names, summaries, notes, rule texts and quarantined rows is escaped on every page showing it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from casework.access.audit import Actor, record
from casework.models import (
    AlertRule,
    AuditAction,
    Intervention,
    InterventionKind,
    Notification,
    TriageDecision,
)
from casework.youth import services as youth_services
from integrations.feeds import importing
from integrations.feeds.tokens import issue_token
from integrations.models import (
    ImportBatch,
    LinkageModel,
    LinkMethod,
    QuarantinedRow,
    RecordLink,
    ReviewPair,
    SourceRecord,
)
from tests.linkage_fixtures import comparison

pytestmark = pytest.mark.django_db

FORMULA = "=cmd|' /C calc'!A0"


def payload(tag: str) -> str:
    """A script element naming where it was planted, so a failure says which field leaked."""
    return f"<script>alert('{tag}')</script>"


def assert_escaped(page: str, tag: str) -> None:
    assert payload(tag) not in page, f"{tag}: raw <script> in the page"
    assert escape(payload(tag)) in page, f"{tag}: the escaped text is not shown"


@pytest.fixture
def police_key(world):
    return issue_token(bureau=world.b.police, name="police nightly")[1]


def upload(client, key, data: bytes, *, feed="police.contacts", name="p.csv", **query):
    url = reverse("integrations-api:feed-upload", args=[feed])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    # In English: these tests read the messages as written (a caller sending Accept-Language gets its own).
    return client.post(
        url,
        {"file": SimpleUploadedFile(name, data)},
        HTTP_AUTHORIZATION=f"Token {key}",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def post_rows(client, key, rows: list[dict], *, feed="police.contacts"):
    url = reverse("integrations-api:feed-upload", args=[feed])
    return client.post(
        url, {"rows": rows}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
    )


def nothing_stored() -> bool:
    return not SourceRecord.objects.exists() and not QuarantinedRow.objects.exists()


# --- size ---------------------------------------------------------------------------------------------


def test_an_oversized_file_is_refused_with_413_and_nothing_is_stored(client, police_key, settings):
    settings.FEED_UPLOAD_MAX_BYTES = 10_000
    row = "P{n},王小明,2009-01-01,offence,theft\n"
    data = ("contact_no,name,birth_date,kind,code\n" + "".join(row.format(n=n) for n in range(2000))).encode()
    assert len(data) > 10_000
    response = upload(client, police_key, data)
    assert response.status_code == 413
    assert "10000 bytes" in response.json()["detail"]
    assert nothing_stored() and not ImportBatch.objects.exists()


def test_a_file_under_the_limit_is_imported(client, police_key, settings):
    settings.FEED_UPLOAD_MAX_BYTES = 10_000
    data = b"contact_no,name,birth_date,kind,code\nP1,Wang,2009-01-01,offence,theft\n"
    response = upload(client, police_key, data)
    assert response.status_code == 201 and response.json()["created"] == 1


def test_an_oversized_json_body_is_refused_without_a_server_error(client, police_key, settings):
    settings.FEED_UPLOAD_MAX_BYTES = 10_000
    rows = [{"contact_no": f"P{n}", "name": "王小明", "birth_date": "2009-01-01"} for n in range(500)]
    response = post_rows(client, police_key, rows)
    assert response.status_code == 413
    assert nothing_stored()


def test_an_overlong_file_name_is_cut_to_fit_not_a_server_error(client, police_key):
    data = b"contact_no,name,birth_date\nP1,Wang,2009-01-01\n"
    response = upload(client, police_key, data, name="x" * 300 + ".csv")
    assert response.status_code == 201
    assert len(ImportBatch.objects.get().file_name) == 255


# --- encodings ----------------------------------------------------------------------------------------

BIG5 = "contact_no,name,birth_date,kind\nP1,陳美玲,098/03/12,offence\n".encode("cp950")
UTF8 = "contact_no,name,birth_date,kind\nP1,陳美玲,098/03/12,offence\n".encode()


@pytest.mark.parametrize(
    ("data", "query", "reason"),
    [
        (BIG5, {"encoding": "utf-8"}, "cannot be decoded as 'utf-8'"),
        ("contact_no,name\nP1,陳美玲\n".encode("utf-16"), {}, "UTF-16"),
        (bytes(range(256)) * 4, {}, "NUL"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(200, 256)) * 8, {}, "neither UTF-8 nor CP950"),
        (UTF8, {"encoding": "latin-1"}, "not accepted"),
    ],
    ids=["big5-declared-utf8", "utf16", "binary-with-nul", "binary", "latin1-forced"],
)
def test_an_unreadable_file_is_refused_with_the_reason_and_nothing_stored(
    client, police_key, data, query, reason
):
    response = upload(client, police_key, data, **query)
    assert response.status_code == 400
    assert reason in str(response.json())
    assert nothing_stored()
    assert ImportBatch.objects.get().status == "failed", "the refusal is on record for the steward"


def test_utf8_declared_big5_is_read_as_big5_mojibake_with_every_row_accounted_for(client, police_key):
    """Valid UTF-8 bytes often decode as CP950 too: the rows arrive garbled, but none is lost, and the wrong
    text is kept as received (the steward sees it and asks for the file again)."""
    response = upload(client, police_key, UTF8, encoding="big5")
    if response.status_code == 400:
        assert "cannot be decoded as 'big5'" in str(response.json()) and nothing_stored()
        return
    summary = response.json()
    assert summary["rows_read"] == 1 and summary["created"] + summary["quarantined"] == 1


@pytest.mark.parametrize("bad", ["王\x00小明", "\ud800"])
def test_json_rows_the_database_cannot_hold_are_refused_as_a_whole(client, police_key, bad):
    rows = [
        {"contact_no": "P1", "name": "王小明", "birth_date": "2009-01-01"},
        {"contact_no": "P2", "name": bad, "birth_date": "2009-01-01"},
    ]
    response = post_rows(client, police_key, rows)
    assert response.status_code == 400
    # In the caller's language: zh-Hant when none is asked for.
    assert "第 2 列欄位 'name'" in str(response.json())
    assert nothing_stored()


# --- CSV injection: data, not formulas ---------------------------------------------------------------


def test_formula_values_are_stored_as_received_and_shown_as_text(client, world, police_key):
    data = (
        "contact_no,name,birth_date,kind,code,unit\n"
        f'P1,王小明,2009-01-01,offence,theft,"{FORMULA}"\n'
        f'P2,"{FORMULA}",not a date,offence,theft,"@SUM(A1:A9)"\n'
    ).encode()
    assert upload(client, police_key, data).status_code == 201
    stored = SourceRecord.objects.get(record_key="P1")
    assert stored.raw["unit"] == FORMULA and stored.values["unit"] == FORMULA
    row = QuarantinedRow.objects.get(record_key="P2")
    assert row.raw["name"] == FORMULA
    client.force_login(world.u.steward)
    page = client.get(reverse("integrations:quarantine-detail", args=[row.pk])).content.decode()
    assert escape(FORMULA) in page


# --- HTML/script escaped on every page that shows free text ------------------------------------------


@pytest.fixture
def scripted(world):
    """Script planted in every free-text field a page shows."""
    for tag, youth in [
        ("youth-case", world.y.case),
        ("youth-alert", world.y.alert),
        ("youth-ref", world.y.referred),
    ]:
        youth.name = payload(tag)
        youth.address = payload(tag + "-address")
        youth.save()
    world.u.guidance.first_name = payload("user-name")[:150]
    world.u.guidance.save()
    world.alert.reason = payload("alert-reason")
    world.alert.save()
    world.case.summary = payload("case-summary")
    world.case.plan = payload("case-plan")
    world.case.save()
    Intervention.objects.create(
        case=world.case,
        kind=InterventionKind.choices[0][0],
        occurred_on=world.today,
        worker=world.u.guidance,
        notes=payload("intervention-notes"),
        outcome=payload("intervention-outcome"),
    )
    world.referral.reason = payload("referral-reason")
    world.referral.consent_note = payload("referral-consent")
    world.referral.save()
    TriageDecision.objects.create(
        youth=world.y.case,
        bureau=world.b.committee,
        decided_by=world.u.guidance,
        decision="monitor",
        reason_code=TriageDecision._meta.get_field("reason_code").choices[0][0],
        note=payload("triage-note"),
    )
    Notification.objects.create(
        kind=Notification._meta.get_field("kind").choices[0][0],
        user=world.u.social,
        bureau=world.b.welfare,
        youth=world.y.referred,
        referral=world.referral,
        detail={"reason": payload("notification-detail"), "note": payload("notification-note")},
    )
    rule = AlertRule.objects.filter(is_current=True).first()
    if rule is not None:
        rule.name_en = payload("rule-name")[:100]
        rule.duty_en = payload("rule-duty")
        rule.save()
    purposeful = Actor(
        user=world.u.guidance, ip_address="127.0.0.1", path="test", purpose=payload("audit-purpose")
    )
    record(purposeful, AuditAction.VIEW, world.y.case, detail={"note": payload("audit-detail")})
    importing.import_file_bytes(
        feed="police.contacts",
        data=(
            "contact_no,name,birth_date,kind,<b>col</b>\n"
            f'Q1,"{payload("quarantine-name")}",not a date,offence,"{payload("quarantine-extra")}"\n'
        ).encode(),
        file_name="<img src=x onerror=alert(1)>.csv",
    )
    return world


def _page(client, user, url) -> str:
    client.force_login(user)
    client.cookies.pop("django_language", None)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_youth_and_case_pages_escape_names_summaries_and_notes(client, scripted):
    w = scripted
    page = _page(client, w.u.guidance, reverse("youth-detail", args=[w.y.case.public_id]))
    assert_escaped(page, "youth-case")
    page = _page(client, w.u.guidance, reverse("case-detail", args=[w.case.pk]))
    for tag in ("youth-case", "case-summary", "case-plan", "intervention-notes", "intervention-outcome"):
        assert_escaped(page, tag)
    page = _page(client, w.u.guidance, reverse("youth-list"))
    assert_escaped(page, "youth-case")


def test_referral_list_and_inbox_escape_people_and_reasons(client, scripted):
    w = scripted
    page = _page(client, w.u.social, reverse("referral-list"))
    assert_escaped(page, "user-name")
    assert payload("referral-reason") not in page and payload("youth-ref") not in page
    page = _page(client, w.u.social, reverse("inbox"))
    assert payload("notification-detail") not in page and payload("youth-ref") not in page
    assert "<script>alert(" not in page


def test_triage_queue_and_decision_escape_alert_texts(client, scripted):
    w = scripted
    page = _page(client, w.u.officer, reverse("triage-queue"))
    assert_escaped(page, "alert-reason")
    assert payload("youth-alert") not in page
    page = _page(client, w.u.officer, reverse("triage-decide", args=[w.alert.pk]))
    assert_escaped(page, "alert-reason")
    assert payload("youth-alert") not in page


def test_alert_rule_texts_are_escaped(client, scripted):
    if not AlertRule.objects.filter(is_current=True).exists():
        pytest.skip("no alert rules seeded in this database")
    page = _page(client, scripted.u.admin, reverse("alert-rule-list"))
    assert payload("rule-name")[:100] not in page
    assert "<script>alert(" not in page


def test_audit_log_escapes_details_and_purposes(client, scripted):
    page = _page(client, scripted.u.auditor, reverse("audit-log"))
    assert "<script>alert(" not in page
    assert escape(payload("audit-purpose")) in page


def test_quarantine_pages_escape_raw_rows_reasons_and_file_names(client, scripted):
    row = QuarantinedRow.objects.get(record_key="Q1")
    page = _page(client, scripted.u.steward, reverse("integrations:quarantine-detail", args=[row.pk]))
    assert_escaped(page, "quarantine-name")
    assert_escaped(page, "quarantine-extra")
    assert "<b>col</b>" not in page
    for url in (reverse("integrations:quarantine-list"), reverse("integrations:batch-list")):
        listing = _page(client, scripted.u.steward, url)
        assert "<script>alert(" not in listing and "<img src=x" not in listing


def test_review_and_linkage_pages_escape_record_values(client, world):
    from integrations.feeds.importing import import_rows

    name = payload("linked-name")
    import_rows(
        feed="police.contacts",
        rows=[{"contact_no": "PX-1", "name": name, "birth_date": "2010-03-04", "kind": "offence"}],
    )
    import_rows(
        feed="welfare.reports",
        rows=[{"report_no": "WX-1", "name": name, "birth_date": "2010-03-04", "kind": "fragile_family"}],
    )
    a = youth_services.create_youth(name=name, birth_date=dt.date(2010, 3, 4))
    b = youth_services.create_youth(name=name, birth_date=dt.date(2010, 3, 4))
    RecordLink.objects.create(feed="police.contacts", record_key="PX-1", youth=a, method=LinkMethod.SINGLE)
    RecordLink.objects.create(feed="welfare.reports", record_key="WX-1", youth=b, method=LinkMethod.SINGLE)
    model = LinkageModel.objects.create(
        version=1, splink_version="5", code_version="x", settings={}, upper_threshold=0.99,
        lower_threshold=0.8, trained_on=2, metrics={}, is_active=True,
    )  # fmt: skip
    values = comparison()
    values["given_name"] = {"left": name, "right": name, "level": "exact", "match_weight": 1.0}
    pair = ReviewPair.objects.create(
        left_feed="police.contacts", left_key="PX-1", right_feed="welfare.reports", right_key="WX-1",
        match_probability=0.9, match_weight=3.0, comparison=values, model=model,
    )  # fmt: skip
    page = _page(client, world.u.steward, reverse("integrations:review-detail", args=[pair.pk]))
    assert_escaped(page, "linked-name")
    page = _page(client, world.u.steward, reverse("integrations:linkage-youth", args=[a.public_id]))
    assert_escaped(page, "linked-name")


# --- NUL in a query parameter the access log keeps ----------------------------------------------------


@pytest.mark.parametrize(
    ("username", "url", "status"),
    [("officer", "/api/youth/", 200), ("guidance", "/api/audit/", 403)],
)
def test_a_nul_in_the_purpose_parameter_is_logged_without_it_not_a_server_error(
    client, world, username, url, status
):
    from casework.models import AuditEntry

    client.force_login(getattr(world.u, username))
    response = client.get(url, {"purpose": "case review\x00<script>"})
    assert response.status_code == status
    assert AuditEntry.objects.latest("pk").purpose == "case review<script>"


def test_a_nul_in_an_audit_log_search_is_refused_as_bad_input(client, world):
    client.force_login(world.u.auditor)
    assert client.get("/api/audit/", {"purpose": "x\x00y"}).status_code == 400
