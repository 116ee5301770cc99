"""Response rates: how many took part, by age band, channel and week, against those eligible.

Only counts of young people who took part are published here (never an
answer), and the same protection applies: 1-9 hidden with secondary
suppression, sub-council counts rounded to 5, the council's total exact.
"""

from __future__ import annotations

from datetime import date

from chatsurvey.reports.disclosure import DisclosureError, grid_layout, publish_layout, share_of
from chatsurvey.reports.model import PTable, Report
from chatsurvey.reports.rules import Rules

ALL_CHANNELS = ("web", "sms", "paper")
"""Always shown, even when none answered that way; any other channel (WhatsApp) is shown
only when someone answered by it."""
CHANNEL_NAMES = {"web": "Web chat", "sms": "Text message", "whatsapp": "WhatsApp",
                 "paper": "Paper"}


def band_label(band: str) -> str:
    return f"Aged {band}" if band else "Age not known"


def band_channel_table(report: Report, rules: Rules) -> PTable | None:
    """Responses by age band (rows) and channel (columns), with totals."""
    bands = [b.band for b in report.bands]
    extra = sorted({c for (_, c) in report.by_band_channel} - set(ALL_CHANNELS))
    channels = [*ALL_CHANNELS, *extra]
    counts = [[report.by_band_channel.get((b, c), 0) for c in channels] for b in bands]
    return _table("by-band-channel", "Responses by age band and how they answered", counts,
                  [band_label(b) for b in bands], [CHANNEL_NAMES.get(c, c) for c in channels],
                  report.total, rules, margins=True)


def week_label(week: str) -> str:
    """An ISO week ("2026-W49") as people read it: "Week of 30 Nov 2026" (its Monday)."""
    try:
        year, number = week.split("-W")
        monday = date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        return week
    return f"Week of {monday.day} {monday:%b %Y}"


def week_table(report: Report, rules: Rules) -> PTable | None:
    """Responses per ISO week of the round, labelled by the week's Monday."""
    counts = [[report.by_week.get(w, 0)] for w in report.weeks]
    return _table("by-week", "Responses by week", counts,
                  [week_label(w) for w in report.weeks], ("Responses",),
                  report.total, rules, margins=False)


def _table(table_id: str, title: str, counts: list[list[int]], rows, cols, total: int,
           rules: Rules, *, margins: bool) -> PTable | None:
    if not counts or sum(map(sum, counts)) != total:
        return None
    layout = grid_layout(counts, row_totals=margins, col_totals=margins)
    try:
        shown = publish_layout(layout, rules)
    except DisclosureError:
        return None  # a breakdown that cannot be protected is not published at all
    cells = tuple(tuple(shown[("c", i, j)] for j in range(len(cols)))
                  for i in range(len(rows)))
    return PTable(
        id=table_id, title=title, row_labels=tuple(rows), col_labels=tuple(cols), cells=cells,
        row_totals=tuple(shown[("r", i)] for i in range(len(rows))) if margins else None,
        col_totals=tuple(shown[("k", j)] for j in range(len(cols))) if margins else None,
        total=total)


def band_responses(table: PTable | None, index: int) -> int | None:
    """A band's published number of responses, as its table shows it."""
    if table is None:
        return None
    if table.row_totals is not None:
        return table.row_totals[index]
    return table.cells[index][0]


def rate(count: int, eligible: int | None, published: int | None) -> int | None:
    """A response rate in whole percent. Sub-council rates are worked out from the published
    (rounded) count: from the exact count and a small eligible population the rate would give
    the exact count back."""
    return share_of(count, eligible, published)


def warnings(report: Report, rules: Rules) -> list[str]:
    """Plain warnings about the eligible population the council entered."""
    out: list[str] = []
    if not any(report.eligible.values()):
        return ["No eligible population was entered for this round, so response rates cannot"
                " be worked out."]
    survey_of = {b.band: b.survey for b in report.bands}
    for survey in report.surveys:
        minimum = rules.min_eligible.get(survey)
        eligible = sum(n for band, n in report.eligible.items() if survey_of.get(band) == survey)
        # A survey with no eligible number entered is in the report only because someone
        # answered it: "0 eligible care leavers" would say that a care leaver took part.
        if minimum and 0 < eligible < minimum:
            from chatsurvey.reports.compute import survey_title

            who = "children in care" if survey == "your-life-your-care" else "care leavers"
            out.append(f"{survey_title(survey)}: {eligible} eligible {who}, below the"
                       f" programme minimum of {minimum}. Results will be based on few young"
                       " people and many will not be compared.")
    return out
