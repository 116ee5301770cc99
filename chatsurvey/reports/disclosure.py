"""The disclosure-control rules of the reference's §6.4, as pure functions.

- A count from 1 to ``small_count`` (9) is never published ("c").
- A table whose cells add up to published totals gets *secondary* suppression:
  more cells are hidden until no hidden cell can be worked out exactly from
  the published cells and totals. "Worked out" is tested with exact linear
  algebra over the table's sums (a hidden cell is recoverable exactly when its
  unit vector lies in the row space of the equations restricted to the hidden
  cells), not with the rule of thumb "two hidden per row", which misses chains.
- Published counts below the council's own total are rounded to the nearest
  ``round_to`` (5); the council's total number of responses is exact.
- A percentage needs ``min_cell`` (10) answers; 0% and 100% also need
  ``extreme_min`` (20), because on a small group they tell everyone's answer.

Nothing here knows about responses or Flask: :mod:`.publish` applies these
rules to a computed report before any renderer sees it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from chatsurvey.reports.rules import Rules
from chatsurvey.reports.stats import wilson

Position = tuple[str | int, ...]
"""A place in a table: ("c", i, j) a cell, ("r", i) a row total, ("k", j) a column total."""


class DisclosureError(RuntimeError):
    """A table cannot be protected (it is then not published at all)."""


def round_half_up(value: float) -> int:
    """Whole-number rounding that does not depend on the float's parity (2.5 -> 3)."""
    return math.floor(value + 0.5)


def round_count(value: int, rules: Rules) -> int:
    """``value`` to the nearest multiple of ``rules.round_to`` (halves go up)."""
    step = rules.round_to
    return step * round_half_up(value / step) if step > 1 else value


def is_small(value: int, rules: Rules) -> bool:
    """A count that must never be published."""
    return 1 <= value <= rules.small_count


def publish_count(value: int, rules: Rules, *, exact: bool = False) -> int | None:
    """The published form of a count on its own (None: hidden)."""
    if is_small(value, rules):
        return None
    return value if exact else round_count(value, rules)


@dataclass(frozen=True)
class Percent:
    """A published percentage: whole numbers, or None with the reason it is not shown."""

    value: int | None = None
    low: int | None = None
    high: int | None = None
    reason: str = ""
    """"" (shown), "few" (under min_cell answers), "hidden" (protected) or "pool" (a pooled
    figure of too few councils, or one council dominating it)."""

    @property
    def shown(self) -> bool:
        return self.value is not None


FEW = Percent(reason="few")
HIDDEN = Percent(reason="hidden")
NOT_POOLED = Percent(reason="pool")
"""A pooled figure the dominance rule withholds."""


def pool_allowed(parts: Sequence[int], rules: Rules) -> bool:
    """Whether a figure pooled from councils' answers (``parts``, one count per council) may be
    published: at least ``pool_min_councils`` councils, ``pool_min_answers`` answers, and no
    council more than ``pool_max_share`` of them. Otherwise two reports' pools, or a pool of
    one council, could be differenced down to a small council's young people."""
    parts = [n for n in parts if n > 0]
    total = sum(parts)
    return (len(parts) >= rules.pool_min_councils and total >= rules.pool_min_answers
            and max(parts) <= rules.pool_max_share * total)


def publish_percent(positive: int, n: int, rules: Rules, *,
                    interval: bool = True) -> Percent:
    """The share ``positive``/``n`` as published, with its 95% Wilson interval.

    Computed from the unrounded counts (§6.4 rule 3) and shown in whole
    numbers; withheld under ``min_cell`` answers, and withheld when everyone
    (or no one) gave the positive answer in a group under ``extreme_min``.
    """
    if n < rules.min_cell:
        return FEW
    if positive in (0, n) and n < rules.extreme_min:
        return HIDDEN
    value = round_half_up(100 * positive / n)
    if not interval:
        return Percent(value)
    low, high = wilson(positive, n, rules.z)
    return Percent(value, round_half_up(100 * low), round_half_up(100 * high))


# -- tables with totals: primary and secondary suppression ---------------------


@dataclass
class Layout:
    """A table as cells and the sums that tie them: each line is (members, total).

    ``fixed`` cells are published whatever happens (the council's own total
    number of responses), so they are never chosen to hide.
    """

    values: dict[Position, int]
    lines: list[tuple[tuple[Position, ...], Position]]
    fixed: frozenset[Position] = frozenset()
    margins: frozenset[Position] = field(default_factory=frozenset)


def grid_layout(counts: Sequence[Sequence[int]], *, row_totals: bool = True,
                col_totals: bool = True, fixed_total: bool = True) -> Layout:
    """A rows x columns table with row totals, column totals and a grand total.

    Positions: ("c", i, j) cells, ("r", i) row totals, ("k", j) column totals,
    ("t",) the grand total.
    """
    rows, cols = len(counts), len(counts[0]) if counts else 0
    values: dict[Position, int] = {}
    lines: list[tuple[tuple[Position, ...], Position]] = []
    for i in range(rows):
        for j in range(cols):
            values[("c", i, j)] = counts[i][j]
    if row_totals:
        for i in range(rows):
            values[("r", i)] = sum(counts[i])
            lines.append((tuple(("c", i, j) for j in range(cols)), ("r", i)))
    if col_totals:
        for j in range(cols):
            values[("k", j)] = sum(counts[i][j] for i in range(rows))
            lines.append((tuple(("c", i, j) for i in range(rows)), ("k", j)))
    values[("t",)] = sum(map(sum, counts))
    if row_totals:
        lines.append((tuple(("r", i) for i in range(rows)), ("t",)))
    if col_totals:
        lines.append((tuple(("k", j) for j in range(cols)), ("t",)))
    if not row_totals and not col_totals:
        lines.append((tuple(values.keys() - {("t",)}), ("t",)))
    margins = frozenset(p for p in values if p[0] != "c")
    return Layout(values, lines, frozenset({("t",)}) if fixed_total else frozenset(), margins)


def recoverable(layout: Layout, hidden: Iterable[Position]) -> set[Position]:
    """Hidden cells whose exact value follows from the published cells and the sums.

    Each line gives one linear equation over the hidden cells (the published
    ones move to the other side). A hidden cell is recoverable exactly when
    its unit vector is a combination of those equations: checked by reducing
    it against the equations' reduced row echelon form, in exact fractions.
    """
    hidden = [p for p in layout.values if p in set(hidden)]
    index = {p: i for i, p in enumerate(hidden)}
    equations: list[list[Fraction]] = []
    for members, total in layout.lines:
        row = [Fraction(0)] * len(hidden)
        for p in members:
            if p in index:
                row[index[p]] += 1
        if total in index:
            row[index[total]] -= 1
        if any(row):
            equations.append(row)
    pivots = _rref(equations)
    found = set()
    for p, i in index.items():
        vector = [Fraction(0)] * len(hidden)
        vector[i] = Fraction(1)
        for column, row in pivots:
            if vector[column]:
                factor = vector[column]
                vector = [a - factor * b for a, b in zip(vector, row, strict=True)]
        if not any(vector):
            found.add(p)
    return found


def _rref(rows: list[list[Fraction]]) -> list[tuple[int, list[Fraction]]]:
    """Reduced row echelon form as (pivot column, row) pairs."""
    rows = [r[:] for r in rows]
    pivots: list[tuple[int, list[Fraction]]] = []
    width = len(rows[0]) if rows else 0
    for column in range(width):
        pick = next((r for r in rows if r[column]), None)
        if pick is None:
            continue
        rows.remove(pick)
        lead = pick[column]
        pick = [a / lead for a in pick]
        rows = [[a - r[column] * b for a, b in zip(r, pick, strict=True)] if r[column] else r
                for r in rows]
        pivots = [(c, [a - r[column] * b for a, b in zip(r, pick, strict=True)])
                  if r[column] else (c, r) for c, r in pivots]
        pivots.append((column, pick))
    return pivots


def protect(layout: Layout, rules: Rules) -> set[Position]:
    """The cells to hide: the small ones, then the fewest extra so none is recoverable.

    Each round of secondary suppression hides one more published cell sharing
    a line with a recoverable hidden one: the one that leaves the fewest cells
    recoverable, then inner cells before totals, then the smallest (which
    loses the least information); it repeats until nothing hidden can be
    worked out. Raises DisclosureError when a small
    cell cannot be protected (a one-cell breakdown of a fixed total).
    """
    hidden = {p for p, v in layout.values.items() if is_small(v, rules) and p not in layout.fixed}
    while True:
        exposed = recoverable(layout, hidden)
        if not exposed:
            return hidden
        candidates = {p for members, total in layout.lines
                      if exposed & {*members, total}
                      for p in (*members, total)} - hidden - layout.fixed
        if not candidates:
            raise DisclosureError(f"cannot protect {sorted(exposed, key=repr)[0]!r}")
        hidden.add(min(candidates, key=lambda p: (len(recoverable(layout, hidden | {p})),
                                                  p in layout.margins, layout.values[p],
                                                  repr(p))))


def publish_layout(layout: Layout, rules: Rules) -> dict[Position, int | None]:
    """Every cell as published: None where hidden, rounded to 5 unless fixed."""
    hidden = protect(layout, rules)
    return {p: None if p in hidden else (v if p in layout.fixed else round_count(v, rules))
            for p, v in layout.values.items()}


def share_of(count: int, whole: int | None, published: int | None) -> int | None:
    """A response rate in whole percent, or None when its count is hidden or whole unknown."""
    if published is None or not whole:
        return None
    return min(100, round_half_up(100 * count / whole))
