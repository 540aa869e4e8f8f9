"""Fast tests of the independent identity generator (bench/identities.py)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import sys
from dataclasses import fields
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "identities.py"
_spec = importlib.util.spec_from_file_location("bench_identities", _PATH)
identities = importlib.util.module_from_spec(_spec)
sys.modules["bench_identities"] = identities
_spec.loader.exec_module(identities)

N = 400

# knob -> the error type it controls
KNOB_ERRORS = {
    "homophone": "homophone",
    "near_homophone": "near_homophone",
    "shape": "shape",
    "transpose_given": "transpose_given",
    "simplified": "simplified",
    "variant_char": "variant_char",
    "name_space": "name_space",
    "romanised_only": "romanised_only",
    "dot_variant": "dot_variant",
    "indigenous_han_name": "indigenous_han_name",
    "roc_off_by_one": "roc_off_by_one",
    "roc_as_ad": "roc_as_ad",
    "dob_day_off": "dob_day_off",
    "dob_swap_dm": "dob_swap_dm",
    "nid_digit": "nid_digit",
    "nid_transpose": "nid_transpose",
    "fullwidth_nid": "fullwidth_nid",
    "fullwidth_date": "fullwidth_date",
    "moved": "moved",
    "sex_missing": "sex_missing",
}
NID_MISSING_KNOBS = [f.name for f in fields(identities.ErrorModel) if f.name.startswith("nid_missing_")]


def _gen(tmp_path: Path, model=None, seed: int = 7, people: int = N) -> tuple[Path, dict]:
    out = tmp_path / "data"
    return out, identities.generate(out, people=people, seed=seed, model=model)


def _truth(out: Path) -> list[dict]:
    with (out / "truth.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _rows(out: Path, feed: str, encoding: str) -> list[dict]:
    text = (out / f"{feed}.csv").read_bytes().decode(encoding)
    return list(csv.DictReader(io.StringIO(text)))


def _key(feed: str, row: dict) -> str:
    if feed == "school.students":
        return f"{row['school_code']}/{row['student_no']}"
    return row["contact_no" if feed == "police.contacts" else "report_no"]


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    return _gen(tmp_path_factory.mktemp("default"), people=1500)


def test_checksum_reference_values():
    assert identities.nid_checksum_ok("A123456789")
    assert not identities.nid_checksum_ok("A123456788")
    assert not identities.nid_checksum_ok("A323456789")  # second character must be 1 or 2
    assert not identities.nid_checksum_ok("a123456789")


def test_every_person_has_a_unique_checksum_valid_id_of_the_right_sex(default_run):
    out, _ = default_run
    with (out / "persons.csv").open(encoding="utf-8") as fh:
        people = list(csv.DictReader(fh))
    ids = [p["national_id"] for p in people]
    assert len(set(ids)) == len(ids) == 1500
    for p in people:
        assert identities.nid_checksum_ok(p["national_id"]), p
        assert p["national_id"][1] == ("1" if p["sex"] == "M" else "2")


def test_truth_covers_every_row_once(default_run):
    out, manifest = default_run
    truth = _truth(out)
    keys = {(t["feed"], t["record_key"]) for t in truth}
    assert len(keys) == len(truth)
    seen = set()
    for feed in identities.FEEDS:
        for row in _rows(out, feed, manifest["encodings"][feed]):
            seen.add((feed, _key(feed, row)))
    assert seen == keys
    per_person: dict[str, int] = {}
    for t in truth:
        per_person[t["person_id"]] = per_person.get(t["person_id"], 0) + 1
    assert set(per_person.values()) <= {1, 2, 3, 4}


def test_files_decode_in_their_declared_encodings(default_run):
    out, manifest = default_run
    assert manifest["encodings"] == identities.DEFAULT_ENCODINGS
    school = (out / "school.students.csv").read_bytes()
    assert school.startswith(b"\xef\xbb\xbf")
    school.decode("utf-8-sig")
    police = (out / "police.contacts.csv").read_bytes()
    police.decode("cp950")
    with pytest.raises(UnicodeDecodeError):
        police.decode("utf-8")
    welfare = (out / "welfare.reports.csv").read_bytes()
    assert not welfare.startswith(b"\xef\xbb\xbf")
    welfare.decode("utf-8")


def test_cp950_share_knob(tmp_path):
    m = identities.ErrorModel()
    m.cp950_share = 1.0
    _, manifest = _gen(tmp_path, m, people=60)
    assert set(manifest["encodings"].values()) == {"cp950"}
    m.cp950_share = 0.0
    _, manifest = _gen(tmp_path / "b", m, people=60)
    assert "cp950" not in manifest["encodings"].values()


def test_dates_use_the_contract_forms(default_run):
    import re

    out, manifest = default_run
    forms = set()
    for feed in identities.FEEDS:
        for row in _rows(out, feed, manifest["encodings"][feed]):
            d = row["birth_date"]
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", d):
                forms.add("iso")
            elif re.fullmatch(r"\d{3}/\d{2}/\d{2}", d):
                forms.add("roc_slash3")
            elif re.fullmatch(r"\d{2,3}/\d{2}/\d{2}", d):
                forms.add("roc_slash")
            elif re.fullmatch(r"\d{7}", d):
                forms.add("roc_compact")
            elif re.fullmatch(r"\d{2,3}\.\d{2}\.\d{2}", d):
                forms.add("roc_dot")
            else:
                assert any(ord(c) > 0xFF00 for c in d), d  # only a full-width date is outside the forms
    assert forms == {"iso", "roc_slash3", "roc_slash", "roc_compact", "roc_dot"}


def test_clean_rows_carry_the_true_identity(default_run):
    out, manifest = default_run
    with (out / "persons.csv").open(encoding="utf-8") as fh:
        people = {p["person_id"]: p for p in csv.DictReader(fh)}
    truth = {(t["feed"], t["record_key"]): t for t in _truth(out)}
    checked = 0
    for feed in identities.FEEDS:
        for row in _rows(out, feed, manifest["encodings"][feed]):
            t = truth[(feed, _key(feed, row))]
            p = people[t["person_id"]]
            errors = set(filter(None, t["error_types"].split(";")))
            if "nid_missing" in errors:
                assert row["national_id"] == ""
            if "romanised_only" in errors:
                assert row["name"] == "" and row["name_romanized"]
            if errors:
                continue
            checked += 1
            assert row["name"] == p["name"]
            assert row["national_id"] == p["national_id"]
            parsed = _parse(row["birth_date"])
            assert parsed == p["birth_date"], (row, p)
    assert checked > 1000


def _parse(s: str) -> str:
    import re
    from datetime import date

    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s)
    if m:
        return s
    m = re.fullmatch(r"(\d{2,3})[/.](\d{2})[/.](\d{2})", s) or re.fullmatch(r"(\d{3})(\d{2})(\d{2})", s)
    y, mo, d = int(m.group(1)) + 1911, int(m.group(2)), int(m.group(3))
    return date(y, mo, d).isoformat()


def test_every_error_type_occurs_at_default_rates(default_run):
    _, manifest = default_run
    counts = manifest["error_counts"]
    for err in [*KNOB_ERRORS.values(), "nid_missing"]:
        if err in (
            "roc_as_ad",
            "dot_variant",
            "indigenous_han_name",
            "variant_char",
            "fullwidth_date",
            "dob_swap_dm",
        ):
            continue  # rare at these rates with 1,500 people
        assert counts.get(err, 0) > 0, err


@pytest.mark.parametrize("knob", sorted(KNOB_ERRORS))
def test_a_knob_at_zero_produces_no_error_of_its_type(tmp_path, knob):
    m = identities.ErrorModel()
    setattr(m, knob, 0.0)
    out, manifest = _gen(tmp_path, m)
    assert KNOB_ERRORS[knob] not in manifest["error_counts"]
    assert all(KNOB_ERRORS[knob] not in t["error_types"].split(";") for t in _truth(out))


def test_nid_missing_knobs_at_zero(tmp_path):
    m = identities.ErrorModel()
    for k in NID_MISSING_KNOBS:
        setattr(m, k, 0.0)
    _, manifest = _gen(tmp_path, m)
    assert "nid_missing" not in manifest["error_counts"]


def test_all_knobs_at_zero_give_clean_utf8_data(tmp_path):
    m = identities.ErrorModel.zero()
    m.cp950_share = 0.0
    out, manifest = _gen(tmp_path, m)
    assert manifest["error_counts"] == {}
    assert all(t["error_types"] == "" for t in _truth(out))


def test_high_rates_produce_their_errors(tmp_path):
    m = identities.ErrorModel()
    for knob in ("homophone", "near_homophone", "shape", "roc_off_by_one", "nid_digit", "nid_transpose"):
        setattr(m, knob, 0.5)
    _, manifest = _gen(tmp_path, m, people=200)
    for knob in ("homophone", "near_homophone", "shape", "roc_off_by_one", "nid_digit", "nid_transpose"):
        assert manifest["error_counts"].get(knob, 0) > 20, knob


def test_same_seed_same_files(tmp_path):
    a, _ = _gen(tmp_path / "a", people=150, seed=3)
    b, _ = _gen(tmp_path / "b", people=150, seed=3)
    for name in (
        "school.students.csv",
        "police.contacts.csv",
        "welfare.reports.csv",
        "truth.csv",
        "persons.csv",
    ):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    m1 = json.loads((a / "manifest.json").read_text(encoding="utf-8"))
    assert m1["seed"] == 3


def test_twins_share_surname_birth_date_district_and_one_given_char(default_run):
    out, _ = default_run
    with (out / "persons.csv").open(encoding="utf-8") as fh:
        people = {p["person_id"]: p for p in csv.DictReader(fh)}
    twins = [(p, people[p["twin_of"]]) for p in people.values() if p["twin_of"]]
    assert twins
    for a, b in twins:
        assert (
            a["surname"] == b["surname"]
            and a["birth_date"] == b["birth_date"]
            and a["district"] == b["district"]
        )
        if not a["traditional_name"]:
            assert a["given"] != b["given"]
            assert len(set(a["given"]) & set(b["given"])) >= 1
        assert a["national_id"] != b["national_id"]
    namesakes = [(p, people[p["namesake_of"]]) for p in people.values() if p["namesake_of"]]
    assert namesakes
    for a, b in namesakes:
        assert a["name"] == b["name"] and a["national_id"] != b["national_id"]


@pytest.mark.parametrize(
    ("hanyu", "wg"),
    [("zhang", "chang"), ("xu", "hsu"), ("cai", "tsai"), ("guo", "kuo"), ("zhi", "chih"), ("xie", "hsieh"),
     ("qiong", "chiung"), ("jue", "chueh"), ("zi", "tzu"), ("si", "ssu"), ("ri", "jih"), ("luo", "lo"),
     ("zhuo", "cho"), ("gui", "kuei"), ("lian", "lien"), ("ye", "yeh"), ("zeng", "tseng"), ("hong", "hung")],
)  # fmt: skip
def test_wade_giles(hanyu, wg):
    assert identities.wade_giles(hanyu) == wg


def test_error_generators_give_plausible_neighbours():
    import random

    rng = random.Random(1)
    _, _, reading = identities.syllable_index()
    for ch in "廷涵恩品翰晴":
        h = identities.homophone_of(rng, ch)
        assert h and h != ch
        assert h in identities.HOMOPHONE_EXTRA.get(ch, "") or reading[h][0] == reading[ch][0]
    assert identities.shape_of(rng, "己") in ("已", "巳")
    assert "zi" in identities.near_syllables("zhi") and "ling" in identities.near_syllables("lin")
    assert "hui" in identities.near_syllables("fei")
    assert identities.simplified("張彥劉陳") == "张彦刘陈"
