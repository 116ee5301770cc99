"""The one door between a computed report and every output: disclosure control.

:func:`publish` turns a :class:`~.model.Report` (exact counts) into a
:class:`~.model.Published` (only what the rules allow). HTML, PDF, the young
people's summary and the programme view all render from a ``Published``; the
property tests check every format against the rules.

Until a round is sealed (open, then the grace period for late finishers) only
the council's total number of responses and its response rate are published:
live results, or results before and after one late finisher, would let someone
who knows who answered when link answers to a child.
"""

from __future__ import annotations

from collections import defaultdict

from chatsurvey.reports import flags
from chatsurvey.reports.change import publish_change
from chatsurvey.reports.disclosure import (
    NOT_POOLED,
    pool_allowed,
    publish_count,
    publish_percent,
    round_half_up,
)
from chatsurvey.reports.indicators import Comparator
from chatsurvey.reports.missing import missing_view
from chatsurvey.reports.model import (
    BandResult,
    Highlight,
    PBand,
    PGeneral,
    PQuote,
    PRow,
    PSide,
    PSource,
    PTable,
    Published,
    Report,
)
from chatsurvey.reports.response_rates import (
    band_channel_table,
    band_responses,
    rate,
    warnings,
    week_table,
)
from chatsurvey.reports.rules import Rules
from chatsurvey.reports.tally import Counts


def _side(counts: Counts, rules: Rules) -> PSide:
    return PSide(publish_count(counts.answered, rules), publish_count(counts.skipped, rules),
                 publish_percent(counts.positive, counts.answered, rules))


def _sources(report: Report) -> dict[Comparator, PSource]:
    """The general figures the report uses, numbered in the order they first appear."""
    out: dict[Comparator, PSource] = {}
    for band in report.bands:
        for result in band.indicators:
            c = result.comparator
            if c is not None and c not in out:
                out[c] = PSource(len(out) + 1, c.population, c.published, c.citation(), c.urls())
    return out


def _rows(band: BandResult, previous_round: str | None, rules: Rules,
          sources: dict[Comparator, PSource]) -> list[PRow]:
    rows = []
    for result in band.indicators:
        indicator = result.indicator
        council, others = _side(result.council, rules), _side(result.others, rules)
        if not pool_allowed(result.others_parts, rules):
            others = PSide(None, None, NOT_POOLED)
        both = council.percent.shown and others.percent.shown
        flag_others = flags.against_others(result.council, result.others, rules) if both \
            else flags.NOT_COMPARED
        general, flag_general, reading = None, "", ""
        if result.comparator is not None:
            c = result.comparator
            general = PGeneral(round_half_up(100 * c.value), c.published, c.population,
                               c.short(), c.wording_matches, sources[c].ref)
            flag_general = flags.against_general(result.council, c.value, rules) \
                if council.percent.shown else flags.NOT_COMPARED
            reading = flags.at_or_above(result.council, c.value, rules) \
                if council.percent.shown else flags.NOT_COMPARED
        rows.append(PRow(
            key=indicator.key, label=indicator.label, domain=indicator.domain,
            note=indicator.note, council=council, others=others, general=general,
            flag_others=flag_others, flag_general=flag_general,
            change=publish_change(result, previous_round, rules), general_reading=reading))
    return rows


def _highlights(bands: list[PBand], wanted: str) -> list[Highlight]:
    out = []
    for band in bands:
        for row in band.rows:
            if row.flag_others == wanted:
                out.append(Highlight(band.band, band.title, row.label, "other councils",
                                     row.council.percent.value or 0,
                                     row.others.percent.value or 0))
            if row.flag_general == wanted and row.general is not None:
                out.append(Highlight(band.band, band.title, row.label,
                                     "young people in general", row.council.percent.value or 0,
                                     row.general.percent))
    return out


def _quotes(report: Report, rules: Rules) -> list[PQuote]:
    by_cell: dict[tuple[str, str], list] = defaultdict(list)
    for quote in report.quotes:
        by_cell[(quote.band, quote.key)].append(quote)
    out = []
    for (band, key), quotes in sorted(by_cell.items()):
        if report.quote_cells.get((band, key), 0) < rules.min_cell:
            continue
        question = report.labels.get(key, key.replace("_", " "))
        for quote in sorted(quotes, key=lambda q: q.order)[:rules.quotes_per_question]:
            out.append(PQuote(band, question, quote.text))
    return out


def publish(report: Report, rules: Rules) -> Published:
    """Everything any output may show about ``report``, and nothing more."""
    eligible_total = sum(report.eligible.values()) or None
    common = {
        "tenant_slug": report.tenant_slug, "tenant_name": report.tenant_name,
        "country": report.country,
        "round_name": report.round_name, "opens_at": report.opens_at, "closes_at": report.closes_at,
        "is_open": report.is_open, "generated_at": report.generated_at, "total": report.total,
        "eligible_total": eligible_total, "rate": rate(report.total, eligible_total, report.total),
        "warnings": tuple(warnings(report, rules)), "pools": (),
        "method": flags.method_text(rules), "rules_text": flags.rules_text(rules),
        "final": report.final, "seals_at": report.seals_at}
    if not report.final:
        # Only the council's total (and its overall rate) until the round is sealed: even a
        # protected count per age band, watched from day to day (or before and after one late
        # finisher), can point at the young person who has just answered.
        # Only the age bands the council entered numbers for: a band known only from its
        # responses would say that someone of that age has answered.
        bands = tuple(PBand(b.survey, b.band, b.title, None, b.eligible, None, ())
                      for b in report.bands if b.eligible)
        return Published(**common, tables=(), bands=bands, bright_spots=(), improvements=(),
                         missing=(), quotes=())

    tables: list[PTable] = [t for t in (band_channel_table(report, rules),
                                        week_table(report, rules)) if t]
    by_band = tables[0] if tables and tables[0].id == "by-band-channel" else None
    sources = _sources(report)
    bands = []
    for i, b in enumerate(report.bands):
        shown = band_responses(by_band, i)
        bands.append(PBand(b.survey, b.band, b.title, shown, b.eligible,
                           rate(shown or 0, b.eligible, shown),
                           tuple(_rows(b, report.previous.get(b.survey), rules, sources))))
    return Published(
        **{**common, "pools": tuple(p.description for p in report.pools.values())},
        tables=tuple(tables), bands=tuple(bands),
        bright_spots=tuple(_highlights(bands, flags.BRIGHT)),
        improvements=tuple(_highlights(bands, flags.IMPROVE)),
        missing=tuple(missing_view(report, rules)), quotes=tuple(_quotes(report, rules)),
        general_sources=tuple(sources.values()))
