"""The golden record: a youth's identity as its linked records say it, most often or most recently."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from casework.bulk import copy_rows
from casework.history import record_versions
from casework.models import FairnessAttributes, Youth
from integrations.linkage import features
from integrations.models import RecordLink, SourceRecord

ROSTER = "school.students"
# A sealing notice names its person only to find the records it seals: it is not a source of the person's
# identity. A youth known only through sealed records and notices keeps no name, birth date or ID.
NOTICE = "court.sealing"
FIELDS = ["name", "name_romanized", "birth_date", "sex", "national_id", "district", "address"]


def _modes(df: pd.DataFrame, column: str) -> pd.Series:
    """Per youth, the most common non-blank value of ``column`` (ties: the value first seen). Vectorised:
    a city has hundreds of thousands of youth."""
    values = df[["youth_id", column]].dropna()
    if values.empty:
        return pd.Series(dtype=object)
    values = values.assign(_order=np.arange(len(values)))
    counted = values.groupby(["youth_id", column], sort=False).agg(
        n=("_order", "size"), first=("_order", "min")
    )
    counted = counted.reset_index().sort_values(["youth_id", "n", "first"], ascending=[True, False, True])
    best = counted.drop_duplicates("youth_id")
    return pd.Series(best[column].to_numpy(), index=best["youth_id"].to_numpy())


def golden_values(df: pd.DataFrame) -> pd.DataFrame:
    """One row per ``youth_id`` with the golden fields, from a features frame with a ``youth_id`` column."""
    if not df.empty and "feed" in df.columns:
        df = df[df["feed"] != NOTICE]
    if df.empty:
        return pd.DataFrame(columns=["youth_id", *FIELDS])
    ordered = df.sort_values(["youth_id", "knowledge_date"], na_position="first", kind="stable")
    youth_ids = pd.Index(ordered["youth_id"].unique(), name="youth_id")
    grouped = ordered.groupby("youth_id", sort=False)
    # Most common value (ties: the value seen first); address and district: the most recent known.
    out = pd.DataFrame(
        {
            "name": _modes(ordered, "name_trad"),
            "name_romanized": _modes(ordered, "roman"),
            "birth_date": _modes(ordered, "dob"),
            "sex": _modes(ordered, "sex"),
            "national_id": _modes(ordered, "nid_valid"),
            "district": grouped["district"].agg("last"),
            "address": grouped["address_full"].agg("last"),
        },
        index=youth_ids,
    )
    out = out.astype(object).where(out.notna(), None)
    return out.reset_index()


def fairness_values(youth_ids: Iterable[int] | None = None) -> dict[int, tuple]:
    """youth id -> (indigenous, new_immigrant_parent) from the latest roster row that says so."""
    links = RecordLink.objects.filter(feed=ROSTER)
    wanted = None if youth_ids is None else set(youth_ids)
    youth_of = {
        key: youth
        for key, youth in links.values_list("record_key", "youth_id")
        if wanted is None or youth in wanted
    }
    out: dict[int, list] = {}
    rows = SourceRecord.objects.filter(feed=ROSTER, is_current=True, sealed_at__isnull=True)
    if len(youth_of) < 5000:
        rows = rows.filter(record_key__in=list(youth_of))
    columns = ("record_key", "values__indigenous", "values__new_immigrant_parent")
    for key, indigenous, immigrant in rows.order_by("knowledge_date").values_list(*columns):
        youth = youth_of.get(key)
        if youth is None:
            continue
        current = out.setdefault(youth, [None, None])
        if indigenous is not None:
            current[0] = indigenous
        if immigrant is not None:
            current[1] = immigrant
    return {k: tuple(v) for k, v in out.items()}


BLANK = {"name": "", "name_romanized": "", "birth_date": None, "sex": "", "national_id": "", "district": "",
         "address": ""}  # fmt: skip


def golden_fields(row) -> dict:
    """Model field values from one row of :func:`golden_values` (``None``: no identity known)."""
    if row is None:
        return dict(BLANK)
    return {
        "name": (row.name or "")[:64],
        "name_romanized": (row.name_romanized or "")[:128],
        "birth_date": pd.Timestamp(row.birth_date).date() if row.birth_date else None,
        "sex": row.sex or "",
        "national_id": row.national_id or "",
        "district": (row.district or "")[:16],
        "address": (row.address or "")[:255],
    }


def apply_golden(values: pd.DataFrame, fairness: dict[int, tuple], youth_ids: Iterable[int] = ()) -> int:
    """Write golden values onto youth records where they changed; youth among ``youth_ids`` with no row in
    ``values`` (no record left that names them) lose their identity. Returns how many changed."""
    rows = {row.youth_id: row for row in values.itertuples(index=False)}
    for youth_id in youth_ids:
        rows.setdefault(youth_id, None)
    youths = Youth.objects.in_bulk(list(rows))
    changed = []
    for youth_id, row in rows.items():
        youth = youths.get(youth_id)
        if youth is None:
            continue
        new = golden_fields(row)
        if any(getattr(youth, k) != v for k, v in new.items()):
            for k, v in new.items():
                setattr(youth, k, v)
            changed.append(youth)
    Youth.objects.bulk_update(changed, FIELDS, batch_size=2000)
    record_versions(Youth, changed, created=False, job="system:linkage")
    attrs = FairnessAttributes.objects.in_bulk(list(fairness), field_name="youth_id") if fairness else {}
    update, create = [], []
    for youth_id, (indigenous, immigrant) in fairness.items():
        row = attrs.get(youth_id)
        if row is None:
            create.append(
                FairnessAttributes(youth_id=youth_id, indigenous=indigenous, new_immigrant_parent=immigrant)
            )
        elif (row.indigenous, row.new_immigrant_parent) != (indigenous, immigrant):
            row.indigenous, row.new_immigrant_parent = indigenous, immigrant
            update.append(row)
    copy_rows(
        FairnessAttributes,
        ["youth_id", "indigenous", "new_immigrant_parent"],
        [(a.youth_id, a.indigenous, a.new_immigrant_parent) for a in create],
    )
    FairnessAttributes.objects.bulk_update(update, ["indigenous", "new_immigrant_parent"], batch_size=2000)
    return len(changed)


def refresh_golden_records(youth_ids: Iterable[int]) -> int:
    youth_ids = list(youth_ids)
    links = RecordLink.objects.filter(youth_id__in=youth_ids)
    youth_of = {(f, k): y for f, k, y in links.values_list("feed", "record_key", "youth_id")}
    df = features.frame(keys=youth_of.keys())
    df["youth_id"] = [youth_of[(f, k)] for f, k in zip(df["feed"], df["record_key"], strict=True)]
    changed = apply_golden(golden_values(df), fairness_values(youth_ids), youth_ids)
    return changed + refresh_absorbed_identities(youth_ids)


MOVED_LINKS = RecordLink._meta.label_lower


def refresh_absorbed_identities(youth_ids: Iterable[int]) -> int:
    """The youth merged into these (at any depth, merges not reversed) keep the identity they had, for the
    merge's reversal and the steward's history. It is rebuilt from the records the merge moved from them that
    still exist and are unsealed, and blanked when none is left: a record merged away must not keep a name or
    an address that only a sealed record gave it (docs/sealing.md). Returns how many changed."""
    from casework.models import YouthMerge

    changed = 0
    seen: set[int] = set()
    frontier = set(youth_ids)
    while frontier:
        merges = YouthMerge.objects.filter(kept_id__in=frontier, reversed_at__isnull=True)
        moved_of = {
            absorbed: [int(pk) for pk in (moved or {}).get(MOVED_LINKS, [])]
            for absorbed, moved in merges.values_list("absorbed_id", "moved")
            if absorbed not in seen
        }
        if not moved_of:
            break
        seen |= moved_of.keys()
        still = {
            pk: (feed, key)
            for pk, feed, key in RecordLink.objects.filter(
                pk__in=[pk for pks in moved_of.values() for pk in pks]
            ).values_list("pk", "feed", "record_key")
        }
        owner = {still[pk]: absorbed for absorbed, pks in moved_of.items() for pk in pks if pk in still}
        df = features.frame(keys=owner.keys()) if owner else pd.DataFrame(columns=["feed", "record_key"])
        df["youth_id"] = [owner[(f, k)] for f, k in zip(df["feed"], df["record_key"], strict=True)]
        changed += apply_golden(golden_values(df), {}, moved_of.keys())
        frontier = set(moved_of)
    return changed
