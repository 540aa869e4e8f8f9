"""A youth record's versions include what linkage wrote in bulk: a youth created by linkage, its golden
identity changed by a later record, and a steward's merge and its reversal each leave a version, with who or
which job did it. Sealing erases them with the record they came from (``erase_history_of``)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from casework.models import Youth
from integrations.linkage.identity import merge_youth, reverse_merge
from integrations.models import RecordLink
from tests.fixtures import actor

pytestmark = pytest.mark.django_db

HEADER = "contact_no,occurred_on,recorded_on,kind,code,unit,national_id,name,name_romanized,birth_date,sex\n"


def _contacts(tmp_path, name: str, *rows: str) -> None:
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    call_command("import_feed", "police.contacts", str(path), verbosity=0)
    call_command("link_records", verbosity=0)


def _youth_of(key: str) -> Youth:
    return RecordLink.objects.select_related("youth").get(feed="police.contacts", record_key=key).youth


def test_a_youth_created_by_linkage_has_its_first_version(world, tmp_path):
    _contacts(
        tmp_path, "a.csv", "V0000001,2025-01-05,2025-01-06,deviant,runaway,測試分局,,版本甲乙,,2011-02-03,F\n"
    )
    youth = _youth_of("V0000001")
    versions = list(youth.history.order_by("history_date"))
    assert [v.history_type for v in versions] == ["+"]
    assert versions[0].name == "版本甲乙" and versions[0].history_user is None
    assert versions[0].history_change_reason  # the job that wrote it, never blank


def test_a_golden_change_made_by_linkage_is_a_version_with_the_old_value_kept(world, tmp_path):
    _contacts(
        tmp_path,
        "a.csv",
        "V0000002,2025-01-05,2025-01-06,deviant,runaway,測試分局,A123456789,版本丙丁,,2011-02-03,\n",
    )
    youth = _youth_of("V0000002")
    assert youth.sex == ""
    # A later contact of the same person (same valid national ID) says the sex: the golden record changes.
    _contacts(
        tmp_path,
        "b.csv",
        "V0000003,2025-02-05,2025-02-06,deviant,runaway,測試分局,A123456789,版本丙丁,,2011-02-03,M\n",
    )
    youth.refresh_from_db()
    assert _youth_of("V0000003") == youth and youth.sex == "M"
    versions = list(youth.history.order_by("history_date", "history_id"))
    assert [v.history_type for v in versions] == ["+", "~"]
    assert [v.sex for v in versions] == ["", "M"]


def test_a_stewards_merge_and_its_reversal_are_versions_that_name_the_steward(world, tmp_path):
    _contacts(
        tmp_path,
        "a.csv",
        "V0000004,2025-01-05,2025-01-06,deviant,runaway,測試分局,,版本戊己,,2011-02-03,F\n",
        "V0000005,2025-01-05,2025-01-06,deviant,runaway,測試分局,,版本庚辛,,2012-05-06,M\n",
    )
    kept, absorbed = _youth_of("V0000004"), _youth_of("V0000005")
    assert kept != absorbed
    steward = actor(world.u.steward)
    merge = merge_youth(kept=kept, absorbed=absorbed, reason="same person", origin="manual", actor=steward)
    reverse_merge(merge=merge, actor=steward)
    versions = list(absorbed.history.order_by("history_date", "history_id"))
    assert [(v.history_type, v.merged_into_id) for v in versions] == [
        ("+", None),
        ("~", kept.pk),
        ("~", None),
    ]
    assert versions[1].history_user == world.u.steward and versions[2].history_user == world.u.steward


def test_sealing_erases_the_versions_of_a_record_merged_into_the_person(world, tmp_path):
    """A youth created by linkage from a police contact, then merged away, kept versions holding the name only
    that contact gave; sealing the contact erases them (docs/sealing.md: nothing outlives a sealed record)."""
    _contacts(
        tmp_path,
        "a.csv",
        "V0000006,2025-01-05,2025-01-06,deviant,runaway,測試分局,,版本壬癸,,2011-02-03,F\n",
        "V0000007,2025-01-05,2025-01-06,deviant,runaway,測試分局,,版本子丑,,2012-05-06,M\n",
    )
    kept, absorbed = _youth_of("V0000007"), _youth_of("V0000006")
    merge_youth(
        kept=kept, absorbed=absorbed, reason="same person", origin="manual", actor=actor(world.u.steward)
    )
    assert absorbed.history.filter(name="版本壬癸").exists()  # before the notice: the versions are kept
    path = tmp_path / "notice.csv"
    path.write_text(
        "notice_no,court_case_no,effective_on,contact_nos,national_id,name,name_romanized,birth_date,sex\n"
        "VN1,,2026-12-01,V0000006,,版本壬癸,,2011-02-03,F\n",
        encoding="utf-8",
    )
    call_command("import_feed", "court.sealing", str(path), verbosity=0)
    assert not absorbed.history.filter(name="版本壬癸").exists()
