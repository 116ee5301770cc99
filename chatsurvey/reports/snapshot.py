"""A round's answers counted, and kept once the round is sealed.

:class:`Figures` is everything a report needs from a round's responses: per
(survey, age band), how many responded, how many gave each distinct answer
to each question, and how many skipped each; and per (band, channel) and
per week, how many finished. Verdicts (positive or not) are applied later by
the indicator catalogue, so kept figures stay right when the catalogue changes.

:func:`round_figures` counts open and unsealed rounds afresh every time and
reads a sealed round's figures from :class:`~.models.SealedFigures`, writing
them the first time (the sweeper does that soon after the seal: :func:`seal_due`).
A report of a round not yet sealed shows only how many answered, so only
:func:`count_totals` is counted for it. A sealed round cannot gain or lose a response
(chatsurvey/rounds/sealing.py), so the kept figures equal any later count.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError

from chatsurvey.extensions import db
from chatsurvey.reports.indicators import Indicator
from chatsurvey.reports.models import SealedFigures
from chatsurvey.reports.tally import Judge, Tally, judge_counts
from chatsurvey.responses.models import Response
from chatsurvey.rounds.models import SurveyRound
from chatsurvey.rounds.sealing import is_sealed, seals_at

VERSION = 1
"""Form of the kept figures; a different form is counted again, never misread."""


def value_key(value: Any) -> str:
    """One distinct answer as a hashable key (its JSON text)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass
class Group:
    """One (survey, age band) of a round, counted."""

    responses: int = 0
    values: dict[str, Counter] = field(default_factory=dict)
    """Question key -> Counter of answers (as :func:`value_key` text) -> how many."""
    skipped: Counter = field(default_factory=Counter)

    def tally(self, judge: Judge, survey: str, band: str | None) -> Tally:
        """The counts of this group, each distinct answer judged once."""
        tally = Tally(self.responses)
        tally.present = Counter({k: sum(c.values()) for k, c in self.values.items()})
        tally.skipped = Counter(self.skipped)
        for key, indicator, cache in judge.applying(survey, band):
            answered, positive = judge_counts(self.values.get(key, Counter()).items(), cache,
                                              partial(_is_positive_json, indicator))
            if answered:
                tally.answered[key] = answered
                tally.positive[key] = positive
        return tally


def _is_positive_json(indicator: Indicator, text: str) -> bool | None:
    value = json.loads(text)
    return None if value is None else indicator.is_positive(value)


@dataclass
class Figures:
    """One round's responses counted."""

    groups: dict[tuple[str, str | None], Group] = field(default_factory=dict)
    by_channel: Counter = field(default_factory=Counter)
    """(age band or "", channel) -> responses."""
    by_week: Counter = field(default_factory=Counter)
    """ISO week -> responses."""

    @property
    def total(self) -> int:
        return sum(g.responses for g in self.groups.values())

    def add(self, survey: str, band: str | None, answers: dict | None, skipped: Iterable | None,
            channel: str, week: str) -> None:
        """Count one response."""
        group = self.groups.get((survey, band))
        if group is None:
            group = self.groups[(survey, band)] = Group()
        group.responses += 1
        for key, value in (answers or {}).items():
            found = group.values.get(key)
            if found is None:
                found = group.values[key] = Counter()
            found[value_key(value)] += 1
        group.skipped.update(skipped or ())
        self.by_channel[(band or "", channel)] += 1
        self.by_week[week] += 1

    def to_json(self) -> dict:
        return {
            "version": VERSION,
            "groups": [{"survey": s, "band": b, "responses": g.responses,
                        "values": {k: dict(c) for k, c in g.values.items()},
                        "skipped": dict(g.skipped)} for (s, b), g in self.groups.items()],
            "by_channel": [[band, channel, n] for (band, channel), n in self.by_channel.items()],
            "by_week": dict(self.by_week)}

    @classmethod
    def from_json(cls, data: dict) -> Figures:
        figures = cls()
        for g in data["groups"]:
            figures.groups[(g["survey"], g["band"])] = Group(
                g["responses"], {k: Counter(c) for k, c in g["values"].items()},
                Counter(g["skipped"]))
        figures.by_channel = Counter({(b, c): n for b, c, n in data["by_channel"]})
        figures.by_week = Counter(data["by_week"])
        return figures


# Counting in the database: one GROUP BY per kind of count, the JSON of every response
# opened by the database's own json_each. Each distinct answer comes back as JSON text.
_ANSWERS = {
    "sqlite": """
        SELECT r.round_id, r.survey, r.age_band, j.key,
               CASE WHEN j.type IN ('array', 'object') THEN j.value
                    WHEN j.type = 'true' THEN 'true' WHEN j.type = 'false' THEN 'false'
                    ELSE json_quote(j.value) END AS answer,
               count(*)
        FROM responses AS r, json_each(r.answers) AS j
        WHERE r.round_id IN :ids GROUP BY 1, 2, 3, 4, 5""",
    "postgresql": """
        SELECT r.round_id, r.survey, r.age_band, j.key, j.value::text AS answer, count(*)
        FROM responses AS r CROSS JOIN LATERAL json_each(r.answers) AS j
        WHERE r.round_id IN :ids GROUP BY 1, 2, 3, 4, 5""",
}
_SKIPPED = {
    "sqlite": """
        SELECT r.round_id, r.survey, r.age_band, j.value, count(*)
        FROM responses AS r, json_each(r.skipped) AS j
        WHERE r.round_id IN :ids GROUP BY 1, 2, 3, 4""",
    "postgresql": """
        SELECT r.round_id, r.survey, r.age_band, j.value, count(*)
        FROM responses AS r CROSS JOIN LATERAL json_array_elements_text(r.skipped) AS j(value)
        WHERE r.round_id IN :ids GROUP BY 1, 2, 3, 4""",
}


def _group(figures: Figures, survey: str, band: str | None) -> Group:
    group = figures.groups.get((survey, band))
    if group is None:
        group = figures.groups[(survey, band)] = Group()
    return group


def count_totals(round_ids: Iterable[int]) -> dict[int, Figures]:
    """Each round's responses by (survey, age band), by (band, channel) and by week, no answer
    counted (any database): all a report shows before its round is sealed. One grouped query
    over the rounds' rows (found by the round index)."""
    ids = sorted(set(round_ids))
    out = {round_id: Figures() for round_id in ids}
    if not ids:
        return out
    c = Response.__table__.c
    totals = select(c.round_id, c.survey, c.age_band, c.channel, c.week, func.count()).where(
        c.round_id.in_(ids)).group_by(c.round_id, c.survey, c.age_band, c.channel, c.week)
    for round_id, survey, band, channel, week, n in db.session.execute(totals):
        figures = out[round_id]
        _group(figures, survey, band).responses += n
        figures.by_channel[(band or "", channel)] += n
        figures.by_week[week] += n
    return out


def count_in_database(round_ids: Iterable[int]) -> dict[int, Figures] | None:
    """Each round's responses counted by the database (None if it cannot: another dialect).

    Three grouped queries (responses by band, channel and week; answers by question and
    value; skips by question): what comes back is a few thousand rows per round however
    many responses it holds.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect not in _ANSWERS:
        return None
    ids = sorted(set(round_ids))
    out = count_totals(ids)
    if not ids:
        return out
    expanding = bindparam("ids", expanding=True)
    for round_id, survey, band, key, answer, n in db.session.execute(
            sql(_ANSWERS[dialect]).bindparams(expanding), {"ids": ids}):
        group = _group(out[round_id], survey, band)
        found = group.values.get(key)
        if found is None:
            found = group.values[key] = Counter()
        found[answer] += n
    for round_id, survey, band, key, n in db.session.execute(
            sql(_SKIPPED[dialect]).bindparams(expanding), {"ids": ids}):
        _group(out[round_id], survey, band).skipped[key] += n
    return out


def count(round_ids: Iterable[int]) -> dict[int, Figures]:
    """Each round's responses counted afresh: by the database where it can."""
    counted = count_in_database(round_ids)
    return counted if counted is not None else count_in_python(round_ids)


def count_in_python(round_ids: Iterable[int]) -> dict[int, Figures]:
    """Each round's responses counted afresh, every row read (any database)."""
    ids = sorted(set(round_ids))
    out = {round_id: Figures() for round_id in ids}
    if not ids:
        return out
    table = Response.__table__
    query = select(table.c.round_id, table.c.survey, table.c.age_band, table.c.answers,
                   table.c.skipped, table.c.channel, table.c.week
                   ).where(table.c.round_id.in_(ids))
    # Streamed in batches; the option is the statement's, so the session's connection
    # goes on running ordinary statements afterwards (an UPDATE cannot be a cursor).
    result = db.session.connection().execute(query.execution_options(yield_per=5000))
    for round_id, survey, band, answers, skipped, channel, week in result:
        out[round_id].add(survey, band, answers, skipped, channel, week)
    return out


def _kept(round_ids: list[int]) -> dict[int, Figures]:
    if not round_ids:
        return {}
    rows = db.session.execute(select(SealedFigures.round_id, SealedFigures.figures)
                              .where(SealedFigures.round_id.in_(round_ids)))
    return {round_id: Figures.from_json(data) for round_id, data in rows
            if data.get("version") == VERSION}


def kept_groups() -> dict[int, set[tuple[str, str | None]]]:
    """The (survey, age band) groups of every round whose figures are kept: what the rows
    would say, without reading them (a sealed round's rows cannot change)."""
    rows = db.session.execute(select(SealedFigures.round_id, SealedFigures.figures))
    return {round_id: {(g["survey"], g["band"]) for g in data["groups"]}
            for round_id, data in rows if data.get("version") == VERSION}


def _keep(rounds: list[SurveyRound], counted: dict[int, Figures]) -> None:
    for survey_round in rounds:
        try:
            with db.session.begin_nested():
                db.session.merge(SealedFigures(round_id=survey_round.id,
                                               sealed_at=seals_at(survey_round),
                                               figures=counted[survey_round.id].to_json()))
        except IntegrityError:  # kept meanwhile by another report: the same figures
            continue
    db.session.commit()


def round_figures(rounds: Iterable[SurveyRound], now: datetime) -> dict[int, Figures]:
    """Figures of each round: kept ones for sealed rounds (kept now if new), else counted."""
    rounds = list({r.id: r for r in rounds}.values())
    sealed = [r for r in rounds if is_sealed(r, now)]
    out = _kept([r.id for r in sealed])
    missing = [r for r in rounds if r.id not in out]
    counted = count(r.id for r in missing)
    out.update(counted)
    to_keep = [r for r in sealed if r.id in counted and is_sealed(r)]  # by the real clock too
    if to_keep:
        _keep(to_keep, counted)
    return out


def seal_due() -> list[int]:
    """Count and keep the figures of every round sealed by now that has none yet, one round at
    a time; the ids kept. The sweeper runs it every sweep (`chatsurvey report-seal` runs it
    by hand): a report then counts at most its own round, and only between the seal and the
    next sweep."""
    from datetime import UTC
    from datetime import datetime as clock

    now = clock.now(UTC)
    kept = set(db.session.scalars(select(SealedFigures.round_id)))
    due = [r for r in db.session.scalars(select(SurveyRound).order_by(SurveyRound.id))
           if r.id not in kept and is_sealed(r, now)]
    for survey_round in due:
        round_figures([survey_round], now)
    return [r.id for r in due]
