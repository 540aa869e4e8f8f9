"""Insider review 9: a notice reaches an indigenous name however its middle dot is written (or not), and a
romanised name when that is all the notice gives; it does not reach a different name."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from integrations.models import SourceRecord

pytestmark = pytest.mark.django_db

CONTACTS = (
    "contact_no,occurred_on,recorded_on,kind,code,unit,national_id,name,name_romanized,birth_date,sex\n"
)
NOTICES = "notice_no,court_case_no,effective_on,contact_nos,national_id,name,name_romanized,birth_date,sex\n"


def _import(tmp_path, feed: str, text: str, name: str, *options: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    call_command("import_feed", feed, str(path), *options, verbosity=0)


def _sealed(key: str) -> bool:
    return not SourceRecord.objects.filter(
        feed="police.contacts", record_key=key, sealed_at__isnull=True
    ).exists()


@pytest.fixture
def contacts(world, tmp_path):
    _import(
        tmp_path,
        "police.contacts",
        CONTACTS
        + "R9C1,2026-01-05,2026-01-06,offence,theft,測試分局,,娜尤·利布,Nayu Libu,2013-06-04,M\n"
        + "R9C2,2026-01-05,2026-01-06,offence,theft,測試分局,,娜尤·達利,Nayu Dali,2013-06-04,M\n"
        + "R9C3,2026-01-05,2026-01-06,offence,theft,測試分局,,,Watan Tanga,2012-02-02,M\n",
        "contacts.csv",
    )
    call_command("link_records", verbosity=0)
    return tmp_path


@pytest.mark.parametrize("written", ["娜尤利布", "娜尤‧利布", "娜尤・利布", "娜尤 利布"])
def test_a_notice_reaches_an_indigenous_name_however_its_dot_is_written(contacts, written):
    # Not linked (--no-link): the notice must reach the contact by its identity alone, as when linkage has not
    # joined them.
    _import(
        contacts,
        "court.sealing",
        NOTICES + f"R9N1,,2026-12-01,,,{written},,2013-06-04,M\n",
        "n.csv",
        "--no-link",
    )
    assert _sealed("R9C1")
    assert not _sealed("R9C2")  # the refused side: another name born the same day


def test_a_notice_with_only_a_romanised_name_reaches_it_in_any_word_order(contacts):
    _import(
        contacts,
        "court.sealing",
        NOTICES + "R9N2,,2026-12-01,,,,Tanga Watan,2012-02-02,M\n",
        "n.csv",
        "--no-link",
    )
    assert _sealed("R9C3")
    assert not _sealed("R9C1") and not _sealed("R9C2")


def test_a_notice_with_a_han_name_does_not_reach_by_the_romanised_name_alone(contacts):
    # 娜尤·達利 is romanised "Nayu Dali"; a notice for 娜尤·利布 romanised the same way reaches 娜尤·利布 only.
    _import(
        contacts,
        "court.sealing",
        NOTICES + "R9N3,,2026-12-01,,,娜尤利布,Nayu Dali,2013-06-04,M\n",
        "n.csv",
        "--no-link",
    )
    assert _sealed("R9C1") and not _sealed("R9C2")


def test_a_quarantined_court_notice_keeps_its_number_not_the_person_it_names(contacts, client):
    from django.urls import reverse

    from integrations.models import QuarantinedRow
    from tests.fixtures import PASSWORD

    _import(
        contacts,
        "court.sealing",
        NOTICES + "R9N9,114年度少調字第9號,2026-12-01,R9C2,H123456789,娜尤·達利,Nayu Dali,2013-13-45,M\n",
        "bad.csv",
    )
    row = QuarantinedRow.objects.get(feed="court.sealing")
    assert row.raw == {
        "notice_no": "R9N9",
        "court_case_no": "114年度少調字第9號",
        "effective_on": "2026-12-01",
    }
    text = " ".join(row.reasons)
    assert (
        "2013" not in text and "達利" not in text and "birth_date" in text
    )  # not even the year (review 10, F5)
    # The notice still seals the contact it names by number, malformed as it is.
    assert _sealed("R9C2") and not _sealed("R9C1")
    client.login(username="steward", password=PASSWORD)
    for url in (reverse("integrations:quarantine-list") + "?feed=court.sealing",
                reverse("integrations:quarantine-detail", args=[row.pk]),
                reverse("integrations-api:quarantinedrow-list")):  # fmt: skip
        body = client.get(url).content.decode()
        assert "R9N9" in body, url  # the allowed side: the steward asks the court to send R9N9 again
        assert "達利" not in body and "H123456789" not in body and "2013-13-45" not in body, url


# --- insider review 10 ------------------------------------------------------------------------------------------


def test_a_steward_cannot_write_a_court_notice_through_the_quarantine(contacts, client):
    """F1 (high): resubmitting a quarantined notice with any youth's identity sealed their police record."""
    from django.urls import reverse

    from integrations.models import QuarantinedRow, SealingAction
    from tests.fixtures import PASSWORD

    _import(contacts, "court.sealing", NOTICES + "R10N1,,2026-12-01,,,,,2013-06-04,M\n", "blank-name.csv")
    row = QuarantinedRow.objects.get(feed="court.sealing")
    client.login(username="steward", password=PASSWORD)
    fake = {
        "notice_no": "FAKE1",
        "name": "娜尤·利布",
        "birth_date": "2013-06-04",
        "effective_on": "2026-12-07",
    }
    api = client.post(
        reverse("integrations-api:quarantinedrow-resubmit", args=[row.pk]), {"row": fake},
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert api.status_code == 400 and "ask the court" in api.content.decode()
    page = client.post(reverse("integrations:quarantine-detail", args=[row.pk]), fake)
    assert page.status_code == 302
    assert not _sealed("R9C1") and not SealingAction.objects.filter(notice_key="FAKE1").exists()
    row.refresh_from_db()
    assert row.status == "open"
    detail = client.get(reverse("integrations:quarantine-detail", args=[row.pk])).content.decode()
    assert 'id="notice-not-fixed"' in detail and 'class="fix-form"' not in detail


def test_a_correction_keeps_the_rows_record_key(world, tmp_path, client):
    """A steward's correction fixes the row it is; it does not become (and overwrite) another record."""
    from django.urls import reverse

    from integrations.models import QuarantinedRow
    from tests.fixtures import PASSWORD

    _import(
        tmp_path,
        "police.contacts",
        CONTACTS
        + "K1,2026-01-05,2026-01-06,offence,theft,測試分局,,王小明,,2013-06-04,M\n"
        + "K2,2026-01-05,2026-01-06,offence,theft,測試分局,,王小華,,2013-13-04,M\n",
        "k.csv",
        "--no-link",
    )
    row = QuarantinedRow.objects.get(record_key="K2")
    client.login(username="steward", password=PASSWORD)
    url = reverse("integrations-api:quarantinedrow-resubmit", args=[row.pk])
    fixed = {**{k: str(v) for k, v in row.raw.items()}, "birth_date": "2013-12-04"}
    refused = client.post(url, {"row": {**fixed, "contact_no": "K1"}}, content_type="application/json")
    assert refused.status_code == 400
    assert SourceRecord.objects.get(record_key="K1", is_current=True).values["name"] == "王小明"
    allowed = client.post(url, {"row": fixed}, content_type="application/json")
    assert allowed.status_code == 200, allowed.content
    assert SourceRecord.objects.get(record_key="K2", is_current=True).values["birth_date"] == "2013-12-04"
