"""The linkage input: every current, unsealed, person-naming source record, with derived comparison keys.

Sealed records are not read at all (Art. 83-1: sealed records are not linkage evidence).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import pandas as pd
from django.db import connection

from integrations.feeds import contract
from integrations.linkage import namekeys
from integrations.models import SourceRecord

PERSON_FEEDS = tuple(name for name, spec in contract.FEEDS.items() if spec.carries_identity)
COLUMNS = (
    "unique_id",
    "feed",
    "record_key",
    "knowledge_date",
    "nid",
    "nid_valid",
    "name_trad",
    "surname",
    "given",
    "given_sorted",
    "pinyin",
    "given_pinyin",
    "given_near",
    "phonetic",
    "has_chinese",
    "roman",
    "dob",
    "dob_y",
    "dob_md",
    "dob_swapped",
    "sex",
    "district",
    "address",
    "address_full",
)

# The identity values a record's keys are derived from, in the order ``_raw_rows`` gives them after its first five.
RAW_VALUES = ("national_id", "name", "name_romanized", "birth_date", "sex", "district", "address")

_SQL = (
    "SELECT id, feed, record_key, knowledge_date, national_id_status, "
    "values->>'national_id', values->>'name', values->>'name_romanized', values->>'birth_date', "
    "values->>'sex', values->>'district', values->>'address' "
    'FROM "integrations_sourcerecord" WHERE is_current AND sealed_at IS NULL AND feed = ANY(%s)'
)


def _raw_rows(keys: Iterable[tuple[str, str]] | None = None) -> list[tuple]:
    """(id, feed, key, knowledge_date, nid status, nid, name, romanised, birth date, sex, district, address)."""
    if keys is None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_SQL, [list(PERSON_FEEDS)])
            return cursor.fetchall()
    qs = SourceRecord.objects.filter(is_current=True, sealed_at__isnull=True, feed__in=PERSON_FEEDS)
    rows = []
    wanted = None if keys is None else set(keys)
    if wanted is not None:
        feeds = {f for f, _ in wanted}
        qs = qs.filter(feed__in=feeds, record_key__in={k for _, k in wanted})
    for r in qs.values_list("id", "feed", "record_key", "knowledge_date", "national_id_status", "values"):
        if wanted is not None and (r[1], r[2]) not in wanted:
            continue
        v = r[5]
        rows.append(
            (*r[:5], v.get("national_id"), v.get("name"), v.get("name_romanized"), v.get("birth_date"),
             v.get("sex"), v.get("district"), v.get("address"))
        )  # fmt: skip
    return rows


_CITY_PREFIX = re.compile(r"^[^\d\s]{2}[市縣]")
_DISTRICT_PREFIX = re.compile(r"^(?:[^\d\s]{1,3}區|[^\d\s]{1,2}[鄉鎮市])")


def address_key(address: str | None) -> str | None:
    """An address without spaces and without the city and district in front (the police and welfare
    often leave them out), so the same home compares equal however it was written."""
    text = re.sub(r"\s+", "", address or "")
    text = _CITY_PREFIX.sub("", text, count=1)
    text = _DISTRICT_PREFIX.sub("", text, count=1)
    return text or None


def _swap(day: dt.date) -> str | None:
    if day.day > 12 or day.day == day.month:
        return None
    try:
        return dt.date(day.year, day.day, day.month).isoformat()
    except ValueError:
        return None


def frame(keys: Iterable[tuple[str, str]] | None = None) -> pd.DataFrame:
    """The linkage input as a DataFrame (one row per record); ``keys`` limits it to some records."""
    return frame_from_raw(_raw_rows(keys))


def frame_from_raw(rows: Iterable[tuple]) -> pd.DataFrame:
    """Derive the comparison keys from rows shaped as :func:`_raw_rows` returns them."""
    out = []
    for rid, feed, key, known, status, nid, name, roman, birth, sex, district, address in rows:
        keyset = namekeys.name_key(name or "", roman or "")
        day = dt.date.fromisoformat(birth[:10]) if birth else None
        given = keyset["given"]
        out.append(
            (
                rid,
                feed,
                key,
                known,
                nid or None,
                nid if status == "valid" else None,
                keyset["name_trad"] or None,
                keyset["surname"] or None,
                given or None,
                "".join(sorted(given)) or None,
                keyset["pinyin"] or None,
                keyset["given_pinyin"] or None,
                keyset["given_near"] or None,
                keyset["phonetic"] or None,
                bool(keyset["name_trad"]),
                (roman or "").strip() or None,
                day.isoformat() if day else None,
                day.year if day else None,
                day.strftime("%m-%d") if day else None,
                _swap(day) if day else None,
                sex or None,
                district or None,
                address_key(address),
                (address or "").strip() or None,
            )
        )
    df = pd.DataFrame.from_records(out, columns=list(COLUMNS))
    df["unique_id"] = df["unique_id"].astype("int64")
    return df
