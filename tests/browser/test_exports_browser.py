"""A guidance worker exports the case list from the page; a data steward downloads a subject-access workbook."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from casework.models import AuditAction, AuditEntry
from tests.browser.conftest import login, snap

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_case_list_export_link_downloads_the_filtered_rows_marked_with_the_user(page, live_server, world):
    login(page, live_server, "guidance")
    page.goto(f"{live_server.url}/cases/?status=opened")
    link = page.locator(".export-links a[data-format=csv]")
    assert "status=opened" in link.get_attribute("href")
    snap(page, "exports-case-list")
    with page.expect_download() as info:
        link.click()
    download = info.value
    path = Path(download.path())
    body = path.read_bytes()
    assert body.startswith("\ufeff".encode())
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).get()
    assert download.suggested_filename == f"cases-export-{entry.pk:06d}.csv"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    marks = [r[0] for r in rows if r and r[0].startswith("# ")]
    assert any(str(entry.pk) in m for m in marks) and any("guidance" in m for m in marks)
    data = [r for r in rows if r and not r[0].startswith("# ")][1:]
    assert [r[0] for r in data] == [str(world.case)]
    assert entry.detail["query"] == {"status": "opened"} and entry.detail["rows"] == 1


def test_a_steward_finds_a_youth_and_downloads_the_subject_access_workbook(page, live_server, world):
    login(page, live_server, "steward")
    page.goto(f"{live_server.url}/privacy/subject-access/")
    page.fill("#id_identifier", world.y.case.public_id)
    page.fill("#id_reference", "REQ-42")
    page.select_option("#id_basis", "data_subject")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert f"/privacy/subject-access/{world.y.case.public_id}/" in page.url
    assert page.locator("#request-reference").inner_text() == "REQ-42"
    snap(page, "exports-subject-access-summary")
    with page.expect_download() as info:
        page.locator(".downloads a[data-format=xlsx]").click()
    # Playwright saves downloads without an extension, which openpyxl's file-name check refuses.
    assert info.value.suggested_filename.endswith(".xlsx")
    wb = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).get()
    assert wb.properties.identifier == str(entry.pk)
    assert entry.detail["reference"] == "REQ-42"
    assert len(wb.worksheets) == len(entry.detail["sheets"])
