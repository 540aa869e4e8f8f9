"""Subject access after a sealing notice: the access log lists nothing about the objects sealing erased, its
counts count only what is listed, and a youth known only through sealed records is not found at all.

The world is the sealing tests' (``tests/integrations/sealing_world.py``): Q is known only through police
contact ``SC-Q1``, which notice ``SN-Q`` names by number (no linkage needed)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from casework.access.audit import Actor, record
from casework.models import (
    Alert,
    AlertRule,
    AlertTrigger,
    AuditAction,
    AuditEntry,
    Case,
    Event,
    Intervention,
    Referral,
    ReferralStatus,
    TriageDecision,
    Youth,
)
from integrations.models import RecordLink, SourceRecord
from privacy.subject_access import collect, find_youth, youth_by_public_id
from tests.integrations.sealing_world import NOTICE_P, NOTICE_Q, Q1, activate_linkage, deliver
from tests.integrations.test_linkage import city, city_frame, trained_settings  # noqa: F401
from tests.privacy.test_subject_access import REQUEST, download_url, login, summary_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def world_linked(world, trained_settings):  # noqa: F811
    """The sealing tests' city with an active linkage model, so an imported contact makes a youth."""
    activate_linkage(trained_settings)
    return world


def _youth_of(key: str) -> Youth:
    return RecordLink.objects.select_related("youth").get(record_key=key).youth


def _sealed_matter(world, youth: Youth) -> list:
    """An alert on the sealed event, the case opened on it with its work, each logged as the views log them."""
    b, u = world.b, world.u
    event = Event.objects.get(source_key="SC-Q1")
    due = timezone.now() + dt.timedelta(days=3)
    alert = Alert.objects.create(
        youth=youth, reason="sealed", routed_to=b.committee, due_at=due, source_event=event
    )
    case = Case.objects.create(
        youth=youth, lead_bureau=b.committee, assignee=u.guidance, opened_by=u.guidance, concern="exposure"
    )
    decision = TriageDecision.objects.create(
        youth=youth, alert=alert, bureau=b.committee, decided_by=u.guidance, decision="open_case",
        reason_code="better_placed", case=case,
    )  # fmt: skip
    intervention = Intervention.objects.create(
        case=case, kind="home_visit", occurred_on=dt.date(2025, 1, 2), worker=u.guidance
    )
    referral = Referral.objects.create(
        youth=youth, case=case, from_bureau=b.committee, from_user=u.guidance, to_bureau=b.welfare,
        reason="follow-up", consent="obtained", status=ReferralStatus.ACCEPTED,
    )  # fmt: skip
    system, guidance = Actor.system("import_feed"), Actor(user=u.guidance)
    record(system, AuditAction.CREATE, event)
    record(system, AuditAction.CREATE, alert)
    for obj in (case, decision, intervention, referral):
        record(guidance, AuditAction.CREATE, obj)
    record(guidance, AuditAction.UPDATE, alert)
    record(guidance, AuditAction.VIEW, case)
    return [event, alert, case, decision, intervention, referral]


def _kept_case(world, youth: Youth) -> Case:
    """A case opened on a score alert: the workers' judgement of the whole record, which sealing keeps."""
    b, u = world.b, world.u
    rule = AlertRule.objects.filter(trigger=AlertTrigger.SCORE).first() or AlertRule.objects.create(
        key="score_rule", version=1, trigger=AlertTrigger.SCORE, bands=["very_high"], route_to=["committee"],
        deadline_days=14, name_zh="分數", name_en="score",
    )  # fmt: skip
    alert = Alert.objects.create(
        youth=youth,
        reason=rule.key,
        rule=rule,
        routed_to=b.police,
        due_at=timezone.now() + dt.timedelta(days=3),
    )
    kept = Case.objects.create(
        youth=youth, lead_bureau=b.police, opened_by=u.officer, concern="high_concern", summary="outreach"
    )
    TriageDecision.objects.create(
        youth=youth, alert=alert, bureau=b.police, decided_by=u.officer, decision="open_case",
        reason_code="better_placed", case=kept,
    )  # fmt: skip
    officer = Actor(user=u.officer)
    record(officer, AuditAction.CREATE, kept)
    record(officer, AuditAction.VIEW, kept)
    return kept


def header_rows(sheet) -> int:
    """The mark's lines and the header row above the data of an exported sheet."""
    for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if row and row[0] == "When" or row and row[0] == "時間":
            return n
    raise AssertionError("no header row")


def _named(rows: list[dict]) -> set[tuple[str, str]]:
    return {(r["object_type"], str(r["object_id"])) for r in rows if r["object_id"]}


def _gone(objects) -> set[tuple[str, str]]:
    return {(o._meta.model_name, str(o.pk)) for o in objects}


def test_the_access_log_leaves_out_what_sealing_erased_and_keeps_a_case_that_stays(
    client, world_linked, tmp_path
):
    world = world_linked
    deliver(tmp_path, "police.contacts", [Q1])
    youth = _youth_of("SC-Q1")
    erased = _sealed_matter(world, youth)
    kept = _kept_case(world, youth)
    before = _named(collect(youth).sheets[-1].rows)
    assert _gone(erased) <= before  # the trail is there before the notice

    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    assert not Case.objects.filter(pk=erased[2].pk).exists() and Case.objects.filter(pk=kept.pk).exists()
    gone = _gone(erased)

    login(client, "steward")
    response = client.get(download_url(youth, "json"))
    assert response.status_code == 200
    body = json.loads(response.content)
    access = body["sheets"]["access_log"]
    named = _named(access)
    assert not named & gone
    assert ("case", str(kept.pk)) in named  # the allowed side: a case that stays keeps its lines
    # Counts count only what is listed, in the file's audit entry and on the summary page.
    entry = AuditEntry.objects.get(pk=int(response["X-Export-Number"]))
    assert entry.detail["sheets"]["access_log"] == len(access)
    assert entry.detail["rows"] == sum(len(rows) for rows in body["sheets"].values())
    shown = {s.id: len(s.rows) for s in collect(youth).sheets}
    page = client.get(summary_url(youth))
    assert page.status_code == 200
    counts = {s["key"]: s["count"] for s in page.context["summary"]}
    assert counts["access_log"] == shown["access_log"]
    assert counts["cases"] == 1

    # The workbook too: its access-log sheet names none of the erased objects and keeps the kept case.
    listed = len(collect(youth).sheets[-1].rows)
    response = client.get(download_url(youth, "xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[-1]
    pairs = {
        (str(r[4]), str(r[5])) for r in sheet.iter_rows(values_only=True) if len(r) > 5 and r[5] is not None
    }
    assert not pairs & gone
    assert ("case", str(kept.pk)) in pairs
    entry = AuditEntry.objects.get(pk=int(response["X-Export-Number"]))
    assert entry.detail["sheets"]["access_log"] == listed == sheet.max_row - header_rows(sheet)


def test_a_youth_known_only_through_sealed_records_is_answered_as_unknown(client, world_linked, tmp_path):
    world = world_linked
    deliver(tmp_path, "police.contacts", [Q1])
    youth = _youth_of("SC-Q1")
    _sealed_matter(world, youth)
    login(client, "steward")
    assert client.get(summary_url(youth)).status_code == 200  # before the notice, the record is there

    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    youth.refresh_from_db()
    assert Youth.objects.filter(pk=youth.pk).exists() and youth.name == ""  # the empty shell

    assert find_youth(youth.public_id) == [] and youth_by_public_id(youth.public_id) is None
    unknown = client.post(reverse("privacy:subject-access"), {"identifier": "Y0000000", **REQUEST})
    shell = client.post(reverse("privacy:subject-access"), {"identifier": youth.public_id, **REQUEST})
    assert shell.status_code == unknown.status_code == 400
    assert shell.context["form"].errors == unknown.context["form"].errors
    assert shell.context["matches"] == unknown.context["matches"] == []
    assert client.get(summary_url(youth)).status_code == 404
    for fmt in ("json", "xlsx"):
        assert client.get(download_url(youth, fmt)).status_code == 404
    with pytest.raises(CommandError, match="no youth record"):
        call_command(
            "subject_access", youth.public_id, "--reference", "R", "--basis", "court",
            "--out", str(tmp_path / "x.json"),
        )  # fmt: skip
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_workers_view_whose_only_reason_was_erased_is_left_out(world_linked, tmp_path):
    """Review 4, F6: "guidance viewed this youth" with nothing left that gave the committee a reason would
    tell the reader that the committee once had something. A view that a kept record explains stays."""
    world = world_linked
    deliver(tmp_path, "police.contacts", [Q1])
    youth = _youth_of("SC-Q1")
    _sealed_matter(world, youth)
    record(Actor(user=world.u.guidance), AuditAction.VIEW, youth)
    _kept_case(world, youth)
    record(Actor(user=world.u.officer), AuditAction.VIEW, youth)
    record(Actor(user=world.u.steward), AuditAction.VIEW, youth)

    def viewers() -> set[str]:
        with translation.override("en"):
            rows = collect(youth).sheets[-1].rows
        return {r["username"] for r in rows if r["object_type"] == "youth" and r["action"] == "View"}

    assert viewers() >= {"guidance", "officer", "steward"}
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    # The refused side: the officer's bureau leads the case that stays; the steward's reason is the office.
    assert viewers() == {"officer", "steward"}


def test_a_view_before_its_reason_began_is_left_out_and_one_after_it_stays(world_linked, tmp_path):
    world = world_linked
    deliver(tmp_path, "police.contacts", [Q1])
    youth = _youth_of("SC-Q1")
    early = record(Actor(user=world.u.social), AuditAction.VIEW, youth)  # welfare had nothing yet
    Referral.objects.create(
        youth=youth, from_bureau=world.b.committee, from_user=world.u.guidance, to_bureau=world.b.welfare,
        reason="follow-up", consent="obtained", status=ReferralStatus.ACCEPTED,
    )  # fmt: skip
    later = record(Actor(user=world.u.social), AuditAction.VIEW, youth)
    listed = {r["at"] for r in collect(youth).sheets[-1].rows if r["username"] == "social"}
    assert listed == {later.at} and early.at not in listed


def test_a_record_merged_away_keeps_nothing_that_only_a_sealed_record_gave_it(client, world_linked, tmp_path):
    """Review 5, F1: Q's police-only youth, merged by a steward into a school record of another spelling,
    kept Q's name and district after the notice sealed the contact it came from."""
    from casework.access.audit import Actor as A
    from casework.access.policy import identity_register
    from integrations.linkage.identity import merge_youth
    from privacy.subject_access import find_youth
    from tests.integrations.sealing_world import ROSTER

    world = world_linked
    deliver(tmp_path, "police.contacts", [Q1])
    deliver(tmp_path, "school.students", [ROSTER])
    absorbed, kept = _youth_of("SC-Q1"), _youth_of("J01/S-P")
    assert absorbed != kept and absorbed.name  # the name the police record gave it
    q_name = absorbed.name
    merge_youth(
        kept=kept,
        absorbed=absorbed,
        reason="steward: same person",
        origin="review",
        actor=A(user=world.u.steward),
    )
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    absorbed.refresh_from_db()
    assert (absorbed.name, absorbed.birth_date, absorbed.district, absorbed.address) == ("", None, "", "")
    assert absorbed.merged_into_id == kept.pk  # the merge itself stays, for its reversal
    assert not identity_register(world.u.steward).filter(pk=absorbed.pk).exists()
    assert find_youth(absorbed.public_id) == [] and youth_by_public_id(absorbed.public_id) is None
    sheets = {s.id: s.rows for s in collect(kept).sheets}
    assert [r["public_id"] for r in sheets["identity"]] == [kept.public_id]
    assert not sheets["identity_changes"]
    # Nor does the access log name the merge (review 13, F2).
    assert not [r for r in sheets["access_log"] if r["object_type"] == "youthmerge"]
    assert q_name not in json.dumps(
        [r for rows in sheets.values() for r in rows], default=str, ensure_ascii=False
    )
    # The refused side: the record it was merged into keeps its own identity, and stays answerable.
    kept.refresh_from_db()
    assert kept.name == ROSTER["name"] and find_youth(kept.public_id) == [kept]


def test_a_record_merged_away_keeps_the_identity_its_unsealed_records_give(world_linked, tmp_path):
    """The refused side: a merged record whose own records are not sealed keeps its identity."""
    from casework.access.audit import Actor as A
    from integrations.linkage.golden import refresh_golden_records
    from integrations.linkage.identity import merge_youth
    from tests.integrations.sealing_world import ROSTER

    world = world_linked
    deliver(tmp_path, "police.contacts", [Q1])
    deliver(tmp_path, "school.students", [ROSTER])
    absorbed, kept = _youth_of("SC-Q1"), _youth_of("J01/S-P")
    merge_youth(
        kept=kept, absorbed=absorbed, reason="same person", origin="review", actor=A(user=world.u.steward)
    )
    refresh_golden_records([kept.pk])
    name = absorbed.name
    absorbed.refresh_from_db()
    assert absorbed.name == name != ""
    # Its merge is in the file, in both sheets.
    sheets = {s.id: s.rows for s in collect(kept).sheets}
    assert sheets["identity_changes"]
    assert [r for r in sheets["access_log"] if r["object_type"] == "youthmerge"]


def test_a_reversed_merge_of_a_record_sealing_emptied_is_not_named(world_linked, tmp_path):
    """Review 6, F3: once the merge is reversed, the emptied record is a shell; the file must not name it."""
    from casework.access.audit import Actor as A
    from integrations.linkage.identity import merge_youth, reverse_merge
    from tests.integrations.sealing_world import ROSTER

    world = world_linked
    deliver(tmp_path, "police.contacts", [Q1])
    deliver(tmp_path, "school.students", [ROSTER])
    absorbed, kept = _youth_of("SC-Q1"), _youth_of("J01/S-P")
    steward = A(user=world.u.steward)
    merge = merge_youth(kept=kept, absorbed=absorbed, reason="same person", origin="review", actor=steward)
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    reverse_merge(merge=merge, actor=steward)
    sheets = {s.id: s.rows for s in collect(kept).sheets}
    assert not sheets["identity_changes"]
    assert not [r for r in sheets["access_log"] if r["object_type"] == "youthmerge"]
    assert absorbed.public_id not in json.dumps(sheets["identity"], default=str)


def test_a_split_reversed_after_a_notice_leaves_no_identity_on_the_split_off_record(world_linked, tmp_path):
    """Review 7b, F1: split a police contact off, a notice seals it, the split is reversed: the split-off record
    kept the contact's spelling and address in the register and the subject-access file."""
    from casework.access.audit import Actor as A
    from casework.access.policy import identity_register
    from integrations.linkage.identity import merge_youth, reverse_split, split_youth
    from tests.integrations.sealing_world import ROSTER

    world = world_linked
    deliver(tmp_path, "school.students", [ROSTER])
    # The police's spelling of P's name (按 for 安), no national ID: linkage joins it to P, no notice reaches it
    # by exact identity.
    variant = {
        **{f: ROSTER[f] for f in ("birth_date", "sex", "district")},
        "name": "測試按",
        "national_id": "",
    }
    deliver(tmp_path, "police.contacts", [{**Q1, **variant}])
    youth = _youth_of("J01/S-P")
    steward = A(user=world.u.steward)
    # A steward joins the police record to P (as accepting its review pair would), then splits it off again.
    merge_youth(kept=youth, absorbed=_youth_of("SC-Q1"), reason="same child", origin="manual", actor=steward)
    assert _youth_of("SC-Q1") == youth
    split = split_youth(
        youth=youth, records=[("police.contacts", "SC-Q1")], reason="t", origin="manual", actor=steward
    )
    created = split.created
    deliver(tmp_path, "court.sealing", [NOTICE_P])  # person-wide: reaches what is linked to P's youth
    created.refresh_from_db()
    assert created.name == "測試按"  # the contact, on the split-off record, was out of the notice's reach
    reverse_split(split=split, actor=steward)
    assert not SourceRecord.objects.filter(record_key="SC-Q1").exists()  # sealed as it came back
    created.refresh_from_db()
    assert (created.name, created.birth_date, created.address) == ("", None, "")
    assert not identity_register(world.u.steward).filter(pk=created.pk).exists()
    assert created.public_id not in json.dumps(collect(youth).sheets[0].rows, default=str)


def test_a_split_off_record_emptied_by_a_notice_is_answered_as_never_issued(world_linked, tmp_path):
    """Review 7b, F2: the split-off record kept only the fairness attributes the split copied onto it, and the
    subject-access lookup answered it with a file."""
    from casework.access.audit import Actor as A
    from integrations.linkage.identity import merge_youth, split_youth
    from privacy.subject_access import find_youth
    from tests.integrations.sealing_world import ROSTER

    world = world_linked
    deliver(tmp_path, "school.students", [ROSTER])
    deliver(tmp_path, "police.contacts", [Q1])
    youth = _youth_of("J01/S-P")
    steward = A(user=world.u.steward)
    merge_youth(kept=youth, absorbed=_youth_of("SC-Q1"), reason="t", origin="manual", actor=steward)
    split = split_youth(
        youth=youth, records=[("police.contacts", "SC-Q1")], reason="t", origin="manual", actor=steward
    )
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    created = split.created
    assert find_youth(created.public_id) == [] and youth_by_public_id(created.public_id) is None
    # The refused side: the source youth, which keeps its roster record, is answered.
    assert find_youth(youth.public_id) == [youth]


# ---------------------------------------------------------------------------------------------------------
# Insider review 15, F4: an earlier version of a record that named another child
# ---------------------------------------------------------------------------------------------------------


def _source_rows(youth) -> list[dict]:
    sheet = next(s for s in collect(youth).sheets if s.key == "source_records")
    return [dict(row) for row in sheet.rows]


def test_an_earlier_version_that_named_another_child_is_not_handed_out(world_linked, tmp_path):
    """The police re-used a contact number: version 1 was another child's (another valid ID), version 2 is
    Q's. Q's file holds version 2 only."""
    from integrations.feeds.contract import make_national_id

    other = {
        **Q1,
        "name": "路人戊",
        "birth_date": "2012-01-06",
        "national_id": make_national_id("C", 2, "2468013"),
    }
    deliver(tmp_path, "police.contacts", [other])
    deliver(tmp_path, "police.contacts", [Q1])
    youth = _youth_of("SC-Q1")
    text = json.dumps(_source_rows(youth), ensure_ascii=False, default=str)
    assert "路人戊" not in text and other["national_id"] not in text
    assert SourceRecord.objects.filter(record_key="SC-Q1").count() == 2


def test_an_earlier_version_with_a_typo_in_the_name_is_the_same_childs(world_linked, tmp_path):
    """The refused side: a name corrected under the same ID and birth date is the child's own record."""
    deliver(tmp_path, "police.contacts", [{**Q1, "name": Q1["name"][:-1] + "誤"}])
    deliver(tmp_path, "police.contacts", [Q1])
    youth = _youth_of("SC-Q1")
    versions = [row for row in _source_rows(youth) if row.get("record_key") == "SC-Q1"]
    assert len(versions) == 2
