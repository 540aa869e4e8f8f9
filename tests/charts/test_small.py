"""The charts that sit in a table cell or beside a heading: a bar for one number, a score's line over runs."""

from __future__ import annotations

import re

import charts


def test_a_cell_bar_fills_its_share_of_the_cell_and_is_named_by_its_number():
    bar = charts.cell_bar(0.25, css="bar-up", label="0.123")
    assert 'role="img"' in bar and 'aria-label="0.123"' in bar
    assert re.search(r'<rect [^>]*width="25"[^>]*class="bar-up"', bar)
    assert "style=" not in bar and "<script" not in bar


def test_a_cell_bar_never_leaves_its_cell():
    assert 'width="100"' in charts.cell_bar(3.0, css="bar-down", label="x")
    assert 'width="0"' in charts.cell_bar(-1.0, css="bar-down", label="x")


def test_a_score_line_needs_two_runs():
    one = [charts.Step(0.2, "band-dot band-low", "2026-01-01: 0.200")]
    assert charts.score_line(one, id="h", title_text="score") is None
    assert charts.score_line([], id="h", title_text="score") is None


def test_a_score_line_is_scaled_to_its_highest_run_and_named():
    steps = [
        charts.Step(0.1, "band-dot band-low", "2026-01-01: 0.100"),
        charts.Step(0.4, "band-dot band-high", "2026-02-01: 0.400"),
        charts.Step(0.2, "band-dot band-medium", "2026-03-01: 0.200"),
    ]
    line = charts.score_line(steps, id="score-history", title_text="分數 <近三次>")
    assert 'aria-labelledby="score-history-title"' in line
    assert '<title id="score-history-title">分數 &lt;近三次&gt;</title>' in line
    points = re.search(r'points="([^"]+)"', line).group(1).split()
    assert points == ["0,31", "50,4", "100,22"]  # the highest run touches the top (y=4), runs spread evenly
    assert line.count("<circle") == 3 and "<title>2026-02-01: 0.400</title>" in line
    assert 'class="band-dot band-high"' in line


def test_a_line_of_tiny_scores_is_not_blown_up_to_the_full_height():
    steps = [charts.Step(0.001, "band-dot band-low", "a"), charts.Step(0.002, "band-dot band-low", "b")]
    ys = [
        float(p.split(",")[1])
        for p in re.search(r'points="([^"]+)"', charts.score_line(steps, id="h", title_text="t"))
        .group(1)
        .split()
    ]
    assert min(ys) > 35  # scaled to the floor (0.05), not to 0.002
