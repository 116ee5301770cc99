"""The missing-data view: which questions young people chose to skip most.

Skipping is every young person's right, and the pattern shows which questions
feel intrusive (family time, fathers above all, is skipped most in Bright
Spots). Each question is counted across every age band that was asked it, so
the counts are as large as they can be. Skip counts follow the count rules;
a skip rate is shown only when at least ``min_cell`` were asked and its own
count could be shown, so a rate never gives a hidden count away.
"""

from __future__ import annotations

from collections import defaultdict

from chatsurvey.reports.disclosure import publish_count, round_half_up
from chatsurvey.reports.model import PMissing, Report
from chatsurvey.reports.rules import Rules

SHOWN = 10
"""Questions listed (the most skipped first)."""


def missing_view(report: Report, rules: Rules, shown: int = SHOWN) -> list[PMissing]:
    asked: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    bands: dict[str, list[str]] = defaultdict(list)
    for band in report.bands:
        for key, (answered, skipped) in band.asked.items():
            asked[key][0] += answered + skipped
            asked[key][1] += skipped
            bands[key].append(band.band)
    rows = []
    for key, (n, skipped) in asked.items():
        shown_skipped = publish_count(skipped, rules)
        rate = None
        if n >= rules.min_cell and shown_skipped is not None and not (
                skipped in (0, n) and n < rules.extreme_min):
            rate = round_half_up(100 * skipped / n)
        rows.append(PMissing(", ".join(bands[key]), key,
                             report.labels.get(key, key.replace("_", " ")),
                             publish_count(n, rules), shown_skipped, rate))
    rows.sort(key=lambda m: (m.rate is None, -(m.rate or 0), m.label))
    return rows[:shown]
