"""Counters the hostile-input tests fill in, printed at the end of the run (docs/hostile-input.md quotes them)."""

from __future__ import annotations

from collections import Counter

examples: Counter[str] = Counter()
requests: Counter[str] = Counter()
outcomes: Counter[str] = Counter()
