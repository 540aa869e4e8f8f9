"""The linkage key table (``integrations/linkage/keys.py``): the imports keep it equal to what linkage would
derive from the records, a record replaced or sealed takes its keys with it, and an incremental run reads the
new records' neighbourhood from it, with the whole population's term frequencies, and links as before."""

from __future__ import annotations

import pandas as pd
import pytest
from django.core.management import call_command

from integrations.linkage import engine, features, keys, service
from integrations.models import LinkageKey, LinkageRun, RecordLink, SourceRecord
from tests.integrations.test_linkage import (  # noqa: F401 (fixtures)
    PERSON_ROW,
    city,
    city_frame,
    linked,
    trained_settings,
)


def _police(tmp_path, line: str, *options: str) -> None:
    """Import one police contact (a CSV line after the header) through ``import_feed``."""
    path = tmp_path / "police.csv"
    path.write_text(PERSON_ROW + line + "\n", encoding="utf-8")
    call_command("import_feed", "police.contacts", str(path), *options, verbosity=0)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("unique_id").reset_index(drop=True)


def test_the_key_table_holds_what_linkage_derives_from_every_current_unsealed_record(linked):  # noqa: F811
    table, derived = _sorted(keys.everyone()), _sorted(features.frame())
    assert len(table) == len(derived) > 300
    pd.testing.assert_frame_equal(table, derived, check_dtype=False)


def test_a_resent_changed_record_replaces_its_keys(linked, tmp_path):  # noqa: F811
    record = SourceRecord.objects.filter(
        feed="police.contacts", is_current=True, sealed_at__isnull=True
    ).first()
    v = record.values
    _police(
        tmp_path,
        f"{record.record_key},{v['occurred_on']},{v['recorded_on']},{v['kind']},{v['code']},"
        f"{v.get('unit') or ''},{v.get('national_id') or ''},測試改名,,{v['birth_date']},{v.get('sex') or ''}",
        "--no-link",
    )
    current = SourceRecord.objects.get(feed="police.contacts", record_key=record.record_key, is_current=True)
    assert current.pk != record.pk
    assert not LinkageKey.objects.filter(source_record_id=record.pk).exists()
    assert LinkageKey.objects.get(source_record_id=current.pk).name_trad == "測試改名"
    assert LinkageKey.objects.filter(feed="police.contacts", record_key=record.record_key).count() == 1


def test_a_sealed_contact_leaves_no_keys(linked, tmp_path):  # noqa: F811
    record = SourceRecord.objects.filter(
        feed="police.contacts", is_current=True, sealed_at__isnull=True
    ).first()
    assert LinkageKey.objects.filter(feed="police.contacts", record_key=record.record_key).exists()
    path = tmp_path / "court.csv"
    path.write_text(
        f"notice_no,court_case_no,effective_on,contact_nos,name,birth_date\nSN-K1,113少調9,2025-01-01,"
        f"{record.record_key},{record.values['name']},{record.values['birth_date']}\n",
        encoding="utf-8",
    )
    call_command("import_feed", "court.sealing", str(path), verbosity=0)
    assert not SourceRecord.objects.filter(feed="police.contacts", record_key=record.record_key).exists()
    assert not LinkageKey.objects.filter(feed="police.contacts", record_key=record.record_key).exists()


def test_a_table_behind_its_records_is_brought_in_line_before_linking(linked):  # noqa: F811
    total = LinkageKey.objects.count()
    LinkageKey.objects.filter(feed="welfare.reports").delete()
    missing = total - LinkageKey.objects.count()
    assert missing > 0
    assert keys.sync() == {"added": missing, "removed": 0}
    assert keys.sync() == {"added": 0, "removed": 0}
    pd.testing.assert_frame_equal(_sorted(keys.everyone()), _sorted(features.frame()), check_dtype=False)


def test_an_incremental_run_reads_the_new_records_neighbourhood_not_the_city(linked, tmp_path):  # noqa: F811
    roster = SourceRecord.objects.filter(feed="school.students", is_current=True, national_id_status="valid")
    record = next(r for r in roster if len(r.values["name"]) == 3)
    youth = RecordLink.objects.get(feed="school.students", record_key=record.record_key).youth_id
    v = record.values
    _police(
        tmp_path,
        f"TEST0000101,2025-01-05,2025-01-06,deviant,runaway,測試分局,,{v['name']},,{v['birth_date']},{v['sex']}",
    )
    assert RecordLink.objects.get(feed="police.contacts", record_key="TEST0000101").youth_id == youth
    run = LinkageRun.objects.filter(mode=LinkageRun.Mode.INCREMENTAL).latest("pk")
    assert run.figures["new_or_changed"] == 1
    # The youth's own records and those of anyone sharing a blocking key, not the city's 400-odd records.
    read = run.figures["records"]
    assert RecordLink.objects.filter(youth_id=youth).count() <= read < LinkageKey.objects.count() / 4


def test_term_frequencies_are_the_whole_populations(linked):  # noqa: F811
    everyone = keys.everyone()
    some = everyone.head(40)
    expected = engine.term_frequencies(everyone)
    found = keys.term_frequencies(some, engine.TF_COLUMNS)
    for column in engine.TF_COLUMNS:
        wanted = set(some[column].dropna())
        assert set(found[column][column]) == wanted, column
        mine = dict(zip(found[column][column], found[column][f"tf_{column}"], strict=True))
        theirs = dict(zip(expected[column][column], expected[column][f"tf_{column}"], strict=True))
        for value in wanted:
            assert mine[value] == pytest.approx(theirs[value]), (column, value)


def test_an_incremental_run_with_nothing_new_reads_nothing(linked):  # noqa: F811
    assert service.link_incremental() == {"records": 0, "new_or_changed": 0}
