"""``fairness_audit`` on the files people really have: repeated headers, quoted numbers, NA labels, a BOM,
CRLF, CP950 and UTF-16 are read or refused in one clear line, never with a traceback; and every rate and
disparity it prints agrees with fairlearn's ``MetricFrame`` on the same table."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from fairlearn.metrics import (
    MetricFrame,
    count,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskmodel import fairness

ROWS = [
    ("0.9", "1", "A"),
    ("0.2", "0", "B"),
    ("0.7", "1", "A"),
    ("0.1", "0", "B"),
    ("0.6", "0", "B"),
    ("0.3", "1", "A"),
]
COLUMNS = ["--score-col", "score", "--label-col", "label", "--group-col", "group", "--threshold", "0.5"]


def text(header=("score", "label", "group"), rows=ROWS, newline="\n") -> str:
    return newline.join([",".join(header), *(",".join(r) for r in rows)]) + newline


def run(path, *extra, columns=COLUMNS) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("fairness_audit", "--csv", str(path), *columns, *extra, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


@pytest.fixture
def plain(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text(text(), encoding="utf-8")
    return run(path)[0]


@pytest.mark.parametrize(
    "name, data",
    [
        ("bom", b"\xef\xbb\xbf" + text().encode()),
        ("crlf", text(newline="\r\n").encode()),
        ("utf16 with BOM", text().encode("utf-16")),
        ("quoted numbers", text(rows=[(f'"{s}"', f'"{y}"', g) for s, y, g in ROWS]).encode()),
        ("quotes inside quotes", text(rows=[(f'"\'{s}\'"', y, g) for s, y, g in ROWS]).encode()),
        ("Excel's apostrophe and spaces", text(rows=[(f"' {s} ", f" {y}", g) for s, y, g in ROWS]).encode()),
        ("full-width digits", text(rows=[(s.translate(str.maketrans("0123456789.", "０１２３４５６７８９．")), y, g)
                                         for s, y, g in ROWS]).encode()),
        ("trailing empty cells", text(rows=[(s, y, g + ",,") for s, y, g in ROWS]).encode()),
    ],
)  # fmt: skip
def test_real_files_read_as_the_plain_one(tmp_path, plain, name, data):
    path = tmp_path / "file.csv"
    path.write_bytes(data)
    assert run(path)[0] == plain


def test_a_cp950_file_with_chinese_names_is_read(tmp_path, plain):
    path = tmp_path / "big5.csv"
    rows = [(s, {"1": "是", "0": "否"}[y], {"A": "原住民", "B": "非原住民"}[g]) for s, y, g in ROWS]
    path.write_bytes(text(header=("分數", "結果", "組別"), rows=rows, newline="\r\n").encode("cp950"))
    result, _ = run(
        path,
        columns=["--score-col", "分數", "--label-col", "結果", "--group-col", "組別", "--threshold", "0.5"],
    )
    assert (
        result["groups"]["原住民"] == plain["groups"]["A"]
        and result["groups"]["非原住民"] == plain["groups"]["B"]
    )


def test_a_bom_is_dropped_even_when_the_encoding_is_forced(tmp_path, plain):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text().encode())
    assert run(path, "--encoding", "utf-8")[0] == plain


def test_a_repeated_header_with_the_same_values_is_read_once_and_said_on_stderr(tmp_path, plain):
    path = tmp_path / "dup.csv"
    path.write_text(
        text(header=("score", "label", "group", "score"), rows=[(*r, r[0]) for r in ROWS]), encoding="utf-8"
    )
    result, err = run(path)
    assert result == plain
    assert "column 'score' appears at positions 1, 4 with the same values: read once" in err


def test_a_repeated_header_with_different_values_names_both_positions(tmp_path):
    path = tmp_path / "dup.csv"
    rows = [(*r, r[0]) for r in ROWS]
    rows[2] = (*ROWS[2], "0.75")
    path.write_text(text(header=("score", "label", "group", "score"), rows=rows), encoding="utf-8")
    with pytest.raises(CommandError) as refusal:
        run(path)
    message = str(refusal.value)
    assert "'score' appears at positions 1, 4 with different values" in message
    assert "row 3: '0.7' in column 1 and '0.75' in column 4" in message


def test_a_repeated_column_the_audit_does_not_use_only_warns(tmp_path, plain):
    path = tmp_path / "dup.csv"
    rows = [(*r, "x", str(i)) for i, r in enumerate(ROWS)]
    path.write_text(text(header=("score", "label", "group", "note", "note"), rows=rows), encoding="utf-8")
    result, err = run(path)
    assert result == plain and "'note' appears at positions 4, 5 with different values; not used" in err


@pytest.mark.parametrize("missing", ["", "NA", "NaN", "null", "N/A", "#N/A"])
def test_a_label_with_no_value_stops_with_the_count_and_rows_or_is_left_out_when_asked(tmp_path, missing):
    path = tmp_path / "na.csv"
    rows = list(ROWS) + [("0.8", missing, "A"), ("0.4", missing, "B")]
    path.write_text(text(rows=rows), encoding="utf-8")
    with pytest.raises(CommandError) as refusal:
        run(path)
    assert "column 'label' has no value (blank, NA, NaN or NULL) in 2 row(s): 7, 8" in str(refusal.value)
    assert "--drop-missing" in str(refusal.value)
    result, err = run(path, "--drop-missing")
    assert "left out 2 row(s) with no value in column 'label': 7, 8" in err
    assert sum(g["n"] for g in result["groups"].values()) == len(ROWS)


def test_a_score_with_no_value_is_treated_alike(tmp_path):
    path = tmp_path / "na.csv"
    path.write_text(text(rows=list(ROWS) + [("NaN", "1", "A")]), encoding="utf-8")
    with pytest.raises(CommandError, match="column 'score' has no value"):
        run(path)


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", "no header row"),
        (b"score,label,group\n", "no data rows"),
        (b"score,label,group\n0.9,1,A\x00\n", "NUL bytes"),
        (b"score,label,group\n0.9,1,A,B\n", "row 1 has 4 cells but the header has 3"),
        (b"score,label,group\n0.9,maybe,A\n", "must be 0/1"),
        (b"score,label,group\nhigh,1,A\n", "not finite numbers"),
        (b"score,label,group\n0.9,1,A\n", None),
        ("分數,label\n".encode("utf-16-le"), "NUL bytes"),  # UTF-16 without its BOM
        (b"score,label\n0.9,1\n", "missing column(s): group"),
    ],
)
def test_what_cannot_be_read_stops_in_one_clear_line(tmp_path, data, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    if expected is None:
        run(path)
        return
    with pytest.raises(CommandError) as refusal:
        run(path)
    assert expected in str(refusal.value) and "\n" not in str(refusal.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.binary(max_size=300)
    | st.text(alphabet=st.sampled_from(list(",\"'\r\n\t 01.abNA是否\ufeff\x00")), max_size=200).map(
        str.encode
    )
)
def test_any_bytes_give_a_result_or_a_command_error_never_a_traceback(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(b"score,label,group\n" + data)
    with contextlib.suppress(CommandError):
        run(path)


# ---------------------------------------------------------------------------------------------------------
# Every rate and disparity against fairlearn's MetricFrame
# ---------------------------------------------------------------------------------------------------------


def _precision(y_true, y_pred):
    flagged = y_pred == 1
    return np.nan if not flagged.any() else float((y_true[flagged] == 1).mean())


def _false_omission(y_true, y_pred):
    left = y_pred == 0
    return np.nan if not left.any() else float((y_true[left] == 1).mean())


def _prevalence(y_true, y_pred):
    return float(np.mean(y_true))


def _flagged(y_true, y_pred):
    return float(np.sum(y_pred))


def test_every_rate_and_disparity_agrees_with_fairlearn(tmp_path):
    rng = np.random.default_rng(11)
    n = 3000
    group = rng.choice(["N", "Y", "unknown"], n, p=[0.8, 0.15, 0.05])
    score = np.clip(rng.beta(2, 5, n) + 0.1 * (group == "Y"), 0, 1)
    label = (rng.random(n) < score * 0.6).astype(int)
    path = tmp_path / "scored.csv"
    pd.DataFrame({"score": score, "label": label, "group": group}).to_csv(path, index=False)
    result, _ = run(
        path,
        columns=[
            "--score-col",
            "score",
            "--label-col",
            "label",
            "--group-col",
            "group",
            "--threshold",
            "0.35",
        ],
    )

    flagged = (score >= 0.35).astype(int)
    frame = MetricFrame(
        metrics={
            "n": count,
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
            "fnr": false_negative_rate,
            "tnr": true_negative_rate,
            "precision": _precision,
            "for": _false_omission,
            "pprev": selection_rate,
            "prev": _prevalence,
            "flagged": _flagged,
        },
        y_true=label,
        y_pred=flagged,
        sensitive_features=pd.Series(group, name="group"),
    )
    by_group = frame.by_group
    by_group["fdr"] = 1 - by_group["precision"]
    by_group["npv"] = 1 - by_group["for"]
    by_group["ppr"] = by_group["flagged"] / by_group["flagged"].sum()
    reference = result["reference_group"]
    assert reference == by_group["n"].idxmax() == "N"
    for g, row in by_group.iterrows():
        ours = result["groups"][g]
        assert ours["n"] == row["n"]
        for metric in fairness.RATES:
            assert ours[metric] == pytest.approx(row[metric], abs=1e-12), (g, metric)
            expected = row[metric] / by_group.loc[reference, metric]
            assert result["disparities"][g][metric] == pytest.approx(expected, abs=1e-12), (g, metric)
    # fairlearn's own ratio for the selection rate says the same as the smallest pprev disparity.
    assert frame.ratio(method="between_groups")["pprev"] == pytest.approx(
        min(d["pprev"] for d in result["disparities"].values())
        / max(d["pprev"] for d in result["disparities"].values())
    )
