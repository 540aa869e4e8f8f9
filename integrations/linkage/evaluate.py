"""Linkage quality against a synthetic city's ground truth (``truth/record_person.csv``)."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping
from pathlib import Path


def read_truth(city_dir: Path) -> dict[tuple[str, str], str]:
    with open(Path(city_dir) / "truth" / "record_person.csv", encoding="utf-8", newline="") as handle:
        return {(row["feed"], row["record_key"]): row["person_id"] for row in csv.DictReader(handle)}


def _pairs(counter: Counter) -> int:
    return sum(n * (n - 1) // 2 for n in counter.values())


def pairwise_scores(
    assigned: Mapping[tuple[str, str], object],
    truth: Mapping[tuple[str, str], str],
    *,
    review_records: int = 0,
) -> dict:
    """Pairwise precision, recall and F1 of a clustering (record -> cluster label) over the records that
    have both a cluster and a true person."""
    common = [k for k in assigned if k in truth]
    predicted = Counter(assigned[k] for k in common)
    actual = Counter(truth[k] for k in common)
    both = Counter((assigned[k], truth[k]) for k in common)
    tp = _pairs(both)
    pred_pairs = _pairs(predicted)
    true_pairs = _pairs(actual)
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "records": len(common),
        "true_persons": len(actual),
        "clusters": len(predicted),
        "true_pairs": true_pairs,
        "predicted_pairs": pred_pairs,
        "true_positive_pairs": tp,
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "review_records": review_records,
        "review_share": round(review_records / len(common), 5) if common else 0.0,
    }


def frame_from_files(city_dir: Path):
    """The linkage input straight from a city's feed files (no database): every person-naming row that
    passes the contract, numbered in file order. For measuring and training without an import."""
    from integrations.feeds import contract
    from integrations.linkage import features

    rows = []
    for feed in features.PERSON_FEEDS:
        data = (Path(city_dir) / f"{feed}.csv").read_bytes()
        for _number, raw in contract.read_rows(data).rows:
            parsed = contract.validate_row(feed, raw)
            if not parsed.ok:
                continue
            v = parsed.values
            birth = v.get("birth_date")
            rows.append(
                (len(rows) + 1, feed, parsed.key, None, parsed.national_id_status, v.get("national_id"),
                 v.get("name"), v.get("name_romanized"), birth.isoformat() if birth else None, v.get("sex"),
                 v.get("district"), v.get("address"))
            )  # fmt: skip
    return features.frame_from_raw(rows)
