"""Proportions and their uncertainty: pure functions, checked against published values.

The Wilson score interval is OHID's (formerly PHE's) preferred interval for a
proportion: unlike the textbook "p ± 1.96 SE" it never leaves 0-100% and
behaves sensibly with few answers or with none positive. Two councils' samples
are compared with the pooled two-proportion z-test.
"""

from __future__ import annotations

import math

from chatsurvey.reports.rules import Z95


def wilson(positive: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval (low, high) for ``positive`` out of ``n`` (n > 0)."""
    if n <= 0:
        raise ValueError("an interval needs at least one answer")
    if not 0 <= positive <= n:
        raise ValueError("positive must lie between 0 and n")
    p = positive / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    denominator = 1 + z2 / n
    low = (centre - spread) / denominator
    high = (centre + spread) / denominator
    # Exact at the ends (the formula leaves rounding dust there).
    return (0.0 if positive == 0 else max(0.0, low), 1.0 if positive == n else min(1.0, high))


def normal_two_sided_p(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z."""
    return math.erfc(abs(z) / math.sqrt(2))


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """(z, two-sided p) of the pooled two-proportion z-test of x1/n1 against x2/n2.

    z is positive when the first proportion is the higher. When every answer
    on both sides is the same there is no variation to test: z = 0, p = 1.
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both samples need at least one answer")
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return 0.0, 1.0
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    return z, normal_two_sided_p(z)
