"""Realistic identity errors and a few contract-breaking rows, at configurable rates."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, fields

import numpy as np

from integrations.synthetic import national_id as nid_mod
from integrations.synthetic.names import INDIGENOUS_SYLLABLES, MIDDLE_DOT, SIMPLIFIED, NamePools, romanise

# Feeds whose rows come from registries that almost always carry the ID (school rosters, courts).
REGISTRY_FEEDS = ("school.students", "court.sealing")
# Feeds in which the same event is sometimes entered twice under two record keys.
DUPLICATING_FEEDS = ("police.contacts", "welfare.reports", "welfare.assistance", "court.sealing")


@dataclass(frozen=True)
class DirtRates:
    """Share of rows carrying each kind of error. Every rate is a probability per person-naming row
    (per row of any feed for ``broken``); defaults follow what data stewards report for such feeds."""

    missing_id: float = 0.15  # national_id blank, on police and welfare rows
    missing_id_registry: float = 0.01  # national_id blank, on school rosters and court notices
    malformed_id: float = 0.01  # not letter + sex digit + 8 digits
    mistyped_id: float = 0.02  # one digit wrong or two swapped (fails the checksum mostly)
    cosmetic_id: float = 0.005  # lower case, spaces, hyphens or fullwidth (normalisable)
    name_typo: float = 0.02  # homophone character, swapped or dropped given-name character
    simplified: float = 0.02  # Simplified variants of characters (UTF-8 files only)
    romanised_only: float = 0.01  # name blank, only name_romanized (pinyin or Wade-Giles)
    romanised_extra: float = 0.03  # name_romanized given alongside the name (not an error)
    swapped_day_month: float = 0.005  # birth date with day and month swapped (still a valid date)
    roc_year_slip: float = 0.005  # birth year off by one (ROC conversion slip)
    duplicate: float = 0.005  # police, welfare and court rows entered twice under two keys
    missing_sex: float = 0.03  # police, welfare and court rows
    missing_district: float = 0.05  # police, welfare and court rows
    missing_address: float = 0.10  # police, welfare and court rows
    broken: float = 0.002  # rows that break the contract (bad date, no birth date, no name)

    @classmethod
    def clean(cls) -> DirtRates:
        """No errors at all."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def as_dict(self) -> dict[str, float]:
        """Rates by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class DirtRecord:
    """One error put into one row (the row's key is read when the truth is written)."""

    feed: str
    row: dict
    kind: str
    column: str
    true_value: str
    written: str


@dataclass
class Broken:
    """Marker for a cell written so that it breaks the contract."""

    reason: str
    original: object
    written: str = ""  # the text that was written, filled in by the writer


def _to_fullwidth_digits(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() and c.isascii() else c for c in text)


def _homophone_typo(name: str, surname: str, pools: NamePools, rng: np.random.Generator) -> str:
    given = name[len(surname) :]
    choice = rng.random()
    if choice < 0.12 and surname in pools.homophone_of:
        alts = pools.homophone_of[surname]
        return alts[int(rng.integers(0, len(alts)))] + given
    if choice < 0.75:
        positions = [k for k, c in enumerate(given) if c in pools.homophone_of]
        if positions:
            k = positions[int(rng.integers(0, len(positions)))]
            alts = pools.homophone_of[given[k]]
            return surname + given[:k] + alts[int(rng.integers(0, len(alts)))] + given[k + 1 :]
    if len(given) == 2 and given[0] != given[1] and choice < 0.87:
        return surname + given[::-1]
    if len(given) == 2:
        return surname + given[int(rng.integers(0, 2))]
    alts = pools.homophone_of.get(given[0], "")
    return surname + (alts[0] if alts else given + given)


def _indigenous_typo(name: str, rng: np.random.Generator) -> str:
    if MIDDLE_DOT in name and rng.random() < 0.5:
        return name.replace(MIDDLE_DOT, "" if rng.random() < 0.6 else "‧")
    chars = [k for k, c in enumerate(name) if c != MIDDLE_DOT]
    k = chars[int(rng.integers(0, len(chars)))]
    syl = [c for c, _ in INDIGENOUS_SYLLABLES if c != name[k]]
    return name[:k] + syl[int(rng.integers(0, len(syl)))] + name[k + 1 :]


def _simplify(name: str) -> str:
    return "".join(SIMPLIFIED.get(c, c) for c in name)


def _swap_day_month(d: datetime.date) -> datetime.date | None:
    if d.day > 12 or d.day == d.month:
        return None
    return datetime.date(d.year, d.day, d.month)


def _slip_year(d: datetime.date, delta: int) -> datetime.date:
    try:
        return d.replace(year=d.year + delta)
    except ValueError:
        return d.replace(year=d.year + delta, day=28)


def _address_variant(address: str, r: float) -> str:
    if r < 0.20:
        return address.removeprefix("桃園市")
    if r < 0.25:
        return _to_fullwidth_digits(address)
    if r < 0.28:  # names from before the 2014 upgrade to a special municipality
        for suffix, old in (("區", "市"),):
            district_end = address.find(suffix, 3)
            if district_end > 0:
                return "桃園縣" + address[3:district_end] + old + address[district_end + 1 :]
    return address


def add_identity(
    feed: str,
    rows: list[dict],
    person: list[int],
    truth: dict[str, list],
    dirt: DirtRates,
    rng: np.random.Generator,
    pools: NamePools,
    *,
    utf8: bool,
) -> list[DirtRecord]:
    """Fill the identity columns of ``rows`` from the true identities, with errors; return the errors.

    ``truth`` holds per-person lists: national_id, name, surname, name_romanized, birth (date), sex,
    district, address, traditional (bool).
    """
    n = len(rows)
    if n == 0:
        return []
    u = rng.random((n, 12))
    variant = rng.integers(0, 1000, (n, 3))
    registry = feed in REGISTRY_FEEDS
    p_missing = dirt.missing_id_registry if registry else dirt.missing_id
    cut = np.cumsum([p_missing, dirt.malformed_id, dirt.mistyped_id, dirt.cosmetic_id])
    persons = np.asarray(person)
    births: list[datetime.date] = [truth["birth"][i] for i in person]
    names = [truth["name"][i] for i in person]
    swappable = np.asarray([_swap_day_month(b) is not None for b in births])
    p_swap = min(1.0, dirt.swapped_day_month / max(swappable.mean(), 1e-9))
    simplifiable = np.asarray([utf8 and _simplify(x) != x for x in names])
    p_simpl = min(1.0, dirt.simplified / max(simplifiable.mean(), 1e-9)) if simplifiable.any() else 0.0
    loose = not registry
    records: list[DirtRecord] = []

    def note(row: dict, kind: str, column: str, true_value: object, written: object) -> None:
        records.append(DirtRecord(feed, row, kind, column, str(true_value), str(written)))

    for j, row in enumerate(rows):
        i = int(persons[j])
        true_id = truth["national_id"][i]
        r = u[j, 0]
        if r < cut[0]:
            row["national_id"] = ""
            note(row, "missing_id", "national_id", true_id, "")
        elif r < cut[1]:
            row["national_id"] = nid_mod.malform(true_id, rng)
            note(row, "malformed_id", "national_id", true_id, row["national_id"])
        elif r < cut[2]:
            row["national_id"] = nid_mod.mistype(true_id, rng)
            note(row, "mistyped_id", "national_id", true_id, row["national_id"])
        elif r < cut[3]:
            row["national_id"] = nid_mod.cosmetic(true_id, rng)
            note(row, "cosmetic_id", "national_id", true_id, row["national_id"])
        else:
            row["national_id"] = true_id

        name = names[j]
        surname = truth["surname"][i]
        traditional = truth["traditional"][i]
        if u[j, 1] < dirt.romanised_only:
            if traditional:
                ro = truth["name_romanized"][i]
                ro = (ro.upper(), ro.lower(), " ".join(reversed(ro.split())), ro)[variant[j, 0] % 4]
            else:
                style = "pinyin" if u[j, 2] < 0.55 else "wade_giles"
                ro = romanise(
                    surname, name[len(surname) :], style=style, variant=int(variant[j, 1]), pools=pools
                )
            row["name"] = ""
            row["name_romanized"] = ro
            note(row, "romanised_only", "name", name, ro)
        else:
            written = name
            if u[j, 3] < dirt.name_typo:
                written = (
                    _indigenous_typo(name, rng) if traditional else _homophone_typo(name, surname, pools, rng)
                )
                if written != name:
                    note(row, "name_typo", "name", name, written)
            if simplifiable[j] and u[j, 4] < p_simpl:
                simplified = _simplify(written)
                if simplified != written:
                    note(row, "simplified", "name", name, simplified)
                    written = simplified
            row["name"] = written
            extra = u[j, 5] < (0.6 if traditional else dirt.romanised_extra)
            if extra and traditional:
                row["name_romanized"] = truth["name_romanized"][i]
            elif extra:
                style = "pinyin" if u[j, 2] < 0.5 else "wade_giles"
                row["name_romanized"] = romanise(
                    surname, name[len(surname) :], style=style, variant=int(variant[j, 2]), pools=pools
                )
            else:
                row["name_romanized"] = ""

        birth = births[j]
        if swappable[j] and u[j, 6] < p_swap:
            written_birth = _swap_day_month(birth)
            note(row, "swapped_day_month", "birth_date", birth.isoformat(), written_birth.isoformat())
            birth = written_birth
        elif u[j, 6] > 1 - dirt.roc_year_slip:
            written_birth = _slip_year(birth, 1 if u[j, 7] < 0.5 else -1)
            note(row, "roc_year_slip", "birth_date", birth.isoformat(), written_birth.isoformat())
            birth = written_birth
        row["birth_date"] = birth
        row["sex"] = "" if loose and u[j, 8] < dirt.missing_sex else truth["sex"][i]
        row["district"] = "" if loose and u[j, 9] < dirt.missing_district else truth["district"][i]
        if loose and u[j, 10] < dirt.missing_address:
            row["address"] = ""
        else:
            row["address"] = _address_variant(truth["address"][i], u[j, 11] if loose else 1.0)
    return records


def add_duplicates(
    feed: str, rows: list[dict], person: list[int], dirt: DirtRates, rng: np.random.Generator
) -> tuple[list[dict], list[int], list[DirtRecord]]:
    """Insert copies of some rows right after the original (they get their own key later)."""
    if feed not in DUPLICATING_FEEDS or not rows or dirt.duplicate <= 0:
        return rows, person, []
    dup = rng.random(len(rows)) < dirt.duplicate
    out_rows, out_person, records = [], [], []
    for j, row in enumerate(rows):
        out_rows.append(row)
        out_person.append(person[j])
        if dup[j]:
            copy = dict(row)
            copy["_duplicate_of"] = row
            out_rows.append(copy)
            out_person.append(person[j])
            records.append(DirtRecord(feed, copy, "duplicate", "", "", ""))
    return out_rows, out_person, records


def break_rows(
    feed: str,
    rows: list[dict],
    date_columns: tuple[str, ...],
    identity: bool,
    rate: float,
    rng: np.random.Generator,
) -> list[dict]:
    """Make a share ``rate`` of rows break the contract; returns the broken rows (markers in the cells)."""
    if rate <= 0 or not rows:
        return []
    hit = np.flatnonzero(rng.random(len(rows)) < rate)
    broken = []
    for j in hit:
        row = rows[j]
        r = rng.random()
        if identity and r < 0.4:
            row["birth_date"] = Broken("missing_birth_date", row.get("birth_date"))
        elif identity and r < 0.55:
            row["name"] = Broken("missing_name", row.get("name"))
            row["name_romanized"] = ""
        else:
            cols = [c for c in date_columns if isinstance(row.get(c), datetime.date)]
            if not cols:
                continue
            col = cols[int(rng.integers(0, len(cols)))]
            row[col] = Broken(("bad_month", "bad_day", "bad_text")[int(rng.integers(0, 3))], row[col])
        broken.append(row)
    return broken
