"""Insider review 8 (sealing around merges and splits): a court notice never names its person to a steward,
the access log's seal rows name no youth, and merging two youth scored in the same run works."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd
import pytest
from django.core.management import call_command
from django.urls import reverse

from casework.models import AuditAction, AuditEntry, RiskScore, Youth
from integrations.linkage import service
from integrations.linkage.identity import merge_youth, reverse_merge
from integrations.models import LinkageModel, RecordLink, ReviewPair, ReviewStatus
from tests.fixtures import PASSWORD, actor

pytestmark = pytest.mark.django_db

CONTACTS = (
    "contact_no,occurred_on,recorded_on,kind,code,unit,national_id,name,name_romanized,birth_date,sex\n"
)
NOTICES = "notice_no,court_case_no,effective_on,contact_nos,national_id,name,name_romanized,birth_date,sex\n"


def _import(tmp_path, feed: str, text: str, name: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    call_command("import_feed", feed, str(path), verbosity=0)


def _youth_of(feed: str, key: str) -> Youth:
    return RecordLink.objects.select_related("youth").get(feed=feed, record_key=key).youth


@pytest.fixture
def person(world, tmp_path):
    """A person with a school-free police record and a welfare-free second contact, linked; then a
    person-wide notice (by the same valid national ID) that seals their contacts up to its date."""
    _import(
        tmp_path,
        "police.contacts",
        CONTACTS
        + "R8C001,2025-01-05,2025-01-06,deviant,runaway,測試分局,B123456780,審查甲乙,,2011-02-03,F\n"
        + "R8C002,2026-06-05,2026-06-06,deviant,runaway,測試分局,B123456780,審查甲乙,,2011-02-03,F\n",
        "contacts.csv",
    )
    call_command("link_records", verbosity=0)
    youth = _youth_of("police.contacts", "R8C002")
    _import(
        tmp_path,
        "court.sealing",
        NOTICES + "R8N001,114年度少調字第8號,2025-12-31,,B123456780,審查甲乙,,2011-02-03,F\n",
        "notice.csv",
    )
    return SimpleNamespace(youth=youth, notice="R8N001")


def test_a_seal_row_in_the_access_log_names_neither_the_youth_nor_how_much_was_sealed(person):
    rows = list(AuditEntry.objects.filter(action=AuditAction.SEAL))
    assert rows, "the seal is logged"
    assert all(r.youth_public_id == "" for r in rows)
    assert all(r.detail == {"notice": person.notice} for r in rows)
    # The person's unsealed contact is still theirs: the seal row is not found by their youth ID.
    assert not AuditEntry.objects.filter(
        action=AuditAction.SEAL, youth_public_id=person.youth.public_id
    ).exists()


def test_the_stewards_page_of_a_youth_does_not_list_the_court_notice_linked_to_them(person, client):
    link = RecordLink.objects.filter(feed="court.sealing", record_key=person.notice).first()
    assert link is not None and link.youth_id == person.youth.pk  # linked, so that it reaches the person
    client.login(username="steward", password=PASSWORD)
    page = client.get(reverse("integrations:linkage-youth", args=[person.youth.public_id]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "R8C002" in body  # the allowed side: the person's own unsealed record is listed
    assert person.notice not in body and "court.sealing" not in body
    # Choosing the notice's link by hand to split it off is not a split of the person's records.
    client.post(
        reverse("integrations:linkage-youth", args=[person.youth.public_id]),
        {"records": [str(link.pk)], "reason": "take the notice out"},
    )
    link.refresh_from_db()
    assert link.youth_id == person.youth.pk


def test_a_court_notice_is_never_put_to_the_steward_as_a_review_pair(world):
    df = pd.DataFrame(
        {
            "unique_id": [1, 2, 3],
            "feed": ["court.sealing", "police.contacts", "school.students"],
            "record_key": ["R8N9", "R8C9", "R8S9"],
        }
    )
    review = pd.DataFrame(
        {
            "unique_id_l": [1, 2],
            "unique_id_r": [2, 3],
            "match_probability": [0.7, 0.75],
            "match_weight": [1.2, 1.6],
            "comparison": [{}, {}],
        }
    )
    model = LinkageModel.objects.create(
        version=1, splink_version="test", settings={}, upper_threshold=0.9, lower_threshold=0.6
    )
    ReviewPair.objects.create(
        model=model,
        left_feed="court.sealing", left_key="R8N8", right_feed="police.contacts", right_key="R8C8",
        match_probability=0.7, match_weight=1.0, comparison={}, status=ReviewStatus.OPEN,
    )  # fmt: skip
    figures = service._write_review(df, SimpleNamespace(review=review), run=None, model=model)
    assert figures["review_created"] == 1  # the allowed side: two people's records are still put to review
    pairs = list(ReviewPair.objects.values_list("left_feed", "right_feed"))
    assert pairs == [("police.contacts", "school.students")]


def test_two_youth_scored_in_the_same_run_merge_and_the_merge_reverses(world, tmp_path):
    _import(
        tmp_path,
        "police.contacts",
        CONTACTS
        + "R8C010,2025-01-05,2025-01-06,deviant,runaway,測試分局,,審查丙丁,,2011-02-03,F\n"
        + "R8C011,2025-01-05,2025-01-06,deviant,runaway,測試分局,,審查戊己,,2012-05-06,M\n",
        "two.csv",
    )
    call_command("link_records", verbosity=0)
    kept, absorbed = _youth_of("police.contacts", "R8C010"), _youth_of("police.contacts", "R8C011")
    run, earlier = dt.date(2026, 12, 1), dt.date(2026, 11, 1)
    common = {"band": "low", "rank": 1, "model_version": "risk-v1", "reasons": []}
    kept_score = RiskScore.objects.create(youth=kept, as_of=run, score=0.1, **common)
    same_run = RiskScore.objects.create(youth=absorbed, as_of=run, score=0.2, **common)
    own_run = RiskScore.objects.create(youth=absorbed, as_of=earlier, score=0.3, **common)
    steward = actor(world.u.steward)
    merge = merge_youth(kept=kept, absorbed=absorbed, reason="same person", origin="manual", actor=steward)
    assert RiskScore.objects.get(pk=kept_score.pk).youth_id == kept.pk
    assert RiskScore.objects.get(pk=same_run.pk).youth_id == absorbed.pk  # the kept record has that run's
    assert RiskScore.objects.get(pk=own_run.pk).youth_id == kept.pk  # a run only the absorbed had moves
    reverse_merge(merge=merge, actor=steward)
    assert RiskScore.objects.get(pk=own_run.pk).youth_id == absorbed.pk
    assert RiskScore.objects.get(pk=same_run.pk).youth_id == absorbed.pk
