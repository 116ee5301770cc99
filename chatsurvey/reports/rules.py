"""The disclosure-control and comparison thresholds, as one value every stage shares.

Kept apart from Flask so the pure modules (statistics, suppression, flags)
can be tested without an app; :func:`from_config` reads the ``REPORT_*``
settings (see ``chatsurvey/config.py``) when there is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Z95 = 1.959963984540054
"""The normal quantile for a two-sided 95% interval."""


@dataclass(frozen=True)
class Rules:
    """Thresholds from the reference's §6.4; the defaults are the programme's."""

    min_cell: int = 10
    min_flag: int = 20
    small_count: int = 9
    round_to: int = 5
    extreme_min: int = 20
    k: int = 10
    z: float = Z95
    quotes_per_question: int = 3
    pool_min_councils: int = 3
    pool_min_answers: int = 50
    pool_max_share: float = 0.5
    min_eligible: Mapping[str, int] = field(default_factory=lambda: {
        "your-life-your-care": 150, "your-life-beyond-care": 100})


def from_config(config: Mapping[str, Any]) -> Rules:
    """The rules an app is configured with (missing settings keep the defaults)."""
    names = {"min_cell": "REPORT_MIN_CELL", "min_flag": "REPORT_MIN_FLAG",
             "small_count": "REPORT_SMALL_COUNT", "round_to": "REPORT_ROUND_TO",
             "extreme_min": "REPORT_EXTREME_MIN", "k": "REPORT_K_ANONYMITY",
             "quotes_per_question": "REPORT_QUOTES_PER_QUESTION",
             "pool_min_councils": "REPORT_POOL_MIN_COUNCILS",
             "pool_min_answers": "REPORT_POOL_MIN_ANSWERS",
             "pool_max_share": "REPORT_POOL_MAX_SHARE",
             "min_eligible": "REPORT_MIN_ELIGIBLE"}
    return Rules(**{attr: config[name] for attr, name in names.items() if name in config})
