"""The chart kit on plain data: labels measured with Chinese at full width, never cut or drawn over one
another, round ticks, an accessible name on every chart, and no chart where there is nothing to draw."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import charts
from charts.svg import LINE, SMALL, WIDTH
from charts.text import ELLIPSIS

NS = "{http://www.w3.org/2000/svg}"
LONG_ZH = "過去九十日內無故缺課日數（含請假未經學校核准者之合計）"


def parse(chart: charts.Chart) -> ET.Element:
    return ET.fromstring(str(chart).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def texts(root: ET.Element, css: str) -> list[ET.Element]:
    return [t for t in root.iter(f"{NS}text") if css in (t.get("class") or "").split()]


def lines_of(t: ET.Element) -> list[str]:
    """The lines of a text element: its text, or each of its ``<tspan>`` (a label on two lines)."""
    spans = t.findall(f"{NS}tspan")
    return [s.text or "" for s in spans] if spans else [t.text or ""]


def span(t: ET.Element, size: float) -> tuple[float, float]:
    """The horizontal extent of a text element (its widest line), by its anchor and measured width."""
    x, w = float(t.get("x")), max(charts.text_width(line, size) for line in lines_of(t))
    anchor = t.get("text-anchor", "start")
    return {"start": (x, x + w), "middle": (x - w / 2, x + w / 2), "end": (x - w, x)}[anchor]


def assert_apart(spans: list[tuple[float, float]]) -> None:
    spans = sorted(spans)
    for (_a, right), (left, _b) in zip(spans, spans[1:], strict=False):
        assert right <= left, spans


def assert_inside(root: ET.Element, size: float) -> None:
    width = float(root.get("viewBox").split()[2])
    for t in root.iter(f"{NS}text"):
        if t.get("transform"):
            continue
        left, right = span(t, size)
        assert left >= -0.01 and right <= width + 0.01, (t.text, left, right)


# ---------------------------------------------------------------------------------------------------------
# Measuring and fitting text
# ---------------------------------------------------------------------------------------------------------


def test_chinese_characters_are_measured_at_full_width_and_latin_narrower():
    assert charts.text_width("風險模型", 12) == 48
    assert charts.text_width("risk", 12) < 48 / 2
    # Full-width punctuation and the ellipsis count as a full em, as a CJK font draws them.
    assert charts.text_width("（）…", 10) == 30


def test_a_label_that_fits_is_kept_and_a_longer_one_is_shortened_to_the_width_with_an_ellipsis():
    assert charts.fit("中輟紀錄", 48, 12) == "中輟紀錄"
    short = charts.fit(LONG_ZH, 100, 12)
    assert short.endswith(ELLIPSIS) and LONG_ZH.startswith(short[:-1])
    assert charts.text_width(short, 12) <= 100
    assert charts.fit("Police contacts in the last 12 months", 80, 12).endswith(ELLIPSIS)


# ---------------------------------------------------------------------------------------------------------
# Axes
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "top"),
    [(0.0, 1.0), (0.07, 0.08), (0.33, 0.4), (3, 3), (7, 8), (1234, 1500), (float("nan"), 1.0)],
)
def test_an_axis_ends_at_a_whole_number_of_round_steps_above_the_largest_value(value, top):
    assert charts.axis_max(value) == pytest.approx(top)


def test_ticks_are_round_include_zero_and_a_count_axis_has_whole_steps_only():
    assert charts.ticks(0, 0.4) == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])
    assert 0.0 in charts.ticks(-0.23, 0.41, n=5)
    assert charts.ticks(0, 3, whole=True) == [0, 1, 2, 3]
    assert all(v == int(v) for v in charts.ticks(0, 10, whole=True))


def test_tick_numbers_have_as_many_decimals_as_tell_them_apart():
    assert [charts.percent_format([0, 0.125, 0.25])(v) for v in (0, 0.125)] == ["0.0%", "12.5%"]
    write = charts.number_format([-0.02, -0.01, 0, 0.01], sign=True)
    assert [write(v) for v in (-0.02, -0.01, 0, 0.01)] == ["-0.02", "-0.01", "0", "+0.01"]
    assert charts.percent_format([0, 0.05, 0.1])(0.05) == "5%"


# ---------------------------------------------------------------------------------------------------------
# Horizontal bars
# ---------------------------------------------------------------------------------------------------------


def _rows(n: int = 6) -> list[charts.Row]:
    labels = [
        LONG_ZH,
        "中輟紀錄",
        "Police contacts in the last 12 months",
        "家庭暴力通報",
        "輔導轉介次數",
        "年齡",
    ]
    return [
        charts.bar(labels[i % 6], 0.02 * (i + 1), text=f"{2 * (i + 1)}.0%", css="bar-x") for i in range(n)
    ]


def test_every_chart_is_an_image_named_by_its_title_with_no_script_or_inline_style():
    chart = charts.hbar_chart(_rows(), id="demo", title_text="各指標比率", tick_format=charts.percent_format)
    markup = str(chart)
    assert re.match(
        r'<svg class="chart-svg" viewBox="[^"]+" role="img" aria-labelledby="demo-title">', markup
    )
    assert '<title id="demo-title">各指標比率</title>' in markup
    assert chart.__html__() == markup
    assert "<script" not in markup and "style=" not in markup and not re.search(r"\son[a-z]+=", markup)


def test_a_chart_without_a_title_is_refused():
    with pytest.raises(ValueError):
        charts.hbar_chart(_rows(), id="demo", title_text="", tick_format=charts.percent_format)


def test_labels_are_escaped():
    rows = [charts.bar("<b>&", 1.0, text="1", css="x")]
    markup = str(charts.hbar_chart(rows, id="e", title_text="a<b", tick_format=charts.count_format))
    assert "<b>" not in markup and "&lt;b&gt;&amp;" in markup and "a&lt;b" in markup


def test_long_chinese_labels_take_two_lines_of_the_label_column_and_keep_their_full_text_as_tooltip():
    from django.utils import translation

    with translation.override("zh-hant"):
        root = parse(charts.hbar_chart(_rows(), id="d", title_text="t", tick_format=charts.percent_format))
    labels = texts(root, "label")
    plot_x = float(next(r for r in root.iter(f"{NS}rect")).get("x"))
    for label in labels:
        assert span(label, 12)[1] <= plot_x  # never over the bars
    assert "".join(lines_of(labels[0])) == LONG_ZH and len(lines_of(labels[0])) == 2
    # Longer still, the second line ends in an ellipsis.
    longer = parse(
        charts.hbar_chart(
            [charts.bar(LONG_ZH * 2, 0.5, text="50%", css="x")],
            id="d",
            title_text="t",
            tick_format=charts.percent_format,
        )
    )
    assert lines_of(texts(longer, "label")[0])[-1].endswith(ELLIPSIS)
    # in the reader's language (Traditional Chinese here): the full-width colon after Chinese
    assert f"<title>{LONG_ZH}：2.0%</title>" in ET.tostring(root, encoding="unicode").replace("ns0:", "")
    assert_inside(root, 12)


def test_short_labels_give_the_room_to_the_bars():
    short = [charts.bar("低", 0.5, text="50.0%", css="x"), charts.bar("高", 0.25, text="25.0%", css="x")]
    root = parse(charts.hbar_chart(short, id="d", title_text="t", tick_format=charts.percent_format))
    assert float(next(root.iter(f"{NS}rect")).get("x")) < 40


def test_the_value_after_the_longest_bar_stays_inside_the_chart():
    rows = [charts.bar("甲", 1.0, text="不顯示（人數太少）", css="x")]
    root = parse(
        charts.hbar_chart(rows, id="d", title_text="t", tick_format=charts.percent_format, maximum=1.0)
    )
    (value,) = texts(root, "value")
    assert span(value, SMALL)[1] <= WIDTH


def test_tick_labels_never_touch_and_stay_inside():
    rows = [charts.bar("甲", 123456.0, text="123456", css="x")]
    root = parse(charts.hbar_chart(rows, id="d", title_text="t", tick_format=charts.count_format, whole=True))
    ticks = texts(root, "tick")
    assert len(ticks) >= 2
    assert_apart([span(t, SMALL) for t in ticks])
    assert_inside(root, SMALL)


def test_marker_labels_close_together_are_put_on_separate_lines():
    rows = [charts.bar("甲", 0.3, text="0.300", css="x")]
    markers = ((0.1, "0.1"), (0.11, "全體青少年 11.0%"), (0.25, "0.25"))
    root = parse(
        charts.hbar_chart(rows, id="d", title_text="t", tick_format=charts.number_format, markers=markers)
    )
    marks = texts(root, "marker-text")
    assert len(marks) == 3
    by_line: dict[str, list] = {}
    for t in marks:
        by_line.setdefault(t.get("y"), []).append(span(t, SMALL))
    assert len(by_line) == 2
    for spans in by_line.values():
        assert_apart(spans)
    assert_inside(root, SMALL)


def test_nothing_to_draw_is_no_chart_not_an_empty_axis():
    assert charts.hbar_chart([], id="d", title_text="t", tick_format=charts.percent_format) is None
    nothing = [charts.bar("甲", None, text="不顯示", css="x"), charts.bar("乙", 0.0, text="0", css="x")]
    assert charts.hbar_chart(nothing, id="d", title_text="t", tick_format=charts.count_format) is None
    assert (
        charts.grouped_bar_chart(
            [charts.Group("k = 10", [None, None])],
            [charts.Series("模型", "a")],
            id="g",
            title_text="t",
            value_text=str,
        )
        is None
    )
    assert (
        charts.calibration_chart([], id="c", title_text="t", x_label="x", y_label="y", diagonal_title="d")
        is None
    )
    assert (
        charts.beeswarm_chart(
            [charts.Swarm("甲", [])],
            id="b",
            title_text="t",
            low_text="低",
            high_text="高",
            direction_text="→",
        )
        is None
    )
    assert (
        charts.small_multiples_chart(
            [charts.Panel("甲", [])], id="s", title_text="t", up_text="升", down_text="降"
        )
        is None
    )


def test_stacked_segments_add_up_and_a_row_without_a_figure_draws_no_bar():
    rows = [
        charts.Row(
            "王小明", [charts.Bar([charts.Segment(2, "seg-a", "a"), charts.Segment(3, "seg-b", "b")], "5")]
        ),
        charts.bar("未指派", None, text="—", css="x"),
    ]
    root = parse(charts.hbar_chart(rows, id="d", title_text="t", tick_format=charts.count_format, whole=True))
    rects = list(root.iter(f"{NS}rect"))
    assert [r.get("class") for r in rects] == ["bar seg-a", "bar seg-b"]
    assert float(rects[1].get("x")) == pytest.approx(
        float(rects[0].get("x")) + float(rects[0].get("width")), abs=0.1
    )


# ---------------------------------------------------------------------------------------------------------
# The other charts
# ---------------------------------------------------------------------------------------------------------


def test_a_legend_too_long_for_one_line_wraps_and_group_labels_stay_apart():
    series = [charts.Series(f"比較方法 {LONG_ZH} {i}", f"series-{i}") for i in range(3)]
    groups = [charts.Group(f"k = {k}", [0.1, 0.2, 0.3]) for k in (50, 100, 200, 500, 1000)]
    root = parse(charts.grouped_bar_chart(groups, series, id="g", title_text="t", value_text=str))
    legend = texts(root, "legend")
    assert len({t.get("y") for t in legend}) > 1
    assert_apart([span(t, 12) for t in texts(root, "label")])
    assert_inside(root, 12)


def test_the_beeswarm_keys_do_not_meet_and_its_ticks_are_distinct():
    rows = [
        charts.Swarm(LONG_ZH, [(v / 1000, v) for v in range(-20, 30)]),
        charts.Swarm("年齡", [(0.01, None)]),
    ]
    root = parse(
        charts.beeswarm_chart(
            rows,
            id="b",
            title_text="t",
            low_text="數值：低",
            high_text="高",
            direction_text="← 降低分數 · 提高分數 →",
        )
    )
    ticks = [t.text for t in texts(root, "tick")]
    assert len(ticks) == len(set(ticks)) >= 3
    assert_apart([span(t, SMALL) for t in texts(root, "tick")])
    legend = texts(root, "legend")
    same_line = [span(t, SMALL) for t in legend if t.get("y") == legend[0].get("y")]
    assert_apart(same_line)
    assert_inside(root, SMALL)


def test_small_multiples_bin_labels_too_wide_for_their_slot_take_two_lines():
    bins = [charts.Bin(f"{i * 20}–{(i + 1) * 20}%", 0.1 * (i - 2), f"{0.1 * (i - 2):+.2f}") for i in range(5)]
    root = parse(
        charts.small_multiples_chart(
            [charts.Panel(LONG_ZH, bins), charts.Panel("年齡", bins)],
            id="s",
            title_text="t",
            up_text="提高分數",
            down_text="降低分數",
        )
    )
    ticks = texts(root, "tick")
    assert not any(t.text.endswith(ELLIPSIS) for t in ticks)
    for y in {t.get("y") for t in ticks}:
        assert_apart([span(t, SMALL) for t in ticks if t.get("y") == y])
    assert_inside(root, 12)


def test_the_calibration_chart_names_its_axes_and_diagonal():
    points = [charts.Point(0.01 * i, 0.012 * i, f"第 {i} 組") for i in range(1, 11)]
    markup = str(
        charts.calibration_chart(
            points,
            id="c",
            title_text="校準曲線",
            x_label="組內平均分數",
            y_label="實際發生率",
            diagonal_title="完美校準",
        )
    )
    assert (
        markup.count('class="dot"') == 10 and "組內平均分數" in markup and "<title>完美校準</title>" in markup
    )
    assert_apart(
        [span(t, SMALL) for t in texts(parse(charts.Chart(markup)), "tick") if t.get("text-anchor") != "end"]
    )


def test_value_ranks_put_ties_at_the_bottom():
    assert charts.value_ranks([0, 0, 0, 5, None]) == [0.0, 0.0, 0.0, 0.75, None]


# ---------------------------------------------------------------------------------------------------------
# Room for each line of text as the browser lays it out (tests/browser/test_chart_labels_browser.py)
# ---------------------------------------------------------------------------------------------------------

LINE_BOX = SMALL * LINE  # the height Chromium gives a line of tick or value text in the page's CJK font


def test_a_long_label_breaks_between_words_or_chinese_characters_never_before_a_closing_mark():
    from charts.text import wrap

    assert wrap("中輟紀錄", 100, 12) == ["中輟紀錄"]
    assert wrap("Household low or middle-low income: yes · Share flagged", 200, 12) == [
        "Household low or middle-low",
        "income: yes · Share flagged",
    ]
    first, second = wrap("新住民子女：不詳 ・ 被標記比例", 120, 12)
    assert first + " " + second == "新住民子女：不詳 ・ 被標記比例" and second[0] not in "・：）"
    for line in wrap(LONG_ZH, 100, 12):
        assert charts.text_width(line, 12) <= 100
    assert wrap(LONG_ZH * 2, 100, 12)[-1].endswith(ELLIPSIS)
    assert len(wrap(LONG_ZH * 2, 100, 12)) == 2


def test_two_lines_of_a_label_and_the_rows_around_them_do_not_meet():
    rows = [charts.bar(LONG_ZH, 0.5, text="50.0%", css="x"), charts.bar("年齡", 0.2, text="20.0%", css="x")]
    root = parse(
        charts.hbar_chart(rows, id="d", title_text="t", tick_format=charts.percent_format, label_cap=200)
    )
    first, second = texts(root, "label")
    top, bottom = (float(s.get("y")) for s in first.findall(f"{NS}tspan"))
    assert bottom - top >= 12 * LINE
    # The next row's label is a line box below the first row's second line.
    assert float(second.get("y")) - bottom >= 12 * LINE


def test_the_values_of_two_bars_in_a_row_are_a_line_apart():
    rows = [
        charts.Row("甲", [charts.Bar([charts.Segment(0.42, "a")], "0.420"), charts.Bar([charts.Segment(0.43, "b")], "0.432")]),
        charts.Row("乙", [charts.Bar([], "—"), charts.Bar([], "—")]),
        charts.Row("丙", [charts.Bar([charts.Segment(0.1, "a")], "0.100"), charts.Bar([], "—")]),
    ]  # fmt: skip
    root = parse(charts.hbar_chart(rows, id="d", title_text="t", tick_format=charts.number_format))
    ys = sorted(float(t.get("y")) for t in texts(root, "value"))
    assert all(b - a >= LINE_BOX - 0.5 for a, b in zip(ys, ys[1:], strict=False)), ys


def _forest(rows, **more):
    return parse(charts.interval_chart(rows, id="f", title_text="t", tick_format=lambda v: f"{v:g}", **more))


def test_forest_plot_ticks_that_would_touch_give_way_to_zero():
    import math

    ratios = (0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0)
    rows = [charts.Interval(LONG_ZH, 0.1, -0.2, 0.3, text="×1.1 (×0.8–×1.3)")]
    root = parse(
        charts.interval_chart(
            rows,
            id="f",
            title_text="t",
            tick_format=lambda v: f"×{math.exp(v):.2f}",
            ticks=[math.log(r) for r in ratios],
            extent=math.log(8),
        )
    )
    written = texts(root, "tick")
    assert "×1.00" in [t.text for t in written]  # the line of no difference
    assert_apart([span(t, SMALL) for t in written])
    assert len(written) < len(ratios)  # ×0.8 and ×1.25 are too close to ×1 on this scale


def test_forest_plot_keeps_room_for_the_estimates_beside_long_labels():
    from charts.intervals import PLOT_MIN

    rows = [
        charts.Interval(f"Household low or middle-low income: yes · Share flagged {i}", 0.1, -0.2, 0.3, text="×1.12 (×0.79–×1.52)")
        for i in range(3)
    ]  # fmt: skip
    root = _forest(rows, label_cap=400, ticks=[-0.3, 0.0, 0.3], extent=0.3)
    zero = next(ln for ln in root.iter(f"{NS}line") if ln.get("class") == "zero")
    grid = [float(ln.get("x1")) for ln in root.iter(f"{NS}line") if ln.get("class") == "grid"]
    assert max(grid) - min(grid) >= PLOT_MIN - 1
    labels = texts(root, "label")
    # The labels take two lines rather than lose their end, and stay left of the plot.
    assert all(len(lines_of(t)) == 2 and not lines_of(t)[-1].endswith(ELLIPSIS) for t in labels)
    assert all(span(t, 12)[1] <= min(grid) for t in labels)
    assert float(zero.get("x1")) > min(grid)


def test_calibration_ticks_leave_the_corner_to_one_label_per_axis_and_stay_a_line_apart():
    points = [charts.Point(0.01 * i, 0.012 * i, f"第 {i} 組") for i in range(1, 11)]
    root = parse(
        charts.calibration_chart(points, id="c", title_text="t", x_label="x", y_label="y", diagonal_title="d")
    )
    axis = float(next(ln for ln in root.iter(f"{NS}line") if ln.get("class") == "axis").get("x1"))
    ticks = texts(root, "tick")
    x_ticks = [t for t in ticks if t.get("text-anchor") != "end"]
    assert all(span(t, SMALL)[0] >= axis - 0.01 for t in x_ticks)  # none under the y axis's labels
    y_ticks = sorted(float(t.get("y")) for t in ticks if t.get("text-anchor") == "end")
    assert all(b - a >= LINE_BOX for a, b in zip(y_ticks, y_ticks[1:], strict=False))


def test_small_multiples_second_line_of_bin_labels_is_a_line_below_the_first():
    bins = [charts.Bin(f"{i * 20}–{(i + 1) * 20}%", 0.1 * (i - 2), f"{0.1 * (i - 2):+.2f}") for i in range(5)]
    root = parse(
        charts.small_multiples_chart(
            [charts.Panel("年齡", bins)], id="s", title_text="t", up_text="升", down_text="降"
        )
    )
    lines = sorted({float(t.get("y")) for t in texts(root, "tick")})
    assert len(lines) == 2 and lines[1] - lines[0] >= LINE_BOX


def test_a_label_of_parts_breaks_where_its_parts_meet():
    from charts.text import wrap

    assert wrap("New-immigrant parent: unknown · Share flagged", 281, 12) == [
        "New-immigrant parent: unknown ·",
        "Share flagged",
    ]
