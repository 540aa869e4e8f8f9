"""Linking source records into youth records: full relinking and incremental linking.

Youth IDs are stable across runs: a cluster of records keeps the youth its records were linked to
before (the youth most of them had). A youth whose records all joined another youth's cluster is
merged into it (an audited, reversible merge); records a data steward placed by hand (pinned) stay
where they were put. Steward decisions on review pairs are honoured on every run.
"""

from __future__ import annotations

import functools
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import splink
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from casework.access.audit import Actor, record
from casework.bulk import copy_rows
from casework.history import record_versions
from casework.models import AuditAction, Youth
from casework.versioning import code_version
from casework.youth.services import new_youth_public_id
from config.progress import ProgressCallback, report
from integrations.linkage import engine, keys
from integrations.linkage.golden import FIELDS as YOUTH_FIELDS
from integrations.linkage.golden import apply_golden, fairness_values, golden_fields, golden_values
from integrations.linkage.identity import merge_youth
from integrations.linkage.sealing import NOTICE_FEED, enforce_sealing
from integrations.linkage.timeline import sync_events
from integrations.models import (
    LinkageModel,
    LinkageRun,
    LinkMethod,
    RecordLink,
    ReviewPair,
    ReviewStatus,
    SourceRecord,
)

LOCK_KEY = 74_201_122  # PostgreSQL advisory lock: one linkage run at a time


def one_run_at_a_time(func):
    """Serialise linkage runs (two imports finishing together must not both create the same new youth).
    A session-level PostgreSQL advisory lock; other databases run one process anyway (the demo)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if connection.vendor != "postgresql":
            return func(*args, **kwargs)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            return func(*args, **kwargs)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])

    return wrapper


def active_model() -> LinkageModel | None:
    return LinkageModel.objects.filter(is_active=True).first()


@transaction.atomic
def train_and_register(df: pd.DataFrame, *, activate: bool = True) -> LinkageModel:
    started = time.perf_counter()
    trained = engine.train(df)
    version = (LinkageModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    if activate:
        LinkageModel.objects.filter(is_active=True).update(is_active=False)
    return LinkageModel.objects.create(
        version=version,
        splink_version=splink.__version__,
        code_version=code_version(),
        settings=trained.settings,
        upper_threshold=engine.UPPER_THRESHOLD,
        lower_threshold=engine.LOWER_THRESHOLD,
        trained_on=trained.trained_on,
        metrics={"training_seconds": round(time.perf_counter() - started, 2), **trained.notes},
        is_active=activate,
    )


def _decisions(df: pd.DataFrame) -> tuple[set, set]:
    """Steward decisions as pairs of unique ids present in df: (accepted, rejected)."""
    uid = dict(zip(zip(df["feed"], df["record_key"], strict=True), df["unique_id"], strict=True))
    accepted, rejected = set(), set()
    decided = ReviewPair.objects.filter(status__in=[ReviewStatus.ACCEPTED, ReviewStatus.REJECTED])
    for lf, lk, rf, rk, status in decided.values_list(
        "left_feed", "left_key", "right_feed", "right_key", "status"
    ):
        a, b = uid.get((lf, lk)), uid.get((rf, rk))
        if a is None or b is None:
            continue
        (accepted if status == ReviewStatus.ACCEPTED else rejected).add((a, b))
    return accepted, rejected


@one_run_at_a_time
def link_all(
    *, retrain: bool = False, actor: Actor | None = None, progress: ProgressCallback | None = None
) -> dict:
    """(Re)link every current, unsealed person-naming record. ``progress(stage, done, total)`` hears the
    stages ``loading``, ``training``, ``predicting``, ``clustering``, ``writing`` and ``timeline``."""
    timings = {}
    t = time.perf_counter()
    report(progress, "loading")
    keys.sync()
    df = keys.everyone()
    report(progress, "loading", len(df), len(df))
    timings["load_seconds"] = round(time.perf_counter() - t, 2)
    if df.empty:
        return {"records": 0}
    model = active_model()
    # A model made from the shipped weights (a first small delivery) is replaced as soon as there is enough to
    # learn from: a city that started with a handful of rows must not keep the priors for ever.
    outgrown = (
        model is not None
        and (model.metrics or {}).get("priors")
        and (model.trained_on or 0) < engine.MIN_TRAINING_RECORDS <= len(df)
    )
    if model is None or retrain or outgrown:
        t = time.perf_counter()
        report(progress, "training", 0, len(df))
        model = train_and_register(df)
        timings["train_seconds"] = round(time.perf_counter() - t, 2)
    figures = _link(
        df, model=model, mode=LinkageRun.Mode.FULL, actor=actor, timings=timings, progress=progress
    )
    figures["model"] = model_source(model)
    return figures


def model_source(model: LinkageModel) -> str:
    """Where the linkage model's weights came from, in a sentence for the person who ran the command."""
    notes = model.metrics or {}
    if notes.get("priors"):
        return (
            f"linkage model v{model.version}: too little to learn from ({model.trained_on} records, "
            f"{notes.get('pairs_sharing_a_valid_id', 0)} pairs sharing a national ID; at least "
            f"{engine.MIN_TRAINING_RECORDS} records and {engine.MIN_TRAINING_PAIRS} pairs are needed), so the "
            "weights shipped with the platform were used: records with the same valid national ID are one "
            "person, and others are linked on name, birth date, sex and residence with those weights; run "
            "link_records --retrain once more records have arrived"
        )
    return (
        f"linkage model v{model.version}: weights learned from {model.trained_on} records "
        f"({notes.get('pairs_sharing_a_valid_id', 0)} pairs sharing a national ID)"
    )


@one_run_at_a_time
def link_incremental(*, actor: Actor | None = None, progress: ProgressCallback | None = None) -> dict:
    """Link records that are new or changed since they were last linked, against the existing youth. Reads
    the key table (``keys``): the new records, the records that share a blocking key with one of them and
    every record of those records' youth; the term frequencies are the whole population's, counted there."""
    t = time.perf_counter()
    report(progress, "loading")
    # The imports keep the key table (keys.follow_import); a full run checks all of it (keys.sync).
    added = keys.catch_up()
    pending = keys.pending()
    if not pending:
        return {"records": 0, "new_or_changed": 0}
    model = active_model()
    if model is None or not RecordLink.objects.exists():
        return link_all(actor=actor, progress=progress)
    new = keys.records(pending)
    subset = pd.concat([new, keys.neighbourhood(new, exclude=pending)], ignore_index=True)
    tf = keys.term_frequencies(subset, engine.TF_COLUMNS)
    timings = {"load_seconds": round(time.perf_counter() - t, 2), "keys_added": added}
    return _link(
        subset, model=model, mode=LinkageRun.Mode.INCREMENTAL, actor=actor, timings=timings, keep_existing=True,
        extra={"new_or_changed": len(new)}, tf=tf, progress=progress,
    )  # fmt: skip


def _link(
    df: pd.DataFrame,
    *,
    model: LinkageModel,
    mode: str,
    actor: Actor | None,
    timings: dict,
    keep_existing: bool = False,
    extra: dict | None = None,
    tf: dict | None = None,
    progress: ProgressCallback | None = None,
) -> dict:
    actor = actor or Actor.system("link_records")
    run = LinkageRun.objects.create(mode=mode, model=model)
    t = time.perf_counter()
    report(progress, "predicting", 0, len(df))
    pairs = engine.predict(df, model.settings, model.lower_threshold, tf)
    timings["predict_seconds"] = round(time.perf_counter() - t, 2)
    accepted, rejected = _decisions(df)
    links = {
        (f, k): (y, p)
        for f, k, y, p in RecordLink.objects.values_list("feed", "record_key", "youth_id", "pinned")
    }
    if keep_existing:
        # Existing youth stay together: chain their records as must-link pairs.
        by_youth = defaultdict(list)
        for uid, f, k in zip(df["unique_id"], df["feed"], df["record_key"], strict=True):
            if (f, k) in links:
                by_youth[links[(f, k)][0]].append(uid)
        for uids in by_youth.values():
            accepted |= set(zip(uids, uids[1:], strict=False))
    t = time.perf_counter()
    report(progress, "clustering", 0, len(pairs))
    result = engine.cluster(
        df, pairs, upper=model.upper_threshold, lower=model.lower_threshold, settings=model.settings,
        accepted=accepted, rejected=rejected,
    )  # fmt: skip
    timings["cluster_seconds"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    report(progress, "writing", 0, len(df))
    with transaction.atomic():
        figures = _apply(df, result, links=links, run=run, model=model, actor=actor)
        # Sealing holds before anything reaches a timeline: a contact a person-wide notice reaches through
        # the links just written is erased in the same transaction, so it never raises an alert.
        figures.update(enforce_sealing(actor=actor))
    timings["write_seconds"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    report(progress, "writing", len(df), len(df))
    report(progress, "timeline")
    touched = figures.pop("_touched")
    # A full run brings every timeline in line; an incremental one only those of the youth it touched.
    figures.update(sync_events() if mode == LinkageRun.Mode.FULL else sync_events(youth_ids=touched))
    timings["timeline_seconds"] = round(time.perf_counter() - t, 2)
    figures = {**(extra or {}), **result.figures, **figures, **timings}
    run.finished_at = timezone.now()
    run.figures = figures
    run.save(update_fields=["finished_at", "figures"])
    if mode == LinkageRun.Mode.FULL:
        records = figures.get("records") or 0
        model.metrics = {
            **model.metrics,
            "last_full_run": {
                "run": run.pk,
                "records": records,
                "youth": figures.get("clusters"),
                "deterministic_edges": figures.get("deterministic_edges"),
                "auto_links": figures.get("auto_links"),
                "review_pairs": figures.get("review_pairs"),
                "review_share_at_most": round(2 * (figures.get("review_pairs") or 0) / records, 5)
                if records
                else 0,
            },
        }
        model.save(update_fields=["metrics"])
    record(
        actor, AuditAction.LINK, run, detail={k: v for k, v in figures.items() if isinstance(v, int | float)}
    )
    return figures


def _apply(df, result, *, links, run, model, actor) -> dict:
    labels = dict(zip(result.clusters["unique_id"], result.clusters["cluster"], strict=True))
    method = dict(zip(result.clusters["unique_id"], result.clusters["method"], strict=True))
    prob = dict(zip(result.clusters["unique_id"], result.clusters["match_probability"], strict=True))
    keys = list(zip(df["feed"], df["record_key"], strict=True))
    uids = df["unique_id"].tolist()

    # Candidate youth per cluster: pinned records vote far more than ordinary ones.
    votes: dict[int, Counter] = defaultdict(Counter)
    for uid, key in zip(uids, keys, strict=True):
        if key in links:
            youth, pinned = links[key]
            votes[labels[uid]][youth] += 1000 if pinned else 1
    candidates = sorted(
        (
            (count, -youth, cluster, youth)
            for cluster, counter in votes.items()
            for youth, count in counter.items()
        ),
        reverse=True,
    )
    cluster_youth: dict[int, int] = {}
    claimed: set[int] = set()
    for _count, _neg, cluster, youth in candidates:
        if cluster not in cluster_youth and youth not in claimed:
            cluster_youth[cluster] = youth
            claimed.add(youth)
    new_clusters = sorted(set(labels.values()) - set(cluster_youth))
    if new_clusters:
        # New youth are created with their golden values at once (no second pass of updates).
        members = df.assign(youth_id=[labels[u] for u in uids])
        members = members[members["youth_id"].isin(set(new_clusters))]
        values = {row.youth_id: row for row in golden_values(members).itertuples(index=False)}
        now = timezone.now()
        public_ids = [new_youth_public_id() for _ in new_clusters]
        fields = [golden_fields(values.get(c)) for c in new_clusters]
        copy_rows(
            Youth,
            ["public_id", *YOUTH_FIELDS, "created_at", "updated_at"],
            [(p, *(f[k] for k in YOUTH_FIELDS), now, now) for p, f in zip(public_ids, fields, strict=True)],
        )
        by_public = {}
        for start in range(0, len(public_ids), 20000):
            chunk = public_ids[start : start + 20000]
            by_public.update(Youth.objects.filter(public_id__in=chunk).values_list("public_id", "pk"))
        cluster_youth.update({c: by_public[p] for c, p in zip(new_clusters, public_ids, strict=True)})
        created = sorted(by_public.values())
        for start in range(0, len(created), 20000):
            record_versions(
                Youth,
                Youth.objects.filter(pk__in=created[start : start + 20000]),
                created=True,
                job="system:linkage",
            )

    record_ids = dict(zip(keys, uids, strict=True))
    target: dict[tuple[str, str], int] = {}
    for uid, key in zip(uids, keys, strict=True):
        if key in links and links[key][1]:
            target[key] = links[key][0]  # pinned
        else:
            target[key] = cluster_youth[labels[uid]]

    # Youth left with no record at all were absorbed by another cluster: merge them first (audited,
    # reversible: the merge lists the record links it moves, so reversing it moves them back).
    in_frame = set(keys)
    previous_youth = {links[k][0] for k in keys if k in links}
    absorbed_ids = previous_youth - set(target.values())
    outside = {
        y
        for f, k, y in RecordLink.objects.filter(youth_id__in=absorbed_ids).values_list(
            "feed", "record_key", "youth_id"
        )
        if (f, k) not in in_frame
    }
    merges = 0
    merged_into: set[int] = set()
    for youth_id in sorted(absorbed_ids - outside):
        went = Counter(target[k] for k in keys if k in links and links[k][0] == youth_id)
        kept_id = went.most_common(1)[0][0]
        absorbed = Youth.objects.get(pk=youth_id)
        if absorbed.merged_into_id:
            continue
        merge_youth(
            kept=Youth.objects.get(pk=kept_id), absorbed=absorbed, origin=f"linkage run {run.pk}",
            reason=f"Linkage run {run.pk} (model v{model.version}) found these records to be one person.",
            actor=actor,
        )  # fmt: skip
        merges += 1
        merged_into.add(kept_id)
        for k in keys:
            if k in links and links[k][0] == youth_id:
                links[k] = (kept_id, links[k][1])

    # Write links.
    now = timezone.now()
    to_create, to_update = [], []
    existing_links = {(f, k): (pk, y, rid, m) for pk, f, k, y, rid, m in RecordLink.objects.values_list(
        "id", "feed", "record_key", "youth_id", "source_record_id", "method")}  # fmt: skip
    moved_records = 0
    for uid, key in zip(uids, keys, strict=True):
        youth = target[key]
        m = method[uid] if not (key in links and links[key][1]) else LinkMethod.CLERICAL
        p = None if np.isnan(prob[uid]) else float(prob[uid])
        found = existing_links.get(key)
        if found is None:
            to_create.append((key[0], key[1], youth, int(record_ids[key]), m, p, False, run.pk, now))
        elif found[1] != youth or found[2] != record_ids[key] or found[3] != m:
            moved_records += found[1] != youth
            to_update.append(
                RecordLink(
                    pk=found[0],
                    youth_id=youth,
                    source_record_id=record_ids[key],
                    method=m,
                    match_probability=p,
                    run=run,
                    linked_at=now,
                )  # fmt: skip
            )
    changed_youth = {row[2] for row in to_create} | {link.youth_id for link in to_update} | merged_into
    changed_youth |= {
        existing_links[(f, k)][1]
        for f, k in keys
        if (f, k) in existing_links and target[(f, k)] != existing_links[(f, k)][1]
    }
    copy_rows(
        RecordLink,
        ["feed", "record_key", "youth_id", "source_record_id", "method", "match_probability", "pinned", "run_id",
         "linked_at"],
        to_create,
    )  # fmt: skip
    for start in range(0, len(to_update), 2000):
        RecordLink.objects.bulk_update(
            to_update[start : start + 2000],
            ["youth_id", "source_record_id", "method", "match_probability", "run", "linked_at"],
        )

    # Golden records for every youth touched (new youth were created with theirs).
    touched = set(target.values()) - {cluster_youth[c] for c in new_clusters}
    frame = df.assign(youth_id=[target[k] for k in keys])
    frame = frame[frame["youth_id"].isin(touched)]
    changed = apply_golden(golden_values(frame), fairness_values(set(target.values())), touched)

    review = _write_review(df, result, run=run, model=model)
    return {
        "youth_created": len(new_clusters),
        "links_created": len(to_create),
        "links_updated": len(to_update),
        "records_moved": moved_records,
        "merges": merges,
        "golden_changed": changed,
        **review,
        "_touched": changed_youth,
    }


def _write_review(df, result, *, run, model) -> dict:
    key_of = dict(zip(df["unique_id"], zip(df["feed"], df["record_key"], strict=True), strict=True))
    wanted = {}
    for row in result.review.itertuples(index=False):
        a, b = sorted([key_of[row.unique_id_l], key_of[row.unique_id_r]])
        wanted[(a, b)] = row
    existing = {
        ((r.left_feed, r.left_key), (r.right_feed, r.right_key)): r
        for r in ReviewPair.objects.filter(status__in=[ReviewStatus.OPEN])
    }
    decided = set(
        ReviewPair.objects.exclude(status=ReviewStatus.OPEN).values_list(
            "left_feed", "left_key", "right_feed", "right_key"
        )
    )
    create = []
    for (a, b), row in wanted.items():
        if (a + b) in decided or NOTICE_FEED in (a[0], b[0]):
            # A court notice is never put to the steward: a pair would name the person it seals (Art. 83-1).
            continue
        comparison = row.comparison
        if key_of.get(row.unique_id_l) != a:
            comparison = {
                # A mark about the pair (engine.REFUSED_KEY) has no sides to swap.
                k: {**v, "left": v["right"], "right": v["left"]} if isinstance(v, dict) else v
                for k, v in comparison.items()
            }
        if (a, b) in existing:
            pair = existing.pop((a, b))
            pair.match_probability, pair.match_weight, pair.comparison, pair.run, pair.model = (
                float(row.match_probability), float(row.match_weight), comparison, run, model
            )  # fmt: skip
            pair.save(update_fields=["match_probability", "match_weight", "comparison", "run", "model"])
            continue
        create.append(
            ReviewPair(
                left_feed=a[0],
                left_key=a[1],
                right_feed=b[0],
                right_key=b[1],
                match_probability=float(row.match_probability),
                match_weight=float(row.match_weight),
                comparison=comparison,
                model=model,
                run=run,
            )  # fmt: skip
        )
    ReviewPair.objects.bulk_create(create, batch_size=2000)
    # Open pairs among the records of this run that are no longer in doubt.
    in_run = set(key_of.values())
    stale = [p.pk for (a, b), p in existing.items() if a in in_run and b in in_run]
    ReviewPair.objects.filter(pk__in=stale).update(status=ReviewStatus.SUPERSEDED, decided_at=timezone.now())
    ReviewPair.objects.filter(Q(left_feed=NOTICE_FEED) | Q(right_feed=NOTICE_FEED)).delete()
    return {"review_created": len(create), "review_superseded": len(stale)}


def after_import(batch_id: int, *, actor: Actor | None = None) -> dict:
    """What an import does once its rows are stored: link new person records (when the city has been
    linked before) and put the batch's events on the timeline."""
    if active_model() is None:
        return {"linked": False, "reason": "no linkage model yet: run link_records"}
    figures = link_incremental(actor=actor)
    if not figures.get("new_or_changed"):
        figures.update(enforce_sealing(actor=actor))
        figures.update(sync_events(batch_ids=[batch_id]))
    return {"linked": True, **figures}


def evaluate_against_truth(city_dir: Path) -> dict:
    """Pairwise precision, recall and F1 of the current links against a synthetic city's ground truth, and
    the share of records waiting in review; kept in the active model's metrics."""
    from integrations.linkage import evaluate

    assigned = {
        (f, k): y for f, k, y in RecordLink.objects.values_list("feed", "record_key", "youth__public_id")
    }
    review = set()
    for lf, lk, rf, rk in ReviewPair.objects.filter(status=ReviewStatus.OPEN).values_list(
        "left_feed", "left_key", "right_feed", "right_key"
    ):
        review |= {(lf, lk), (rf, rk)}
    scores = evaluate.pairwise_scores(assigned, evaluate.read_truth(city_dir), review_records=len(review))
    model = active_model()
    if model is not None:
        model.metrics = {**model.metrics, "synthetic_truth": scores}
        model.save(update_fields=["metrics"])
    return scores


def export_links(path: Path) -> int:
    """CSV ``feed,record_key,youth_id`` for every linked person-naming record (unsealed)."""
    import csv

    sealed = set(
        SourceRecord.objects.filter(is_current=True, sealed_at__isnull=False).values_list(
            "feed", "record_key"
        )
    )
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["feed", "record_key", "youth_id"])
        query = RecordLink.objects.select_related("youth").order_by("feed", "record_key")
        for feed, key, public_id in query.values_list("feed", "record_key", "youth__public_id").iterator(
            chunk_size=10000
        ):
            if (feed, key) in sealed:
                continue
            writer.writerow([feed, key, public_id])
            rows += 1
    return rows
