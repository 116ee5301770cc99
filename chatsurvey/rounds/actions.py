"""Setting up, changing, opening, closing and extending survey rounds.

The admin's round form and `chatsurvey rounds` describe what they want as a
`RoundSettings` (the words as typed: dates, counts) and call these functions,
which check everything first and say every problem at once
(`RoundRefused.problems`, keyed by the admin form's field names), then write,
audit and commit. The rules:

* the survey is a published flow that asks for consent first;
* the round closes after it opens; a closed round stays closed, because its
  report is final (a council starts a new round instead);
* eligible young people are counted per age band of the published surveys;
  below the programme's minimum (ADMIN_PROGRAMME_MINIMUM: 150 children in
  care across the Your Life, Your Care bands, 100 care leavers) the round is
  set up only when the person says so (``below_minimum_ok``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask import current_app
from sqlalchemy import select

from chatsurvey.audit import record
from chatsurvey.columns import utcnow
from chatsurvey.councils.models import Tenant
from chatsurvey.engine import FlowError
from chatsurvey.engine.compile import load_document
from chatsurvey.extensions import db
from chatsurvey.flows import editing
from chatsurvey.flows.local import LocalError, compose, explain, pin_latest
from chatsurvey.flows.models import FlowVersion
from chatsurvey.flows.store import find_version, flow_store
from chatsurvey.rounds.models import (
    CHANNELS,
    CLOSED,
    DEFAULT_CHANNELS,
    SCHEDULED,
    RoundDetails,
    SurveyRound,
)
from chatsurvey.rounds.moves import pending

KEYWORD = re.compile(r"[A-Za-z0-9]{2,16}")
MAX_ELIGIBLE = 100000
CARE_LEAVER_FROM = 16
"""An age band starting at 16 or later is a care leavers' band (Your Life Beyond Care)."""


@dataclass(frozen=True)
class RoundSettings:
    """A round as someone asks for it, before any check: dates and counts as typed."""

    name: str
    opens: str
    """First day, like 2026-11-30."""
    closes: str
    """The day after the last day."""
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    keyword: str = ""
    eligible: Mapping[str, str] | None = None
    """Young people who could take part, by age band: {"8-11": "120"}; empty counts left out."""
    support_contacts: str | None = None
    """Local people young people can contact; None leaves them as they are."""
    below_minimum_ok: bool = False


@dataclass(frozen=True)
class CheckedRound:
    """Settings that passed every check, in the form they are stored."""

    name: str
    opens_at: datetime
    closes_at: datetime
    channels: list[str]
    keyword: str | None
    eligible: dict[str, int]
    warnings: list[str]


class RoundRefused(ValueError):
    """Nothing was written; ``problems`` says why, by field."""

    def __init__(self, problems: dict[str, str], warnings: list[str] | None = None) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems
        self.warnings = warnings or []


# -- the surveys a round may run, and their age bands --------------------------------


def consent_flows() -> list[FlowVersion]:
    """Latest published flows a round may start with (they ask for consent first)."""
    store = flow_store()
    return [row for row in editing.latest_versions().values()
            if store.get(row.flow_id, row.version).requires_consent]


def _band_order(band: str) -> tuple[int, ...]:
    return tuple(int(x) for x in band.split("-"))


def age_bands(version: FlowVersion | None = None) -> list[str]:
    """The age bands of the surveys a flow version enters (or of every published flow)."""
    store = flow_store()
    if version is not None:
        flow = store.get(version.flow_id, version.version)
        flows = list(flow.bundle.values()) or [flow]
    else:
        flows = [store.get(r.flow_id, r.version) for r in editing.latest_versions().values()]
    return sorted({f.age_band for f in flows if f.age_band}, key=_band_order)


def is_care_leaver_band(band: str) -> bool:
    return int(band.split("-")[0]) >= CARE_LEAVER_FROM


def minimum_warnings(eligible: Mapping[str, int]) -> list[str]:
    """Plain-words warnings when a round is below the programme's minimum population."""
    minimum = current_app.config["ADMIN_PROGRAMME_MINIMUM"]
    warnings = []
    for leavers, who, limit in ((False, "children in care", minimum["children"]),
                                (True, "care leavers", minimum["care_leavers"])):
        counts = [n for b, n in eligible.items() if is_care_leaver_band(b) == leavers]
        if counts and sum(counts) < limit:
            warnings.append(f"{sum(counts)} {who} is below the programme's minimum of "
                            f"{limit}: results may not be meaningful, and small groups will be "
                            "hidden in reports.")
    return warnings


def find_flow(flow_id: str, version: int | None = None) -> FlowVersion | None:
    """A published flow version (the latest when ``version`` is None)."""
    query = select(FlowVersion).where(FlowVersion.flow_id == flow_id)
    query = query.where(FlowVersion.version == version) if version else query.order_by(
        FlowVersion.version.desc())
    return db.session.scalars(query.limit(1)).first()


# -- checks ------------------------------------------------------------------------------


def _day(value: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(value.strip()), time(0, 0), tzinfo=UTC)
    except ValueError:
        return None


def _flow_problem(flow_version: FlowVersion | None) -> str | None:
    if flow_version is None:
        return "Choose the survey: a published flow (see `chatsurvey flows publish`)."
    if not flow_store().get(flow_version.flow_id, flow_version.version).requires_consent:
        return (f"{flow_version.flow_id} does not ask for consent first: a round must start "
                "with a flow that does, such as the entry flow your-life.")
    return None


def _eligible(raw: Mapping[str, str], problems: dict[str, str]) -> dict[str, int]:
    bands = age_bands()
    counts = {}
    for band, value in raw.items():
        value = str(value).strip()
        if not value:
            continue
        if band not in bands:
            problems[f"eligible_{band}"] = (f"{band} is not an age band of the published "
                                            f"surveys ({', '.join(bands) or 'none'}).")
        elif not value.isdigit() or int(value) > MAX_ELIGIBLE:
            problems[f"eligible_{band}"] = (f"Enter a whole number of young people aged {band}, "
                                            "or leave it empty.")
        else:
            counts[band] = int(value)
    return counts


def _dates(settings: RoundSettings, problems: dict[str, str]) -> tuple[datetime, datetime]:
    opens, closes = _day(settings.opens), _day(settings.closes)
    if opens is None:
        problems["opens"] = f"{settings.opens or 'Nothing'} is not a date: enter the first day, " \
                            "like 2026-11-30."
    if closes is None:
        problems["closes"] = f"{settings.closes or 'Nothing'} is not a date: enter the day " \
                             "after the last day, like 2027-01-31."
    elif opens is not None and closes <= opens:
        problems["closes"] = "The round must close after it opens."
    fallback = datetime.min.replace(tzinfo=UTC)
    return opens or fallback, closes or fallback


def _same_day(asked: datetime, stored: datetime) -> datetime:
    return stored if asked.date() == stored.date() else asked


def check(settings: RoundSettings, survey_round: SurveyRound | None = None) -> CheckedRound:
    """The settings as they would be stored, or RoundRefused with every problem."""
    problems: dict[str, str] = {}
    name = settings.name.strip()[:200]
    if not name:
        problems["name"] = "Give the round a name, like Autumn 2026."
    opens_at, closes_at = _dates(settings, problems)
    if survey_round is not None:  # a day left as it was keeps its time (opened or closed "now")
        opens_at = _same_day(opens_at, survey_round.opens_at)
        closes_at = _same_day(closes_at, survey_round.closes_at)
    if survey_round is not None and survey_round.status() == CLOSED and (
            opens_at, closes_at) != (survey_round.opens_at, survey_round.closes_at):
        problems["closes"] = ("This round has closed and its report is final: its dates stay "
                              "as they are. Set up a new round instead.")
    channels = [c for c in CHANNELS if c in settings.channels]
    if not channels:
        problems["channel_web"] = "Choose at least one way to take part: web chat, SMS or WhatsApp."
    keyword = settings.keyword.strip()
    if keyword and not KEYWORD.fullmatch(keyword):
        problems["keyword"] = "A keyword is one word of 2 to 16 letters or digits, like SURVEY."
    eligible = _eligible(settings.eligible or {}, problems)
    warnings = minimum_warnings(eligible)
    if warnings and not settings.below_minimum_ok and not problems:
        problems["confirm_minimum"] = ("The eligible population is below the programme's "
                                       "minimum. Say so to set the round up anyway.")
    if problems:
        raise RoundRefused(problems, warnings)
    return CheckedRound(name, opens_at, closes_at, channels, keyword.upper() or None, eligible,
                        warnings)


# -- the writes ---------------------------------------------------------------------------


def _write(survey_round: SurveyRound, checked: CheckedRound) -> None:
    survey_round.name = checked.name
    survey_round.opens_at, survey_round.closes_at = checked.opens_at, checked.closes_at
    survey_round.channels = checked.channels
    survey_round.keyword = checked.keyword
    survey_round.eligible = checked.eligible


def create_round(tenant: Tenant | None, flow_version: FlowVersion | None,
                 settings: RoundSettings, created_by: int | None = None) -> SurveyRound:
    """Set up a round for ``tenant`` on ``flow_version``; RoundRefused if it cannot be."""
    problems: dict[str, str] = {}
    if tenant is None:
        problems["tenant_id"] = "Choose the council."
    flow_problem = _flow_problem(flow_version)
    if flow_problem:
        problems["flow_version_id"] = flow_problem
    try:
        checked = check(settings)
    except RoundRefused as refused:
        raise RoundRefused({**problems, **refused.problems}, refused.warnings) from None
    if problems or tenant is None or flow_version is None:
        raise RoundRefused(problems, checked.warnings)
    survey_round = SurveyRound(tenant=tenant, flow_version=flow_version)
    try:
        pin_latest(survey_round)
    except LocalError as exc:
        raise RoundRefused({"flow_version_id": "Your local questions do not fit this survey: "
                            + explain(exc)}, checked.warnings) from None
    _write(survey_round, checked)
    db.session.add(survey_round)
    db.session.flush()
    db.session.add(RoundDetails(round_id=survey_round.id, created_by=created_by,
                                support_contacts=(settings.support_contacts or "")[:2000]))
    record("round.created", survey_round, name=survey_round.name,
           flow=flow_version.flow_id, version=flow_version.version,
           local_questions=survey_round.local_questions_id,
           channels=survey_round.channels, eligible=checked.eligible,
           below_minimum=bool(checked.warnings))
    db.session.commit()
    return survey_round


def change_round(survey_round: SurveyRound, settings: RoundSettings) -> SurveyRound:
    """Change a round's name, dates, channels, keyword, counts or contacts."""
    checked = check(settings, survey_round)
    _write(survey_round, checked)
    if settings.support_contacts is not None:
        details = db.session.get(RoundDetails, survey_round.id) or RoundDetails(
            round_id=survey_round.id)
        details.support_contacts = settings.support_contacts.strip()[:2000]
        db.session.add(details)
    record("round.changed", survey_round, name=survey_round.name,
           channels=survey_round.channels, eligible=checked.eligible)
    db.session.commit()
    return survey_round


def open_now(survey_round: SurveyRound, now: datetime | None = None) -> SurveyRound:
    """Open a scheduled round at once (young people can start straight away)."""
    now = now or utcnow()
    if survey_round.status(now) != SCHEDULED:
        raise RoundRefused({"opens": f"{survey_round.name} is {survey_round.status_label(now)}"
                                     ": only a scheduled round can be opened."})
    survey_round.opens_at = now
    record("round.opened", survey_round, name=survey_round.name)
    db.session.commit()
    return survey_round


def close_now(survey_round: SurveyRound, now: datetime | None = None) -> SurveyRound:
    """Close a round at once: no new conversations, and its report becomes final."""
    now = now or utcnow()
    if survey_round.status(now) == CLOSED:
        raise RoundRefused({"closes": f"{survey_round.name} has already closed."})
    survey_round.closes_at = now
    survey_round.opens_at = min(survey_round.opens_at, now)
    record("round.closed", survey_round, name=survey_round.name)
    db.session.commit()
    return survey_round


def extend(survey_round: SurveyRound, closes: str, now: datetime | None = None) -> SurveyRound:
    """Move a round's closing day later (a round that has closed stays closed)."""
    now = now or utcnow()
    new_close = _day(closes)
    if new_close is None:
        problem = f"{closes} is not a date: enter the day after the last day, like 2027-01-31."
    elif survey_round.status(now) == CLOSED:
        problem = (f"{survey_round.name} has closed and its report is final: set up a new "
                   "round instead.")
    elif new_close <= max(survey_round.closes_at, now):
        problem = (f"{closes} is not later than the round's closing day "
                   f"({survey_round.closes_at:%Y-%m-%d}).")
    else:
        problem = None
    if problem or new_close is None:
        raise RoundRefused({"closes": problem or "Enter the new closing day."})
    before = survey_round.closes_at
    survey_round.closes_at = new_close
    record("round.extended", survey_round, name=survey_round.name,
           closed_on=f"{before:%Y-%m-%d}", closes_on=f"{new_close:%Y-%m-%d}")
    db.session.commit()
    return survey_round



def move_to_latest(survey_round: SurveyRound, target: str, accept_incomparable: bool = False,
                   now: datetime | None = None) -> SurveyRound:
    """Move a round to the latest flow version and local questions, on purpose.

    ``target`` is the ``PendingMove.target`` the person looked at: if anything
    was published since, nothing moves (they look again). Where a core
    question's wording or answers changed, ``accept_incomparable`` must say
    that results will not be comparable with earlier rounds. Conversations
    already under way keep the versions they started on (each pins its own);
    new ones start on the new versions.
    """
    if survey_round.status(now or utcnow()) == CLOSED:
        raise RoundRefused({"move": f"{survey_round.name} has closed: its versions stay as they"
                                    " are, like its report."})
    move = pending(survey_round)
    if move is None:
        raise RoundRefused({"move": f"{survey_round.name} is already on the latest versions."})
    if target != move.target:
        raise RoundRefused({"move": "Something was published since you looked: look at the "
                                    "changes again before moving the round."})
    if move.core_changed and not accept_incomparable:
        raise RoundRefused({"accept_incomparable": (
            "Core questions changed, so results will not be comparable with earlier rounds. "
            "Say that you understand to move the round anyway.")})
    before = (survey_round.flow_version.version, survey_round.local_questions.version
              if survey_round.local_questions else None)
    survey_round.flow_version = move.flow_to
    if move.local_to is not None:
        survey_round.local_questions_id = move.local_to.id
        try:
            compose(find_version(move.flow_to.flow_id, move.flow_to.version),
                    load_document(move.local_to.source,
                                  f"local questions v{move.local_to.version}"))
        except FlowError as exc:
            db.session.rollback()
            raise RoundRefused({"move": "Your local questions do not fit the new version: "
                                + explain(exc)}) from None
    record("round.moved", survey_round, name=survey_round.name, flow=move.flow_to.flow_id,
           from_version=before[0], to_version=move.flow_to.version, local_from=before[1],
           local_to=move.local_to.version if move.local_to else None,
           core_changed=len(move.core_changed))
    db.session.commit()
    return survey_round
