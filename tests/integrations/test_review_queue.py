"""The record-match review queue, the linkage overview and a youth's linked records, for data stewards.

Records, youth, links, the model and the pair are built by hand (``tests/linkage_fixtures.py``); the linkage
engine does not run. Texts are checked in English (one language switch), IDs and values in either.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.models import AuditAction, AuditEntry, Youth, YouthMerge, YouthSplit
from integrations.linkage.sealing import ERASED
from integrations.models import RecordLink, ReviewPair, ReviewStatus, SourceRecord
from tests.fixtures import PASSWORD, actor, world  # noqa: F401
from tests.linkage_fixtures import NID, POLICE, WELFARE, build_linkage

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(world):  # noqa: F811
    return build_linkage(actor(world.u.steward), history=True)


@pytest.fixture
def steward(client, world):  # noqa: F811
    assert client.login(username="steward", password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def _entries(**kw):
    return AuditEntry.objects.filter(**kw)


def _youth_of(feed, key) -> Youth:
    return RecordLink.objects.get(feed=feed, record_key=key).youth


# --- pages render for stewards, and nobody else ---------------------------------------------------------


def test_queue_lists_open_pairs_with_both_records_probability_and_date(steward, linked):
    page = steward.get(reverse("integrations:review-list")).content.decode()
    assert f'data-pair="{linked.pair.pk}"' in page
    for text in (
        POLICE,
        "PT-1",
        WELFARE,
        "WT-1",
        "93.4%",
        "v3",
        timezone.localtime(linked.pair.created_at).strftime("%Y-%m-%d"),
    ):
        assert text in page, text
    assert "1 pair" in page
    entry = _entries(action=AuditAction.LIST, object_type="reviewpair").get()
    assert entry.detail == {"count": 1, "query": {"status": "open"}}
    # Other statuses: nothing decided yet.
    page = steward.get(reverse("integrations:review-list"), {"status": "rejected"}).content.decode()
    assert f'data-pair="{linked.pair.pk}"' not in page and "0 pairs" in page


def test_pair_detail_shows_both_records_side_by_side(steward, linked):
    page = steward.get(reverse("integrations:review-detail", args=[linked.pair.pk])).content.decode()
    assert 'id="side-by-side"' in page
    for field in ("national_id", "surname", "given_name", "romanised_name", "birth_date", "sex", "district"):
        assert f'data-field="{field}"' in page, field
    for value in ("試甲", "2010-03-04", "2010-04-03", "桃園區", "中壢區", "day and month swapped"):
        assert value in page, value
    assert 'class="num weight-pos">+6.52' in page
    assert 'class="num weight-neg">-2.31' in page
    assert "93.4%" in page and "+3.82" in page and "v3" in page
    # The youth each record is in now, linking to the identity page.
    for youth in (linked.a, linked.b):
        assert reverse("integrations:linkage-youth", args=[youth.public_id]) in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'value="accept"' in page and 'value="reject"' in page
    entry = _entries(action=AuditAction.VIEW, object_type="reviewpair").get()
    assert entry.object_id == str(linked.pair.pk)
    assert entry.detail == {"youth": [linked.a.public_id, linked.b.public_id]}


PAGES = [
    ("integrations:review-list", lambda w: None),
    ("integrations:review-detail", lambda w: [w.pair.pk]),
    ("integrations:linkage-overview", lambda w: None),
    ("integrations:linkage-youth", lambda w: [w.a.public_id]),
]


@pytest.mark.parametrize(("name", "args"), PAGES, ids=[p[0] for p in PAGES])
@pytest.mark.parametrize("username", ["officer", "supervisor", "guidance", "auditor"])
def test_pages_are_refused_to_other_roles(client, linked, name, args, username):
    assert client.login(username=username, password=PASSWORD)
    url = reverse(name, args=args(linked))
    assert client.get(url).status_code == 403
    assert client.post(url, {"decision": "accept", "reason": "x"}).status_code == 403
    assert _entries(action=AuditAction.DENIED, username=username, detail__path=url).count() == 2
    linked.pair.refresh_from_db()
    assert linked.pair.status == ReviewStatus.OPEN


@pytest.mark.parametrize(("name", "args"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_send_anonymous_users_to_sign_in(client, linked, name, args):
    response = client.get(reverse(name, args=args(linked)))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_unknown_pair_or_youth_answers_404_and_is_logged(steward, linked):
    assert steward.get(reverse("integrations:review-detail", args=[999999])).status_code == 404
    assert steward.get(reverse("integrations:linkage-youth", args=["YNOSUCHYOUTH"])).status_code == 404
    assert _entries(action=AuditAction.DENIED, detail__status=404).count() == 2


def test_steward_navigation_links_the_new_pages(steward, linked):
    page = steward.get(reverse("home")).content.decode()
    assert f'href="{reverse("integrations:review-list")}"' in page
    assert f'href="{reverse("integrations:linkage-overview")}"' in page


# --- deciding ---------------------------------------------------------------------------------------------


def test_accept_merges_the_two_youth_and_is_audited(steward, linked, world):  # noqa: F811
    url = reverse("integrations:review-detail", args=[linked.pair.pk])
    response = steward.post(url, {"decision": "accept", "note": ""}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("integrations:review-list"))
    assert "Accepted" in response.content.decode()
    linked.pair.refresh_from_db()
    assert linked.pair.status == ReviewStatus.ACCEPTED
    assert linked.pair.decided_by == world.u.steward and linked.pair.decided_at is not None
    # ``a`` holds more records, so it is kept; ``b`` points to it and its record moved.
    linked.b.refresh_from_db()
    assert linked.b.merged_into_id == linked.a.pk
    assert _youth_of(WELFARE, "WT-1") == linked.a
    assert not RecordLink.objects.filter(youth=linked.b).exists()
    merge = YouthMerge.objects.get(absorbed=linked.b)
    assert merge.kept == linked.a and merge.origin == f"review pair {linked.pair.pk}"
    decision = _entries(action=AuditAction.UPDATE, object_type="reviewpair").get()
    assert decision.username == "steward" and decision.detail["decision"] == ReviewStatus.ACCEPTED
    assert _entries(action=AuditAction.MERGE, object_id=str(merge.pk), username="steward").exists()


def test_reject_needs_a_note(steward, linked):
    url = reverse("integrations:review-detail", args=[linked.pair.pk])
    page = steward.post(url, {"decision": "reject", "note": "  "}, follow=True).content.decode()
    assert "Say why these are different people." in page
    linked.pair.refresh_from_db()
    assert linked.pair.status == ReviewStatus.OPEN
    refused = _entries(action=AuditAction.DENIED, object_type="reviewpair").get()
    assert refused.detail == {"decision": "Say why these are different people."}

    steward.post(url, {"decision": "reject", "note": "Different birth dates and districts"})
    linked.pair.refresh_from_db()
    assert linked.pair.status == ReviewStatus.REJECTED
    assert linked.pair.note == "Different birth dates and districts"
    linked.b.refresh_from_db()
    assert linked.b.merged_into_id is None and _youth_of(WELFARE, "WT-1") == linked.b


def test_deciding_twice_is_refused(steward, linked):
    url = reverse("integrations:review-detail", args=[linked.pair.pk])
    steward.post(url, {"decision": "reject", "note": "Two boys"})
    page = steward.post(url, {"decision": "accept"}, follow=True).content.decode()
    assert "This pair has already been decided." in page
    linked.pair.refresh_from_db()
    assert linked.pair.status == ReviewStatus.REJECTED
    assert not YouthMerge.objects.filter(absorbed__in=[linked.a, linked.b]).exists()
    # A decided pair shows the decision instead of the buttons.
    page = steward.get(url).content.decode()
    assert "Two boys" in page and 'value="accept"' not in page


def test_accepting_a_pair_whose_record_was_withdrawn_is_refused(steward, linked):
    RecordLink.objects.filter(feed=WELFARE, record_key="WT-1").delete()
    url = reverse("integrations:review-detail", args=[linked.pair.pk])
    page = steward.post(url, {"decision": "accept"}, follow=True).content.decode()
    assert "no longer linked" in page
    linked.pair.refresh_from_db()
    assert linked.pair.status == ReviewStatus.OPEN


def test_a_sealed_record_is_not_shown_in_the_pair(steward, linked):
    """Art. 83-1: the comparison kept on the pair must not bring a sealed record's content back."""
    SourceRecord.objects.filter(feed=WELFARE, record_key="WT-1").update(values=ERASED, raw=ERASED)
    SourceRecord.objects.filter(feed=WELFARE, record_key="WT-1").update(sealed_at=linked.pair.created_at)
    page = steward.get(reverse("integrations:review-detail", args=[linked.pair.pk])).content.decode()
    assert "2010-04-03" not in page and "sealed or withdrawn" in page
    assert "2010-03-04" in page  # the other record is still shown
    api = steward.get(reverse("integrations-api:reviewpair-detail", args=[linked.pair.pk])).json()
    assert api["right"]["sealed"] is True
    assert {v["right"] for v in api["comparison"].values()} == {None}
    assert api["comparison"]["birth_date"]["left"] == "2010-03-04"


# --- overview, reversing, splitting ---------------------------------------------------------------------


def test_overview_shows_model_runs_counts_merges_splits_and_sealing(steward, linked):
    page = steward.get(reverse("integrations:linkage-overview")).content.decode()
    for text in ("v3", "99.0%", "80.0%", "abc1234", "5.0.0", "pairwise_f1", "youth records created"):
        assert text in page, text
    assert 'id="open-pairs"' in page and '<span class="tile-n">1</span>' in page
    assert f'data-merge="{linked.merge.pk}"' in page and f'data-split="{linked.split.pk}"' in page
    assert reverse("integrations:merge-reverse", args=[linked.merge.pk]) in page
    assert reverse("integrations:split-reverse", args=[linked.split.pk]) in page
    assert "SN-1" in page and "113少調字第1號" in page and "2024-06-01" in page
    assert "PT-9" not in page  # what was sealed is not listed
    entry = _entries(action=AuditAction.LIST, object_type="linkage").get()
    assert entry.detail["query"]["merges"] == 1 and entry.detail["query"]["splits"] == 1
    # The lookup box opens a youth's identity page.
    response = steward.get(reverse("integrations:linkage-overview"), {"youth": linked.a.public_id.lower()})
    assert response["Location"] == reverse("integrations:linkage-youth", args=[linked.a.public_id])


def test_reversing_a_review_merge_from_the_overview_restores_both_youth(steward, linked):
    steward.post(reverse("integrations:review-detail", args=[linked.pair.pk]), {"decision": "accept"})
    merge = YouthMerge.objects.get(absorbed=linked.b)
    page = steward.get(reverse("integrations:linkage-overview")).content.decode()
    url = reverse("integrations:merge-reverse", args=[merge.pk])
    assert f'action="{url}"' in page
    assert steward.get(url).status_code == 405  # reversing is a POST
    response = steward.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("integrations:linkage-overview")
    assert "Merge reversed" in response.content.decode()
    merge.refresh_from_db()
    linked.b.refresh_from_db()
    assert merge.reversed_at is not None and linked.b.merged_into_id is None
    assert _youth_of(WELFARE, "WT-1") == linked.b
    assert {link.record_key for link in RecordLink.objects.filter(youth=linked.a)} == {"PT-1", "PT-2"}
    assert _entries(action=AuditAction.REVERSE, object_type="youthmerge", object_id=str(merge.pk)).exists()
    # Once only.
    page = steward.post(url, follow=True).content.decode()
    assert "This merge has already been reversed." in page


def test_reversing_a_split_puts_the_records_back(steward, linked):
    url = reverse("integrations:split-reverse", args=[linked.split.pk])
    steward.post(url)
    linked.split.refresh_from_db()
    assert linked.split.reversed_at is not None
    assert _youth_of(POLICE, "PT-4") == linked.c


def test_identity_page_shows_linked_records_masked_and_no_events_or_cases(steward, linked):
    page = steward.get(reverse("integrations:linkage-youth", args=[linked.a.public_id])).content.decode()
    assert linked.a.public_id in page
    assert f'data-record="{POLICE}:PT-1"' in page and f'data-record="{POLICE}:PT-2"' in page
    assert f"{NID[:2]}******{NID[-2:]}" in page and NID not in page
    for value in ("測試甲", "測試乙", "2010-03-04", "2011-05-06"):
        assert value in page, value
    # Identity only: no timeline, no case, no event codes, no links to case-working pages.
    assert "late_night_loitering" not in page
    assert 'href="/youth/' not in page and 'href="/cases/' not in page
    entry = _entries(action=AuditAction.VIEW, object_type="youth", youth_public_id=linked.a.public_id).get()
    assert entry.username == "steward"


def test_split_from_the_identity_page_makes_a_new_youth_with_the_chosen_records(steward, linked):
    url = reverse("integrations:linkage-youth", args=[linked.a.public_id])
    page = steward.post(url, {"records": [linked.wrong_link.pk], "reason": ""}, follow=True).content.decode()
    assert "A split needs a reason." in page
    assert not YouthSplit.objects.filter(source=linked.a).exists()

    response = steward.post(
        url, {"records": [linked.wrong_link.pk], "reason": "PT-2 names another boy"}, follow=True
    )
    split = YouthSplit.objects.get(source=linked.a)
    assert split.records == [[POLICE, "PT-2"]] and split.reason == "PT-2 names another boy"
    assert split.created.public_id in response.content.decode()
    assert _youth_of(POLICE, "PT-2") == split.created
    assert _youth_of(POLICE, "PT-1") == linked.a
    assert RecordLink.objects.get(feed=POLICE, record_key="PT-2").pinned
    assert _entries(action=AuditAction.SPLIT, object_id=str(split.pk), username="steward").exists()
    # Its history is on both identity pages.
    page = steward.get(url).content.decode()
    assert f'data-split="{split.pk}"' in page
    page = steward.get(reverse("integrations:linkage-youth", args=[split.created.public_id])).content.decode()
    assert f'data-split="{split.pk}"' in page and f'data-record="{POLICE}:PT-2"' in page


def test_a_split_must_leave_a_record_behind(steward, linked):
    url = reverse("integrations:linkage-youth", args=[linked.a.public_id])
    links = list(RecordLink.objects.filter(youth=linked.a).values_list("pk", flat=True))
    page = steward.post(url, {"records": links, "reason": "all of them"}, follow=True).content.decode()
    assert "A split must leave at least one record with the original youth." in page
    assert not YouthSplit.objects.filter(source=linked.a).exists()


# --- API -------------------------------------------------------------------------------------------------


def test_api_lists_and_retrieves_pairs(steward, linked):
    listing = steward.get(reverse("integrations-api:reviewpair-list"), {"status": "open"}).json()
    assert listing["count"] == 1
    row = listing["results"][0]
    assert row["left"]["youth"] == linked.a.public_id and row["right"]["youth"] == linked.b.public_id
    assert row["model_version"] == 3 and row["comparison"]["surname"]["level"] == "exact"
    assert (
        steward.get(reverse("integrations-api:reviewpair-list"), {"status": "accepted"}).json()["count"] == 0
    )
    detail = steward.get(reverse("integrations-api:reviewpair-detail", args=[linked.pair.pk]))
    assert detail.status_code == 200 and detail.json()["status"] == "open"
    assert _entries(action=AuditAction.VIEW, object_type="reviewpair").exists()


def test_api_accept_returns_the_updated_pair_and_merges(steward, linked):
    url = reverse("integrations-api:reviewpair-accept", args=[linked.pair.pk])
    response = steward.post(url, {"note": "Same boy"}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "accepted" and body["decided_by"] == "steward" and body["note"] == "Same boy"
    assert body["left"]["youth"] == body["right"]["youth"] == linked.a.public_id
    assert Youth.objects.get(pk=linked.b.pk).merged_into_id == linked.a.pk
    again = steward.post(url, {}, content_type="application/json")
    assert again.status_code == 400 and "This pair has already been decided." in str(again.json())


def test_api_reject_needs_a_note(steward, linked):
    url = reverse("integrations-api:reviewpair-reject", args=[linked.pair.pk])
    refused = steward.post(url, {}, content_type="application/json")
    assert refused.status_code == 400 and "Say why these are different people." in str(refused.json())
    assert _entries(action=AuditAction.DENIED, detail__status=400, detail__path=url).exists()
    response = steward.post(url, {"note": "Two boys"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert ReviewPair.objects.get(pk=linked.pair.pk).note == "Two boys"


def test_api_unknown_pair_answers_404(steward, linked):
    for name in ("reviewpair-detail", "reviewpair-accept", "reviewpair-reject"):
        url = reverse(f"integrations-api:{name}", args=[999999])
        response = steward.get(url) if name.endswith("detail") else steward.post(url, {"note": "x"})
        assert response.status_code == 404, name


@pytest.mark.parametrize("username", ["officer", "supervisor", "anonymous"])
def test_api_is_refused_to_others(client, linked, username):
    if username != "anonymous":
        assert client.login(username=username, password=PASSWORD)
    assert client.get(reverse("integrations-api:reviewpair-list")).status_code == 403
    assert client.get(reverse("integrations-api:reviewpair-detail", args=[linked.pair.pk])).status_code == 403
    for name in ("reviewpair-accept", "reviewpair-reject"):
        url = reverse(f"integrations-api:{name}", args=[linked.pair.pk])
        assert client.post(url, {"note": "x"}, content_type="application/json").status_code == 403
    reverse_url = reverse("integrations-api:youthmerge-reverse", args=[linked.merge.pk])
    assert client.post(reverse_url).status_code == 403
    assert ReviewPair.objects.get(pk=linked.pair.pk).status == ReviewStatus.OPEN
    assert YouthMerge.objects.get(pk=linked.merge.pk).reversed_at is None


def test_api_linkage_models_merges_and_splits(steward, linked):
    models = steward.get(reverse("integrations-api:linkagemodel-list")).json()
    assert models["count"] == 1 and "settings" not in models["results"][0]
    detail = steward.get(reverse("integrations-api:linkagemodel-detail", args=[linked.model.pk])).json()
    assert detail["version"] == 3 and detail["settings"]["link_type"] == "dedupe_only"

    merges = steward.get(reverse("integrations-api:youthmerge-list")).json()
    assert merges["results"][0]["kept"] == linked.d.public_id
    url = reverse("integrations-api:youthmerge-reverse", args=[linked.merge.pk])
    reversed_merge = steward.post(url)
    assert reversed_merge.status_code == 200 and reversed_merge.json()["reversed_by"] == "steward"
    assert steward.post(url).status_code == 400

    splits = steward.get(reverse("integrations-api:youthsplit-list")).json()
    assert splits["results"][0]["records"] == [[POLICE, "PT-4"]]
    url = reverse("integrations-api:youthsplit-reverse", args=[linked.split.pk])
    assert steward.post(url).json()["reversed_at"] is not None
    assert steward.post(reverse("integrations-api:youthsplit-reverse", args=[999999])).status_code == 404


def test_pair_detail_says_in_words_why_a_person_must_decide(steward, linked):
    """Issue 15, part 6: what speaks for one person, what for two, and what is missing, in the page's words."""
    page = steward.get(reverse("integrations:review-detail", args=[linked.pair.pk])).content.decode()
    start = page.index('id="why-uncertain"')
    why = page[start : page.index("</section>", start)]
    assert "Speaks for one person" in why and "Speaks for two people" in why
    listed_for = why.split('id="why-for"')[1].split("</ul>")[0]
    listed_against = why.split('id="why-against"')[1].split("</ul>")[0]
    # Strongest first: the given name (+6.52), the birth date (+3.05), the surname (+2.41); the sex (+0.94)
    # is too weak to speak either way.
    assert listed_for.index("Given name: exact") < listed_for.index("Birth date: day and month swapped")
    assert listed_for.index("Birth date") < listed_for.index("Surname: exact")
    assert "Sex" not in listed_for and "Sex" not in listed_against
    assert "District: different" in listed_against and "Surname" not in listed_against
    missing = why.split('id="why-missing"')[1].split("</dd>")[0]
    assert "National ID" in missing and "Address" in missing


def test_pair_detail_explains_in_traditional_chinese(client, linked):
    assert client.login(username="steward", password=PASSWORD)
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    page = client.get(reverse("integrations:review-detail", args=[linked.pair.pk])).content.decode()
    start = page.index('id="why-uncertain"')
    why = page[start : page.index("</section>", start)]
    for english in ("Speaks for", "exact", "different", "Why a person"):
        assert english not in why, english


def test_a_pair_refused_for_two_national_ids_says_so(steward, linked):
    from integrations.linkage.engine import REFUSED_KEY

    ReviewPair.objects.filter(pk=linked.pair.pk).update(
        comparison={**linked.pair.comparison, REFUSED_KEY: True}
    )
    page = steward.get(reverse("integrations:review-detail", args=[linked.pair.pk])).content.decode()
    against = page.split('id="why-against"')[1].split("</ul>")[0]
    assert "two different national IDs" in against
    assert REFUSED_KEY not in page  # a mark, not a field of the side-by-side table


def test_per_field_weights_are_read_from_splink_5s_columns():
    """Splink 5 writes each comparison's match weight as mw_<name> (earlier versions bf_<name>): the review
    page showed no weight at all until this was read."""
    import pandas as pd

    from integrations.linkage import engine

    levels = engine._levels(engine.base_settings())
    row = {f"gamma_{n}": -1 for n in engine.REVIEW_FIELDS}
    row.update({"gamma_surname": 1, "mw_surname": 4.6, "surname_l": "陳", "surname_r": "陳"})
    row.update({"gamma_birth_date": 0, "mw_birth_date": -3.25, "mw_tf_adj_birth_date": 0.5})
    details = engine._comparison_details(pd.Series(row), levels)
    assert details["surname"]["match_weight"] == 4.6 and details["surname"]["level"] == "exact"
    assert details["birth_date"]["match_weight"] == -2.75 and details["birth_date"]["level"] == "different"
    assert details["national_id"]["match_weight"] is None and details["national_id"]["level"] == "null"


@pytest.mark.django_db
def test_writing_a_refused_pair_whose_sides_are_swapped_keeps_the_mark():
    """The demo's linkage crashed writing a review pair that carried the two-IDs mark with its sides in the
    other order ('bool' object is not a mapping): the mark has no sides to swap."""
    from types import SimpleNamespace

    import pandas as pd

    from integrations.linkage import engine, service
    from integrations.models import LinkageModel

    model = LinkageModel.objects.create(version=9, splink_version="5", settings={}, upper_threshold=0.9,
                                        lower_threshold=0.6, is_active=False)  # fmt: skip
    df = pd.DataFrame(
        {"unique_id": [1, 2], "feed": ["welfare.reports", "school.students"], "record_key": ["W1", "S1"]}
    )
    comparison = {"surname": {"left": "王", "right": "黃", "level": "different", "match_weight": -3.0},
                  engine.REFUSED_KEY: True}  # fmt: skip
    review = pd.DataFrame([{"unique_id_l": 1, "unique_id_r": 2, "match_probability": 0.97, "match_weight": 5.0,
                            "comparison": comparison}])  # fmt: skip
    service._write_review(df, SimpleNamespace(review=review), run=None, model=model)
    pair = ReviewPair.objects.get()
    assert (pair.left_feed, pair.right_feed) == ("school.students", "welfare.reports")
    assert pair.comparison["surname"]["left"] == "黃" and pair.comparison[engine.REFUSED_KEY] is True


@pytest.mark.django_db
def test_a_merge_read_by_the_steward_counts_only_the_identity_rows_it_moved(world, client):  # noqa: F811
    """Insider review 13, F3: a data steward's role is identity only. A merge's count of cases, alerts or triage
    decisions moved would tell them a case had been opened or an alert raised; only record links are counted."""
    from casework.youth import services as youth_services

    kept = youth_services.create_youth(name="甲", birth_date=world.today.replace(year=world.today.year - 14))
    absorbed = youth_services.create_youth(name="甲", birth_date=kept.birth_date)
    merge = YouthMerge.objects.create(
        kept=kept,
        absorbed=absorbed,
        reason="same person",
        origin="manual",
        by=world.u.steward,
        moved={
            "integrations.recordlink": [1, 2],
            "casework.case": [3],
            "casework.alert": [4],
            "casework.triagedecision": [5],
            "_resolved_alerts": [[4, "active"]],
        },
    )
    client.force_login(world.u.steward)
    body = client.get(reverse("integrations-api:youthmerge-detail", args=[merge.pk])).json()
    assert body["rows_moved"] == {"integrations.recordlink": 2}
