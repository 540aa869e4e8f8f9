"""Axes: round steps, the top of an axis, where ticks go and how their numbers read."""

from __future__ import annotations

import math
from collections.abc import Callable

STEPS = (1, 2, 2.5, 5, 10)
WHOLE_STEPS = (1, 2, 5, 10)


def nice_step(value: float, *, whole: bool = False) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value`` (1 for nothing to show); with
    ``whole`` (counts), a whole number of 1, 2 or 5 times a power of ten."""
    if not value or value <= 0 or not math.isfinite(value):
        return 1.0
    if whole and value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(s * power for s in (WHOLE_STEPS if whole else STEPS) if value <= s * power * (1 + 1e-9))


def axis_max(value: float, n: int = 4, *, whole: bool = False) -> float:
    """The top of an axis from 0 that shows ``value``: a whole number of round steps (about ``n``)."""
    if not value or value <= 0 or not math.isfinite(value):
        return 1.0
    step = nice_step(value / n, whole=whole)
    return step * math.ceil(value / step - 1e-9)


def ticks(low: float, high: float, n: int = 4, *, whole: bool = False) -> list[float]:
    """Round values from ``low`` to ``high`` (about ``n`` steps), 0 included when it is in range."""
    step = nice_step((high - low) / n, whole=whole)
    first = math.ceil(low / step - 1e-9)
    values = []
    k = first
    while k * step <= high + step * 1e-9:
        values.append(0.0 if abs(k * step) < step * 1e-9 else k * step)
        k += 1
    return values


def decimals(values: list[float]) -> int:
    """How many decimals tell these values apart (at most 6)."""
    for d in range(7):
        if all(abs(v - round(v, d)) < 1e-9 * max(1.0, abs(v)) for v in values):
            return d
    return 6


def percent_format(values: list[float]) -> Callable[[float], str]:
    """Shares as percentages with as many decimals as the ticks need (0.125 -> '12.5%')."""
    d = decimals([v * 100 for v in values])
    return lambda v: f"{v * 100:.{d}f}%"


def number_format(values: list[float], *, sign: bool = False) -> Callable[[float], str]:
    """Numbers with as many decimals as the ticks need; with ``sign``, '+' before positive ones."""
    d = decimals(values)

    def text(v: float) -> str:
        if abs(v) < 1e-12:
            return "0"
        return f"{v:+.{d}f}" if sign else f"{v:.{d}f}"

    return text


def count_format(values: list[float]) -> Callable[[float], str]:
    """Whole numbers (counts)."""
    return lambda v: str(round(v))
