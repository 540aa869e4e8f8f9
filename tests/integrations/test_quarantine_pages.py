"""Data stewards see import batches and the quarantine, fix a row in the page and resubmit it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casework.models import BureauKind, Membership, Role
from integrations.feeds.importing import import_file_bytes
from integrations.models import QuarantinedRow, QuarantineStatus, SourceRecord

pytestmark = pytest.mark.django_db

PASSWORD = "steward-password-1"


@pytest.fixture
def steward(django_user_model):
    from casework.models import Bureau

    committee = Bureau.objects.update_or_create(
        kind=BureauKind.COMMITTEE, defaults={"code": "committee", "name_zh": "少輔會", "name_en": "C"}
    )[0]
    user = django_user_model.objects.create_user("steward", password=PASSWORD)
    Membership.objects.create(user=user, bureau=committee, role=Role.DATA_STEWARD)
    return user


@pytest.fixture
def broken(steward):
    import_file_bytes(
        feed="police.contacts",
        data="contact_no,name,birth_date,occurred_on,kind,code\nP1,王小明,098/02/30,2024-01-01,offence,theft\n".encode(),
        file_name="police-2024-01.csv",
    )
    return QuarantinedRow.objects.get()


def test_quarantine_page_lists_rows_with_reasons(client, broken):
    client.login(username="steward", password=PASSWORD)
    page = client.get(reverse("integrations:quarantine-list")).content.decode()
    assert "police-2024-01.csv" in page
    # The reason in the page's language (zh-Hant by default), the column and the value as they were sent.
    assert "birth_date：&#x27;098/02/30&#x27; 不是有效日期（2009-02 沒有 30 日）" in page
    english = client.get(reverse("integrations:quarantine-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "birth_date: &#x27;098/02/30&#x27; is not a valid date (2009-02 has no day 30)" in english
    batches = client.get(reverse("integrations:batch-list")).content.decode()
    assert "police.contacts" in batches


def test_steward_fixes_a_row_in_the_page(client, broken):
    client.login(username="steward", password=PASSWORD)
    url = reverse("integrations:quarantine-detail", args=[broken.pk])
    form = {**broken.raw, "birth_date": "098/02/28"}
    response = client.post(url, form)
    assert response.status_code == 302
    broken.refresh_from_db()
    assert broken.status == QuarantineStatus.RESUBMITTED
    assert SourceRecord.objects.get(record_key="P1").values["birth_date"] == "2009-02-28"


def test_a_bad_fix_is_refused_with_the_reason_and_the_row_stays(client, broken):
    client.login(username="steward", password=PASSWORD)
    url = reverse("integrations:quarantine-detail", args=[broken.pk])
    page = client.post(url, {**broken.raw, "birth_date": "soon"}).content.decode()
    assert "birth_date" in page
    broken.refresh_from_db()
    assert broken.status == QuarantineStatus.OPEN


def test_resubmit_over_the_api(client, broken):
    client.login(username="steward", password=PASSWORD)
    url = reverse("integrations-api:quarantinedrow-resubmit", args=[broken.pk])
    bad = client.post(url, {"row": {**broken.raw, "birth_date": "x"}}, content_type="application/json")
    assert bad.status_code == 400 and "birth_date" in str(bad.json())
    good = client.post(
        url, {"row": {**broken.raw, "birth_date": "2009-02-28"}}, content_type="application/json"
    )
    assert good.status_code == 200 and good.json()["created"] == 1
    again = client.post(
        url, {"row": {**broken.raw, "birth_date": "2009-02-28"}}, content_type="application/json"
    )
    assert again.status_code == 400
