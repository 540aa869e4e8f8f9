"""Publishing counts of young people: keyed random rounding to base 5 (docs/privacy.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.crypto import salted_hmac

# ---------------------------------------------------------------------------------------------------------
# Publishing counts of young people: keyed random rounding to base 5
# ---------------------------------------------------------------------------------------------------------
#
# Why rounding rather than "<5" with complementary suppression: a supervisor chooses the period, and two
# periods that differ by one decision give two tables whose exact cells differ by one, in the row of that
# decision's group. Suppression hides small cells within one table but leaves the large ones exact, so the
# difference of two tables still names the group ("not indigenous" read 14 in both periods: the new decision was
# not in it). Rounding every published count, totals included, leaves no exact figure to subtract. The draw is
# fixed by the records counted, so asking again gives the same figure and cannot be averaged away.
# docs/privacy.md ("Counts of young people") gives the argument and what it does not defeat.

ROUNDING_BASE = 5
"""Every published count of young people (or of decisions about them) is a multiple of this."""
RATE_MIN_BASE = 2 * ROUNDING_BASE
"""A share is published only when its published denominator is at least this; below it rounding decides it."""
_UNBOUNDED = 10**12


@dataclass(frozen=True)
class Cell:
    """A true count and the key of what it counts; never shown as it is, only as :meth:`Release.publish` rounds it.

    The key names the records counted (:func:`records_key`) or, for a fixed table such as a model's audit, the
    table and the cell. The same records therefore always publish the same figure: asking again, or asking
    about another period that holds the same records, gives the same answer."""

    n: int
    key: str


def records_key(kind: str, ids: Iterable[int]) -> str:
    """The key of a count of records of one kind (e.g. ``"triage_decision"``): a digest of their ids."""
    digest = hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode()).hexdigest()
    return f"{kind}:{digest}"


def cell_key(kind: str, ids: Iterable[int], publication: str) -> str:
    """The key a cell's rounding is drawn from: its own records and every record of the publication. The same
    publication always rounds the same way (repeating a query averages nothing out), and any change to it
    (one more decision in the period) redraws every cell, so that a reader who compares two publications
    cannot tell the group of the added record from which cells moved: cells it is not in may move too."""
    return f"{records_key(kind, ids)}|{publication}"


def _draw(key: str) -> float:
    """A number in [0, 1) fixed by the key and the server's secret key, so nobody can predict it."""
    digest = salted_hmac("casework.reports.publish", key, algorithm="sha256").digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def rounded(cell: Cell, *, flipped: bool = False) -> int:
    """The count rounded to a multiple of ``ROUNDING_BASE``: up with probability (count mod 5) / 5, so that on
    average it is the count itself (unbiased random rounding), the draw fixed by the cell's key. Multiples of
    5, zero among them, stay as they are. ``flipped`` rounds the other way."""
    rest = cell.n % ROUNDING_BASE
    if rest == 0:
        return cell.n
    up = (_draw(cell.key) < rest / ROUNDING_BASE) != flipped
    return cell.n - rest + (ROUNDING_BASE if up else 0)


def possible_counts(published: int) -> tuple[int, int]:
    """The true counts a published count may stand for: 0 for 0 to 4, 5 for 1 to 9, 10 for 6 to 14."""
    return max(0, published - ROUNDING_BASE + 1), published + ROUNDING_BASE - 1


def published_rate(part: int | None, whole: int | None) -> float | None:
    """A share computed from published counts, so it tells nothing they do not; ``None`` (not shown) when the
    published denominator is below ``RATE_MIN_BASE``. Rounded on its own, a part can exceed its whole by 5: the
    share then reads 100%."""
    if part is None or whole is None or whole < RATE_MIN_BASE:
        return None
    return min(1.0, part / whole)


@dataclass
class Release:
    """The counts of one publication and what ties them together, published by :meth:`publish`.

    A reader who knows that a breakdown's cells add up to its total, or that overrides are some of the
    decisions, can narrow what each rounded count stands for, and now and then (when several roundings went
    the same way) pin a cell to one value. :meth:`publish` rounds every cell, works out what a reader can infer
    from the published counts and the ties declared (:meth:`adds_up`, :meth:`at_most`, figures the reader knows
    exactly from elsewhere with :meth:`known`, quantities the reader cannot see but can bound with
    :meth:`unseen`), and wherever a cell would be pinned rounds a cell tied to it the other way (still the true
    count rounded, up or down) if that frees it. A cell that no such turn frees is withheld (``None``), or, for
    a cell that must be published (``required``), the cells tied to it.
    """

    cells: dict[Hashable, Cell] = field(default_factory=dict)
    exact: dict[Hashable, int] = field(default_factory=dict)
    bounded: dict[Hashable, tuple[int, int]] = field(default_factory=dict)
    sums: list[tuple[tuple[Hashable, ...], tuple[Hashable, ...]]] = field(default_factory=list)
    orders: list[tuple[Hashable, Hashable]] = field(default_factory=list)
    required: set[Hashable] = field(default_factory=set)

    def count(self, name: Hashable, n: int, key: str, *, required: bool = False) -> None:
        """A count to publish; a ``required`` one is never withheld."""
        self.cells[name] = Cell(int(n), key)
        if required:
            self.required.add(name)

    def known(self, name: Hashable, n: int) -> None:
        """A figure the reader knows exactly (published elsewhere, or countable by them); not published here."""
        self.exact[name] = int(n)

    def unseen(self, name: Hashable, low: int, high: int) -> None:
        """A quantity not published whose bounds the reader knows."""
        self.bounded[name] = (int(low), int(high))

    def adds_up(self, totals: Sequence[Hashable], parts: Sequence[Hashable]) -> None:
        """The parts add up to the total (a list of one name, or of several whose sum it is)."""
        self.sums.append((tuple(totals), tuple(parts)))

    def at_most(self, part: Hashable, whole: Hashable) -> None:
        """One count is never more than another (overrides are some of the decisions)."""
        self.orders.append((part, whole))

    def publish(self) -> dict[Hashable, int | None]:
        """Every cell rounded so that no cell, nor an unseen quantity, is pinned to one value by the others."""
        # What the ties and the known figures tell before anything is published here (when a known total is
        # 0, every cell is 0 whatever is published): no pin to guard against there.
        free_before = {name for name, (low, high) in self.inferable({}).items() if low < high}
        flipped: frozenset[Hashable] = frozenset()
        withheld: set[Hashable] = set()
        shown, pinned = self._attempt(flipped, withheld, free_before)
        while pinned:
            tied = self._tied(pinned[0])
            candidates = list(dict.fromkeys(name for pin in pinned for name in self._tied(pin)))
            best = None
            for name in candidates:
                if name not in self.cells or name in withheld or not self.cells[name].n % ROUNDING_BASE:
                    continue
                trial = flipped ^ {name}
                _shown, still = self._attempt(trial, withheld, free_before)
                if len(still) < len(pinned) and (best is None or len(still) < best[1]):
                    best = (trial, len(still))
            if best is not None:
                flipped = best[0]
            else:
                hide = [pinned[0]] if pinned[0] in self.cells and pinned[0] not in self.required else []
                hide = hide or [
                    n for n in tied if n in self.cells and n not in self.required and n not in withheld
                ]
                if not hide:  # pinned by figures known elsewhere: nothing published here can help
                    break
                withheld.update(hide)
            shown, pinned = self._attempt(flipped, withheld, free_before)
        return {name: shown.get(name) for name in self.cells}

    def _attempt(self, flipped: frozenset, withheld: set, free_before: set) -> tuple[dict, list]:
        shown = {
            name: rounded(cell, flipped=name in flipped)
            for name, cell in self.cells.items()
            if name not in withheld
        }
        bounds = self.inferable(shown)
        pinned = [
            name
            for name in (*self.cells, *self.bounded)
            if name in free_before and name not in withheld and bounds[name][0] == bounds[name][1]
        ]
        return shown, pinned

    def inferable(self, shown: Mapping[Hashable, int | None]) -> dict[Hashable, tuple[int, int]]:
        """What a reader of ``shown`` (None or missing: withheld) can infer of every quantity: the least and
        greatest true value consistent with the published counts and the ties (bounds propagation to a fixed
        point; exact for breakdowns that share one total, an outer bound for other shapes)."""
        low: dict[Hashable, int] = {}
        high: dict[Hashable, int] = {}
        for name in self.cells:
            value = shown.get(name)
            low[name], high[name] = (0, _UNBOUNDED) if value is None else possible_counts(value)
        for name, n in self.exact.items():
            low[name] = high[name] = n
        for name, (a, b) in self.bounded.items():
            low[name], high[name] = a, b
        signed = [[(name, 1) for name in left] + [(name, -1) for name in right] for left, right in self.sums]
        for _round in range(100):
            changed = False
            for terms in signed:
                # Each signed term is minus the sum of the others.
                sum_low = sum(low[o] if s > 0 else -high[o] for o, s in terms)
                sum_high = sum(high[o] if s > 0 else -low[o] for o, s in terms)
                for name, sign in terms:
                    rest_low = sum_low - (low[name] if sign > 0 else -high[name])
                    rest_high = sum_high - (high[name] if sign > 0 else -low[name])
                    a, b = (-rest_high, -rest_low) if sign > 0 else (rest_low, rest_high)
                    if a > low[name] or b < high[name]:
                        low[name], high[name] = max(low[name], a), min(high[name], b)
                        changed = True
            for part, whole in self.orders:
                if high[part] > high[whole] or low[whole] < low[part]:
                    high[part], low[whole] = min(high[part], high[whole]), max(low[whole], low[part])
                    changed = True
            if not changed:
                break
        return {name: (low[name], high[name]) for name in low}

    def _tied(self, name: Hashable) -> list[Hashable]:
        """The name, then every quantity in a sum or order with it (in the order declared)."""
        out = [name]
        for left, right in self.sums:
            if name in left or name in right:
                out += [o for o in (*left, *right) if o not in out]
        for part, whole in self.orders:
            if name in (part, whole):
                out += [o for o in (part, whole) if o not in out]
        return out
