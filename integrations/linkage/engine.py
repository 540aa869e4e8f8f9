"""Deterministic and probabilistic (Splink, DuckDB backend) linkage of person-naming source records.

The pipeline, for a DataFrame from :mod:`.features`:

1. **Deterministic**: records carrying the same national ID that passes its checksum are one person.
2. **Probabilistic**: Splink scores candidate pairs in which at least one record has no valid ID (or
   both have valid IDs that differ but name and birth date agree: an ID mistyped into another valid
   one). Comparisons are built for Taiwanese identities: Traditional/Simplified-folded names, surname and
   given name apart (with term-frequency adjustment, so 陳 or 家豪 agreeing counts for less than 粘 or
   湘芸), homophones through pinyin, a character-level edit distance (DuckDB's own distances count UTF-8
   bytes, so a Python function counting characters is registered), a phonetic key shared by Chinese
   characters, Hanyu pinyin and Wade-Giles in any order, day/month-swapped and ROC-slipped birth dates,
   and IDs one keystroke apart.
3. **Clustering**: connected components over deterministic links, pairs at or above the upper
   threshold, and steward-accepted pairs, without steward-rejected pairs. Pairs between the lower and
   upper thresholds whose records end up in different clusters go to clerical review.
"""

from __future__ import annotations

import copy
import logging
import math
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA, Levenshtein

UPPER_THRESHOLD = 0.90
LOWER_THRESHOLD = 0.60
SEED = 20261122

# Pairs to score: those where at least one side lacks a valid ID (two records with the same valid ID are
# already linked, and two different valid IDs are different people), except IDs one keystroke apart (a
# mistyped ID can pass its checksum: a swap of the last two digits always does).
_SCORABLE = (
    "(l.nid_valid IS NULL OR r.nid_valid IS NULL OR "
    "(l.nid_valid <> r.nid_valid AND damerau_levenshtein(l.nid_valid, r.nid_valid) <= 1))"
)
BLOCKING_RULES = [
    "l.nid = r.nid AND l.nid_valid IS NULL",
    f"l.dob = r.dob AND l.surname = r.surname AND {_SCORABLE}",
    f"l.dob = r.dob AND l.given_pinyin = r.given_pinyin AND {_SCORABLE}",
    f"l.name_trad = r.name_trad AND l.dob_y = r.dob_y AND {_SCORABLE}",
    f"l.name_trad = r.name_trad AND l.dob_md = r.dob_md AND {_SCORABLE}",
    f"l.phonetic = r.phonetic AND l.dob = r.dob AND {_SCORABLE}",
    f"l.phonetic = r.phonetic AND l.dob_y = r.dob_y AND {_SCORABLE}",
    f"l.address = r.address AND l.dob = r.dob AND {_SCORABLE}",
    # A name typed by sound (near sound, in any order) together with a slip in the birth date: a day off, day
    # and month swapped, or the ROC year off by one.
    f"l.surname = r.surname AND l.given_near = r.given_near AND l.dob_y = r.dob_y AND {_SCORABLE}",
    f"l.surname = r.surname AND l.given_near = r.given_near AND l.dob_md = r.dob_md AND {_SCORABLE}",
    f"l.phonetic = r.phonetic AND l.dob_md = r.dob_md AND {_SCORABLE}",
]


def _level(sql: str, label: str, m: float, **extra) -> dict:
    return {"sql_condition": sql, "label_for_charts": label, "m_probability": m, **extra}


def _null(sql: str) -> dict:
    return {"sql_condition": sql, "label_for_charts": "null", "is_null_level": True}


COMPARISONS = [
    {
        "output_column_name": "national_id",
        "comparison_description": "national ID",
        "comparison_levels": [
            _null('"nid_l" IS NULL OR "nid_r" IS NULL'),
            _level('"nid_l" = "nid_r"', "exact", 0.95),
            _level('damerau_levenshtein("nid_l", "nid_r") <= 1', "one edit apart", 0.04),
            _level("ELSE", "different", 0.01),
        ],
    },
    {
        "output_column_name": "surname",
        "comparison_description": "surname",
        "comparison_levels": [
            _null('"surname_l" IS NULL OR "surname_r" IS NULL'),
            _level(
                '"surname_l" = "surname_r"',
                "exact",
                0.97,
                tf_adjustment_column="surname",
                tf_adjustment_weight=1.0,
            ),
            _level("ELSE", "different", 0.005),
        ],
    },
    {
        "output_column_name": "given_name",
        "comparison_description": "given name",
        "comparison_levels": [
            _null('"given_l" IS NULL OR "given_r" IS NULL'),
            _level(
                '"given_l" = "given_r"', "exact", 0.9, tf_adjustment_column="given", tf_adjustment_weight=1.0
            ),
            _level('"given_pinyin_l" = "given_pinyin_r"', "same sound (homophone)", 0.03),
            _level('"given_sorted_l" = "given_sorted_r"', "same characters, other order", 0.01),
            # Typed by sound: a near sound (zh/z, -ing/-in, f/h, n/l ...), or the same sounds in the other order.
            _level('"given_near_l" = "given_near_r"', "near sound (typed by sound)", 0.01),
            # Copied by eye: one character replaced by one of the same shape (己/已, 候/侯).
            _level('similar_shape("given_l", "given_r")', "one character of similar shape", 0.005),
            # A dropped character; a different character of another sound is a different name (twins'
            # names often differ in one character: 家豪 and 家慧).
            _level(
                'length("given_l") <> length("given_r") AND cjk_lev("given_l", "given_r") <= 1',
                "one character missing",
                0.058,
            ),
            _level("ELSE", "different", 0.002),
        ],
    },
    {
        # Only when one side has no Chinese name (romanised only): otherwise the two above decide.
        "output_column_name": "romanised_name",
        "comparison_description": "name by sound (romanised)",
        "comparison_levels": [
            _null('("has_chinese_l" AND "has_chinese_r") OR "phonetic_l" IS NULL OR "phonetic_r" IS NULL'),
            _level('"phonetic_l" = "phonetic_r"', "same sound", 0.95),
            _level("ELSE", "different", 0.05),
        ],
    },
    {
        "output_column_name": "birth_date",
        "comparison_description": "birth date",
        "comparison_levels": [
            _null('"dob_l" IS NULL OR "dob_r" IS NULL'),
            _level('"dob_l" = "dob_r"', "exact", 0.98, tf_adjustment_column="dob", tf_adjustment_weight=1.0),
            _level('"dob_swapped_l" = "dob_r"', "day and month swapped", 0.005),
            _level(
                '"dob_md_l" = "dob_md_r" AND abs("dob_y_l" - "dob_y_r") = 1',
                "year off by one (ROC slip)",
                0.005,
            ),
            # An ROC year read as a Western one (098/04/18 taken for 1998-04-18): eleven years apart.
            _level(
                '"dob_md_l" = "dob_md_r" AND abs("dob_y_l" - "dob_y_r") = 11',
                "ROC year read as Western",
                0.002,
            ),
            _level(
                'abs(datediff(\'day\', CAST("dob_l" AS DATE), CAST("dob_r" AS DATE))) = 1',
                "one day apart",
                0.004,
            ),
            _level('levenshtein("dob_l", "dob_r") = 1', "one digit apart", 0.003),
            _level("ELSE", "different", 0.01),
        ],
    },
    {
        "output_column_name": "sex",
        "comparison_description": "sex",
        "comparison_levels": [
            _null('"sex_l" IS NULL OR "sex_r" IS NULL'),
            _level('"sex_l" = "sex_r"', "same", 0.99),
            _level("ELSE", "different", 0.01),
        ],
    },
    {
        # One comparison for where the youth lives (district is part of the address: counted once).
        "output_column_name": "residence",
        "comparison_description": "address or district",
        "comparison_levels": [
            _null(
                '("address_l" IS NULL OR "address_r" IS NULL) AND ("district_l" IS NULL OR "district_r" IS NULL)'
            ),
            _level(
                '"address_l" = "address_r"',
                "same address",
                0.8,
                tf_adjustment_column="address",
                tf_adjustment_weight=1.0,
            ),
            _level('"district_l" = "district_r"', "same district", 0.15),
            _level("ELSE", "different", 0.05),
        ],
    },
]

# Which input columns each comparison shows a reviewer.
REVIEW_FIELDS = {
    "national_id": ("nid",),
    "surname": ("surname",),
    "given_name": ("given",),
    "romanised_name": ("phonetic",),
    "birth_date": ("dob",),
    "sex": ("sex",),
    "residence": ("address", "district"),
}


def base_settings() -> dict:
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": 1e-5,
        "blocking_rules_to_generate_predictions": list(BLOCKING_RULES),
        "comparisons": COMPARISONS,
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": ["feed", "record_key", "nid_valid"],
    }


def _cjk_lev(a: str, b: str) -> int:
    return Levenshtein.distance(a, b)


def _similar_shape(a: str, b: str) -> bool:
    from integrations.linkage.namekeys import similar_shape

    return similar_shape(a, b)


def _connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("SET threads TO 2")
    con.create_function("cjk_lev", _cjk_lev, ["VARCHAR", "VARCHAR"], "INTEGER")
    con.create_function("similar_shape", _similar_shape, ["VARCHAR", "VARCHAR"], "BOOLEAN")
    return con


TF_COLUMNS = ("surname", "given", "dob", "address")


def term_frequencies(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """How common each surname, given name, birth date and address is, over the whole population. A
    prediction over a few records (incremental linking) must not learn how common 陳 is from those few."""
    out = {}
    for column in TF_COLUMNS:
        counts = df[column].dropna().value_counts()
        out[column] = pd.DataFrame({column: counts.index, f"tf_{column}": (counts / counts.sum()).to_numpy()})
    return out


def _linker(df: pd.DataFrame, settings: dict, tf: dict[str, pd.DataFrame] | None = None):
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=_connection())
    # A text column with no value at all (a small city whose feeds carry no national ID) would reach DuckDB
    # typed as INTEGER, and the string comparisons on it would not bind: keep such columns text.
    empty = [c for c in df.columns if df[c].dtype == object and df[c].isna().all()]
    if empty:
        df = df.astype(dict.fromkeys(empty, "string"))
    sdf = db_api.register(df)
    linker = Linker(sdf, settings, log_level=logging.ERROR)
    for column, table in (tf or {}).items():
        linker.table_management.register_term_frequency_lookup(db_api.register(table), column)
    return linker


@dataclass
class TrainedModel:
    settings: dict
    trained_on: int
    notes: dict = field(default_factory=dict)


# Comparisons whose m-probabilities come from expectation maximisation over pairs with the same name and
# birth date (the ID itself cannot be learnt from pairs that share a valid ID).
EM_TRAINED = ("national_id",)


def _m_values(settings: dict) -> dict[str, list]:
    return {
        c["output_column_name"]: [level.get("m_probability") for level in c["comparison_levels"]]
        for c in settings["comparisons"]
    }


# Fewer pairs than this sharing a key give no estimate worth having; the priors stand instead.
MIN_TRAINING_PAIRS = 10
# Below this many records, agreement among different people cannot be measured from the records themselves
# (twenty records say nothing about how common 陳 is, and every name in them looks rare or common by chance).
MIN_TRAINING_RECORDS = 200

# Agreement among different people (u) for a delivery too small to measure it, per non-null level in the
# order of COMPARISONS: figures for Taiwanese youth of one city. Surnames: the sum of squared surname shares
# (陳 11 %, 林 8 %, 黃 6 %, 張 5 %, ...) is about 0.04; given names are far more varied; birth dates spread over
# the six years of 12-17 (1 / 2,190 for the same day); two sexes; a city of about 13 districts.
U_PRIORS = {
    "national_id": [1e-9, 1e-7, 1.0 - 1.01e-7],
    "surname": [0.04, 0.96],
    "given_name": [3e-4, 3e-4, 1e-5, 3e-4, 1e-5, 1e-4, 1.0 - 1.02e-3],
    "romanised_name": [2e-3, 0.998],
    "birth_date": [4.6e-4, 1e-4, 7.6e-4, 1e-5, 9.2e-4, 1.2e-2, 1.0 - 1.431e-2],
    "sex": [0.5, 0.5],
    "residence": [1e-4, 0.08, 0.9199],
}


def prior_settings(records: int) -> dict:
    """The model as written, with the u priors above and no term-frequency adjustment, for a city too small
    to learn from. The prior chance of a match assumes about two records a person."""
    settings = copy.deepcopy(base_settings())
    settings["probability_two_random_records_match"] = min(0.5, 1.0 / max(records - 1, 1))
    for comparison in settings["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        for level, u in zip(levels, U_PRIORS[comparison["output_column_name"]], strict=True):
            level["u_probability"] = u
            level.pop("tf_adjustment_column", None)
            level.pop("tf_adjustment_weight", None)
    return settings


def _pairs_sharing(df: pd.DataFrame, columns: list[str]) -> int:
    """How many record pairs share a (non-blank) value in every one of ``columns``."""
    sizes = df.dropna(subset=columns).groupby(columns, sort=False).size()
    return int((sizes * (sizes - 1) // 2).sum())


def train(df: pd.DataFrame) -> TrainedModel:
    """Estimate the model's parameters from the records themselves (no ground truth needed).

    - prior (probability that two random records match): pairs sharing a valid ID, at an assumed recall
      of 0.8 (police and welfare rows often lack the ID);
    - u (agreement among non-matches): random pairs;
    - m (agreement among matches), names, birth date, sex, district, address: from record pairs that
      share a valid national ID, which carry every kind of error the feeds have (typos, Simplified
      characters, swapped dates, moves);
    - m for the national ID comparison: expectation maximisation over pairs with the same name and
      birth date.
    Levels never observed keep the priors written in :data:`COMPARISONS`.
    """
    id_pairs = _pairs_sharing(df, ["nid_valid"])
    name_pairs = _pairs_sharing(df, ["name_trad", "dob"])
    notes = {"pairs_sharing_a_valid_id": id_pairs, "pairs_sharing_name_and_birth_date": name_pairs}
    if len(df) < MIN_TRAINING_RECORDS or id_pairs < MIN_TRAINING_PAIRS:
        # Too little to learn from (a first small delivery, or feeds without national IDs): the priors.
        return TrainedModel(
            settings=prior_settings(len(df)), trained_on=len(df), notes={**notes, "priors": True}
        )
    linker = _linker(df, base_settings())
    linker.training.estimate_probability_two_random_records_match(["l.nid_valid = r.nid_valid"], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=SEED)
    trained = linker.misc.save_model_to_json()
    em_m: dict[str, list] = {}
    if name_pairs >= MIN_TRAINING_PAIRS:
        em_linker = _linker(df, trained)
        em_linker.training.estimate_parameters_using_expectation_maximisation(
            "l.name_trad = r.name_trad AND l.dob = r.dob", record_sample_proportion=1.0
        )
        em_m = _m_values(em_linker.misc.save_model_to_json())
    linker.training.estimate_m_from_label_column("nid_valid")
    settings = linker.misc.save_model_to_json()
    # An estimate from few pairs can reach 1 (an infinite match weight): no prior above one in two.
    prior = settings.get("probability_two_random_records_match") or 1e-5
    settings["probability_two_random_records_match"] = min(max(prior, 1e-9), 0.5)
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        if name in EM_TRAINED and name in em_m:
            for level, m in zip(comparison["comparison_levels"], em_m[name], strict=True):
                if m is not None:
                    level["m_probability"] = m
    return TrainedModel(settings=settings, trained_on=len(df), notes=notes)


@dataclass
class LinkResult:
    """Cluster labels for every record, the scored pairs that matter, and the review candidates."""

    clusters: pd.DataFrame  # unique_id, cluster (an integer label), method, match_probability
    review: pd.DataFrame  # unique_id_l, unique_id_r, match_probability, match_weight, comparison (dict)
    figures: dict


def _comparison_details(row, levels: dict[str, list[str]]) -> dict:
    out = {}
    for name, columns in REVIEW_FIELDS.items():
        gamma = int(row[f"gamma_{name}"])
        labels = levels[name]
        weight = None
        mw = row.get(f"mw_{name}")  # Splink 5: the comparison's match weight (log2 Bayes factor)
        bf = row.get(f"bf_{name}")  # earlier Splink: the Bayes factor and its term-frequency adjustment
        if gamma != -1 and mw is not None and not pd.isna(mw):
            tf = row.get(f"mw_tf_adj_{name}")
            weight = round(float(mw) + (float(tf) if tf is not None and not pd.isna(tf) else 0.0), 2)
        elif gamma != -1 and bf is not None and not pd.isna(bf) and bf > 0:
            tf = row.get(f"bf_tf_adj_{name}")
            total = bf * (tf if tf is not None and not pd.isna(tf) and tf > 0 else 1.0)
            weight = round(math.log2(total), 2)
        out[name] = {
            "left": next((v for c in columns if (v := _plain(row.get(f"{c}_l")))), ""),
            "right": next((v for c in columns if (v := _plain(row.get(f"{c}_r")))), ""),
            "level": "null" if gamma == -1 else labels[len(labels) - 1 - gamma],
            "match_weight": weight,
        }
    return out


# Marks, in a review pair's comparison, a pair the model scored above the auto-link threshold but that would
# have given one youth two national IDs more than a keystroke apart (``_constrained_components``).
REFUSED_KEY = "_two_national_ids"


def _is_true(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and bool(value)


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _levels(settings: dict) -> dict[str, list[str]]:
    """Comparison name -> labels of its non-null levels, best first (gamma counts down to 0)."""
    out = {}
    for comparison in settings["comparisons"]:
        out[comparison["output_column_name"]] = [
            level.get("label_for_charts", "")
            for level in comparison["comparison_levels"]
            if not level.get("is_null_level")
        ]
    return out


def predict(
    df: pd.DataFrame, settings: dict, lower: float, tf: dict[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """Scored candidate pairs at or above ``lower``; ``tf``: term frequencies of the whole population
    (:func:`term_frequencies`) when ``df`` is only part of it."""
    linker = _linker(df, settings, tf)
    return linker.inference.predict(
        threshold_match_probability=lower, warning_mode="never"
    ).as_pandas_dataframe()


def deterministic_pairs(df: pd.DataFrame) -> np.ndarray:
    """Edges (as index pairs into df) joining each record to the first record with the same valid ID."""
    idx = pd.Series(np.arange(len(df)), index=df.index)
    valid = df["nid_valid"].notna()
    first = df.loc[valid].groupby("nid_valid").cumcount() == 0
    groups = df.loc[valid, "nid_valid"]
    head = idx[valid][first.values]
    head_of = pd.Series(head.values, index=groups[first.values].values)
    left = head_of.reindex(groups.values).to_numpy()
    right = idx[valid].to_numpy()
    keep = left != right
    return np.stack([left[keep], right[keep]], axis=1) if keep.any() else np.zeros((0, 2), dtype=int)


def _ids_conflict(a: set, b: set) -> bool:
    """Two groups hold different valid national IDs that are not one keystroke apart."""
    return any(x != y and OSA.distance(x, y) > 1 for x in a for y in b)


def _constrained_components(n, must, accepted, edges, probs, nid_valid) -> tuple[np.ndarray, list[int]]:
    """Union-find: must-links (same valid ID) and steward-accepted pairs first, then the model's pairs from
    the most to the least certain, refusing a pair that would put two different valid national IDs in one
    person. Returns cluster labels and the positions (in ``edges``) of refused pairs."""
    parent = list(range(n))
    ids: dict[int, set] = {i: {nid_valid[i]} for i in range(n) if isinstance(nid_valid[i], str)}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra == rb:
            return
        parent[rb] = ra
        if rb in ids:
            ids.setdefault(ra, set()).update(ids.pop(rb))

    for a, b in must:
        union(int(a), int(b))
    for a, b in accepted:
        union(int(a), int(b))
    refused = []
    for k in np.argsort(-probs, kind="stable"):
        a, b = find(int(edges[k, 0])), find(int(edges[k, 1]))
        if a == b:
            continue
        if a in ids and b in ids and _ids_conflict(ids[a], ids[b]):
            refused.append(int(k))
            continue
        union(a, b)
    roots = np.array([find(i) for i in range(n)])
    _, labels = np.unique(roots, return_inverse=True)
    return labels, refused


def cluster(
    df: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    upper: float,
    lower: float,
    settings: dict,
    accepted: set[tuple[int, int]] = frozenset(),
    rejected: set[tuple[int, int]] = frozenset(),
) -> LinkResult:
    """Clusters of the link graph (see :func:`_constrained_components`); review candidates between the
    thresholds, and strong pairs refused for joining two national IDs."""
    n = len(df)
    position = pd.Series(np.arange(n), index=df["unique_id"].to_numpy())
    det = deterministic_pairs(df.reset_index(drop=True))
    p = pairs
    if len(p):
        key = list(zip(p["unique_id_l"].to_numpy(), p["unique_id_r"].to_numpy(), strict=True))
        not_rejected = np.array(
            [(a, b) not in rejected and (b, a) not in rejected for a, b in key], dtype=bool
        )
        p = p.loc[not_rejected]
    strong = p[p["match_probability"] >= upper]
    acc = [(a, b) for a, b in accepted if a in position.index and b in position.index]
    labels, refused = _constrained_components(
        n,
        det,
        np.array([[position[a], position[b]] for a, b in acc], dtype=int).reshape(-1, 2),
        np.stack(
            [position[strong["unique_id_l"]].to_numpy(), position[strong["unique_id_r"]].to_numpy()], axis=1
        ).reshape(-1, 2)
        if len(strong)
        else np.zeros((0, 2), dtype=int),
        strong["match_probability"].to_numpy() if len(strong) else np.zeros(0),
        df["nid_valid"].to_numpy(),
    )
    if refused:
        # Strong pairs refused because they would give one person two national IDs: a steward decides.
        refused_pairs = strong.iloc[refused].copy()
        p = pd.concat([p[p["match_probability"] < upper], refused_pairs.assign(_refused=True)])
        strong = strong.drop(strong.index[refused])

    # How each record joined its cluster (for the record link's method and probability).
    method = np.full(n, "single", dtype=object)
    prob = np.full(n, np.nan)
    method[det.flatten()] = "deterministic"
    if len(strong):
        for col in ("unique_id_l", "unique_id_r"):
            pos = position[strong[col]].to_numpy()
            probs = strong["match_probability"].to_numpy()
            for i, pr in zip(pos, probs, strict=True):
                if method[i] != "deterministic" and (np.isnan(prob[i]) or pr > prob[i]):
                    method[i] = "probabilistic"
                    prob[i] = pr
    for a, b in acc:
        for i in (position[a], position[b]):
            if method[i] == "single":
                method[i] = "clerical"
    clusters = pd.DataFrame(
        {
            "unique_id": df["unique_id"].to_numpy(),
            "cluster": labels,
            "method": method,
            "match_probability": prob,
        }
    )

    mid = p[
        (p["match_probability"] >= lower)
        & (
            (p["match_probability"] < upper)
            | (p["_refused"].fillna(False).astype(bool) if "_refused" in p else False)
        )
    ]
    if len(mid):
        lab_l = labels[position[mid["unique_id_l"]].to_numpy()]
        lab_r = labels[position[mid["unique_id_r"]].to_numpy()]
        mid = mid.loc[lab_l != lab_r]
    levels = _levels(settings)
    review = pd.DataFrame(
        {
            "unique_id_l": mid["unique_id_l"].to_numpy() if len(mid) else [],
            "unique_id_r": mid["unique_id_r"].to_numpy() if len(mid) else [],
            "match_probability": mid["match_probability"].to_numpy() if len(mid) else [],
            "match_weight": mid["match_weight"].to_numpy() if len(mid) else [],
            "comparison": [
                {
                    **_comparison_details(r, levels),
                    **({REFUSED_KEY: True} if _is_true(r.get("_refused")) else {}),
                }
                for _, r in mid.iterrows()
            ]
            if len(mid)
            else [],
        }
    )
    figures = {
        "records": n,
        "deterministic_edges": len(det),
        "scored_pairs": len(pairs),
        "auto_links": len(strong),
        "clusters": int(labels.max() + 1) if n else 0,
        "review_pairs": len(review),
        "strong_pairs_refused": len(refused),
    }
    return LinkResult(clusters=clusters, review=review, figures=figures)
