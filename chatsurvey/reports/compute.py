"""Computing a council's report from the response store: whole-round queries, one pass.

Which responses count:

- **The council**: every stored response of the round (complete and partial;
  a partial response counts for the questions it reached).
- **Other councils, pooled**: for each survey in the round, each *other*
  council's most recent round of that survey that had closed when the report
  is made. The council itself is never in its own comparison, and a council
  with several past rounds counts once, so large or frequent councils do not
  drown the rest. All three countries are pooled (the survey is the same);
  the programme view gives per-country comparisons.
- **Change**: the council's latest earlier round of the same survey (one that
  closed before this round opened).

Responses are read with a single query selecting only the columns needed,
and each row's JSON is parsed once (see :mod:`.tally`).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.reports.indicators import Indicator, load_catalogue
from chatsurvey.reports.model import BandResult, IndicatorResult, Pool, RawQuote, Report
from chatsurvey.reports.questions import round_questions
from chatsurvey.reports.snapshot import Figures, count_totals, kept_groups, round_figures
from chatsurvey.reports.tally import Judge, Tally, band_order
from chatsurvey.responses.models import Comment, Response
from chatsurvey.rounds.models import SurveyRound
from chatsurvey.rounds.sealing import is_sealed, seals_at

SURVEY_TITLES = {"your-life-your-care": "Your Life, Your Care",
                 "your-life-beyond-care": "Your Life Beyond Care"}


_CATALOGUES: dict[tuple[str, float], list[Indicator]] = {}


def catalogue() -> list[Indicator]:
    """The indicator catalogue the app is configured with (read again only when it changes)."""
    path = Path(current_app.config.get("REPORT_CATALOGUE") or
                Path(current_app.config["FLOWS_DIR"]) / "indicators.yaml")
    key = (str(path), path.stat().st_mtime if path.exists() else 0.0)
    if key not in _CATALOGUES:
        _CATALOGUES.clear()
        _CATALOGUES[key] = load_catalogue(path)
    return _CATALOGUES[key]


def survey_title(survey: str) -> str:
    return SURVEY_TITLES.get(survey) or survey.replace("-", " ").capitalize()


def iso_weeks(start: datetime, end: datetime) -> list[str]:
    """Every ISO week from ``start`` to ``end``, like "2026-W48"."""
    weeks, day = [], start
    while day <= end + timedelta(days=6):
        year, week, _ = day.isocalendar()
        label = f"{year}-W{week:02d}"
        if label not in weeks and day <= end:
            weeks.append(label)
        day += timedelta(days=7)
    year, week, _ = end.isocalendar()
    if f"{year}-W{week:02d}" not in weeks:
        weeks.append(f"{year}-W{week:02d}")
    return weeks


class RoundIndex:
    """Every round with the surveys and age bands it holds responses for (small queries)."""

    def __init__(self) -> None:
        self.rounds = {r.id: r for r in db.session.scalars(select(SurveyRound))}
        self.surveys: dict[int, set[str]] = defaultdict(set)
        self.band_survey: dict[str, str] = {}
        kept = kept_groups()  # sealed rounds: from their kept figures, never their rows
        found = [(round_id, survey, band) for round_id, groups in kept.items()
                 for survey, band in groups]
        others = [round_id for round_id in self.rounds if round_id not in kept]
        if others:
            found += db.session.execute(
                select(Response.round_id, Response.survey, Response.age_band).distinct()
                .where(Response.round_id.in_(others))).all()
        for round_id, survey, band in sorted(found, key=lambda row: (row[0], row[1],
                                                                     row[2] or "")):
            self.surveys[round_id].add(survey)
            if band:
                self.band_survey.setdefault(band, survey)

    def previous(self, current: SurveyRound, survey: str) -> SurveyRound | None:
        """The council's latest round of ``survey`` that closed before ``current`` opened."""
        earlier = [r for r in self.rounds.values()
                   if r.tenant_id == current.tenant_id and r.id != current.id
                   and r.closes_at <= current.opens_at and survey in self.surveys[r.id]]
        return max(earlier, key=lambda r: (r.closes_at, r.id), default=None)

    def latest_sealed(self, survey: str, now: datetime,
                      tenants: Iterable[int] | None = None) -> dict[int, SurveyRound]:
        """Each council's most recent round of ``survey`` sealed by ``now`` (its figures final:
        a round still taking late finishers is never in anyone's comparison)."""
        wanted = None if tenants is None else set(tenants)
        out: dict[int, SurveyRound] = {}
        for r in self.rounds.values():
            if not is_sealed(r, now) or survey not in self.surveys[r.id]:
                continue
            if wanted is not None and r.tenant_id not in wanted:
                continue
            best = out.get(r.tenant_id)
            if best is None or (r.closes_at, r.id) > (best.closes_at, best.id):
                out[r.tenant_id] = r
        return out


def load_tallies(rounds: Iterable[SurveyRound], judge: Judge, now: datetime,
                 council_round: int | None = None) -> tuple[dict[tuple, Tally], Counter, Counter]:
    """Tallies per (round, survey, band) of ``rounds`` (a sealed round's from its kept figures).

    Also the council round's responses per (band, channel) and per week.
    """
    return _tallies(round_figures(rounds, now), judge, council_round)


def _tallies(figures: dict[int, Figures], judge: Judge, council_round: int | None
             ) -> tuple[dict[tuple, Tally], Counter, Counter]:
    tallies = {(round_id, survey, band): group.tally(judge, survey, band)
               for round_id, counted in figures.items()
               for (survey, band), group in counted.groups.items()}
    mine = figures.get(council_round) if council_round is not None else None
    return (tallies, Counter(mine.by_channel) if mine else Counter(),
            Counter(mine.by_week) if mine else Counter())


def _flow_info(round_id: int) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """(band -> flow title, key -> English question, open question keys) of a round's flows."""
    found = round_questions(round_id)
    labels = {k: q.label for k, q in found.questions.items()}
    return found.titles, labels, {k for k, q in found.questions.items() if q.is_open}


def _quotes(round_id: int) -> tuple[list[RawQuote], dict[tuple[str, str], int]]:
    """Approved comments of the round (approving clears a flag; a flagged comment never
    approved is never quoted), and how many answered each open question."""
    cells: Counter = Counter()
    quotes: list[RawQuote] = []
    rows = db.session.execute(
        select(Comment.id, Comment.key, Comment.text, Comment.status, Comment.flagged,
               Response.age_band).join(Response, Comment.response_id == Response.id)
        .where(Response.round_id == round_id))
    for comment_id, key, text, status, flagged, band in rows:
        cells[(band, key)] += 1
        if status == "approved" and not flagged and text.strip():
            order = hashlib.sha256(f"quote:{round_id}:{comment_id}".encode()).hexdigest()
            quotes.append(RawQuote(band or "", key, text.strip(), order))
    return quotes, dict(cells)


def build_report(tenant: Tenant, survey_round: SurveyRound, now: datetime | None = None,
                 indicators: list[Indicator] | None = None) -> Report:
    """The council's report for ``survey_round``, exact counts (not yet publishable)."""
    now = now or datetime.now(UTC)
    judge = Judge(indicators if indicators is not None else catalogue())
    index = RoundIndex()
    is_open = survey_round.is_open(now)
    final = is_sealed(survey_round, now)
    eligible = {str(k): int(v) for k, v in (survey_round.eligible or {}).items()}
    surveys = sorted(index.surveys[survey_round.id] |
                     {index.band_survey[b] for b in eligible if b in index.band_survey})

    previous: dict[str, SurveyRound] = {}
    others: dict[str, dict[int, SurveyRound]] = {}
    for survey in surveys:
        found = index.previous(survey_round, survey)
        if found is not None:
            previous[survey] = found
        pool = index.latest_sealed(survey, now)
        pool.pop(tenant.id, None)
        others[survey] = pool
    if final:
        wanted = [survey_round, *previous.values(),
                  *(r for pool in others.values() for r in pool.values())]
        figures = round_figures(wanted, now)
    else:  # only the total is shown before the seal: no answer is counted
        figures = count_totals([survey_round.id])
    tallies, by_channel, by_week = _tallies(figures, judge, survey_round.id)
    total = sum(t.responses for (rid, _, _), t in tallies.items() if rid == survey_round.id)

    bands_seen = {(s, b) for (rid, s, b) in tallies if rid == survey_round.id}
    bands_seen |= {(index.band_survey[b], b) for b, n in eligible.items()
                   if n and b in index.band_survey}
    titles, labels, open_keys = _flow_info(survey_round.id) if final else ({}, {}, set())
    bands: list[BandResult] = []
    for survey, band in sorted(bands_seen, key=lambda sb: band_order(sb[1])):
        mine = tallies.get((survey_round.id, survey, band), Tally())
        parts = [tallies.get((r.id, survey, band), Tally())
                 for r in others.get(survey, {}).values()]
        pooled = Tally()
        for part in parts:
            pooled += part
        before = tallies.get((previous[survey].id, survey, band)) if survey in previous else None
        results = [
            IndicatorResult(
                indicator=i, council=mine.counts(i.key), others=pooled.counts(i.key),
                others_parts=tuple(part.answered[i.key] for part in parts),
                previous=before.counts(i.key) if before is not None else None,
                comparator=i.comparator_for(band))
            for i in judge.for_keys(survey, band)]
        asked = {key: (mine.present[key], mine.skipped[key])
                 for key in set(mine.present) | set(mine.skipped) if key not in open_keys}
        bands.append(BandResult(
            survey=survey, band=band or "",
            title=titles.get(band or "") or f"{survey_title(survey)} {band}",
            responses=mine.responses, eligible=eligible.get(band or ""),
            indicators=results, asked=asked))

    quotes, quote_cells = _quotes(survey_round.id) if final else ([], {})
    for i in judge.indicators:
        labels[i.key] = i.label
    pools = {s: Pool(len(p), len(p), _pool_text(s, len(p), now)) for s, p in others.items()}
    return Report(
        tenant_slug=tenant.slug, tenant_name=tenant.display_name, country=tenant.country,
        round_id=survey_round.id, round_name=survey_round.name,
        opens_at=survey_round.opens_at, closes_at=survey_round.closes_at, is_open=is_open,
        final=final, seals_at=seals_at(survey_round),
        generated_at=now, total=total, eligible=eligible, surveys=surveys,
        by_band_channel=dict(by_channel), by_week=dict(by_week),
        weeks=sorted(set(iso_weeks(survey_round.opens_at, survey_round.closes_at)) |
                     set(by_week)),
        bands=bands, previous={s: r.name for s, r in previous.items()}, pools=pools,
        quotes=quotes, quote_cells=quote_cells, labels=labels)


def _pool_text(survey: str, councils: int, now: datetime) -> str:
    plural = "council" if councils == 1 else "councils"
    return (f"{survey_title(survey)}: {councils} other {plural}, each counted once with its"
            f" most recent round closed by {now:%-d %B %Y}.")
