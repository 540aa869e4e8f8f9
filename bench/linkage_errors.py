"""Record-linkage benchmark on independently generated identities, per error type.

1. Generates people and bureau feeds with bench/identities.py (written without the project's generator).
2. Runs the project as a black box on a freshly migrated PostgreSQL database (DATABASE_URL, whose name must end in
   ``_bench``; it is dropped and recreated): ``migrate``, ``import_feed`` for the three person-naming feeds,
   ``link_records``, ``export_links``.
3. Runs a plain Splink baseline in-process on the same files: default comparisons from
   ``splink.comparison_library`` on the name, its toneless pinyin, birth date, sex, district and address; exact
   national ID as a deterministic rule; blocking on birth date, surname + birth year, pinyin + birth year; u by
   random sampling, m by EM; connected components at match probability 0.95. No project-specific rules.
4. Prints, for both systems, pairwise precision / recall / F1, people split over several clusters, clusters
   merging several people, hard-negative merges (twins, namesakes, siblings), and per error type and per
   combination of error types (records carrying it: recall of the true pairs involving such a record, precision
   of the predicted pairs involving one), then the project's misses grouped by the pair's error combination with
   examples. ``--json`` prints one JSON object instead.

Run::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/idbench_bench \\
        .venv/bin/python bench/linkage_errors.py --people 3000 --seed 1
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pandas as pd

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import identities  # noqa: E402

FEEDS = identities.FEEDS
KEY_COLUMN = {
    "school.students": "student_no",
    "police.contacts": "contact_no",
    "welfare.reports": "report_no",
}
IDENTITY_FIELDS = ("name", "name_romanized", "birth_date", "sex", "national_id", "district")
MATCH_THRESHOLD = 0.95


# --------------------------------------------------------------------------------------------------------------
# Reading the feed files (as any consumer of the contract would)
# --------------------------------------------------------------------------------------------------------------
def decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp950", errors="replace"), "cp950"


def read_feed(path: Path, feed: str) -> pd.DataFrame:
    text, _ = decode(path.read_bytes())
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    if feed == "school.students":
        df["record_key"] = df["school_code"] + "/" + df["student_no"]
    else:
        df["record_key"] = df[KEY_COLUMN[feed]]
    df["feed"] = feed
    return df


def parse_date(s: str) -> str | None:
    """ISO or the contract's ROC forms (098/03/12, 98/03/12, 0980312, 98.03.12) -> ISO string, else None."""
    s = unicodedata.normalize("NFKC", s or "").strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s)
    if m:
        y, mo, d = map(int, m.groups())
    else:
        m = re.fullmatch(r"(\d{2,3})[/.](\d{1,2})[/.](\d{1,2})", s) or re.fullmatch(
            r"(\d{3})(\d{2})(\d{2})", s
        )
        if not m:
            return None
        y, mo, d = int(m.group(1)) + 1911, int(m.group(2)), int(m.group(3))
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return None


SEX = {"M": "M", "F": "F", "男": "M", "女": "F", "1": "M", "2": "F"}


def _nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s or "").strip()


def baseline_frame(raw: pd.DataFrame) -> pd.DataFrame:
    from pypinyin import Style, lazy_pinyin

    out = pd.DataFrame({"unique_id": raw["feed"] + "|" + raw["record_key"]})
    names = raw["name"].map(lambda s: re.sub(r"\s+", "", _nfkc(s)))
    roman = raw["name_romanized"].map(lambda s: re.sub(r"[^a-z]", "", _nfkc(s).lower()))
    out["name"] = names.where(names != "", None)
    out["surname"] = names.map(lambda s: s[:1] or None)
    py = names.map(lambda s: "".join(lazy_pinyin(s, style=Style.NORMAL)).lower() if s else "")
    out["pinyin"] = py.where(py != "", roman).replace("", None)
    out["birth_date"] = raw["birth_date"].map(parse_date)
    out["birth_year"] = out["birth_date"].map(lambda s: s[:4] if s else None)
    out["sex"] = raw["sex"].map(lambda s: SEX.get(_nfkc(s).upper()))
    out["district"] = raw["district"].map(_nfkc).replace("", None)
    out["address"] = raw["address"].map(_nfkc).replace("", None)
    out["national_id"] = raw["national_id"].map(lambda s: _nfkc(s).upper()).replace("", None)
    return out


# --------------------------------------------------------------------------------------------------------------
# Plain Splink baseline
# --------------------------------------------------------------------------------------------------------------
def run_splink(df: pd.DataFrame, seed: int, id_comparison: bool = False) -> tuple[dict[str, str], dict]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    t0 = time.monotonic()
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.9, 0.8]),
            cl.JaroWinklerAtThresholds("pinyin", [0.95, 0.88]),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("district"),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
            *([cl.ExactMatch("national_id")] if id_comparison else []),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("birth_date"),
            block_on("surname", "birth_year"),
            block_on("pinyin", "birth_year"),
        ],
    )
    db_api = DuckDBAPI()
    sdf = db_api.register(df, table_name="records")
    linker = Linker(sdf, settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match([block_on("national_id")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("pinyin"))
    preds = linker.inference.predict(threshold_match_probability=MATCH_THRESHOLD).as_pandas_dataframe()
    edges = list(zip(preds["unique_id_l"], preds["unique_id_r"], strict=True))
    # deterministic rule: the same national ID (as written, NFKC-upper-cased) links two records
    for _, grp in df.dropna(subset=["national_id"]).groupby("national_id"):
        ids = list(grp["unique_id"])
        edges += [(ids[0], other) for other in ids[1:]]
    clusters = connected_components(list(df["unique_id"]), edges)
    return clusters, {"seconds": round(time.monotonic() - t0, 1), "scored_pairs_over_threshold": len(preds)}


def connected_components(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, str]:
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {n: find(n) for n in nodes}


# --------------------------------------------------------------------------------------------------------------
# The project, as a black box
# --------------------------------------------------------------------------------------------------------------
def _python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+_bench", name):
        raise SystemExit(f"refusing to drop database {name!r}: its name must end in _bench")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [_python(), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def _json_tail(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return {}


def run_project(data_dir: Path, db_url: str, work: Path) -> tuple[dict[str, str], dict]:
    env = {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    info: dict = {"imports": {}}
    t0 = time.monotonic()
    recreate_database(db_url)
    _manage(env, "migrate", "-v0")
    info["migrate_seconds"] = round(time.monotonic() - t0, 1)
    for feed in FEEDS:
        proc = _manage(env, "import_feed", feed, str(data_dir / f"{feed}.csv"), "--json")
        summary = _json_tail(proc.stdout)
        info["imports"][feed] = {
            k: summary.get(k) for k in ("encoding", "rows_read", "created", "quarantined")
        }
    t1 = time.monotonic()
    proc = _manage(env, "link_records")
    info["link_seconds"] = round(time.monotonic() - t1, 1)
    figures = {}
    for line in proc.stdout.splitlines():
        m = re.fullmatch(r"\s*([a-z_]+):\s*([-\d.]+)\s*", line)
        if m:
            figures[m.group(1)] = float(m.group(2)) if "." in m.group(2) else int(m.group(2))
    info["link_records"] = figures
    out = work / "links.csv"
    _manage(env, "export_links", str(out))
    links = pd.read_csv(out, dtype=str, keep_default_na=False)
    clusters = dict(zip(links["feed"] + "|" + links["record_key"], links["youth_id"], strict=True))
    info["exported_links"] = len(links)
    # The open review pairs with their probabilities, to say which part of the review band holds true pairs.
    rows = subprocess.run(
        ["psql", db_url, "-At", "-F", "\t", "-c", REVIEW_SQL], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    info["review"] = [(a, b, float(p)) for a, b, p in (r.split("\t") for r in rows if r)]
    info["seconds"] = round(time.monotonic() - t0, 1)
    return clusters, info


REVIEW_SQL = (
    "SELECT left_feed || '|' || left_key, right_feed || '|' || right_key, coalesce(match_probability, 0) "
    "FROM integrations_reviewpair WHERE status = 'open'"
)


def review_bands(review: list[tuple[str, str, float]], person: dict[str, str]) -> list[dict]:
    """Review pairs per band of match probability, and how many of them are one person (the steward's
    'same' answers): the evidence for where the review band should start."""
    bands = [(0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)]
    out = []
    for low, high in bands:
        inside = [(a, b) for a, b, p in review if low <= p < high]
        same = sum(1 for a, b in inside if person.get(a) is not None and person.get(a) == person.get(b))
        out.append({"band": f"{low:.1f}-{min(high, 1.0):.1f}", "pairs": len(inside), "same_person": same})
    return out


# --------------------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------------------
def _pairs(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
    out = set()
    for members in groups.values():
        out.update(itertools.combinations(sorted(members), 2))
    return out


def _prf(tp: int, n_pred: int, n_true: int) -> dict:
    p = tp / n_pred if n_pred else None
    r = tp / n_true if n_true else None
    f1 = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return {"precision": p, "recall": r, "f1": f1, "tp": tp, "pred_pairs": n_pred, "true_pairs": n_true}


def combo_label(errors: frozenset[str]) -> str:
    return "+".join(identities.sort_errors(list(errors))) or "clean"


def evaluate(truth: pd.DataFrame, clusters: dict[str, str], persons: pd.DataFrame) -> dict:
    rids = list(truth["rid"])
    person = dict(zip(truth["rid"], truth["person_id"], strict=True))
    errs = {
        r: frozenset(e for e in es.split(";") if e)
        for r, es in zip(truth["rid"], truth["error_types"], strict=True)
    }
    label = {r: clusters.get(r, f"unlinked:{r}") for r in rids}
    unlinked = sum(1 for r in rids if r not in clusters)
    by_person: dict[str, list[str]] = defaultdict(list)
    by_cluster: dict[str, list[str]] = defaultdict(list)
    for r in rids:
        by_person[person[r]].append(r)
        by_cluster[label[r]].append(r)
    true_pairs, pred_pairs = _pairs(by_person), _pairs(by_cluster)
    tp = true_pairs & pred_pairs
    result = {
        "records": len(rids),
        "people": len(by_person),
        "unlinked_records": unlinked,
        "clusters": len(by_cluster),
        **_prf(len(tp), len(pred_pairs), len(true_pairs)),
        "people_split": sum(1 for ms in by_person.values() if len({label[r] for r in ms}) > 1),
        "people_with_2plus_records": sum(1 for ms in by_person.values() if len(ms) > 1),
        "clusters_merging_people": sum(1 for ms in by_cluster.values() if len({person[r] for r in ms}) > 1),
    }
    # hard negatives: pairs of related people with any record in a common cluster
    clusters_of = {p: {label[r] for r in ms} for p, ms in by_person.items()}
    hn = {}
    for rel in ("twin_of", "namesake_of", "sibling_of"):
        rel_pairs = sorted(
            {tuple(sorted((a, b))) for a, b in zip(persons["person_id"], persons[rel], strict=True) if b}
        )
        rel_pairs = [(a, b) for a, b in rel_pairs if a in clusters_of and b in clusters_of]
        merged = sum(1 for a, b in rel_pairs if clusters_of[a] & clusters_of[b])
        hn[rel.replace("_of", "")] = {"pairs": len(rel_pairs), "merged": merged}
    result["hard_negatives"] = hn

    def group_stats(members: set[str]) -> dict:
        t = {p for p in true_pairs if p[0] in members or p[1] in members}
        pr = {p for p in pred_pairs if p[0] in members or p[1] in members}
        both = t & pr
        return {
            "records": len(members),
            "true_pairs": len(t),
            "recall": len(both) / len(t) if t else None,
            "pred_pairs": len(pr),
            "precision": len(both) / len(pr) if pr else None,
        }

    by_type: dict[str, set[str]] = defaultdict(set)
    by_combo: dict[str, set[str]] = defaultdict(set)
    for r in rids:
        for e in errs[r]:
            by_type[e].add(r)
        by_combo[combo_label(errs[r])].add(r)
    result["by_error_type"] = {
        e: group_stats(ms) for e, ms in sorted(by_type.items(), key=lambda kv: -len(kv[1]))
    }
    result["by_combination"] = {
        c: group_stats(ms) for c, ms in sorted(by_combo.items(), key=lambda kv: -len(kv[1]))
    }
    # misses (false negatives) by the pair's error combination; false merges by relation
    fn = sorted(true_pairs - pred_pairs)
    fp = sorted(pred_pairs - true_pairs)
    miss_groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for a, b in fn:
        miss_groups[combo_label(errs[a] | errs[b])].append((a, b))
    relation = {}
    for rel in ("twin_of", "namesake_of", "sibling_of"):
        for a, b in zip(persons["person_id"], persons[rel], strict=True):
            if b:
                relation[(a, b)] = relation[(b, a)] = rel.replace("_of", "")
    fp_groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for a, b in fp:
        fp_groups[relation.get((person[a], person[b]), "unrelated")].append((a, b))
    result["misses_by_pair_combination"] = dict(sorted(miss_groups.items(), key=lambda kv: -len(kv[1])))
    result["false_links_by_relation"] = dict(sorted(fp_groups.items(), key=lambda kv: -len(kv[1])))
    return result


# --------------------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------------------
def _f(x: float | None) -> str:
    return "   -  " if x is None else f"{x:6.3f}"


def print_report(
    res: dict, raw: dict[str, dict], truth_errs: dict[str, str], n_examples: int, min_combo: int
) -> None:
    systems = [s for s in ("project", "splink") if s in res["systems"]]
    print(f"\nErrors applied (records carrying each): {res['data']['error_counts']}")
    print(
        f"Data: {res['data']['people']} people, {res['data']['records']} records {res['data']['by_feed']}, encodings {res['data']['encodings']}"
    )
    if "project" in res["systems"]:
        info = res["project_run"]
        lr = info.get("link_records", {})
        rp = lr.get("review_pairs")
        share = f" ({100 * rp / res['data']['records']:.1f} per 100 records)" if rp is not None else ""
        print(f"Project run: {info['seconds']} s (link {info['link_seconds']} s); imports {info['imports']}")
        print(f"Project review_pairs: {rp}{share}")
        for band in res.get("review_bands", []):
            print(
                f"  review band {band['band']}: {band['pairs']} pairs, {band['same_person']} of them one person"
            )
    if "splink" in res["systems"]:
        print(f"Splink baseline: {res['splink_run']}")
    print("\n== Overall (pairwise)")
    print(
        f"{'system':10} {'precision':>9} {'recall':>7} {'F1':>7} {'TP':>6} {'pred':>6} {'true':>6} {'split':>6} {'merging':>7} {'unlinked':>8}  hard negatives merged (twin/namesake/sibling)"
    )
    for s in systems:
        r = res["systems"][s]
        hn = r["hard_negatives"]
        print(
            f"{s:10} {_f(r['precision']):>9} {_f(r['recall']):>7} {_f(r['f1']):>7} {r['tp']:6d} {r['pred_pairs']:6d} "
            f"{r['true_pairs']:6d} {r['people_split']:6d} {r['clusters_merging_people']:7d} {r['unlinked_records']:8d}  "
            + " / ".join(f"{hn[k]['merged']}/{hn[k]['pairs']}" for k in ("twin", "namesake", "sibling"))
        )
    for key, title, min_n in (
        ("by_error_type", "per error type", 1),
        ("by_combination", "per combination", min_combo),
    ):
        print(
            f"\n== {title} (records carrying it: recall of true pairs involving one / precision of predicted pairs involving one)"
        )
        head = f"{'':38} {'recs':>5} {'true':>5}"
        for s in systems:
            head += f" | {s + ' R':>10} {'P':>6} {'pred':>5}"
        print(head)
        ref = res["systems"][systems[0]][key]
        for name, st in ref.items():
            if st["records"] < min_n:
                continue
            line = f"{name[:38]:38} {st['records']:5d} {st['true_pairs']:5d}"
            for s in systems:
                o = res["systems"][s][key].get(name, {})
                line += (
                    f" | {_f(o.get('recall')):>10} {_f(o.get('precision')):>6} {o.get('pred_pairs', 0):5d}"
                )
            print(line)
    for s in systems:
        r = res["systems"][s]
        print(f"\n== {s}: missed true pairs by the pair's error combination (union of both records' errors)")
        for combo, pairs in list(r["misses_by_pair_combination"].items())[:25]:
            print(f"  {len(pairs):4d}  {combo}")
        print(f"== {s}: false links by relation of the two people")
        for rel, pairs in r["false_links_by_relation"].items():
            print(f"  {len(pairs):4d}  {rel}")
    if n_examples and "project" in systems:
        r = res["systems"]["project"]
        print("\n== project: examples of missed pairs, biggest groups")
        for combo, pairs in list(r["misses_by_pair_combination"].items())[:8]:
            print(f"  -- {combo} ({len(pairs)})")
            for a, b in pairs[:n_examples]:
                print(f"     {fmt_record(a, raw, truth_errs)}\n       ~ {fmt_record(b, raw, truth_errs)}")
        print("\n== project: examples of false links")
        for rel, pairs in r["false_links_by_relation"].items():
            print(f"  -- {rel} ({len(pairs)})")
            for a, b in pairs[:n_examples]:
                print(f"     {fmt_record(a, raw, truth_errs)}\n       ~ {fmt_record(b, raw, truth_errs)}")


def person_tags(persons: pd.DataFrame) -> dict[str, str]:
    """person_id -> 'twin', 'namesake', 'sibling' (either side of the relation), ';'-joined."""
    tags: dict[str, set[str]] = defaultdict(set)
    for rel in ("twin_of", "namesake_of", "sibling_of"):
        for a, b in zip(persons["person_id"], persons[rel], strict=True):
            if b:
                tags[a].add(rel[:-3])
                tags[b].add(rel[:-3])
    return {p: ";".join(sorted(t)) for p, t in tags.items()}


def fmt_record(rid: str, raw: dict[str, dict], truth_errs: dict[str, str]) -> str:
    row = raw[rid]
    ident = " ".join(f"{k}={row.get(k, '')!r}" for k in IDENTITY_FIELDS if row.get(k, ""))
    who = row.get("person_id", "")
    if row.get("person_tags"):
        who += f" ({row['person_tags']})"
    return f"[{rid}] {ident} <{truth_errs.get(rid) or 'clean'}> {who}"


def record_examples(res: dict, raw: dict[str, dict], truth_errs: dict[str, str], n: int) -> None:
    """In the JSON: replace pair lists by counts plus n examples with identity fields."""

    def rec(rid: str) -> dict:
        row = raw[rid]
        return {
            "id": rid,
            **{k: row.get(k, "") for k in IDENTITY_FIELDS},
            "errors": truth_errs.get(rid, ""),
            "person": row.get("person_id", ""),
            "person_tags": row.get("person_tags", ""),
        }

    for r in res["systems"].values():
        for key in ("misses_by_pair_combination", "false_links_by_relation"):
            r[key] = {
                k: {"count": len(v), "examples": [[rec(a), rec(b)] for a, b in v[:n]]}
                for k, v in r[key].items()
            }


# --------------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Linkage benchmark per error type: project linker vs plain Splink."
    )
    ap.add_argument("--people", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print one JSON object only")
    ap.add_argument("--knob", action="append", default=[], metavar="NAME=RATE", help="error-model override")
    ap.add_argument(
        "--keep", metavar="DIR", help="write the data, links and results here instead of a temp dir"
    )
    ap.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/idbench_bench"),
    )
    ap.add_argument("--skip-project", action="store_true")
    ap.add_argument("--skip-splink", action="store_true")
    ap.add_argument(
        "--splink-id-comparison",
        action="store_true",
        help="also give the baseline an ExactMatch comparison on national_id (not only the deterministic rule)",
    )
    ap.add_argument("--examples", type=int, default=4, help="example pairs per group")
    ap.add_argument("--min-combo", type=int, default=5, help="smallest combination shown in the text table")
    args = ap.parse_args(argv)

    model = identities.ErrorModel()
    for kv in args.knob:
        k, _, v = kv.partition("=")
        model.set(k.strip(), v.strip())
    tmp = None
    if args.keep:
        work = Path(args.keep)
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="linkbench_")
        work = Path(tmp.name)
    data_dir = work / "data"
    manifest = identities.generate(data_dir, args.people, args.seed, model)

    truth = pd.read_csv(data_dir / "truth.csv", dtype=str, keep_default_na=False)
    truth["rid"] = truth["feed"] + "|" + truth["record_key"]
    persons = pd.read_csv(data_dir / "persons.csv", dtype=str, keep_default_na=False)
    raw_df = pd.concat([read_feed(data_dir / f"{f}.csv", f) for f in FEEDS], ignore_index=True)
    raw_df["rid"] = raw_df["feed"] + "|" + raw_df["record_key"]
    truth_errs = dict(zip(truth["rid"], truth["error_types"], strict=True))
    raw = {r["rid"]: r for r in raw_df.to_dict("records")}
    tags = person_tags(persons)
    for rid, pid in zip(truth["rid"], truth["person_id"], strict=True):
        raw[rid]["person_id"] = pid
        raw[rid]["person_tags"] = tags.get(pid, "")

    res: dict = {
        "data": {
            "people": manifest["people"],
            "records": len(truth),
            "by_feed": manifest["records"],
            "encodings": manifest["encodings"],
            "seed": args.seed,
            "error_counts": manifest["error_counts"],
        },
        "systems": {},
    }
    if not args.skip_project:
        clusters, info = run_project(data_dir, args.database_url, work)
        rp = info["link_records"].get("review_pairs")
        info["review_pairs_per_100_records"] = round(100 * rp / len(truth), 2) if rp is not None else None
        res["project_run"] = info
        res["systems"]["project"] = evaluate(truth, clusters, persons)
        res["review_bands"] = review_bands(
            info.pop("review", []), dict(zip(truth["rid"], truth["person_id"], strict=True))
        )
    if not args.skip_splink:
        clusters, info = run_splink(baseline_frame(raw_df), args.seed, args.splink_id_comparison)
        info["id_comparison"] = args.splink_id_comparison
        res["splink_run"] = info
        res["systems"]["splink"] = evaluate(truth, clusters, persons)

    if args.json:
        record_examples(res, raw, truth_errs, args.examples)
        print(json.dumps(res, ensure_ascii=False, indent=1, default=str))
    else:
        print_report(res, raw, truth_errs, args.examples, args.min_combo)
        if args.keep:
            record_examples(res, raw, truth_errs, args.examples)
    if args.keep:
        (work / "results.json").write_text(
            json.dumps(res, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
