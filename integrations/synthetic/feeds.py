"""Turn simulated events into the rows of each feed of the contract (typed values, before any dirt)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np

from integrations.synthetic import dates
from integrations.synthetic.population import DISTRICTS, INCOME_STATUSES
from integrations.synthetic.simulate import (
    DROPOUT_REASONS,
    INCIDENT_CATEGORIES,
    LEVELS,
    Events,
    World,
)

IDENTITY_COLUMNS = ("national_id", "name", "name_romanized", "birth_date", "sex", "district", "address")

# Column order of each feed as written (the contract leaves the order free; welfare.assistance puts the
# identity columns first, as its source system does).
FEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "school.students": ("school_code", "student_no", "grade", "enrolled_on", "left_on", "indigenous",
                        "new_immigrant_parent", *IDENTITY_COLUMNS),
    "school.absences": ("absence_no", "student_no", "school_code", "date", "kind"),
    "school.dropouts": ("report_no", "student_no", "school_code", "reported_on", "reason_code", "returned_on"),
    "school.incidents": ("incident_no", "student_no", "school_code", "occurred_on", "reported_on", "category",
                         "severity"),
    "school.counselling": ("counselling_no", "student_no", "school_code", "tier", "started_on", "ended_on"),
    "police.contacts": ("contact_no", "occurred_on", "recorded_on", "kind", "code", "unit", *IDENTITY_COLUMNS,
                        "備註"),
    "welfare.reports": ("report_no", "reported_on", "kind", "reason_codes", "level", "substantiated", "closed_on",
                        *IDENTITY_COLUMNS),
    "welfare.assistance": ("assistance_no", *IDENTITY_COLUMNS, "status", "valid_from", "valid_to"),
    "court.sealing": ("notice_no", "court_case_no", "effective_on", "contact_nos", *IDENTITY_COLUMNS),
}  # fmt: skip
FEEDS = tuple(FEED_COLUMNS)
KEY_COLUMN = {feed: cols[0] for feed, cols in FEED_COLUMNS.items() if feed != "school.students"}
PERSON_FEEDS = (
    "school.students",
    "police.contacts",
    "welfare.reports",
    "welfare.assistance",
    "court.sealing",
)
DATE_COLUMNS = {
    "school.students": ("enrolled_on", "left_on", "birth_date"),
    "school.absences": ("date",),
    "school.dropouts": ("reported_on", "returned_on"),
    "school.incidents": ("occurred_on", "reported_on"),
    "school.counselling": ("started_on", "ended_on"),
    "police.contacts": ("occurred_on", "recorded_on", "birth_date"),
    "welfare.reports": ("reported_on", "closed_on", "birth_date"),
    "welfare.assistance": ("valid_from", "valid_to", "birth_date"),
    "court.sealing": ("effective_on", "birth_date"),
}
KEY_PREFIX = {
    "school.absences": "AB",
    "school.dropouts": "DO",
    "school.incidents": "SI",
    "school.counselling": "CO",
    "police.contacts": "TYPD",
    "welfare.reports": "SW",
    "welfare.assistance": "LI",
    "court.sealing": "TYDC",
}
_NOTES = ("", "", "", "", "", "", "家長陪同", "轉介少輔會", "已通知學校", "通知家長", "移送少年法庭")


@dataclass
class FeedTable:
    """Rows of one feed: typed values (``datetime.date``, ``bool``, ``int``, ``str``, ``None``).

    ``person`` gives the true person behind each row. Absences are kept as column arrays in ``arrays``
    for speed.
    """

    feed: str
    rows: list[dict] = field(default_factory=list)
    person: list[int] = field(default_factory=list)
    arrays: dict[str, np.ndarray] | None = None


@dataclass
class AdverseEvent:
    """One adverse outcome (the label the truth probabilities are about)."""

    person: int
    type: str
    event_on: datetime.date
    feed: str
    row: dict | None  # the feed row, when it reached the feed


def _d(n: int | None) -> datetime.date | None:
    return None if n is None or n < 0 else dates.to_date(int(n))


def _spell_on(w: World, person: np.ndarray, day_: np.ndarray, exit_day: np.ndarray) -> np.ndarray:
    """Spell of each (person, day) pair, or -1 when not enrolled that day."""
    mi = np.searchsorted(w.month_start, day_, side="right") - 1
    ok = (mi >= 0) & (mi < w.horizon)
    s = np.full(len(person), -1, dtype=np.int64)
    s[ok] = w.spell_at[mi[ok], person[ok]]
    sp = w.spells
    valid = s >= 0
    valid[valid] &= (day_[valid] >= sp.start[s[valid]]) & (day_[valid] <= sp.end[s[valid]])
    valid &= day_ < exit_day[person]
    return np.where(valid, s, -1)


def build(w: World, ev: Events, rng: np.random.Generator) -> tuple[dict[str, FeedTable], list[AdverseEvent]]:
    """All feed tables plus the list of adverse events."""
    exit_day = ev.get("state")["exit_day"]
    adverse: list[AdverseEvent] = []
    tables = {
        "school.students": _students(w, exit_day, rng),
        "school.absences": _absences(w, ev, exit_day),
        "school.dropouts": _dropouts(w, ev, adverse),
        "school.incidents": _incidents(w, ev, exit_day, rng),
        "school.counselling": _counselling(w, ev, exit_day, rng),
    }
    police = _police(w, ev, adverse, rng)
    tables["police.contacts"] = police
    tables["welfare.reports"] = _welfare_reports(w, ev, adverse)
    tables["welfare.assistance"] = _assistance(w, rng)
    tables["court.sealing"] = _sealing(w, police, rng)
    return tables, adverse


def _students(w: World, exit_day: np.ndarray, rng: np.random.Generator) -> FeedTable:
    sp, hh, p = w.spells, w.hh, w.people
    last_day = exit_day[sp.person] - 1  # withdrawn after a dropout without return
    exited_in = (last_day <= sp.end) & (last_day >= sp.start)
    left = np.where(exited_in, last_day, sp.end)
    alive = sp.start < exit_day[sp.person]
    overlap = alive & (sp.start < w.end_day) & (left >= w.start_day)
    table = FeedTable("school.students")
    order = np.lexsort((sp.student_no, sp.school, sp.start))
    blank_flags = rng.random((len(sp), 2)) < 0.02
    for s in order:
        if not overlap[s]:
            continue
        i = int(sp.person[s])
        shown_left = int(left[s]) if left[s] < w.end_day else -1
        as_of = shown_left if shown_left >= 0 else w.end_day - 1
        school_year = dates.to_date(as_of).year - (1 if dates.to_date(as_of).month < 8 else 0)
        grade = int(sp.first_grade[s] + school_year - sp.first_school_year[s])
        h = int(p.household[i])
        table.rows.append(
            {
                "school_code": w.schools.code[sp.school[s]],
                "student_no": sp.student_no[s],
                "grade": grade,
                "enrolled_on": _d(int(sp.start[s])),
                "left_on": _d(shown_left),
                "indigenous": None if blank_flags[s, 0] else bool(hh.indigenous[h]),
                "new_immigrant_parent": None if blank_flags[s, 1] else bool(hh.new_immigrant[h]),
            }
        )
        table.person.append(i)
    return table


def _absences(w: World, ev: Events, exit_day: np.ndarray) -> FeedTable:
    sd = w.school_day
    a = ev.get("absence")
    person = a.get("person", np.empty(0, np.int64)).astype(np.int64)
    sdi = a.get("sd", np.empty(0, np.int64)).astype(np.int64)
    kind = a.get("kind", np.empty(0, np.int64)).astype(np.int64)
    n_sd = len(sd) + 10
    # Dropout runs: every school day from the first missed day until return or withdrawal.
    d = ev.get("dropout")
    run_p, run_sd = [], []
    for i, s0, s1 in zip(d.get("person", []), d.get("run_start", []), d.get("run_end", []), strict=True):
        run_p.append(np.full(int(s1 - s0), i, dtype=np.int64))
        run_sd.append(np.arange(int(s0), int(s1), dtype=np.int64))
    run_p_a = np.concatenate(run_p) if run_p else np.empty(0, np.int64)
    run_sd_a = np.concatenate(run_sd) if run_sd else np.empty(0, np.int64)
    # Keep sporadic absences away from dropout runs (3 school days either side), so that a run of three
    # or more unexcused days always means a reported dropout and vice versa.
    if run_p_a.size:
        near = np.concatenate([run_p_a * n_sd + run_sd_a + k for k in range(-3, 4)])
        drop = np.isin(person * n_sd + sdi, near)
        person, sdi, kind = person[~drop], sdi[~drop], kind[~drop]
    # One row per student per day: unexcused wins over excused.
    key = person * n_sd + sdi
    order = np.lexsort((-kind, key))
    key, person, sdi, kind = key[order], person[order], sdi[order], kind[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    person, sdi, kind = person[first], sdi[first], kind[first]
    # Sporadic unexcused absences never form runs of three consecutive school days.
    un = kind == 1
    up, us = person[un], sdi[un]
    consecutive = np.zeros(len(up), dtype=bool)
    consecutive[1:] = (up[1:] == up[:-1]) & (us[1:] == us[:-1] + 1)
    third = consecutive.copy()
    third[1:] &= consecutive[:-1]
    third[:1] = False
    keep = np.ones(len(person), dtype=bool)
    keep[np.flatnonzero(un)[third]] = False
    person, sdi, kind = person[keep], sdi[keep], kind[keep]
    person = np.concatenate([person, run_p_a])
    sdi = np.concatenate([sdi, run_sd_a])
    kind = np.concatenate([kind, np.ones(run_p_a.size, dtype=np.int64)])
    day_ = sd[np.minimum(sdi, len(sd) - 1)]
    ok = (sdi < len(sd)) & (day_ >= w.start_day) & (day_ < w.end_day)
    person, day_, kind = person[ok], day_[ok], kind[ok]
    spell = _spell_on(w, person, day_, exit_day)
    # Dropout days up to withdrawal are still absences at the school that withdrew the student.
    ok = spell >= 0
    person, day_, kind, spell = person[ok], day_[ok], kind[ok], spell[ok]
    school = w.spells.school[spell]
    order = np.lexsort((w.spells.student_no[spell], school, day_))
    return FeedTable(
        "school.absences",
        arrays={
            "person": person[order],
            "day": day_[order],
            "kind": kind[order],
            "spell": spell[order],
        },
    )


def _dropouts(w: World, ev: Events, adverse: list[AdverseEvent]) -> FeedTable:
    d = ev.get("dropout")
    table = FeedTable("school.dropouts")
    if not d:
        return table
    order = np.lexsort((d["person"], d["reported"]))
    for j in order:
        s = int(d["spell"][j])
        returned = int(d["returned"][j])
        row = {
            "student_no": w.spells.student_no[s],
            "school_code": w.schools.code[w.spells.school[s]],
            "reported_on": _d(int(d["reported"][j])),
            "reason_code": DROPOUT_REASONS[int(d["reason"][j])],
            "returned_on": _d(returned) if 0 <= returned < w.end_day else None,
        }
        table.rows.append(row)
        table.person.append(int(d["person"][j]))
        adverse.append(
            AdverseEvent(int(d["person"][j]), "dropout", row["reported_on"], "school.dropouts", row)
        )
    return table


_SEVERITY = {
    "violence_deviance": (0.10, 0.35, 0.55),
    "discipline_conflict": (0.05, 0.15, 0.80),
    "safety": (0.40, 0.0, 0.60),
    "accident": (0.40, 0.0, 0.60),
    "illness": (0.30, 0.0, 0.70),
    "child_protection": (0.25, 0.75, 0.0),
    "disaster": (0.50, 0.0, 0.50),
    "other": (0.05, 0.05, 0.90),
}
_SEVERITIES = ("urgent", "legal", "general")


def _incidents(w: World, ev: Events, exit_day: np.ndarray, rng: np.random.Generator) -> FeedTable:
    parts = []
    inc = ev.get("incident")
    if inc:
        parts.append((inc["person"], inc["day"], inc["category"], np.full(len(inc["person"]), -1)))
    for src, cat, sev in (
        ("incident_from_police", "violence_deviance", 1),
        ("incident_from_cp", "child_protection", 1),
    ):
        e = ev.get(src)
        if e:
            # An offence or abuse that happens on a day off is reported on the next school day.
            nxt = w.school_day[np.minimum(np.searchsorted(w.school_day, e["day"]), len(w.school_day) - 1)]
            parts.append(
                (e["person"], nxt, np.full(len(nxt), INCIDENT_CATEGORIES.index(cat)), np.full(len(nxt), sev))
            )
    table = FeedTable("school.incidents")
    if not parts:
        return table
    person = np.concatenate([x[0] for x in parts]).astype(np.int64)
    day_ = np.concatenate([x[1] for x in parts]).astype(np.int64)
    cat = np.concatenate([x[2] for x in parts]).astype(np.int64)
    sev = np.concatenate([x[3] for x in parts]).astype(np.int64)
    spell = _spell_on(w, person, day_, exit_day)
    r = rng.random(len(person))
    for j in range(len(person)):
        if sev[j] < 0:
            probs = np.cumsum(_SEVERITY[INCIDENT_CATEGORIES[cat[j]]])
            sev[j] = int(np.searchsorted(probs, r[j] * probs[-1], side="right"))
    lag = np.where(sev == 0, (rng.random(len(person)) < 0.2).astype(int), rng.integers(0, 4, len(person)))
    lag = np.where(sev == 1, rng.integers(0, 2, len(person)), lag)
    reported = day_ + lag
    ok = (spell >= 0) & (day_ >= w.start_day) & (reported < w.end_day)
    order = np.lexsort((person, day_))
    for j in order:
        if not ok[j]:
            continue
        s = int(spell[j])
        table.rows.append(
            {
                "student_no": w.spells.student_no[s],
                "school_code": w.schools.code[w.spells.school[s]],
                "occurred_on": _d(int(day_[j])),
                "reported_on": _d(int(reported[j])),
                "category": INCIDENT_CATEGORIES[cat[j]],
                "severity": _SEVERITIES[min(int(sev[j]), 2)],
            }
        )
        table.person.append(int(person[j]))
    return table


_TIER_DAYS = {1: (30, 120), 2: (60, 240), 3: (90, 365)}


def _counselling(w: World, ev: Events, exit_day: np.ndarray, rng: np.random.Generator) -> FeedTable:
    c = ev.get("counselling_start")
    table = FeedTable("school.counselling")
    if not c:
        return table
    person = c["person"].astype(np.int64)
    day_ = c["day"].astype(np.int64)
    # Counselling starts on a school day.
    idx = np.minimum(np.searchsorted(w.school_day, day_), len(w.school_day) - 1)
    day_ = w.school_day[idx]
    tier = c["tier"].astype(np.int64)
    spell = _spell_on(w, person, day_, exit_day)
    ok = (spell >= 0) & (day_ >= w.start_day) & (day_ < w.end_day)
    person, day_, tier, spell = person[ok], day_[ok], tier[ok], spell[ok]
    lo = np.asarray([_TIER_DAYS[int(k)][0] for k in tier])
    hi = np.asarray([_TIER_DAYS[int(k)][1] for k in tier])
    dur = lo + (rng.random(len(tier)) * (hi - lo)).astype(np.int64)
    order = np.lexsort((-tier, day_, person))
    episodes: list[list[int]] = []  # [person, spell, tier, start, end]
    last_of: dict[int, int] = {}
    for j in order:
        i, s, k, st = int(person[j]), int(spell[j]), int(tier[j]), int(day_[j])
        stop = min(st + int(dur[j]), int(w.spells.end[s]), int(exit_day[i]) - 1)
        prev = last_of.get(i)
        if prev is not None and episodes[prev][4] >= st:
            if k <= episodes[prev][2]:
                continue  # already in an episode of this tier or higher
            episodes[prev][4] = st - 1  # escalation ends the lower-tier episode
            if episodes[prev][4] < episodes[prev][3]:
                episodes[prev] = []
        episodes.append([i, s, k, st, stop])
        last_of[i] = len(episodes) - 1
    for e in sorted((e for e in episodes if e), key=lambda e: (e[3], e[0])):
        i, s, k, st, stop = e
        table.rows.append(
            {
                "student_no": w.spells.student_no[s],
                "school_code": w.schools.code[w.spells.school[s]],
                "tier": k,
                "started_on": _d(st),
                "ended_on": _d(stop) if stop < w.end_day else None,
            }
        )
        table.person.append(i)
    return table


def _police(w: World, ev: Events, adverse: list[AdverseEvent], rng: np.random.Generator) -> FeedTable:
    e = ev.get("police")
    table = FeedTable("police.contacts")
    if not e:
        return table
    order = np.lexsort((e["person"], e["recorded"], e["occurred"]))
    juvenile_unit = rng.random(len(order)) < 0.15
    notes = rng.integers(0, len(_NOTES), len(order))
    for n_, j in enumerate(order):
        i = int(e["person"][j])
        occurred, recorded = int(e["occurred"][j]), int(e["recorded"][j])
        is_adverse = bool(e["adverse"][j])
        kind = str(e["kind"][j])
        row = None
        if recorded < w.end_day:
            row = {
                "occurred_on": _d(occurred),
                "recorded_on": _d(recorded),
                "kind": kind,
                "code": str(e["code"][j]),
                "unit": "少年警察隊" if juvenile_unit[n_] else DISTRICTS[int(e["district"][j])].precinct,
                "備註": _NOTES[notes[n_]],
            }
            table.rows.append(row)
            table.person.append(i)
        if is_adverse:
            adverse.append(AdverseEvent(i, kind, _d(occurred), "police.contacts", row))
    return table


def _welfare_reports(w: World, ev: Events, adverse: list[AdverseEvent]) -> FeedTable:
    table = FeedTable("welfare.reports")
    items = []  # (reported, person, kind, level, substantiated, closed, reasons)
    cp = ev.get("cp")
    for j in range(len(cp.get("person", []))):
        items.append(
            (
                int(cp["reported"][j]),
                int(cp["person"][j]),
                "child_protection",
                int(cp["level"][j]),
                bool(cp["substantiated"][j]),
                int(cp["closed"][j]),
                str(cp["reasons"][j]),
            )
        )
    ff = ev.get("fragile")
    if ff:
        p = w.people
        kids_of: dict[int, list[int]] = {}
        for i, h in enumerate(p.household.tolist()):
            kids_of.setdefault(h, []).append(i)
        for j in range(len(ff["household"])):
            t = int(ff["month"][j])
            for i in kids_of.get(int(ff["household"][j]), []):
                if 12 <= w.age_at[t, i] < 18:
                    items.append(
                        (
                            int(ff["reported"][j]),
                            i,
                            "fragile_family",
                            int(ff["level"][j]),
                            bool(ff["substantiated"][j]),
                            int(ff["closed"][j]),
                            str(ff["reasons"][j]),
                        )
                    )
    items.sort(key=lambda x: (x[0], x[1], x[2]))
    pending_from = w.end_day - 30
    for reported, i, kind, level, subst, closed, reasons in items:
        row = {
            "reported_on": _d(reported),
            "kind": kind,
            "reason_codes": reasons,
            "level": LEVELS[level],
            # Assessment takes up to 30 days: recent reports are not yet substantiated either way.
            "substantiated": None if reported >= pending_from else subst,
            "closed_on": _d(closed) if closed < w.end_day else None,
        }
        table.rows.append(row)
        table.person.append(i)
        is_adverse = kind == "child_protection" and subst
        if is_adverse:
            adverse.append(AdverseEvent(i, "child_protection", row["reported_on"], "welfare.reports", row))
    return table


def _assistance(w: World, rng: np.random.Generator) -> FeedTable:
    table = FeedTable("welfare.assistance")
    p, hh = w.people, w.hh
    turns12 = _add_years_days(p.birth, 12)
    turns18 = _add_years_days(p.birth, 18)
    items = []
    for yi, year in enumerate(hh.income_years):
        y0 = max(dates.day(datetime.date(year, 1, 1)), w.start_day)
        y1 = min(dates.day(datetime.date(year, 12, 31)), w.end_day - 1)
        if y0 > y1:
            continue
        status = hh.income[p.household, yi]
        prev = hh.income[p.household, yi - 1] if yi > 0 else status
        # In scope: aged 12-17 at some time between y0 and y1.
        in_scope = (turns12 <= y1) & (turns18 > y0) & (status > 0)
        new_status = status != prev
        start_month = rng.integers(1, 11, len(status))
        for i in np.flatnonzero(in_scope):
            if new_status[i] and yi > 0:
                vf = datetime.date(year, int(start_month[i]), 1)
            else:
                vf = datetime.date(year, 1, 1)
            items.append(
                (dates.day(vf), int(i), INCOME_STATUSES[int(status[i])], datetime.date(year, 12, 31))
            )
    items.sort(key=lambda x: (x[0], x[1]))
    for vf, i, status, vt in items:
        if vf >= w.end_day:
            continue
        table.rows.append({"status": status, "valid_from": dates.to_date(vf), "valid_to": vt})
        table.person.append(i)
    return table


def _add_years_days(birth: np.ndarray, years: int) -> np.ndarray:
    """Day numbers of the ``years``-th birthdays (a 29 February birthday falls on 1 March)."""
    b = np.asarray(birth).astype("datetime64[D]")
    month = b.astype("datetime64[M]")
    return ((month + 12 * years).astype("datetime64[D]") + (b - month.astype("datetime64[D]"))).astype(
        np.int64
    )


def _sealing(w: World, police: FeedTable, rng: np.random.Generator) -> FeedTable:
    """A few Art. 83-1 sealing notices for youth with offence or exposure records."""
    table = FeedTable("court.sealing")
    by_person: dict[int, list[int]] = {}
    for r, (row, i) in enumerate(zip(police.rows, police.person, strict=True)):
        if row["kind"] in ("offence", "exposure"):
            by_person.setdefault(i, []).append(r)
    items = []
    for i in sorted(by_person):
        rows = by_person[i]
        first = police.rows[rows[0]]
        if rng.random() >= 0.3:
            continue
        referred = dates.day(first["recorded_on"])
        effective = referred + int(rng.integers(150, 900))
        if effective >= w.end_day:
            continue
        before = [r for r in rows if dates.day(police.rows[r]["recorded_on"]) <= effective]
        mode = rng.random()
        if mode < 0.55:
            refs = [rows[0]]
        elif mode < 0.8 or len(before) < 2:
            refs = []  # blank: all of this person's contacts up to the effective date
        else:
            refs = before
        items.append((effective, i, refs, dates.to_date(referred).year - dates.ROC_OFFSET))
    items.sort(key=lambda x: (x[0], x[1]))
    serial: dict[int, int] = {}
    for effective, i, refs, case_year in items:
        eff = dates.to_date(effective)
        serial[case_year] = serial.get(case_year, 0) + 1 + int(rng.integers(0, 40))
        table.rows.append(
            {
                "court_case_no": f"{case_year}年度少調字第{serial[case_year]}號",
                "effective_on": eff,
                # police.contacts rows (their keys are written); empty: all contacts up to effective_on
                "contact_nos": [police.rows[r] for r in refs],
            }
        )
        table.person.append(i)
    return table
