"""Subject access: data stewards find one youth for a lawful request, see what is held, and download all of
it (no sealed record, nothing derived from one), watermarked and logged with the request reference."""

from __future__ import annotations

import datetime as dt
import io
import json
from urllib.parse import unquote, urlencode

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from casework.access.audit import Actor
from casework.models import (
    Alert,
    AlertRule,
    AuditAction,
    AuditEntry,
    Event,
    EventKind,
    EventSource,
    RiskScore,
    TriageDecision,
    Youth,
)
from casework.youth import services as youth_services
from integrations.linkage.sealing import apply_notice
from integrations.models import ImportBatch, RecordLink, SourceRecord
from privacy.subject_access import collect, find_youth
from tests.fixtures import ONE_PER_ROLE, PASSWORD

REQUEST = {"reference": "府授少字第1130001號", "basis": "guardian"}
USERS = ONE_PER_ROLE


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def summary_url(youth, **request):
    return (
        f"{reverse('privacy:subject-access-youth', args=[youth.public_id])}?{urlencode(request or REQUEST)}"
    )


def download_url(youth, fmt, **request):
    base = reverse("privacy:subject-access-download", args=[youth.public_id, fmt])
    return f"{base}?{urlencode(request or REQUEST)}"


def workbook_text(content: bytes) -> str:
    wb = load_workbook(io.BytesIO(content))
    return "\n".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
    )


# ---------------------------------------------------------------------------------------------------------
# Who may
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_data_stewards_handle_subject_access(client, world):
    urls = [
        reverse("privacy:subject-access"),
        summary_url(world.y.case),
        download_url(world.y.case, "xlsx"),
        download_url(world.y.case, "json"),
    ]
    for username in USERS:
        client.logout()
        login(client, username)
        for url in urls:
            expected = 200 if username == "steward" else 403
            assert client.get(url).status_code == expected, (username, url)
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, username="steward").count() == 2
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exclude(username="steward").exists()


@pytest.mark.django_db
def test_a_refused_post_finds_nothing(client, world):
    login(client, "supervisor")
    response = client.post(
        reverse("privacy:subject-access"), {"identifier": world.y.case.public_id, **REQUEST}
    )
    assert response.status_code == 403


# ---------------------------------------------------------------------------------------------------------
# Finding the youth
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_exact_youth_id_leads_to_the_summary_with_the_request(client, world):
    login(client, "steward")
    response = client.post(
        reverse("privacy:subject-access"), {"identifier": world.y.case.public_id, **REQUEST}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(summary_url(world.y.case).split("?")[0] + "?request=")
    assert client.get(response["Location"]).context["request_data"] == REQUEST
    lookup = AuditEntry.objects.filter(object_type="subject_access_lookup").get()
    assert lookup.detail["count"] == 1 and lookup.detail["query"]["reference"] == REQUEST["reference"]


@pytest.mark.django_db
def test_a_national_id_shared_by_several_records_lists_them_to_choose(client, world):
    login(client, "steward")
    response = client.post(reverse("privacy:subject-access"), {"identifier": "h123456789", **REQUEST})
    assert response.status_code == 200
    listed = {m["youth"].public_id for m in response.context["matches"]}
    assert world.y.case.public_id in listed and len(listed) == Youth.objects.count()
    # The national ID never travels in a URL or lands in the log.
    assert not AuditEntry.objects.filter(path__contains="H123456789").exists()
    assert "H123456789" not in json.dumps(AuditEntry.objects.latest("id").detail)


@pytest.mark.django_db
def test_a_partial_or_unknown_id_finds_nothing(client, world):
    assert find_youth("H12345") == []
    login(client, "steward")
    response = client.post(reverse("privacy:subject-access"), {"identifier": "Y999999", **REQUEST})
    assert response.status_code == 400
    assert response.context["form"].errors["identifier"]


@pytest.mark.django_db
def test_the_request_reference_and_legal_basis_are_required(client, world):
    login(client, "steward")
    response = client.post(reverse("privacy:subject-access"), {"identifier": world.y.case.public_id})
    assert response.status_code == 400
    assert {"reference", "basis"} <= set(response.context["form"].errors)
    assert client.get(summary_url(world.y.case, reference="", basis="court")).status_code == 400
    assert client.get(download_url(world.y.case, "xlsx", reference="R-1")).status_code == 400
    other = client.get(download_url(world.y.case, "xlsx", reference="R-1", basis="other"))
    assert other.status_code == 400  # "another statute" must name it
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


@pytest.mark.django_db
def test_a_merged_record_leads_to_the_record_it_was_merged_into(client, world):
    absorbed = youth_services.create_youth(name="甲案例 (old)", national_id="A100000001")
    Youth.objects.filter(pk=absorbed.pk).update(merged_into=world.y.case)
    assert find_youth("A100000001") == [world.y.case]
    login(client, "steward")
    response = client.get(summary_url(absorbed))
    assert response.status_code == 302
    assert response["Location"].startswith(summary_url(world.y.case).split("?")[0] + "?request=")
    assert client.get(response["Location"]).context["request_data"] == REQUEST
    identity = next(s for s in collect(world.y.case).sheets if s.key == "identity")
    assert {r["public_id"] for r in identity.rows} == {world.y.case.public_id, absorbed.public_id}


# ---------------------------------------------------------------------------------------------------------
# What is held
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_summary_counts_each_category_and_is_logged_with_the_request(client, world):
    login(client, "steward")
    response = client.get(summary_url(world.y.case))
    assert response.status_code == 200
    counts = {s["key"]: s["count"] for s in response.context["summary"]}
    assert counts["identity"] == 1
    assert counts["events"] == 3  # school, police and welfare: the steward sees all of them
    assert counts["cases"] == 1
    assert counts["enrolments"] == 1
    assert counts["fairness_attributes"] == 1
    entry = AuditEntry.objects.filter(action=AuditAction.VIEW, youth_public_id=world.y.case.public_id).latest(
        "id"
    )
    assert entry.username == "steward"
    assert entry.detail["reference"] == REQUEST["reference"] and entry.detail["basis"] == "guardian"
    assert REQUEST["reference"] in entry.purpose


@pytest.mark.django_db
def test_the_workbook_has_one_sheet_per_category_and_is_watermarked_and_logged(client, world):
    login(client, "guidance")
    client.get(reverse("youth-detail", args=[world.y.case.public_id]))  # an access to be listed
    client.logout()
    login(client, "steward")
    response = client.get(download_url(world.y.case, "xlsx"))
    assert response.status_code == 200
    entry = AuditEntry.objects.get(pk=int(response["X-Export-Number"]))
    assert entry.action == AuditAction.EXPORT and entry.youth_public_id == world.y.case.public_id
    assert entry.detail["reference"] == REQUEST["reference"] and entry.detail["basis"] == "guardian"
    assert entry.detail["format"] == "xlsx"
    assert (
        f"subject-access-{world.y.case.public_id}-export-{entry.pk:06d}.xlsx"
        in response["Content-Disposition"]
    )
    wb = load_workbook(io.BytesIO(response.content))
    assert len(wb.worksheets) == len(entry.detail["sheets"]) >= 14
    assert entry.detail["rows"] == sum(entry.detail["sheets"].values())
    assert wb.properties.creator == "steward"
    assert wb.properties.identifier == str(entry.pk)
    text = workbook_text(response.content)
    assert world.y.case.name in text and "H123456789" in text
    assert REQUEST["reference"] in text  # the request reference is part of the mark
    assert "theft" in text and "neglect" in text  # events of every bureau
    access = wb.worksheets[-1]
    users = [row[1] for row in access.iter_rows(values_only=True)]
    assert "guidance" in users


@pytest.mark.django_db
def test_the_json_download_holds_the_same_categories(client, world):
    login(client, "steward")
    response = client.get(download_url(world.y.case, "json"))
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    body = json.loads(response.content)
    assert body["watermark"]["export_number"] == int(response["X-Export-Number"])
    assert body["watermark"]["request_reference"] == REQUEST["reference"]
    assert len(body["sheets"]["events"]) == 3
    assert body["sheets"]["identity"][0]["name"] == world.y.case.name
    assert body["sheets"]["fairness_attributes"][0]["indigenous"] is True


@pytest.mark.django_db
def test_html_and_formulas_in_a_youth_name_are_inert_in_the_workbook(client, world):
    Youth.objects.filter(pk=world.y.case.pk).update(name='=HYPERLINK("http://x.example","<b>x</b>")')
    login(client, "steward")
    wb = load_workbook(io.BytesIO(client.get(download_url(world.y.case, "xlsx")).content))
    cells = [
        c for row in wb.worksheets[0].iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)
    ]
    assert cells and all(c.data_type == "s" and c.value.startswith("'=") for c in cells)


# ---------------------------------------------------------------------------------------------------------
# Sealed records vanish entirely
# ---------------------------------------------------------------------------------------------------------


def _source(batch, feed, key, values, version=1, current=True):
    return SourceRecord.objects.create(
        feed=feed,
        record_key=key,
        version=version,
        is_current=current,
        batch=batch,
        row_number=1,
        raw=values,
        values=values,
        row_hash=f"{key}-{version}",
        received_at=timezone.now(),
        knowledge_date=timezone.localdate(),
        event_date=dt.date(2023, 6, 1),
    )


@pytest.fixture
def sealed_world(world):
    """y.case with two police contacts: PC-KEEP (two versions) stays; PC-SEAL is sealed by a court notice,
    after an alert, a triage decision and a risk score were made from it."""
    youth = world.y.case
    batch = ImportBatch.objects.create(
        feed="police.contacts", checksum="c" * 64, origin="command", status="completed"
    )
    _source(batch, "police.contacts", "PC-KEEP", {"note": "KEEP-MARKER-v1"}, version=1, current=False)
    _source(batch, "police.contacts", "PC-KEEP", {"note": "KEEP-MARKER-v2"}, version=2)
    _source(batch, "police.contacts", "PC-SEAL", {"note": "SEALED-MARKER"})
    notice = _source(
        batch,
        "court.sealing",
        "NOTICE-77",
        {"contact_nos": ["PC-SEAL"], "court_case_no": "COURT-MARKER", "effective_on": "2024-01-01"},
    )
    for feed, key in [
        ("police.contacts", "PC-KEEP"),
        ("police.contacts", "PC-SEAL"),
        ("court.sealing", "NOTICE-77"),
    ]:
        RecordLink.objects.create(feed=feed, record_key=key, youth=youth, method="deterministic")
    day = dt.date(2023, 6, 1)
    common = {"youth": youth, "event_date": day, "knowledge_date": day, "owning_bureau": world.b.police}
    Event.objects.create(
        kind=EventKind.POLICE_DEVIANT, source=EventSource.POLICE, code="KEPT-CODE",
        source_feed="police.contacts", source_key="PC-KEEP", **common,
    )  # fmt: skip
    sealed_event = Event.objects.create(
        kind=EventKind.POLICE_OFFENCE, source=EventSource.POLICE, code="SEALED-CODE",
        source_feed="police.contacts", source_key="PC-SEAL", **common,
    )  # fmt: skip
    rule = AlertRule.objects.filter(trigger="event", is_current=True).first()
    alert = Alert.objects.create(
        youth=youth,
        reason="SEALED-ALERT-REASON",
        rule=rule,
        routed_to=world.b.police,
        due_at=timezone.now() + dt.timedelta(days=1),
        source_event=sealed_event,
    )
    TriageDecision.objects.create(
        youth=youth,
        alert=alert,
        bureau=world.b.police,
        decided_by=world.u.officer,
        decision="monitor",
        reason_code="legal_duty",
        note="SEALED-DECISION-NOTE",
    )
    before = timezone.now() - dt.timedelta(hours=1)
    RiskScore.objects.create(
        youth=youth, as_of=dt.date(2024, 1, 1), score=0.4, band="high", rank=1, model_version="risk-v1",
        reasons=[{"direction": "up", "text_en": "SEALED-REASON", "text_zh": "封存理由"}], scored_at=before,
    )  # fmt: skip
    apply_notice(notice, actor=Actor.system("test"), affected=set())
    RiskScore.objects.create(
        youth=youth, as_of=dt.date(2024, 2, 1), score=0.2, band="medium", rank=3, model_version="risk-v2",
        reasons=[{"direction": "down", "text_en": "AFTER-REASON", "text_zh": "之後"}],
    )  # fmt: skip
    return world


SEALED_MARKERS = [
    "SEALED-MARKER",
    "PC-SEAL",
    "SEALED-CODE",
    "NOTICE-77",
    "COURT-MARKER",
    "SEALED-ALERT-REASON",
    "SEALED-DECISION-NOTE",
    "SEALED-REASON",
    "封存理由",
]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "json"])
def test_sealed_records_and_what_derives_from_them_never_appear(client, sealed_world, fmt):
    youth = sealed_world.y.case
    login(client, "steward")
    response = client.get(download_url(youth, fmt))
    assert response.status_code == 200
    text = workbook_text(response.content) if fmt == "xlsx" else response.content.decode()
    for marker in SEALED_MARKERS:
        assert marker not in text, marker
    # What was not sealed is all there, every version of it.
    for kept in ["KEEP-MARKER-v1", "KEEP-MARKER-v2", "PC-KEEP", "KEPT-CODE", "AFTER-REASON"]:
        assert kept in text, kept


@pytest.mark.django_db
def test_the_summary_does_not_count_sealed_records(client, sealed_world):
    login(client, "steward")
    counts = {s["key"]: s["count"] for s in client.get(summary_url(sealed_world.y.case)).context["summary"]}
    assert counts["source_records"] == 2  # PC-KEEP v1 and v2
    assert counts["record_links"] == 1
    assert counts["events"] == 4  # the three of the fixture and the kept contact
    assert counts["risk_scores"] == 1
    assert counts["alerts"] == 0
    assert counts["triage_decisions"] == 0
    access = next(s for s in collect(sealed_world.y.case).sheets if s.key == "access_log")
    # The seal is logged, and the log row names neither the youth nor how many of their records were sealed.
    assert AuditEntry.objects.filter(action=AuditAction.SEAL).exists()
    assert not AuditEntry.objects.filter(
        action=AuditAction.SEAL, youth_public_id=sealed_world.y.case.public_id
    ).exists()
    assert not any(r["action"] == str(AuditAction.SEAL.label) for r in access.rows)


# ---------------------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_writes_the_workbook_and_logs_it_as_the_system(world, tmp_path, capsys):
    out = tmp_path / "sar.xlsx"
    call_command(
        "subject_access",
        world.y.case.public_id,
        "--reference",
        "R-2024-7",
        "--basis",
        "court",
        "--out",
        str(out),
    )
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).get()
    assert entry.user is None and entry.path == "system:subject_access"
    assert entry.detail["reference"] == "R-2024-7" and entry.detail["basis"] == "court"
    assert entry.youth_public_id == world.y.case.public_id
    wb = load_workbook(out)
    assert wb.properties.identifier == str(entry.pk)
    assert world.y.case.name in workbook_text(out.read_bytes())
    assert f"export number {entry.pk}" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_youth_or_a_missing_basis(world, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(
            "subject_access", "Y000000", "--reference", "R", "--basis", "court", "--out", str(tmp_path / "x")
        )
    with pytest.raises(CommandError):
        call_command(
            "subject_access",
            world.y.case.public_id,
            "--reference",
            "R",
            "--basis",
            "other",
            "--out",
            str(tmp_path / "x"),
        )
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


@pytest.mark.django_db
def test_the_pages_links_carry_no_word_of_the_request(client, world):
    """The request's reference and note are free text that can name the youth's case; the lookup's redirect
    and the download links carry only an opaque key to the request kept in the steward's session, since URLs
    end up in server logs and browser history."""
    login(client, "steward")
    note = "少年事件處理法第83條之1 甲案例"
    request = {"reference": "府授少字第1130001號", "basis": "other", "basis_note": note}
    response = client.post(
        reverse("privacy:subject-access"), {"identifier": world.y.case.public_id, **request}
    )
    summary = response["Location"]
    page = client.get(summary)
    assert page.status_code == 200 and page.context["request_data"] == request
    links = [summary] + [d["url"] for d in page.context["downloads"]]
    for url in links:
        for word in (request["reference"], note, "reference", "basis"):
            assert word not in unquote(url), url
    download = client.get(page.context["downloads"][1]["url"])
    assert download.status_code == 200
    assert json.loads(download.content)["watermark"]["request_reference"] == request["reference"]
    # Reloading the summary and both downloads keep working with the one key.
    assert client.get(summary).status_code == 200
    assert client.get(page.context["downloads"][0]["url"]).status_code == 200


@pytest.mark.django_db
def test_a_request_key_works_only_in_the_session_that_made_it(client, world):
    login(client, "steward")
    response = client.post(
        reverse("privacy:subject-access"), {"identifier": world.y.case.public_id, **REQUEST}
    )
    summary = response["Location"]
    from django.test import Client

    other = Client()
    login(other, "steward")
    refused = other.get(summary)
    assert refused.status_code == 400 and refused.context["missing_request"]
    assert client.get(summary).status_code == 200
