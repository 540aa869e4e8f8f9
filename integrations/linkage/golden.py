"""The golden record: a youth's identity as its linked records say it, most often or most recently."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from casework.models import FairnessAttributes, Youth

from ..models import RecordLink, SourceRecord
from . import features

ROSTER = "school.students"
_FIELDS = ["name", "name_romanized", "birth_date", "sex", "national_id", "district", "address"]


def _mode(series: pd.Series):
    values = series.dropna()
    if values.empty:
        return None
    return values.value_counts(sort=True).index[0]


def golden_values(df: pd.DataFrame) -> pd.DataFrame:
    """One row per ``youth_id`` with the golden fields, from a features frame with a ``youth_id`` column."""
    if df.empty:
        return pd.DataFrame(columns=["youth_id", *_FIELDS])
    ordered = df.sort_values(["youth_id", "knowledge_date"], na_position="first")
    grouped = ordered.groupby("youth_id", sort=False)
    # Most common value (ties: the value seen first); address and district: the most recent known.
    out = pd.DataFrame(
        {
            "name": grouped["name_trad"].agg(_mode),
            "name_romanized": grouped["roman"].agg(_mode),
            "birth_date": grouped["dob"].agg(_mode),
            "sex": grouped["sex"].agg(_mode),
            "national_id": grouped["nid_valid"].agg(_mode),
            "district": grouped["district"].agg("last"),
            "address": grouped["address_full"].agg("last"),
        }
    )
    out = out.astype(object).where(out.notna(), None)
    return out.reset_index()


def fairness_values(youth_ids: Iterable[int] | None = None) -> dict[int, tuple]:
    """youth id -> (indigenous, new_immigrant_parent) from the latest roster row that says so."""
    links = RecordLink.objects.filter(feed=ROSTER)
    if youth_ids is not None:
        links = links.filter(youth_id__in=list(youth_ids))
    youth_of = dict(links.values_list("record_key", "youth_id"))
    out: dict[int, list] = {}
    rows = SourceRecord.objects.filter(
        feed=ROSTER, is_current=True, sealed_at__isnull=True, record_key__in=list(youth_of)
    )
    for key, values in rows.order_by("knowledge_date").values_list("record_key", "values"):
        current = out.setdefault(youth_of[key], [None, None])
        for i, column in enumerate(("indigenous", "new_immigrant_parent")):
            if values.get(column) is not None:
                current[i] = values[column]
    return {k: tuple(v) for k, v in out.items()}


def golden_fields(row) -> dict:
    """Model field values from one row of :func:`golden_values`."""
    return {
        "name": (row.name or "")[:64],
        "name_romanized": (row.name_romanized or "")[:128],
        "birth_date": pd.Timestamp(row.birth_date).date() if row.birth_date else None,
        "sex": row.sex or "",
        "national_id": row.national_id or "",
        "district": (row.district or "")[:16],
        "address": (row.address or "")[:255],
    }


def apply_golden(values: pd.DataFrame, fairness: dict[int, tuple]) -> int:
    """Write golden values onto youth records where they changed. Returns how many changed."""
    youths = Youth.objects.in_bulk(list(values["youth_id"]))
    changed = []
    for row in values.itertuples(index=False):
        youth = youths.get(row.youth_id)
        if youth is None:
            continue
        new = golden_fields(row)
        if any(getattr(youth, k) != v for k, v in new.items()):
            for k, v in new.items():
                setattr(youth, k, v)
            changed.append(youth)
    Youth.objects.bulk_update(changed, _FIELDS, batch_size=2000)
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
    FairnessAttributes.objects.bulk_create(create, batch_size=5000)
    FairnessAttributes.objects.bulk_update(update, ["indigenous", "new_immigrant_parent"], batch_size=2000)
    return len(changed)


def refresh_golden_records(youth_ids: Iterable[int]) -> int:
    youth_ids = list(youth_ids)
    links = RecordLink.objects.filter(youth_id__in=youth_ids)
    youth_of = {(f, k): y for f, k, y in links.values_list("feed", "record_key", "youth_id")}
    df = features.frame(keys=youth_of.keys())
    df["youth_id"] = [youth_of[(f, k)] for f, k in zip(df["feed"], df["record_key"], strict=True)]
    return apply_golden(golden_values(df), fairness_values(youth_ids))
