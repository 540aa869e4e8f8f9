"""The key table: every current, unsealed, person-naming record's comparison keys, kept as rows
(``LinkageKey``) so that linking a day's delivery reads a few hundred records, not the whole city.

The imports keep it (``sync`` at the end of every import of a person-naming feed, in the import's
transaction); the linker calls ``sync`` again before it reads, which costs two queries when nothing changed,
so a table behind for any reason (a restored backup, a record corrected in place) is brought in line rather
than trusted. A sealed record's keys are deleted with it (the foreign key cascades).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from django.db import connection, transaction

from integrations.linkage import features
from integrations.models import LinkageKey, SourceRecord

CHUNK = 5000
KEY_FIELDS = [c for c in features.COLUMNS if c != "unique_id"]
# The table's columns in features.COLUMNS' order (the first is the record's id, features' unique_id).
_COLUMNS = (
    "source_record_id, feed, record_key, knowledge_date, nid, nid_valid, name_trad, surname, given, "
    "given_sorted, pinyin, given_pinyin, given_near, phonetic, has_chinese, roman, dob, dob_y, dob_md, "
    "dob_swapped, sex, district, address, address_full"
)
_SELECT = "SELECT " + _COLUMNS + ' FROM "integrations_linkagekey"'  # noqa: S608 (fixed text)
_COPY = 'COPY "integrations_linkagekey" (' + _COLUMNS + ") FROM STDIN"
_STALE_SQL = (
    'DELETE FROM "integrations_linkagekey" k USING "integrations_sourcerecord" s '
    "WHERE s.id = k.source_record_id AND (NOT s.is_current OR s.sealed_at IS NOT NULL)"
)
_MISSING_SQL = (
    "SELECT s.id, s.feed, s.record_key, s.knowledge_date, s.national_id_status, "
    "s.values->>'national_id', s.values->>'name', s.values->>'name_romanized', s.values->>'birth_date', "
    "s.values->>'sex', s.values->>'district', s.values->>'address' "
    'FROM "integrations_sourcerecord" s WHERE s.is_current AND s.sealed_at IS NULL AND s.feed = ANY(%s) '
    'AND NOT EXISTS (SELECT 1 FROM "integrations_linkagekey" k WHERE k.source_record_id = s.id)'
)


def sync() -> dict:
    """Bring the table in line with the records: drop the keys of versions since replaced or sealed, and
    derive those of current records that have none. Returns ``{"added": n, "removed": n}``."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(_STALE_SQL)
                removed = cursor.rowcount
                cursor.execute(_MISSING_SQL, [list(features.PERSON_FEEDS)])
                rows = cursor.fetchall()
        else:
            stale = LinkageKey.objects.filter(source_record__is_current=False) | LinkageKey.objects.filter(
                source_record__sealed_at__isnull=False
            )
            removed = stale.delete()[0]
            missing = SourceRecord.objects.filter(
                is_current=True,
                sealed_at__isnull=True,
                feed__in=features.PERSON_FEEDS,
                linkage_key__isnull=True,
            )
            rows = [
                (*r[:5], *(r[5].get(c) for c in features.RAW_VALUES))
                for r in missing.values_list(
                    "id", "feed", "record_key", "knowledge_date", "national_id_status", "values"
                )
            ]
        added = _insert(features.frame_from_raw(rows)) if rows else 0
    return {"added": added, "removed": removed}


def follow_import(batch_id: int, superseded: Iterable[int]) -> int:
    """What one import changed, in its transaction: the keys of the versions it replaced go, those of the
    current unsealed person records it stored come. Returns how many keys were added."""
    if not LinkageKey.objects.exists():
        # The first import since the table was made (an installation that predates it): the whole table now,
        # since sealing finds records through it (notices.PersonWideNotices).
        return sync()["added"]
    superseded = list(superseded)
    for start in range(0, len(superseded), CHUNK):
        LinkageKey.objects.filter(source_record_id__in=superseded[start : start + CHUNK]).delete()
    stored = SourceRecord.objects.filter(
        batch_id=batch_id, is_current=True, sealed_at__isnull=True, feed__in=features.PERSON_FEEDS
    )
    rows = [
        (*r[:5], *(r[5].get(c) for c in features.RAW_VALUES))
        for r in stored.values_list(
            "id", "feed", "record_key", "knowledge_date", "national_id_status", "values"
        )
    ]
    return _insert(features.frame_from_raw(rows)) if rows else 0


def catch_up() -> int:
    """Keys for current records stored after the newest keyed one and not keyed (an import that did not keep
    the table: none should). Cheap: it reads the records above the newest keyed id by the primary key; a
    full ``sync`` checks everything."""
    newest = (
        LinkageKey.objects.order_by("-source_record_id").values_list("source_record_id", flat=True).first()
    )
    if newest is None:
        return sync()["added"]
    missing = SourceRecord.objects.filter(
        pk__gt=newest, is_current=True, sealed_at__isnull=True, feed__in=features.PERSON_FEEDS
    ).exclude(pk__in=LinkageKey.objects.filter(source_record_id__gt=newest).values("source_record_id"))
    rows = [
        (*r[:5], *(r[5].get(c) for c in features.RAW_VALUES))
        for r in missing.values_list(
            "id", "feed", "record_key", "knowledge_date", "national_id_status", "values"
        )
    ]
    return _insert(features.frame_from_raw(rows)) if rows else 0


def _insert(df: pd.DataFrame) -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(_COPY) as copy:
            for row in df.itertuples(index=False, name=None):
                copy.write_row([_plain(v) for v in row])
        return len(df)
    objects = [
        LinkageKey(
            source_record_id=row[0], **{c: _plain(v) for c, v in zip(KEY_FIELDS, row[1:], strict=True)}
        )
        for row in df.itertuples(index=False, name=None)
    ]
    LinkageKey.objects.bulk_create(objects, batch_size=CHUNK)
    return len(objects)


def _plain(value):
    """A DataFrame cell as the database takes it (NaN and NA as NULL, NumPy numbers as Python's)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def frame(where: str = "", params: Iterable = ()) -> pd.DataFrame:
    """The linkage input read from the table (``features.frame``'s shape), optionally limited by a SQL
    condition on the key table's columns (PostgreSQL) ."""
    with connection.cursor() as cursor:
        cursor.execute(_SELECT + (" WHERE " + where if where else ""), list(params))
        rows = cursor.fetchall()
    return _frame(rows)


def _frame(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame.from_records(rows, columns=list(features.COLUMNS))
    df["unique_id"] = df["unique_id"].astype("int64")
    # The same types as features.frame_from_raw gives: a birth year is a number, a date a date.
    df["dob_y"] = pd.to_numeric(df["dob_y"])
    df["has_chinese"] = df["has_chinese"].astype(bool)
    df["knowledge_date"] = [
        d if d is None or isinstance(d, dt.date) else dt.date.fromisoformat(str(d))
        for d in df["knowledge_date"]
    ]
    return df


def records(ids: Iterable[int]) -> pd.DataFrame:
    """The keys of these source records (by id)."""
    ids = sorted(set(ids))
    if not ids:
        return _frame([])
    if connection.vendor == "postgresql":
        return frame("source_record_id = ANY(%s)", [ids])
    found = []
    for start in range(0, len(ids), CHUNK):
        found += LinkageKey.objects.filter(source_record_id__in=ids[start : start + CHUNK]).values_list(
            "source_record_id", *KEY_FIELDS
        )
    return _frame(found)


def everyone() -> pd.DataFrame:
    """Every record's keys (a full run's input)."""
    return frame()


_PENDING_SQL = (
    'SELECT k.source_record_id FROM "integrations_linkagekey" k LEFT JOIN "integrations_recordlink" l '
    "ON l.feed = k.feed AND l.record_key = k.record_key "
    "WHERE l.id IS NULL OR l.source_record_id IS DISTINCT FROM k.source_record_id"
)


def pending() -> list[int]:
    """Source record ids that are new or changed since they were last linked (a record whose link names
    another version of it, or no link at all)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_PENDING_SQL)
            return [r[0] for r in cursor.fetchall()]
    from integrations.models import RecordLink

    linked = {
        (f, k): r for f, k, r in RecordLink.objects.values_list("feed", "record_key", "source_record_id")
    }
    return [
        rid
        for rid, f, k in LinkageKey.objects.values_list("source_record_id", "feed", "record_key")
        if linked.get((f, k)) != rid
    ]


# The columns a new record finds its neighbours by: a record that shares none of them with it cannot be in
# one of the blocks the model scores (engine.BLOCKING: every block includes the ID, the birth date, the name or
# the phonetic key).
NEIGHBOUR_COLUMNS = ("nid", "dob", "name_trad", "phonetic")
_NEIGHBOUR_YOUTH_SQL = (
    'SELECT DISTINCT l.youth_id FROM "integrations_linkagekey" k JOIN "integrations_recordlink" l '
    "ON l.feed = k.feed AND l.record_key = k.record_key "
    "WHERE k.nid = ANY(%s) OR k.dob = ANY(%s) OR k.name_trad = ANY(%s) OR k.phonetic = ANY(%s)"
)
_OF_YOUTH = (
    "source_record_id <> ALL(%s) AND (feed, record_key) IN "
    '(SELECT l.feed, l.record_key FROM "integrations_recordlink" l WHERE l.youth_id = ANY(%s))'
)


def neighbourhood(new: pd.DataFrame, *, exclude: Iterable[int]) -> pd.DataFrame:
    """Every record of every youth that holds a record sharing a blocking column with one of ``new`` (the
    existing youth a new record may join or split), ``exclude`` left out."""
    exclude = sorted(set(exclude))
    wanted = {c: sorted({str(v) for v in new[c].dropna()}) for c in NEIGHBOUR_COLUMNS}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_NEIGHBOUR_YOUTH_SQL, [wanted[c] for c in NEIGHBOUR_COLUMNS])
            youth = [r[0] for r in cursor.fetchall()]
        if not youth:
            return _frame([])
        return frame(_OF_YOUTH, [exclude, youth])
    from integrations.models import RecordLink

    everything = everyone()
    old = everything[~everything["unique_id"].isin(exclude)]
    touch = pd.Series(False, index=old.index)
    for c in NEIGHBOUR_COLUMNS:
        touch |= old[c].astype("string").isin(wanted[c]).fillna(False)
    youth_of = {(f, k): y for f, k, y in RecordLink.objects.values_list("feed", "record_key", "youth_id")}
    youth = {youth_of.get((f, k)) for f, k in zip(old["feed"][touch], old["record_key"][touch], strict=True)}
    youth.discard(None)
    keep = [youth_of.get((f, k)) in youth for f, k in zip(old["feed"], old["record_key"], strict=True)]
    return old[keep].reset_index(drop=True)


def term_frequencies(df: pd.DataFrame, columns: Iterable[str]) -> dict[str, pd.DataFrame]:
    """How common each value of ``df``'s term-frequency columns is over the whole population (the key table),
    in ``engine.term_frequencies``' shape; only the values ``df`` holds are looked up."""
    if connection.vendor != "postgresql":
        from integrations.linkage import engine

        return engine.term_frequencies(everyone())
    out = {}
    with connection.cursor() as cursor:
        for c in columns:
            values = sorted({str(v) for v in df[c].dropna()})
            count_sql, tf_sql = _TF_SQL[c]
            cursor.execute(count_sql)
            total = cursor.fetchone()[0] or 1
            cursor.execute(tf_sql, [values])
            found = cursor.fetchall()
            out[c] = pd.DataFrame({c: [v for v, _n in found], f"tf_{c}": [n / total for _v, n in found]})
    return out


# Per term-frequency column (engine.TF_COLUMNS): how many records have a value, and how many each value.
_TF_SQL = {
    "surname": (
        'SELECT count(surname) FROM "integrations_linkagekey"',
        'SELECT surname, count(*) FROM "integrations_linkagekey" WHERE surname = ANY(%s) GROUP BY surname',
    ),
    "given": (
        'SELECT count(given) FROM "integrations_linkagekey"',
        'SELECT given, count(*) FROM "integrations_linkagekey" WHERE given = ANY(%s) GROUP BY given',
    ),
    "dob": (
        'SELECT count(dob) FROM "integrations_linkagekey"',
        'SELECT dob, count(*) FROM "integrations_linkagekey" WHERE dob = ANY(%s) GROUP BY dob',
    ),
    "address": (
        'SELECT count(address) FROM "integrations_linkagekey"',
        'SELECT address, count(*) FROM "integrations_linkagekey" WHERE address = ANY(%s) GROUP BY address',
    ),
}
