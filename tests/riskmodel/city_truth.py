"""What a synthetic city's ground truth says about exported scores: which youth were in scope, which of them
were scored, and how well an honest logistic regression does when it is *given the true identities* (no
linkage error, no quarantine, no knowledge lag): the reference a model of the records should reach.

Reads only the files ``generate_city`` writes (the feeds and ``truth/``); no database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from integrations.feeds import contract

# (feed, date column, how a row is named): the events the reference counts, by kind.
SOURCES = {
    "school.absences": "date",
    "school.dropouts": "reported_on",
    "school.incidents": "occurred_on",
    "school.counselling": "started_on",
    "police.contacts": "occurred_on",
    "welfare.reports": "reported_on",
    "welfare.assistance": "valid_from",
}
WINDOWS = (365, 1095)


def _rows(path: Path) -> list[dict]:
    return [cells for _number, cells in contract.read_rows(path.read_bytes()).rows]


def _kind(feed: str, row: dict) -> str | None:
    if feed == "school.absences":
        return "unexcused" if row.get("kind") == "unexcused" else None
    if feed == "police.contacts":
        return f"police_{row.get('kind')}"
    if feed == "welfare.reports":
        if row.get("kind") == "child_protection":
            try:
                substantiated = contract.parse_bool(row.get("substantiated"))
            except contract.ContractError:
                substantiated = False
            return "protection_sub" if substantiated else "protection"
        return "fragile"
    return feed.split(".")[1]


def person_events(city: Path) -> dict[str, list[tuple[dt.date, str]]]:
    """Every dated event of the feeds, by true person."""
    with open(city / "truth/record_person.csv", encoding="utf-8") as handle:
        owner = {(r["feed"], r["record_key"]): r["person_id"] for r in csv.DictReader(handle)}
    events: dict[str, list[tuple[dt.date, str]]] = defaultdict(list)
    for feed, column in SOURCES.items():
        for row in _rows(city / f"{feed}.csv"):
            if feed.startswith("school.") and feed != "school.students":
                person = owner.get(("school.students", f"{row.get('school_code')}/{row.get('student_no')}"))
            else:
                key = contract.get_feed(feed).key_columns
                person = owner.get((feed, "/".join(row.get(k, "") for k in key)))
            try:
                day = contract.parse_date(row.get(column))
            except contract.ContractError:  # a row the generator broke on purpose: quarantined, not counted
                continue
            kind = _kind(feed, row)
            if person and day and kind:
                events[person].append((day, kind))
    return events


def persons(city: Path) -> dict[str, dt.date]:
    with open(city / "truth/persons.csv", encoding="utf-8-sig") as handle:
        return {r["person_id"]: dt.date.fromisoformat(r["birth_date"]) for r in csv.DictReader(handle)}


def age_on(born: dt.date, day: dt.date) -> float:
    months = (day.year - born.year) * 12 + day.month - born.month - (day.day < born.day)
    return months / 12


def outcomes(city: Path, start: dt.date, horizon_days: int = 365) -> set[str]:
    """Persons with an adverse outcome (recorded in a feed) in ``(start, start + horizon]``."""
    end = start + dt.timedelta(days=horizon_days)
    with open(city / "truth/adverse_events.csv", encoding="utf-8") as handle:
        return {
            r["person_id"]
            for r in csv.DictReader(handle)
            if r["in_feed"] == "Y" and start < dt.date.fromisoformat(r["event_on"]) <= end
        }


def in_scope(born: dict[str, dt.date], day: dt.date) -> list[str]:
    return sorted(p for p, b in born.items() if 12 <= int(age_on(b, day)) <= 17)


def features(events, born, people, day: dt.date, kinds: list[str]) -> np.ndarray:
    rows = []
    for p in people:
        counts = defaultdict(float)
        for when, kind in events.get(p, ()):
            for window in WINDOWS:
                if day - dt.timedelta(days=window) < when <= day:
                    counts[(kind, window)] += 1
        rows.append([age_on(born[p], day)] + [counts[(k, w)] for k in kinds for w in WINDOWS])
    return np.log1p(np.asarray(rows, dtype=float))


def logistic_reference(city: Path, as_of: dt.date, horizon_days: int = 365) -> dict:
    """An honest logistic regression given the true identities: trained at the quarterly dates whose
    outcome window ends by ``as_of``, scored at ``as_of``, judged on outcomes in the horizon after it."""
    events = person_events(city)
    born = persons(city)
    kinds = sorted({k for evs in events.values() for _d, k in evs})
    train_days = [as_of - dt.timedelta(days=horizon_days + 91 * q) for q in range(5)]
    X, y = [], []
    for day in train_days:
        people = in_scope(born, day)
        X.append(features(events, born, people, day, kinds))
        hit = outcomes(city, day, horizon_days)
        y.append(np.array([p in hit for p in people], dtype=int))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.5))
    model.fit(np.vstack(X), np.concatenate(y))
    people = in_scope(born, as_of)
    scores = model.predict_proba(features(events, born, people, as_of, kinds))[:, 1]
    hit = outcomes(city, as_of, horizon_days)
    truth = np.array([p in hit for p in people], dtype=int)
    return {
        "people": people,
        "truth": dict(zip(people, truth.tolist(), strict=True)),
        "auc": float(roc_auc_score(truth, scores)),
        "outcomes": int(truth.sum()),
    }


def exported_scores(city: Path, scores_csv: Path, links_csv: Path) -> dict[str, float]:
    """Each true person's exported score (the highest, if linkage split them into several youth)."""
    with open(scores_csv, encoding="utf-8") as handle:
        scores = {r["youth_id"]: float(r["score"]) for r in csv.DictReader(handle)}
    with open(links_csv, encoding="utf-8") as handle:
        youth_of = {(r["feed"], r["record_key"]): r["youth_id"] for r in csv.DictReader(handle)}
    out: dict[str, float] = {}
    with open(city / "truth/record_person.csv", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            youth = youth_of.get((r["feed"], r["record_key"]))
            if youth in scores:
                out[r["person_id"]] = max(out.get(r["person_id"], 0.0), scores[youth])
    return out


IDENTITY = ("national_id", "name", "name_romanized", "birth_date", "sex", "district", "address")


def _write_like(path: Path, header: list[str], rows: list[dict], original: bytes) -> None:
    """Write rows back in the file's own style: BOM, line ends and encoding (UTF-8 when a name is outside
    Big5; the contract reads both)."""
    newline = "\r\n" if b"\r\n" in original[:4000] else "\n"
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator=newline, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    encoding = contract.detect_encoding(original)
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = buffer.getvalue().encode("utf-8")
    if original.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xef\xbb\xbf"):
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)


def shuffle_outcome_records(city: Path, seed: int = 0) -> None:
    """Make a city whose records carry no signal: every row of the feeds that record outcomes (police
    contacts, welfare reports, dropout reports) is given to a youth drawn at random, each youth as likely
    as any other; the rest of each youth's records stay theirs. Outcomes are then independent of everything
    a model can see."""
    rng = np.random.default_rng(seed)
    roster = _rows(city / "school.students.csv")
    people: dict[tuple, list[dict]] = defaultdict(list)
    for row in roster:
        people[(row.get("name"), row.get("birth_date"))].append(row)
    people_list = list(people.values())

    def someone() -> dict:
        rows = people_list[rng.integers(len(people_list))]
        return rows[rng.integers(len(rows))]

    for feed in ("police.contacts", "welfare.reports", "school.dropouts"):
        path = city / f"{feed}.csv"
        original = path.read_bytes()
        parsed = contract.read_rows(original)
        rows = [cells for _number, cells in parsed.rows]
        for row in rows:
            who = someone()
            columns = ("student_no", "school_code") if feed == "school.dropouts" else IDENTITY
            for column in columns:
                if column in row:
                    row[column] = who.get(column, "")
        _write_like(path, list(parsed.header), rows, original)
