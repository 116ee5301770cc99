"""The programme view: every council's most recent closed round of a survey, side by side.

For programme analysts only (the admin page checks the role). Per indicator
and age band it shows the programme-wide share with its interval, the share
in each country (England, Wales, Scotland: for national comparative reports),
how far councils range, and how many councils are a Bright Spot or an area
for improvement against the rest. Council names never appear beside
results here: a council's own report is where its results are read. The same
disclosure rules apply: country and council figures need ``min_cell``
answers, country counts are rounded to 5.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.reports import flags
from chatsurvey.reports.compute import RoundIndex, catalogue, load_tallies, survey_title
from chatsurvey.reports.disclosure import (
    NOT_POOLED,
    Percent,
    pool_allowed,
    publish_count,
    publish_percent,
)
from chatsurvey.reports.model import PSide
from chatsurvey.reports.rules import Rules
from chatsurvey.reports.tally import BANDS, Counts, Judge, Tally, band_order

COUNTRIES = ("england", "wales", "scotland")


@dataclass(frozen=True)
class ProgrammeRow:
    key: str
    label: str
    domain: str
    all: PSide
    countries: tuple[tuple[str, Percent], ...]
    councils: int
    """Councils whose share could be shown."""
    lowest: int | None
    highest: int | None
    bright: int
    improve: int


@dataclass(frozen=True)
class ProgrammeBand:
    band: str
    title: str
    responses: int | None
    rows: tuple[ProgrammeRow, ...]


@dataclass(frozen=True)
class Programme:
    survey: str
    title: str
    generated_at: datetime
    councils: int
    by_country: tuple[tuple[str, int], ...]
    """Country -> councils taking part."""
    responses: int
    bands: tuple[ProgrammeBand, ...]
    method: str
    rules_text: str


def _side(c: Counts, rules: Rules) -> PSide:
    return PSide(publish_count(c.answered, rules), publish_count(c.skipped, rules),
                 publish_percent(c.positive, c.answered, rules))


def programme_view(survey: str, rules: Rules, now: datetime | None = None) -> Programme:
    """The cross-council view of ``survey`` (each council's latest round sealed by ``now``)."""
    now = now or datetime.now(UTC)
    judge = Judge(catalogue())
    index = RoundIndex()
    latest = index.latest_sealed(survey, now)
    tallies, _, _ = load_tallies(latest.values(), judge, now)
    countries = {t.id: t.country for t in db.session.query(Tenant).filter(
        Tenant.id.in_(list(latest)))}
    by_country: dict[str, int] = defaultdict(int)
    for tenant_id in latest:
        by_country[countries.get(tenant_id, "")] += 1
    bands_seen = sorted({b for (rid, s, b) in tallies if s == survey and b},
                        key=band_order)
    out_bands = []
    total = 0
    for band in bands_seen:
        per_council = {tid: tallies.get((r.id, survey, band), Tally())
                       for tid, r in latest.items()}
        pooled, per_country = Tally(), defaultdict(Tally)
        for tid, t in per_council.items():
            pooled += t
            per_country[countries.get(tid, "")] += t
        total += pooled.responses
        rows = []
        for indicator in judge.for_keys(survey, band):
            key = indicator.key
            shown, bright, improve = [], 0, 0
            for t in per_council.values():
                mine = t.counts(key)
                p = publish_percent(mine.positive, mine.answered, rules, interval=False)
                if p.shown:
                    shown.append(p.value)
                verdict = flags.against_others(mine, pooled.counts(key) - mine, rules)
                bright += verdict == flags.BRIGHT
                improve += verdict == flags.IMPROVE
            parts = {c: [t.answered[key] for tid, t in per_council.items()
                         if countries.get(tid, "") == c] for c in per_country}
            rows.append(ProgrammeRow(
                key=key, label=indicator.label, domain=indicator.domain,
                all=_side(pooled.counts(key), rules),
                countries=tuple((c, publish_percent(per_country[c].counts(key).positive,
                                                    per_country[c].counts(key).answered, rules)
                                 if pool_allowed(parts[c], rules) else NOT_POOLED)
                                for c in COUNTRIES if c in per_country),
                councils=len(shown), lowest=min(shown, default=None),
                highest=max(shown, default=None), bright=bright, improve=improve))
        title = f"{survey_title(survey)} {band}" if band in BANDS else band
        out_bands.append(ProgrammeBand(band, title, publish_count(pooled.responses, rules),
                                       tuple(rows)))
    return Programme(
        survey=survey, title=survey_title(survey), generated_at=now, councils=len(latest),
        by_country=tuple(sorted(by_country.items())), responses=total, bands=tuple(out_bands),
        method=flags.method_text(rules), rules_text=flags.rules_text(rules))
