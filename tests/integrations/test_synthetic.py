"""The synthetic city: feeds written to the contract, honest ground truth, realistic dirt.

Plain functions, no database: ``pytest tests/integrations/test_synthetic.py -p no:django``.
"""

from __future__ import annotations

import collections
import csv
import datetime
import io
import re
from pathlib import Path

import numpy as np
import pytest

from integrations.synthetic import DirtRates, checksum_ok, generate_city
from integrations.synthetic.__main__ import main as cli_main
from integrations.synthetic.dates import school_days
from integrations.synthetic.national_id import make_ids, mistype

# The contract (FEEDS.md): every column each feed must carry.
IDENTITY = {"national_id", "name", "name_romanized", "birth_date", "sex", "district", "address"}
CONTRACT = {
    "school.students": {"student_no", "school_code", "grade", "enrolled_on", "left_on", "indigenous",
                        "new_immigrant_parent"} | IDENTITY,
    "school.absences": {"absence_no", "student_no", "school_code", "date", "kind"},
    "school.dropouts": {"report_no", "student_no", "school_code", "reported_on", "reason_code", "returned_on"},
    "school.incidents": {"incident_no", "student_no", "school_code", "occurred_on", "reported_on", "category",
                         "severity"},
    "school.counselling": {"counselling_no", "student_no", "school_code", "tier", "started_on", "ended_on"},
    "police.contacts": {"contact_no", "occurred_on", "recorded_on", "kind", "code", "unit"} | IDENTITY,
    "welfare.reports": {"report_no", "reported_on", "kind", "reason_codes", "level", "substantiated",
                        "closed_on"} | IDENTITY,
    "welfare.assistance": {"assistance_no", "status", "valid_from", "valid_to"} | IDENTITY,
    "court.sealing": {"notice_no", "court_case_no", "effective_on", "contact_nos"} | IDENTITY,
}  # fmt: skip
KEYS = {
    "school.students": ("school_code", "student_no"),
    "school.absences": ("absence_no",),
    "school.dropouts": ("report_no",),
    "school.incidents": ("incident_no",),
    "school.counselling": ("counselling_no",),
    "police.contacts": ("contact_no",),
    "welfare.reports": ("report_no",),
    "welfare.assistance": ("assistance_no",),
    "court.sealing": ("notice_no",),
}
PERSON_FEEDS = (
    "school.students",
    "police.contacts",
    "welfare.reports",
    "welfare.assistance",
    "court.sealing",
)
DATE_COLUMNS = {"enrolled_on", "left_on", "birth_date", "date", "reported_on", "returned_on", "occurred_on",
                "started_on", "ended_on", "recorded_on", "closed_on", "valid_from", "valid_to", "effective_on"}  # fmt: skip
BOOL_COLUMNS = {"indigenous", "new_immigrant_parent", "substantiated"}
BOOLS = {"Y", "N", "1", "0", "是", "否", "true", "false"}
SEXES = {"M", "F", "男", "女", "1", "2"}
DATE_RES = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), 0),
    (re.compile(r"(\d{3})/(\d{2})/(\d{2})"), 1911),
    (re.compile(r"(\d{2})/(\d{2})/(\d{2})"), 1911),
    (re.compile(r"(\d{3})(\d{2})(\d{2})"), 1911),
    (re.compile(r"(\d{2,3})\.(\d{2})\.(\d{2})"), 1911),
)


def parse_contract_date(text: str) -> datetime.date | None:
    """Parse a date spelled as FEEDS.md allows; ``ValueError`` otherwise."""
    if text == "":
        return None
    for pattern, offset in DATE_RES:
        if m := pattern.fullmatch(text):
            y, mo, d = (int(x) for x in m.groups())
            return datetime.date(y + offset, mo, d)
    raise ValueError(f"not a contract date: {text!r}")


def read_feed(path: Path) -> tuple[str, list[str], list[dict[str, str]]]:
    """(encoding, header, rows) of a feed file, detecting UTF-8 (BOM or not) and CP950."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp950"
    reader = csv.DictReader(io.StringIO(data.decode(encoding), newline=""))
    rows = list(reader)
    return encoding, list(reader.fieldnames or []), rows


def read_truth(city: Path, name: str) -> list[dict[str, str]]:
    with open(city / "truth" / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def key_of(feed: str, row: dict[str, str]) -> str:
    return "/".join(row[c] for c in KEYS[feed])


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A city of 2,000 youth over three years with the default dirt."""
    out = tmp_path_factory.mktemp("city")
    generate_city(youth=2000, years=3, seed=11, out=out)
    return out


@pytest.fixture(scope="module")
def clean_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small city without any identity errors or broken rows."""
    out = tmp_path_factory.mktemp("clean")
    generate_city(youth=1500, years=2, seed=5, out=out, dirt=DirtRates.clean())
    return out


@pytest.fixture(scope="module")
def feeds(city: Path) -> dict[str, list[dict[str, str]]]:
    return {feed: read_feed(city / f"{feed}.csv")[2] for feed in CONTRACT}


@pytest.fixture(scope="module")
def broken_keys(city: Path) -> set[tuple[str, str]]:
    return {(r["feed"], r["record_key"]) for r in read_truth(city, "broken_rows.csv")}


# --- reproducibility ---------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_city(youth=400, years=2, seed=3, out=a)
    generate_city(youth=400, years=2, seed=3, out=b)
    generate_city(youth=400, years=2, seed=4, out=c)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert len(files) >= 9 + 10
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert (a / "police.contacts.csv").read_bytes() != (c / "police.contacts.csv").read_bytes()


def test_a_tiny_city_still_writes_every_file(tmp_path: Path) -> None:
    report = generate_city(youth=2, years=1, seed=1, out=tmp_path, start=datetime.date(2022, 3, 15))
    assert set(report.rows) == set(CONTRACT)
    for feed in CONTRACT:
        assert CONTRACT[feed] <= set(read_feed(tmp_path / f"{feed}.csv")[1])
    assert len(read_truth(tmp_path, "persons.csv")) == 2
    assert all(r["month"] >= "2022-03" for r in read_truth(tmp_path, "monthly_risk.csv"))


def test_command_line_writes_a_city(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["--youth", "150", "--years", "1", "--seed", "2", "--out", str(tmp_path)]) == 0
    assert "school.students.csv" in capsys.readouterr().out
    assert (tmp_path / "truth" / "monthly_risk.csv").exists()


# --- the feed contract ---------------------------------------------------------------------------------


def test_every_feed_file_is_present_with_the_contract_columns(city: Path) -> None:
    for feed, required in CONTRACT.items():
        _encoding, header, rows = read_feed(city / f"{feed}.csv")
        assert required <= set(header), (feed, required - set(header))
        assert len(header) == len(set(header))
        assert rows, f"{feed} is empty"


def test_record_keys_are_unique_within_each_feed(feeds: dict[str, list[dict[str, str]]]) -> None:
    for feed, rows in feeds.items():
        keys = [key_of(feed, r) for r in rows]
        assert all(keys), feed
        assert len(keys) == len(set(keys)), feed


def test_cells_use_only_contract_spellings_except_deliberately_broken_rows(
    feeds: dict[str, list[dict[str, str]]], broken_keys: set[tuple[str, str]]
) -> None:
    bad: set[tuple[str, str]] = set()
    for feed, rows in feeds.items():
        for r in rows:
            key = (feed, key_of(feed, r))
            try:
                for col, value in r.items():
                    if col in DATE_COLUMNS:
                        parse_contract_date(value)
                    elif (col in BOOL_COLUMNS and value not in BOOLS | {""}) or (
                        col == "sex" and value not in SEXES | {""}
                    ):
                        raise ValueError(value)
                if feed in PERSON_FEEDS and (not r["birth_date"] or not (r["name"] or r["name_romanized"])):
                    raise ValueError("identity incomplete")
            except ValueError:
                bad.add(key)
    assert bad == broken_keys
    total = sum(len(rows) for rows in feeds.values())
    assert 0.0005 < len(broken_keys) / total < 0.005


def test_default_city_imports_under_the_contract_module_except_broken_rows(
    city: Path, broken_keys: set[tuple[str, str]]
) -> None:
    contract = pytest.importorskip("integrations.feeds.contract")
    quarantined = set()
    for feed in CONTRACT:
        _enc, _header, rows = contract.read_rows((city / f"{feed}.csv").read_bytes())
        for _n, cells in rows:
            parsed = contract.validate_row(feed, cells)
            if parsed.errors:
                quarantined.add((feed, parsed.key))
    assert quarantined == broken_keys


def test_enumerations_and_ranges(feeds: dict[str, list[dict[str, str]]]) -> None:
    assert {r["kind"] for r in feeds["school.absences"]} == {"excused", "unexcused"}
    assert {int(r["grade"]) for r in feeds["school.students"]} <= set(range(7, 13))
    assert {r["severity"] for r in feeds["school.incidents"]} <= {"urgent", "legal", "general"}
    assert {r["tier"] for r in feeds["school.counselling"]} <= {"1", "2", "3"}
    assert {r["kind"] for r in feeds["police.contacts"]} == {"offence", "exposure", "deviant", "missing"}
    assert {r["kind"] for r in feeds["welfare.reports"]} == {"child_protection", "fragile_family"}
    assert {r["level"] for r in feeds["welfare.reports"]} <= {"high", "medium", "low"}
    assert {r["status"] for r in feeds["welfare.assistance"]} <= {"low_income", "mid_low_income"}
    codes = collections.Counter(r["code"] for r in feeds["police.contacts"] if r["kind"] == "offence")
    assert codes.most_common(1)[0][0] == "fraud_mule"
    deviant = collections.Counter(r["code"] for r in feeds["police.contacts"] if r["kind"] == "deviant")
    assert deviant.most_common(1)[0][0] == "late_night_loitering"


def test_knowledge_dates_never_precede_event_dates(clean_city: Path) -> None:
    pairs = {
        "school.incidents": ("occurred_on", "reported_on"),
        "police.contacts": ("occurred_on", "recorded_on"),
        "school.dropouts": ("reported_on", "returned_on"),
        "school.counselling": ("started_on", "ended_on"),
        "welfare.reports": ("reported_on", "closed_on"),
        "welfare.assistance": ("valid_from", "valid_to"),
        "school.students": ("enrolled_on", "left_on"),
    }
    for feed, (early, late) in pairs.items():
        for r in read_feed(clean_city / f"{feed}.csv")[2]:
            if r[late]:
                assert parse_contract_date(r[early]) <= parse_contract_date(r[late]), (feed, r)


def test_sealing_notices_refer_to_police_contacts(feeds: dict[str, list[dict[str, str]]]) -> None:
    contacts = {r["contact_no"] for r in feeds["police.contacts"]}
    refs = [n for r in feeds["court.sealing"] for n in r["contact_nos"].split(";") if n]
    assert refs
    assert set(refs) <= contacts


def test_a_dropout_is_exactly_three_or_more_consecutive_unexcused_school_days(clean_city: Path) -> None:
    days = school_days(datetime.date(2018, 1, 1), datetime.date(2026, 1, 1))
    index = {datetime.date.fromordinal(int(d) + 719163): k for k, d in enumerate(days)}
    absent: dict[tuple[str, str], set[int]] = collections.defaultdict(set)
    for r in read_feed(clean_city / "school.absences.csv")[2]:
        if r["kind"] == "unexcused":
            absent[(r["school_code"], r["student_no"])].add(index[parse_contract_date(r["date"])])
    runs = []  # (student, first day index, last day index) of runs of 3+ school days
    for student, idx in absent.items():
        ordered = sorted(idx)
        first = prev = ordered[0]
        for k in [*ordered[1:], None]:
            if k is not None and k == prev + 1:
                prev = k
                continue
            if prev - first >= 2:
                runs.append((student, first, prev))
            if k is not None:
                first = prev = k
    reports = collections.defaultdict(list)
    for r in read_feed(clean_city / "school.dropouts.csv")[2]:
        reports[(r["school_code"], r["student_no"])].append(index[parse_contract_date(r["reported_on"])])
    # Reported on the third missed day or within two school days after it; nothing else forms a run.
    explained = [run for run in runs if any(run[1] + 2 <= rep <= run[1] + 4 for rep in reports[run[0]])]
    assert runs and explained == runs
    assert len(runs) == sum(len(v) for v in reports.values())


# --- ground truth ----------------------------------------------------------------------------------------


def test_truth_names_the_person_behind_every_person_naming_row(
    city: Path, feeds: dict[str, list[dict[str, str]]]
) -> None:
    links = read_truth(city, "record_person.csv")
    persons = {r["person_id"] for r in read_truth(city, "persons.csv")}
    linked = {(r["feed"], r["record_key"]) for r in links}
    assert len(linked) == len(links)
    assert {r["person_id"] for r in links} <= persons
    expected = {(feed, key_of(feed, r)) for feed in PERSON_FEEDS for r in feeds[feed]}
    assert linked == expected
    roster = {(r["school_code"], r["student_no"]) for r in feeds["school.students"]}
    for feed in ("school.absences", "school.dropouts", "school.incidents", "school.counselling"):
        assert {(r["school_code"], r["student_no"]) for r in feeds[feed]} <= roster, feed


def test_truth_persons_have_valid_unique_national_ids_and_household_structure(city: Path) -> None:
    persons = read_truth(city, "persons.csv")
    assert len(persons) == 2000
    ids = [p["national_id"] for p in persons]
    assert len(set(ids)) == len(ids)
    assert all(checksum_ok(x) for x in ids)
    assert all(p["national_id"][1] == ("1" if p["sex"] == "M" else "2") for p in persons)
    assert 0.5 < np.mean([x[0] == "H" for x in ids]) < 0.9
    households = collections.Counter(p["household_id"] for p in persons)
    assert max(households.values()) >= 3
    siblings = [p for p in persons if households[p["household_id"]] > 1]
    by_household = collections.defaultdict(set)
    for p in siblings:
        by_household[p["household_id"]].add(p["address"])
    assert all(len(addresses) == 1 for addresses in by_household.values())


def test_population_looks_like_a_taoyuan_cohort(city: Path) -> None:
    persons = read_truth(city, "persons.csv")
    n = len(persons)
    surnames = collections.Counter(p["name"][0] for p in persons if "·" not in p["name"])
    assert surnames.most_common(1)[0][0] == "陳"
    assert 0.08 < surnames["陳"] / n < 0.14
    assert 0.05 < surnames["林"] / n < 0.11
    given = collections.Counter(p["name"][1:] for p in persons if len(p["name"]) == 3)
    assert given.most_common(1)[0][1] >= 5  # popular given names repeat
    assert 0.015 < np.mean([p["indigenous"] == "Y" for p in persons]) < 0.05
    assert 0.08 < np.mean([p["new_immigrant_parent"] == "Y" for p in persons]) < 0.15
    assert any("·" in p["name"] for p in persons if p["indigenous"] == "Y")
    by_district = collections.defaultdict(list)
    for p in persons:
        by_district[p["district"]].append(p["indigenous"] == "Y")
    assert len(by_district) == 13
    assert np.mean(by_district["復興區"]) > 0.3 > np.mean(by_district["中壢區"])
    # everyone is aged 12-17 at some time in the window 2021-08-01 .. 2024-07-31
    for p in persons:
        born = datetime.date.fromisoformat(p["birth_date"])
        assert born > datetime.date(2003, 8, 1) and born < datetime.date(2012, 8, 1)


def test_monthly_probabilities_are_probabilities(city: Path) -> None:
    rows = read_truth(city, "monthly_risk.csv")
    assert rows
    p = np.asarray([float(r["p_adverse_12m"]) for r in rows])
    path = np.asarray([float(r["p_adverse_12m_path"]) for r in rows])
    behaviour = np.asarray([float(r["p_behaviour_12m"]) for r in rows])
    hazard = np.asarray([float(r["hazard"]) for r in rows])
    for values in (p, path, behaviour):
        assert ((values >= 0) & (values <= 1)).all()
    assert (hazard >= 0).all()
    assert (behaviour >= p - 1e-6).all()  # unrecorded behaviour only adds
    assert {int(r["age"]) for r in rows} <= set(range(12, 18))
    assert {r["window_complete"] for r in rows} == {"Y", "N"}
    # The probabilities are about the adverse events actually drawn: calibrated on average.
    assert abs(p.mean() - path.mean()) < 0.2 * p.mean()


def test_higher_latent_risk_brings_more_adverse_outcomes(city: Path) -> None:
    persons = read_truth(city, "persons.csv")
    events = collections.Counter(e["person_id"] for e in read_truth(city, "adverse_events.csv"))
    propensity = np.asarray([float(p["propensity"]) for p in persons])
    count = np.asarray([events[p["person_id"]] for p in persons])
    low, high = np.quantile(propensity, [0.25, 0.75])
    assert count[propensity >= high].mean() > 2 * count[propensity <= low].mean()
    # and the truth probability ranks the realised outcomes far better than chance
    rows = [r for r in read_truth(city, "monthly_risk.csv") if r["window_complete"] == "Y"]
    months = collections.defaultdict(list)
    for e in read_truth(city, "adverse_events.csv"):
        months[e["person_id"]].append(e["month"])

    def month_no(text: str) -> int:
        return int(text[:4]) * 12 + int(text[5:7])

    label = np.asarray(
        [any(0 <= month_no(m) - month_no(r["month"]) < 12 for m in months[r["person_id"]]) for r in rows]
    )
    score = np.asarray([float(r["p_adverse_12m"]) for r in rows])
    top = score >= np.quantile(score, 0.9)
    assert label[top].mean() > 2.5 * label[~top].mean()


def test_district_police_multipliers_are_documented_and_bias_the_records(city: Path) -> None:
    districts = {r["district"]: r for r in read_truth(city, "districts.csv")}
    assert len(districts) == 13
    multipliers = {d: float(r["police_multiplier"]) for d, r in districts.items()}
    assert len(set(multipliers.values())) > 3
    behaviours = read_truth(city, "behaviours.csv")
    high = [b["recorded"] == "Y" for b in behaviours if multipliers[b["district"]] >= 1.2]
    low = [b["recorded"] == "Y" for b in behaviours if multipliers[b["district"]] <= 0.9]
    assert len(high) > 100 and len(low) > 50
    assert np.mean(high) > 1.2 * np.mean(low)


# --- dirt -----------------------------------------------------------------------------------------------


def test_dirt_rates_are_roughly_as_configured(city: Path, feeds: dict[str, list[dict[str, str]]]) -> None:
    loose = [r for f in ("police.contacts", "welfare.reports", "welfare.assistance") for r in feeds[f]]
    assert 0.10 < np.mean([r["national_id"] == "" for r in loose]) < 0.20
    identity_rows = sum(len(feeds[f]) for f in PERSON_FEEDS)
    kinds = collections.Counter(r["kind"] for r in read_truth(city, "dirt.csv"))
    expected = DirtRates()
    for kind, rate in (("mistyped_id", expected.mistyped_id), ("name_typo", expected.name_typo),
                       ("malformed_id", expected.malformed_id), ("romanised_only", expected.romanised_only)):  # fmt: skip
        assert 0.5 * rate < kinds[kind] / identity_rows < 1.6 * rate, kind
    utf8_rows = sum(len(feeds[f]) for f in ("school.students", "police.contacts", "court.sealing"))
    assert 0.5 * expected.simplified < kinds["simplified"] / utf8_rows < 1.6 * expected.simplified
    assert kinds["duplicate"] > 0
    assert kinds["swapped_day_month"] + kinds["roc_year_slip"] > 0
    # a mistyped ID mostly fails its checksum; a clean one always passes
    rows = read_truth(city, "dirt.csv")
    mistyped = [r["written"] for r in rows if r["kind"] == "mistyped_id"]
    assert np.mean([checksum_ok(x) for x in mistyped]) < 0.3
    romanised = [r for r in feeds["police.contacts"] if r["name"] == "" and r["name_romanized"]]
    assert all(re.fullmatch(r"[A-Za-z ,\-']+", r["name_romanized"]) for r in romanised)


def test_national_ids_of_rows_without_id_errors_pass_the_checksum(
    city: Path, feeds: dict[str, list[dict[str, str]]]
) -> None:
    id_errors = {
        (r["feed"], r["record_key"]) for r in read_truth(city, "dirt.csv") if r["column"] == "national_id"
    }
    truth_id = {r["person_id"]: r["national_id"] for r in read_truth(city, "persons.csv")}
    person_of = {(r["feed"], r["record_key"]): r["person_id"] for r in read_truth(city, "record_person.csv")}
    checked = 0
    for feed in PERSON_FEEDS:
        for r in feeds[feed]:
            key = (feed, key_of(feed, r))
            if key in id_errors:
                continue
            assert checksum_ok(r["national_id"]), key
            assert r["national_id"] == truth_id[person_of[key]]
            checked += 1
    assert checked > 2000


def test_clean_city_has_no_errors_at_all(clean_city: Path) -> None:
    assert read_truth(clean_city, "dirt.csv") == []
    assert read_truth(clean_city, "broken_rows.csv") == []
    truth_id = {r["person_id"]: r for r in read_truth(clean_city, "persons.csv")}
    person_of = {
        (r["feed"], r["record_key"]): r["person_id"] for r in read_truth(clean_city, "record_person.csv")
    }
    for feed in PERSON_FEEDS:
        for r in read_feed(clean_city / f"{feed}.csv")[2]:
            person = truth_id[person_of[(feed, key_of(feed, r))]]
            assert r["national_id"] == person["national_id"]
            assert r["name"] == person["name"]
            assert parse_contract_date(r["birth_date"]).isoformat() == person["birth_date"]


def test_cp950_files_really_are_cp950_and_the_others_utf8(city: Path) -> None:
    for feed in CONTRACT:
        data = (city / f"{feed}.csv").read_bytes()
        encoding = read_feed(city / f"{feed}.csv")[0]
        if feed.startswith("welfare."):
            assert encoding == "cp950"
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
            text = data.decode("cp950")
            assert "區" in text and "\r\n" in text
            assert any(re.fullmatch(r"\d{3}/\d{2}/\d{2}|\d{7}", cell) for cell in re.split(r"[,\r\n]", text))
        else:
            assert encoding in ("utf-8", "utf-8-sig")
    assert (city / "school.students.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert not (city / "school.absences.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_national_id_checksum_and_generation() -> None:
    assert checksum_ok("A123456789")
    assert not checksum_ok("A123456788")
    assert not checksum_ok("a123456789") and not checksum_ok("A12345678")
    rng = np.random.default_rng(0)
    ids = make_ids(rng, np.asarray(["H"] * 500), np.asarray([1, 2] * 250))
    assert len(set(ids)) == 500 and all(checksum_ok(x) and x[0] == "H" for x in ids)
    assert [x[1] for x in ids[:4]] == ["1", "2", "1", "2"]
    typos = [mistype(x, rng) for x in ids]
    assert all(t != x for t, x in zip(typos, ids, strict=True))
    assert np.mean([checksum_ok(t) for t in typos]) < 0.2
