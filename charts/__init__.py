"""The one chart kit of the site: static SVG drawn on the server, no script, no inline style.

Every page that draws a chart calls these functions with plain data (labels already translated, values,
the stylesheet classes that colour them) and prints the result; each chart is an image named by its
``<title>`` (``role="img"``), and the page puts a table of the same numbers beside it. Labels are measured
with Chinese characters at full width (:mod:`charts.text`), so none is cut or drawn over another, and a
chart with nothing to show is None rather than an empty axis. Plain Python: this package imports nothing
from the apps. Why our own module and not a plotting library: ``docs/charts.md``.
"""

from .bars import Bar, Group, Row, Segment, Series, bar, grouped_bar_chart, hbar_chart
from .intervals import Interval, interval_chart
from .plots import (
    Bin,
    Panel,
    Point,
    Swarm,
    beeswarm_chart,
    calibration_chart,
    small_multiples_chart,
    value_ranks,
)
from .scale import axis_max, count_format, nice_step, number_format, percent_format, ticks
from .small import Step, cell_bar, score_line
from .svg import Chart
from .text import fit, text_width

__all__ = [
    "Interval",
    "interval_chart",
    "Bar",
    "Bin",
    "Chart",
    "Group",
    "Panel",
    "Point",
    "Row",
    "Segment",
    "Series",
    "Step",
    "Swarm",
    "axis_max",
    "bar",
    "beeswarm_chart",
    "calibration_chart",
    "cell_bar",
    "count_format",
    "fit",
    "grouped_bar_chart",
    "hbar_chart",
    "nice_step",
    "number_format",
    "percent_format",
    "score_line",
    "small_multiples_chart",
    "text_width",
    "ticks",
    "value_ranks",
]
