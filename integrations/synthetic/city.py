"""``generate_city``: draw a synthetic city and write its feeds and ground truth."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from integrations.synthetic import dates, simulate
from integrations.synthetic.dirt import (
    Broken,
    DirtRates,
    DirtRecord,
    add_duplicates,
    add_identity,
    break_rows,
)
from integrations.synthetic.feeds import (
    DATE_COLUMNS,
    FEED_COLUMNS,
    FEEDS,
    KEY_COLUMN,
    KEY_PREFIX,
    PERSON_FEEDS,
    AdverseEvent,
    FeedTable,
    build,
)
from integrations.synthetic.names import NamePools
from integrations.synthetic.population import (
    DISTRICTS,
    INCOME_STATUSES,
    draw_households_and_people,
    draw_schools,
    draw_spells,
)
from integrations.synthetic.simulate import RECORD_PROB, World
from integrations.synthetic.writer import FILE_STYLES, ROSTER_SPELLINGS, format_cell, write_lines, write_table

GENERATOR_VERSION = "1"
DEFAULT_START = datetime.date(2021, 8, 1)

TRUTH_README = """\
# Ground truth of a synthetic city

Everything here is invented; no row describes a real person. Files:

- `persons.csv`: one row per young person: the true identity (name in Traditional Chinese, canonical
  romanisation, birth date, sex M/F, valid national ID, district, address), `household_id`, `indigenous`,
  `new_immigrant_parent`, `low_income` (Y when the household held low-income or mid-low-income status at
  any time in the window), `assistance_at_start`, `traditional_name` (indigenous name with a middle dot),
  `propensity` (the static person term of the latent risk) and `household_fragility`.
- `record_person.csv`: `feed,record_key,person_id` for every person-naming row (school.students,
  police.contacts, welfare.reports, welfare.assistance, court.sealing; the key of school.students is
  `school_code/student_no`). School feeds keyed by school_code + student_no reach the person through the
  roster row. Duplicated and broken rows are included.
- `monthly_risk.csv`: one row per person and month (`YYYY-MM`) of the window in which the person is aged
  12-17 on the month's first day. Columns:
  - `age`: age in years on the first day of the month.
  - `latent`: the person's latent risk this month, `propensity + u`, where `u` is the AR(1) shock
    (rho 0.85, stationary sd 0.6).
  - `hazard`: the monthly rate (expected number) of adverse outcomes in this month given the realised
    latent risk; the chance of at least one in the month is `1 - exp(-hazard)`.
  - `p_adverse_12m`: THE TRUE PROBABILITY of at least one adverse outcome in the 12 months starting on the
    month's first day, given everything the generator knew at that moment (static traits, the enrolment
    schedule, the previous month's shock, an open dropout episode and its return date) and integrating
    over the unknown future shocks (Monte Carlo, 128 antithetic paths shared by everyone). This is the
    Bayes-optimal score for someone who could see the hidden state (the propensity, the fragility and
    the shock): no model of records can reach its AUC. The best score a model of the youth's own records
    can give is computed by `integrations/synthetic/observable.py` (a Bayes filter on these equations);
    `bench/riskmodel.py` reports both.
  - `p_adverse_12m_path`: the same probability given the realised future shocks too (an oracle; above
    what any model can reach).
  - `p_behaviour_12m`: like `p_adverse_12m` but counting every offence or exposure behaviour whether or
    not the police recorded it (no district recording bias).
  - `window_complete`: Y when the 12 months end within the data window (outcomes fully observable).
  An adverse outcome is: a police contact of kind `offence` or `exposure` (dated by `occurred_on`), a new
  dropout episode (dated by `reported_on` of a school.dropouts row), or a substantiated child-protection
  report (welfare.reports kind `child_protection`, substantiated, dated by `reported_on`). Police and
  welfare outcomes exist only at ages 12-17; dropouts while enrolled in grades 7-12.
- `adverse_events.csv`: every adverse outcome drawn: person, type, date, month, and the feed row that
  records it. `in_feed` is N when the police recorded it only after the window ended (no row);
  `row_broken` is Y when the row was made to break the contract; `visible` is Y when the row, as written,
  shows the outcome (in the feed, not broken, and for child protection already marked substantiated:
  reports from the last 30 days of the window are still being assessed and leave `substantiated` blank).
- `behaviours.csv`: every offence, exposure and deviant behaviour with the district where it happened and
  whether the police recorded it.
- `districts.csv`: district parameters. `police_multiplier` scales the chance that a behaviour in the
  district becomes a police record (`*_record_prob`), so recorded offences carry district bias.
- `schools.csv`: schools, their level, kind, district and effect on behaviour hazards.
- `dirt.csv`: every identity error put into a row (`feed,record_key,kind,column,true_value,written`);
  kinds: missing_id, malformed_id, mistyped_id, cosmetic_id, name_typo, simplified, romanised_only,
  swapped_day_month, roc_year_slip, duplicate (written = key of the original row).
- `broken_rows.csv`: rows made to break the contract on purpose (`feed,record_key,column,reason,value`);
  an importer must quarantine exactly these.
- `params.json`: the parameters of the run.
"""


@dataclass
class CityReport:
    """What :func:`generate_city` wrote."""

    out: Path
    youth: int
    households: int
    schools: int
    rows: dict[str, int] = field(default_factory=dict)
    broken_rows: int = 0
    dirt_rows: int = 0
    person_months: int = 0


def generate_city(
    *,
    youth: int,
    years: int = 3,
    seed: int = 0,
    out: str | Path,
    start: datetime.date = DEFAULT_START,
    dirt: DirtRates | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> CityReport:
    """Draw a city of ``youth`` young people over ``years`` years from ``start`` and write it to ``out``.

    ``youth`` is the number of distinct young people, born so that each is aged 12-17 at some time in the
    window ``[start, start + years)`` (``start`` is moved to the first of its month). Writes one
    ``<feed>.csv`` per feed of the contract into ``out`` and the ground truth into ``out/truth/``. The
    same arguments always give byte-identical files.
    """
    if youth < 1 or years < 1:
        raise ValueError("youth and years must be positive")
    dirt = dirt or DirtRates()
    start = start.replace(day=1)
    end = dates.add_years(start, years)
    out = Path(out)
    (out / "truth").mkdir(parents=True, exist_ok=True)

    if progress is not None:
        progress("simulating", 0, youth)
    sim = simulate_city(youth=youth, years=years, seed=seed, start=start)
    if progress is not None:
        progress("dirtying", 0, len(PERSON_FEEDS))
    world, events, truth, pools = sim.world, sim.events, sim.truth, sim.pools
    hh, schools = world.hh, world.schools
    rng_feed, rng_dirt, rng_write, rng_break = (sim.streams[k] for k in ("feed", "dirt", "write", "break"))
    tables, adverse = build(world, events, rng_feed)

    identity = _identity_truth(world)
    dirt_records: list[DirtRecord] = []
    for feed in PERSON_FEEDS:
        t = tables[feed]
        utf8 = FILE_STYLES[feed].encoding != "cp950"
        dirt_records += add_identity(feed, t.rows, t.person, identity, dirt, rng_dirt, pools, utf8=utf8)
        t.rows, t.person, dups = add_duplicates(feed, t.rows, t.person, dirt, rng_dirt)
        dirt_records += dups

    broken: list[tuple[str, dict]] = []
    for feed in FEEDS:
        t = tables[feed]
        if t.arrays is None:
            rows = break_rows(feed, t.rows, DATE_COLUMNS[feed], feed in PERSON_FEEDS, dirt.broken, rng_break)
            broken += [(feed, r) for r in rows]
    _assign_keys(tables)

    report = CityReport(out=out, youth=youth, households=len(hh.district), schools=len(schools.code))
    for done, feed in enumerate(FEEDS):
        if progress is not None:
            progress("writing", done, len(FEEDS))
        t = tables[feed]
        path = out / f"{feed}.csv"
        if feed == "school.absences":
            report.rows[feed], absence_broken = _write_absences(path, world, t, dirt.broken, rng_break)
            broken += absence_broken
            continue
        spelling = None
        if feed == "school.students":
            per_school = {
                code: ROSTER_SPELLINGS[int(k)]
                for code, k in zip(
                    schools.code,
                    rng_write.choice(len(ROSTER_SPELLINGS), size=len(schools.code), p=[0.55, 0.2, 0.1, 0.15]),
                    strict=True,
                )
            }
            spelling = [per_school[r["school_code"]] for r in t.rows]
        write_table(path, FEED_COLUMNS[feed], t.rows, FILE_STYLES[feed], rng_write, spelling)
        report.rows[feed] = len(t.rows)

    if progress is not None:
        progress("writing truth", 0, 0)
    report.broken_rows = len(broken)
    report.dirt_rows = len(dirt_records)
    report.person_months = len(truth.person)
    _write_truth(out / "truth", world, tables, truth, adverse, events, dirt_records, broken, identity)
    params = {
        "generator_version": GENERATOR_VERSION,
        "youth": youth,
        "years": years,
        "seed": seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "dirt": dirt.as_dict(),
        "intercepts": world.intercept,
        "target_annual_rates": simulate.TARGET_ANNUAL,
        "record_prob": RECORD_PROB,
        "ar1_rho": simulate.RHO,
        "ar1_stationary_sd": simulate.STATIONARY_SD,
        "mc_paths": simulate.MC_PATHS,
        "households": report.households,
        "schools": report.schools,
        "rows": report.rows,
    }
    (out / "truth" / "params.json").write_text(
        json.dumps(params, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "truth" / "README.md").write_text(TRUTH_README, encoding="utf-8")
    return report


@dataclass
class Simulated:
    """A city before its feeds are made: the world, the month-by-month draws and the truth, with the name
    pools and the random streams that making and writing the feeds go on to use."""

    world: World
    events: simulate.Events
    truth: simulate.Truth
    pools: NamePools
    streams: dict[str, np.random.Generator]  # "feed", "dirt", "write", "break"


def simulate_city(
    *, youth: int, years: int, seed: int, start: datetime.date, outreach: simulate.Outreach | None = None
) -> Simulated:
    """Draw the people, schools and everything that happens to them: the part of :func:`generate_city`
    that fixes the truth. The same arguments give the same city, so a written city can be rebuilt in memory
    (``integrations.synthetic.observable`` does, to compute its ceiling). With ``outreach`` some youth are
    reached and their hazards fall for a while (``simulate.Outreach``); its draws come from a stream of their
    own, and a city drawn without it is unchanged."""
    start = start.replace(day=1)
    end = dates.add_years(start, years)
    months = years * 12
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(9)]
    rng_pop, rng_school, rng_spell, rng_sim, rng_mc, rng_feed, rng_dirt, rng_write, rng_break = streams
    pools = NamePools()
    hh, people = draw_households_and_people(rng_pop, pools, youth=youth, start=start, end=end)
    schools = draw_schools(rng_school, youth)
    spells = draw_spells(rng_spell, people, hh, schools, first_month=start, horizon_months=months + 12)
    world = simulate.build_world(hh, people, schools, spells, start=start, months=months)
    reach_rng = None if outreach is None else np.random.default_rng(np.random.SeedSequence([seed, 3_141_592]))
    events, truth = simulate.run(world, rng_sim, rng_mc, outreach, reach_rng)
    rest = {"feed": rng_feed, "dirt": rng_dirt, "write": rng_write, "break": rng_break}
    return Simulated(world, events, truth, pools, rest)


def _identity_truth(w: World) -> dict[str, list]:
    p, hh = w.people, w.hh
    return {
        "national_id": list(p.national_id),
        "name": p.name,
        "surname": p.surname,
        "name_romanized": p.name_romanized,
        "birth": [dates.to_date(int(b)) for b in p.birth],
        "sex": list(p.sex),
        "district": [DISTRICTS[int(d)].name for d in hh.district[p.household]],
        "address": [hh.address[int(h)] for h in p.household],
        "traditional": p.traditional_name.tolist(),
    }


def _first_date(row: dict, columns: tuple[str, ...]) -> datetime.date | None:
    for c in columns:
        v = row.get(c)
        if isinstance(v, Broken):
            v = v.original
        if isinstance(v, datetime.date) and c != "birth_date":
            return v
    return None


def _assign_keys(tables: dict[str, FeedTable]) -> None:
    for feed, t in tables.items():
        if feed == "school.students" or t.arrays is not None:
            continue
        col, prefix = KEY_COLUMN[feed], KEY_PREFIX[feed]
        for n, row in enumerate(t.rows, start=1):
            d = _first_date(row, DATE_COLUMNS[feed])
            roc = (d.year - dates.ROC_OFFSET) if d else 0
            row[col] = f"{prefix}{roc:03d}{n:07d}"


def _row_key(feed: str, row: dict) -> str:
    if feed == "school.students":
        return f"{row['school_code']}/{row['student_no']}"
    return row[KEY_COLUMN[feed]]


def _write_absences(
    path: Path, w: World, t: FeedTable, rate: float, rng: np.random.Generator
) -> tuple[int, list[tuple[str, dict]]]:
    a = t.arrays
    n = len(a["person"])
    keys = [f"AB{k:09d}" for k in range(1, n + 1)]
    codes = np.asarray(w.schools.code, dtype=object)[w.spells.school[a["spell"]]]
    student = w.spells.student_no[a["spell"]]
    day_text = dates.iso_strings(a["day"]).astype(object)
    kind = np.where(a["kind"] == 1, "unexcused", "excused").astype(object)
    broken = []
    if rate > 0 and n:
        for j in np.flatnonzero(rng.random(n) < rate):
            marker = Broken(
                ("bad_month", "bad_day", "bad_text")[int(rng.integers(0, 3))], dates.to_date(int(a["day"][j]))
            )
            day_text[j] = format_cell(marker, "iso", ("Y", "N"), ("M", "F"), "date")
            broken.append(("school.absences", {"absence_no": keys[j], "date": marker}))
    lines = [",".join(x) for x in zip(keys, student, codes, day_text, kind, strict=True)]
    header = ",".join(FEED_COLUMNS["school.absences"])
    # Column order in the file follows the contract table; student_no comes before school_code.
    write_lines(path, header, lines, FILE_STYLES["school.absences"])
    return n, broken


def _csv_text(rows: list[list[str]], header: list[str]) -> bytes:
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    wr.writerow(header)
    wr.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _yn(v: bool) -> str:
    return "Y" if v else "N"


def _write_monthly_risk(path: Path, w: World, truth: simulate.Truth, pid: list[str]) -> None:
    order = np.lexsort((truth.month, truth.person))
    month_label = [d.strftime("%Y-%m") for d in dates.month_starts(w.first_month, w.months)]
    complete = [_yn(t + 12 <= w.months) for t in range(w.months)]
    header = (
        "person_id,month,age,latent,hazard,p_adverse_12m,p_adverse_12m_path,p_behaviour_12m,window_complete\n"
    )
    with open(path, "wb") as f:
        f.write(header.encode("ascii"))
        for lo in range(0, len(order), 250_000):
            part = order[lo : lo + 250_000]
            cols = zip(
                truth.person[part].tolist(),
                truth.month[part].tolist(),
                truth.age[part].tolist(),
                truth.latent[part].tolist(),
                truth.hazard[part].tolist(),
                truth.p12[part].tolist(),
                truth.p12_path[part].tolist(),
                truth.p12_behaviour[part].tolist(),
                strict=True,
            )
            text = "".join(
                f"{pid[i]},{month_label[m]},{a},{lat:.4f},{hz:.6g},{p1:.6f},{p2:.6f},{p3:.6f},{complete[m]}\n"
                for i, m, a, lat, hz, p1, p2, p3 in cols
            )
            f.write(text.encode("ascii"))


def _write_truth(
    folder: Path,
    w: World,
    tables: dict[str, FeedTable],
    truth: simulate.Truth,
    adverse: list[AdverseEvent],
    events: simulate.Events,
    dirt_records: list[DirtRecord],
    broken: list[tuple[str, dict]],
    identity: dict[str, list],
) -> None:
    p, hh = w.people, w.hh
    pid = [f"P{i + 1:07d}" for i in range(len(p))]
    hid = [f"H{h + 1:07d}" for h in range(len(hh.district))]
    # persons.csv
    first_year = hh.income_years.index(dates.to_date(w.start_day).year)
    last_year = hh.income_years.index(dates.to_date(w.end_day - 1).year)
    window_income = hh.income[:, first_year : last_year + 1]
    low_income = (window_income > 0).any(axis=1)
    rows = []
    for i in range(len(p)):
        h = int(p.household[i])
        rows.append(
            [
                pid[i],
                p.name[i],
                p.name_romanized[i],
                identity["birth"][i].isoformat(),
                p.sex[i],
                p.national_id[i],
                identity["district"][i],
                identity["address"][i],
                hid[h],
                _yn(hh.indigenous[h]),
                _yn(hh.new_immigrant[h]),
                _yn(low_income[h]),
                INCOME_STATUSES[int(window_income[h, 0])],
                _yn(p.traditional_name[i]),
                f"{p.propensity[i]:.4f}",
                f"{hh.fragility[h]:.4f}",
            ]
        )
    header = ["person_id", "name", "name_romanized", "birth_date", "sex", "national_id", "district", "address",
              "household_id", "indigenous", "new_immigrant_parent", "low_income", "assistance_at_start",
              "traditional_name", "propensity", "household_fragility"]  # fmt: skip
    (folder / "persons.csv").write_bytes(_csv_text(rows, header))

    # record_person.csv
    rows = []
    for feed in PERSON_FEEDS:
        t = tables[feed]
        rows += [[feed, _row_key(feed, r), pid[i]] for r, i in zip(t.rows, t.person, strict=True)]
    (folder / "record_person.csv").write_bytes(_csv_text(rows, ["feed", "record_key", "person_id"]))

    # monthly_risk.csv, written in chunks to keep memory flat
    _write_monthly_risk(folder / "monthly_risk.csv", w, truth, pid)

    # adverse_events.csv
    broken_ids = {id(r) for _, r in broken}
    rows = []
    for e in sorted(adverse, key=lambda e: (e.event_on, e.person, e.type)):
        key = _row_key(e.feed, e.row) if e.row is not None else ""
        month = e.event_on.strftime("%Y-%m")
        in_feed = e.row is not None
        row_broken = in_feed and id(e.row) in broken_ids
        visible = in_feed and not row_broken and e.row.get("substantiated", True) is True
        rows.append([pid[e.person], e.type, e.event_on.isoformat(), month, e.feed, key, _yn(in_feed),
                     _yn(row_broken), _yn(visible)])  # fmt: skip
    header = [
        "person_id",
        "type",
        "event_on",
        "month",
        "feed",
        "record_key",
        "in_feed",
        "row_broken",
        "visible",
    ]
    (folder / "adverse_events.csv").write_bytes(_csv_text(rows, header))

    # behaviours.csv
    b = events.get("behaviour")
    rows = []
    if b:
        order = np.lexsort((b["person"], b["occurred"]))
        for j in order:
            rows.append([pid[int(b["person"][j])], dates.to_date(int(b["occurred"][j])).isoformat(), str(b["kind"][j]),
                         str(b["code"][j]), DISTRICTS[int(b["district"][j])].name, _yn(bool(b["recorded"][j]))])  # fmt: skip
    header = ["person_id", "occurred_on", "kind", "code", "district", "recorded"]
    (folder / "behaviours.csv").write_bytes(_csv_text(rows, header))

    # districts.csv
    home = hh.district[p.household]
    rows = []
    for d, dist in enumerate(DISTRICTS):
        rows.append(
            [dist.name, f"{dist.population_share:.3f}", f"{dist.indigenous_share:.3f}", f"{dist.new_immigrant_share:.3f}",
             f"{dist.police_multiplier:.2f}"]
            + [f"{min(0.95, RECORD_PROB[k] * dist.police_multiplier):.4f}" for k in ("offence", "exposure", "deviant")]
            + [f"{dist.peer_effect:.2f}", dist.precinct, str(int((hh.district == d).sum())), str(int((home == d).sum()))]
        )  # fmt: skip
    header = ["district", "population_share", "indigenous_share", "new_immigrant_share", "police_multiplier",
              "offence_record_prob", "exposure_record_prob", "deviant_record_prob", "peer_effect", "precinct",
              "households", "youth"]  # fmt: skip
    (folder / "districts.csv").write_bytes(_csv_text(rows, header))

    # schools.csv
    s = w.schools
    rows = [
        [s.code[k], s.name[k], "junior_high" if s.stage[k] == 0 else "senior_high", s.kind[k],
         DISTRICTS[int(s.district[k])].name, f"{s.effect[k]:.4f}"]
        for k in range(len(s.code))
    ]  # fmt: skip
    header = ["school_code", "name", "level", "kind", "district", "effect"]
    (folder / "schools.csv").write_bytes(_csv_text(rows, header))

    # dirt.csv
    rows = []
    for r in dirt_records:
        key = _row_key(r.feed, r.row)
        written = r.written
        if r.kind == "duplicate":
            written = _row_key(r.feed, r.row["_duplicate_of"])
        rows.append([r.feed, key, r.kind, r.column, r.true_value, written])
    header = ["feed", "record_key", "kind", "column", "true_value", "written"]
    (folder / "dirt.csv").write_bytes(_csv_text(rows, header))

    # broken_rows.csv
    rows = []
    for feed, row in broken:
        key = row["absence_no"] if feed == "school.absences" else _row_key(feed, row)
        for col, v in row.items():
            if isinstance(v, Broken):
                rows.append([feed, key, col, v.reason, v.written])
    header = ["feed", "record_key", "column", "reason", "value"]
    (folder / "broken_rows.csv").write_bytes(_csv_text(rows, header))
