"""Record linkage end to end on a small synthetic city: quality against the truth, stable youth IDs,
incremental linking on import, merges and splits that reverse, steward decisions honoured, and sealing."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
import splink
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from casework.models import Alert, AuditAction, AuditEntry, Event, Youth, YouthMerge
from casework.triage import services as triage_services
from integrations.linkage import engine, evaluate, features, service
from integrations.linkage.features import address_key, frame_from_raw
from integrations.linkage.identity import merge_youth, reverse_merge, reverse_split, split_youth
from integrations.models import (
    LinkageModel,
    RecordLink,
    ReviewPair,
    ReviewStatus,
    SealingAction,
    SourceRecord,
)
from integrations.synthetic import generate_city
from tests.fixtures import PASSWORD, actor

PERSON_ROW = (
    "contact_no,occurred_on,recorded_on,kind,code,unit,national_id,name,name_romanized,birth_date,sex\n"
)


@pytest.fixture(scope="session")
def city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("linkcity")
    generate_city(youth=300, years=2, seed=3, out=out)
    return out


@pytest.fixture(scope="session")
def city_frame(city):
    return evaluate.frame_from_files(city)


@pytest.fixture(scope="session")
def trained_settings(city_frame) -> dict:
    return engine.train(city_frame).settings


@pytest.fixture
def linked(world, city, trained_settings):
    for feed in features.PERSON_FEEDS + (
        "school.absences",
        "school.incidents",
        "school.counselling",
        "school.dropouts",
    ):
        call_command("import_feed", feed, str(city / f"{feed}.csv"), "--no-link", verbosity=0)
    LinkageModel.objects.create(
        version=1,
        splink_version=splink.__version__,
        settings=trained_settings,
        upper_threshold=engine.UPPER_THRESHOLD,
        lower_threshold=engine.LOWER_THRESHOLD,
        is_active=True,
    )
    figures = service.link_all()
    return SimpleNamespace(world=world, city=city, figures=figures, truth=evaluate.read_truth(city))


def _export(tmp_path, name="links.csv") -> dict:
    path = tmp_path / name
    call_command("export_links", str(path), verbosity=0)
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0]) == ["feed", "record_key", "youth_id"]
    return {(r["feed"], r["record_key"]): r["youth_id"] for r in rows}


def _youth_of(feed, key) -> Youth:
    return RecordLink.objects.select_related("youth").get(feed=feed, record_key=key).youth


def test_linkage_matches_the_truth_and_fills_timelines(linked, tmp_path):
    links = _export(tmp_path)
    scores = evaluate.pairwise_scores(links, linked.truth)
    assert scores["f1"] >= 0.99, scores
    assert scores["precision"] >= 0.995, scores
    # Every unsealed person-naming record is linked exactly once.
    unsealed = SourceRecord.objects.filter(
        is_current=True, sealed_at__isnull=True, feed__in=features.PERSON_FEEDS
    ).count()
    assert len(links) == unsealed == RecordLink.objects.count()
    # Each police contact and each absence is on its youth's timeline; rosters became enrolments.
    police = SourceRecord.objects.filter(feed="police.contacts", is_current=True, sealed_at__isnull=True)
    assert Event.objects.filter(source_feed="police.contacts").count() == police.count()
    absences = SourceRecord.objects.filter(feed="school.absences", is_current=True).count()
    assert Event.objects.filter(source_feed="school.absences").count() == absences
    some = police.first()
    event = Event.objects.get(source_feed="police.contacts", source_key=some.record_key)
    assert event.youth == _youth_of("police.contacts", some.record_key)
    assert event.knowledge_date == some.knowledge_date
    from casework.models import Enrollment

    enrolled = Enrollment.objects.exclude(school__code__in=["J01", "J02"]).count()
    assert enrolled == SourceRecord.objects.filter(feed="school.students", is_current=True).count()
    # Golden records carry the identity the records agree on.
    youth = Youth.objects.exclude(national_id="").first()
    assert youth.name and youth.birth_date


def test_relinking_keeps_every_youth_id(linked, tmp_path):
    before = _export(tmp_path, "before.csv")
    youth_count = Youth.objects.filter(merged_into=None).count()
    figures = service.link_all()
    assert figures["youth_created"] == 0 and figures["merges"] == 0 and figures["records_moved"] == 0
    assert _export(tmp_path, "after.csv") == before
    assert Youth.objects.filter(merged_into=None).count() == youth_count


def test_import_links_a_new_record_to_the_existing_youth(linked, tmp_path):
    """A police contact without an ID joins the right youth; its event is on that youth's timeline
    straight after import_feed."""
    roster = SourceRecord.objects.filter(feed="school.students", is_current=True, national_id_status="valid")
    record = next(r for r in roster if len(r.values["name"]) == 3)
    youth = _youth_of("school.students", record.record_key)
    v = record.values
    name = v["name"]
    path = tmp_path / "police.csv"
    path.write_text(
        PERSON_ROW + f"TEST0000001,2025-01-05,2025-01-06,deviant,late_night_loitering,測試分局,,{name},,"
        f"{v['birth_date']},{v['sex']}\n",
        encoding="utf-8",
    )
    call_command("import_feed", "police.contacts", str(path), verbosity=0)
    assert _youth_of("police.contacts", "TEST0000001") == youth
    assert Event.objects.get(source_feed="police.contacts", source_key="TEST0000001").youth == youth


def test_a_youth_unknown_to_the_city_gets_a_new_record(linked, tmp_path):
    path = tmp_path / "police.csv"
    path.write_text(
        PERSON_ROW + "TEST0000002,2025-01-05,2025-01-06,deviant,runaway,測試分局,,測試甲乙,,2011-02-03,F\n"
    )
    before = Youth.objects.count()
    call_command("import_feed", "police.contacts", str(path), verbosity=0)
    youth = _youth_of("police.contacts", "TEST0000002")
    assert Youth.objects.count() == before + 1
    assert youth.name == "測試甲乙" and youth.birth_date == dt.date(2011, 2, 3)


def _two_youth_with_records():
    counts = {}
    for link in RecordLink.objects.all():
        counts[link.youth_id] = counts.get(link.youth_id, 0) + 1
    ids = [y for y, n in sorted(counts.items()) if n >= 2]
    return Youth.objects.get(pk=ids[0]), Youth.objects.get(pk=ids[1])


def test_merge_moves_everything_and_reverses_exactly(linked):
    steward = actor(linked.world.u.steward)
    kept, absorbed = _two_youth_with_records()
    police = linked.world.b.police
    alert, _ = triage_services.raise_alert(
        youth=absorbed, reason="test_reason", routed_to=police, due_at=timezone.now() + dt.timedelta(days=1)
    )
    absorbed_events = set(Event.objects.filter(youth=absorbed).values_list("pk", flat=True))
    absorbed_links = set(RecordLink.objects.filter(youth=absorbed).values_list("pk", flat=True))
    merge = merge_youth(kept=kept, absorbed=absorbed, reason="same person", origin="manual", actor=steward)
    absorbed.refresh_from_db()
    assert absorbed.merged_into == kept
    assert set(Event.objects.filter(youth=kept).values_list("pk", flat=True)) >= absorbed_events
    assert set(RecordLink.objects.filter(youth=kept).values_list("pk", flat=True)) >= absorbed_links
    alert.refresh_from_db()
    assert alert.youth == kept
    assert AuditEntry.objects.filter(action=AuditAction.MERGE, object_id=str(merge.pk)).exists()

    reverse_merge(merge=merge, actor=steward)
    absorbed.refresh_from_db()
    alert.refresh_from_db()
    assert absorbed.merged_into is None
    assert set(Event.objects.filter(youth=absorbed).values_list("pk", flat=True)) == absorbed_events
    assert set(RecordLink.objects.filter(youth=absorbed).values_list("pk", flat=True)) == absorbed_links
    assert alert.youth == absorbed
    assert AuditEntry.objects.filter(action=AuditAction.REVERSE).exists()
    # The next relink keeps them apart (the reversal pinned the absorbed youth's records).
    service.link_all()
    assert set(RecordLink.objects.filter(youth=absorbed).values_list("pk", flat=True)) == absorbed_links


def test_split_takes_records_and_their_events_out_and_reverses(linked):
    steward = actor(linked.world.u.steward)
    youth = next(
        y
        for y in Youth.objects.filter(record_links__feed="school.students").distinct()
        if RecordLink.objects.filter(youth=y).count() >= 2
        and RecordLink.objects.filter(youth=y).exclude(feed="school.students").exists()
    )
    moving = RecordLink.objects.filter(youth=youth).exclude(feed="school.students").first()
    key = (moving.feed, moving.record_key)
    split = split_youth(youth=youth, records=[key], reason="two people", origin="manual", actor=steward)
    assert _youth_of(*key) == split.created
    if key[0] != "welfare.assistance" or Event.objects.filter(source_key=key[1]).exists():
        assert not Event.objects.filter(youth=youth, source_feed=key[0], source_key=key[1]).exists()
    # A relink keeps the steward's split.
    service.link_all()
    assert _youth_of(*key) == split.created
    reverse_split(split=split, actor=steward)
    assert _youth_of(*key) == youth
    split.created.refresh_from_db()
    assert split.created.merged_into == youth


def test_split_refuses_to_empty_a_youth(linked):
    from django.core.exceptions import ValidationError

    youth = Youth.objects.filter(merged_into=None).first()
    keys = list(RecordLink.objects.filter(youth=youth).values_list("feed", "record_key"))
    with pytest.raises(ValidationError):
        split_youth(
            youth=youth, records=keys, reason="x", origin="manual", actor=actor(linked.world.u.steward)
        )


def test_an_accepted_review_pair_holds_on_relink(linked):
    a, b = _two_youth_with_records()
    left = RecordLink.objects.filter(youth=a).first()
    right = RecordLink.objects.filter(youth=b).first()
    ReviewPair.objects.create(
        left_feed=left.feed, left_key=left.record_key, right_feed=right.feed, right_key=right.record_key,
        match_probability=0.9, match_weight=3, comparison={}, model=LinkageModel.objects.get(),
        status=ReviewStatus.ACCEPTED,
    )  # fmt: skip
    service.link_all()
    assert _youth_of(left.feed, left.record_key) == _youth_of(right.feed, right.record_key)
    merge = YouthMerge.objects.get()
    # Reversing that merge undoes the decision too: the next relink keeps them apart, and the golden
    # record of the kept youth no longer carries the other's values.
    reverse_merge(merge=merge, actor=actor(linked.world.u.steward))
    service.link_all()
    assert _youth_of(left.feed, left.record_key) != _youth_of(right.feed, right.record_key)
    assert ReviewPair.objects.get().status == ReviewStatus.REJECTED
    merge.kept.refresh_from_db()
    merge.absorbed.refresh_from_db()
    assert merge.kept.national_id != merge.absorbed.national_id or not merge.kept.national_id


def test_sealing_removes_a_contact_from_every_place(linked, client, tmp_path):
    world = linked.world
    contact = SourceRecord.objects.filter(
        feed="police.contacts", is_current=True, sealed_at__isnull=True
    ).first()
    key = contact.record_key
    youth = _youth_of("police.contacts", key)
    event = Event.objects.get(source_feed="police.contacts", source_key=key)
    # An officer has a reason to see this youth (an alert routed to the police from that very event).
    alert, _ = triage_services.raise_alert(
        youth=youth,
        reason="offence_court_referral",
        routed_to=world.b.police,
        due_at=timezone.now() + dt.timedelta(days=3),
        source_event=event,
    )
    triage_services.raise_alert(
        youth=youth, reason="other", routed_to=world.b.police, due_at=timezone.now() + dt.timedelta(days=3)
    )
    client.login(username="officer", password=PASSWORD)
    page = client.get(reverse("youth-detail", args=[youth.public_id]))
    police_rows = page.content.decode().count(event.get_kind_display())
    assert page.status_code == 200 and police_rows >= 1
    api = client.get(reverse("api:event-list"), {"youth": youth.public_id})
    assert event.pk in {e["id"] for e in api.json()["results"]}

    notice = tmp_path / "court.csv"
    notice.write_text(
        "notice_no,court_case_no,effective_on,contact_nos,national_id,name,name_romanized,birth_date,sex\n"
        f"TESTSEAL01,114年度少調字第1號,2025-01-01,{key},{youth.national_id},{youth.name},,"
        f"{youth.birth_date},{youth.sex}\n",
        encoding="utf-8",
    )
    call_command("import_feed", "court.sealing", str(notice), verbosity=0)

    # The raw record keeps only its key and provenance.
    for version in SourceRecord.objects.filter(feed="police.contacts", record_key=key):
        assert (
            version.sealed_at is not None
            and version.values == {"sealed": True}
            and version.raw == {"sealed": True}
        )
    # Timeline, link, export, linkage input.
    assert not Event.all_objects.filter(source_feed="police.contacts", source_key=key).exists()
    assert not RecordLink.objects.filter(feed="police.contacts", record_key=key).exists()
    assert ("police.contacts", key) not in _export(tmp_path)
    assert key not in set(features.frame()["record_key"])
    # Pages and API.
    page = client.get(reverse("youth-detail", args=[youth.public_id]))
    assert page.status_code == 200
    assert page.content.decode().count(event.get_kind_display()) == police_rows - 1
    api = client.get(reverse("api:event-list"), {"youth": youth.public_id})
    assert event.pk not in {e["id"] for e in api.json()["results"]}
    # The alert raised from the sealed event is gone, whatever its status; the other alert stays.
    assert not Alert.objects.filter(pk=alert.pk).exists()
    assert Alert.objects.filter(youth=youth, reason="other").exists()
    # The fact of sealing stays, for auditors and stewards.
    action = SealingAction.objects.get(notice_key="TESTSEAL01")
    assert action.sealed_keys == [key] and action.records_sealed >= 1 and action.events_removed == 1
    assert AuditEntry.objects.filter(action=AuditAction.SEAL).exists()
    # The police re-sending the contact does not bring it back.
    again = tmp_path / "again.csv"
    again.write_text(
        PERSON_ROW
        + f"{key},2025-01-05,2025-01-06,deviant,runaway,測試分局,,{youth.name},,{youth.birth_date},M\n",
        encoding="utf-8",
    )
    call_command("import_feed", "police.contacts", str(again), verbosity=0)
    assert not SourceRecord.objects.filter(
        feed="police.contacts", record_key=key, sealed_at__isnull=True
    ).exists()
    assert not Event.all_objects.filter(source_feed="police.contacts", source_key=key).exists()


def test_notice_without_contact_numbers_seals_the_persons_contacts_up_to_its_date(linked, tmp_path):
    link = RecordLink.objects.filter(feed="police.contacts").select_related("youth").first()
    youth = link.youth
    keys = set(
        RecordLink.objects.filter(feed="police.contacts", youth=youth).values_list("record_key", flat=True)
    )
    notice = tmp_path / "court.csv"
    notice.write_text(
        "notice_no,court_case_no,effective_on,contact_nos,national_id,name,name_romanized,birth_date,sex\n"
        f"TESTSEAL02,114年度少調字第2號,2099-01-01,,{youth.national_id},{youth.name},,{youth.birth_date},"
        f"{youth.sex}\n",
        encoding="utf-8",
    )
    call_command("import_feed", "court.sealing", str(notice), verbosity=0)
    action = SealingAction.objects.get(notice_key="TESTSEAL02")
    assert not action.pending
    assert set(action.sealed_keys) == keys
    assert not RecordLink.objects.filter(feed="police.contacts", youth=youth).exists()


# --------------------------------------------------------------------------------------------------
# The model on hand-made records (no database)
# --------------------------------------------------------------------------------------------------


def _rows(*records):
    out = []
    for i, (feed, nid, status, name, roman, birth, sex, address) in enumerate(records, start=1):
        out.append((i, feed, f"K{i}", None, status, nid, name, roman, birth, sex, "中壢區", address))
    return frame_from_raw(out)


def _clusters(df, settings, population):
    pairs = engine.predict(df, settings, engine.LOWER_THRESHOLD, engine.term_frequencies(population))
    result = engine.cluster(
        df, pairs, upper=engine.UPPER_THRESHOLD, lower=engine.LOWER_THRESHOLD, settings=settings
    )
    return list(result.clusters.sort_values("unique_id")["cluster"]), result


def test_model_links_taiwanese_variants_and_keeps_twins_apart(trained_settings, city_frame):
    df = _rows(
        ("school.students", "H123456789", "valid", "陳家豪", "", "2010-03-12", "M", "中壢區中山路1號"),
        # Simplified characters, no ID, romanised extra, address without city and district.
        ("police.contacts", "", "missing", "陈家豪", "CHEN CHIA-HAO", "2010-03-12", "M", "中山路1號"),
        # Romanised (Wade-Giles) only, day and month swapped.
        ("welfare.reports", "", "missing", "", "Chia-Hao Chen", "2010-12-03", "M", "桃園市中壢區中山路1號"),
        # The twin: same birth date and home, another given name and ID.
        ("school.students", "H223456781", "valid", "陳家慧", "", "2010-03-12", "F", "中壢區中山路1號"),
        ("police.contacts", "", "missing", "陳家慧", "", "2010-03-12", "F", "中山路1號"),
    )
    labels, _ = _clusters(df, trained_settings, city_frame)
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] == labels[4]
    assert labels[0] != labels[3]


def test_a_mistyped_id_that_passes_the_checksum_still_links(trained_settings, city_frame):
    # Swapping the last two digits keeps the checksum valid (their weights are both 1).
    df = _rows(
        ("school.students", "H121527157", "valid", "翁東恩", "", "2007-05-23", "M", "新生路201號"),
        ("welfare.assistance", "H121527175", "valid", "翁東恩", "", "2007-05-23", "M", "新生路201號"),
    )
    labels, _ = _clusters(df, trained_settings, city_frame)
    assert labels[0] == labels[1]


def test_two_valid_ids_are_never_one_person_by_the_model(trained_settings, city_frame):
    df = _rows(
        ("school.students", "H123456789", "valid", "林志明", "", "2009-01-01", "M", "民族路1號"),
        ("school.students", "F187654321", "valid", "林志明", "", "2009-01-01", "M", "民族路1號"),
    )
    labels, _ = _clusters(df, trained_settings, city_frame)
    assert labels[0] != labels[1]


def test_address_key_drops_city_and_district():
    assert address_key("桃園市平鎮區福德路二段1號") == address_key("平鎮區福德路二段1號") == "福德路二段1號"
    assert address_key("  ") is None


def test_the_fact_of_sealing_is_shown_to_auditors_and_stewards_only(linked, client, tmp_path):
    contact = SourceRecord.objects.filter(
        feed="police.contacts", is_current=True, sealed_at__isnull=True
    ).first()
    youth = _youth_of("police.contacts", contact.record_key)
    notice = tmp_path / "court.csv"
    notice.write_text(
        "notice_no,court_case_no,effective_on,contact_nos,national_id,name,name_romanized,birth_date,sex\n"
        f"TESTSEAL03,114年度少調字第3號,2025-01-01,{contact.record_key},{youth.national_id},{youth.name},,"
        f"{youth.birth_date},{youth.sex}\n",
        encoding="utf-8",
    )
    call_command("import_feed", "court.sealing", str(notice), verbosity=0)
    # Auditors read the seal entry in the access log; officers cannot read the log at all.
    client.login(username="auditor", password=PASSWORD)
    listed = client.get(reverse("api:auditentry-list"), {"action": "seal"})
    assert listed.status_code == 200 and listed.json()["count"] >= 1
    client.login(username="officer", password=PASSWORD)
    assert client.get(reverse("api:auditentry-list"), {"action": "seal"}).status_code in (403, 404)
    # Data stewards see the notice on the linkage overview, without the sealed contact's key.
    client.login(username="steward", password=PASSWORD)
    page = client.get(reverse("integrations:linkage-overview")).content.decode()
    assert "TESTSEAL03" in page and contact.record_key not in page
    client.login(username="guidance", password=PASSWORD)
    assert client.get(reverse("integrations:linkage-overview")).status_code == 403


def test_an_roc_year_read_as_western_is_its_own_level_and_links_an_exact_name():
    """098/04/18 taken for 1998-04-18: the same month and day eleven years apart (the ROC year read as AD)."""
    rows = [
        (1, "school.students", "J01/S1", None, "valid", "H123456789", "測試恩", None, "2009-04-18", "M", "桃園區", None),
        (2, "police.contacts", "P1", None, "missing", None, "測試恩", None, "1998-04-18", "M", "桃園區", None),
        (3, "police.contacts", "P2", None, "missing", None, "測試恩", None, "1998-05-18", "M", "桃園區", None),
    ]  # fmt: skip
    df = frame_from_raw(rows)
    settings = engine.prior_settings(len(df))
    pairs = engine.predict(df, settings, 0.0)
    levels = engine._levels(settings)["birth_date"]
    by_pair = {
        (a, b): g
        for a, b, g in zip(pairs.unique_id_l, pairs.unique_id_r, pairs.gamma_birth_date, strict=True)
    }
    assert levels[len(levels) - 1 - by_pair[(1, 2)]] == "ROC year read as Western"
    assert (1, 3) not in by_pair or levels[len(levels) - 1 - by_pair[(1, 3)]] == "different"
