"""The report as computed (exact counts) and as published (after disclosure control).

Two separate sets of types on purpose: renderers take a :class:`Published`
only, which holds no exact count below the council's total, so no output can
show a number the rules in :mod:`.disclosure` did not let through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chatsurvey.reports.disclosure import Percent
from chatsurvey.reports.indicators import Comparator, Indicator
from chatsurvey.reports.tally import Counts

# -- computed (never given to a renderer) --------------------------------------


@dataclass
class IndicatorResult:
    indicator: Indicator
    council: Counts
    others: Counts
    others_parts: tuple[int, ...]
    """Answers to this indicator from each council in the pool (the dominance rule's input)."""
    previous: Counts | None
    comparator: Comparator | None
    """The general-population figure, when the catalogue has one for this age band."""


@dataclass
class BandResult:
    survey: str
    band: str
    title: str
    responses: int
    eligible: int | None
    indicators: list[IndicatorResult]
    asked: dict[str, tuple[int, int]]
    """Every question key: (answered, skipped), for the missing-data view."""


@dataclass
class RawQuote:
    band: str
    key: str
    text: str
    order: str
    """A stable pseudo-random sort key, so the same quotes are chosen every time."""


@dataclass
class Pool:
    """What the council is compared with."""

    councils: int
    rounds: int
    description: str


@dataclass
class Report:
    tenant_slug: str
    tenant_name: str
    country: str
    round_id: int
    round_name: str
    opens_at: datetime
    closes_at: datetime
    is_open: bool
    final: bool
    """The round is sealed: its figures are final and may be published."""
    generated_at: datetime
    total: int
    eligible: dict[str, int]
    surveys: list[str]
    by_band_channel: dict[tuple[str, str], int]
    by_week: dict[str, int]
    weeks: list[str]
    bands: list[BandResult]
    previous: dict[str, str]
    """Survey -> name of the council's previous round of it."""
    pools: dict[str, Pool]
    quotes: list[RawQuote] = field(default_factory=list)
    quote_cells: dict[tuple[str, str], int] = field(default_factory=dict)
    """(band, open question key) -> how many young people answered it."""
    labels: dict[str, str] = field(default_factory=dict)
    """Question key -> words for the missing-data view."""
    seals_at: datetime | None = None
    """When the round is (or was) sealed: its closing time plus the grace period."""


# -- published (what renderers see) ---------------------------------------------


@dataclass(frozen=True)
class PSide:
    """One group's result for one indicator, as published."""

    answered: int | None
    skipped: int | None
    percent: Percent


@dataclass(frozen=True)
class PGeneral:
    """The general-population comparator, as the catalogue gives it."""

    percent: int
    published: str
    population: str
    short: str
    """Its publisher and the year its data were collected, for the table cell."""
    wording_matches: bool
    ref: int
    """Its number in the report's list of sources (``Published.general_sources``)."""


@dataclass(frozen=True)
class PSource:
    """One entry of the report's list of where the general figures come from."""

    ref: int
    population: str
    published: str
    citation: str
    """Primary source, year the data were collected, and where it is quoted, in words."""
    urls: tuple[str, ...]


@dataclass(frozen=True)
class PChange:
    previous_round: str
    percent: Percent
    verdict: str
    """"better", "worse", "similar" or "not compared"."""


@dataclass(frozen=True)
class PRow:
    key: str
    label: str
    domain: str
    note: str
    council: PSide
    others: PSide
    general: PGeneral | None
    flag_others: str
    """"bright spot", "improve", "similar" or "not compared"."""
    flag_general: str
    change: PChange | None
    general_reading: str = ""
    """The pilot pack's reading against the general figure: "at or above", "below", "not
    compared" ("" without a general figure). Beside the flag, never instead of it."""


@dataclass(frozen=True)
class PBand:
    survey: str
    band: str
    title: str
    responses: int | None
    eligible: int | None
    rate: int | None
    rows: tuple[PRow, ...]

    @property
    def nothing_shown(self) -> bool:
        """No result of this band can be shown (too few answers to every question): the report
        says so once instead of a page of "not enough answers"."""
        return not any(row.council.percent.shown for row in self.rows)

    def domains(self) -> list[tuple[str, list[PRow]]]:
        """Rows grouped by domain, in the catalogue's order of first appearance."""
        out: dict[str, list[PRow]] = {}
        for row in self.rows:
            out.setdefault(row.domain, []).append(row)
        return list(out.items())


@dataclass(frozen=True)
class PTable:
    """A count table with totals, after primary and secondary suppression."""

    id: str
    title: str
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...] | None
    col_totals: tuple[int | None, ...] | None
    total: int
    """The council's total responses: exact (§6.4 rule 7)."""


@dataclass(frozen=True)
class PMissing:
    band: str
    key: str
    label: str
    asked: int | None
    skipped: int | None
    rate: int | None


@dataclass(frozen=True)
class PQuote:
    band: str
    question: str
    text: str


@dataclass(frozen=True)
class Highlight:
    band: str
    title: str
    label: str
    against: str
    """"other councils" or "young people in general"."""
    council: int
    comparison: int


@dataclass(frozen=True)
class Published:
    tenant_slug: str
    tenant_name: str
    country: str
    round_name: str
    opens_at: datetime
    closes_at: datetime
    is_open: bool
    final: bool
    """Sealed: results are shown. Otherwise only the number who answered is."""
    seals_at: datetime | None
    generated_at: datetime
    total: int
    eligible_total: int | None
    rate: int | None
    warnings: tuple[str, ...]
    tables: tuple[PTable, ...]
    bands: tuple[PBand, ...]
    bright_spots: tuple[Highlight, ...]
    improvements: tuple[Highlight, ...]
    missing: tuple[PMissing, ...]
    quotes: tuple[PQuote, ...]
    pools: tuple[str, ...]
    method: str
    rules_text: str
    general_sources: tuple[PSource, ...] = ()
    """Where each figure for young people in general comes from, numbered as cited."""
