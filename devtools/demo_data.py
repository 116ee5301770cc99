"""Synthetic responses for building and testing reports before real ones exist.

`chatsurvey demo-data` (and :func:`generate`, which tests and the benchmark
call) writes councils in all three countries, each with a previous and a
current round, straight into the response store (never through Redis).

What makes the data realistic enough to test reports against:

- eligible populations of 150-2,500 children in care and 100-1,200 care
  leavers (one council below the programme minimum), response rates 20-55%;
- answers drawn from the real flows (their questions, answer values and
  scales), positive at base rates taken from the published Bright Spots
  figures (reference §4) where there are any;
- skips where young people skip: sensitive questions more, family time more
  still, fathers most; some conversations stop part-way (status partial);
- free-text comments, some approved, some waiting for review; flagged by the real
  safeguarding check (a comment approved has had its flag cleared by the reviewer);
- some councils deliberately better or worse on a few indicators in their
  current round, recorded in the returned :class:`DemoTruth` so tests can
  check that reports find them.

Positive or not is decided with the catalogue's own test, so the generator
and the reports agree on what "positive" means.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from chatsurvey.councils.models import Tenant
from chatsurvey.engine import FlowLibrary
from chatsurvey.engine.safeguarding import needs_review_first
from chatsurvey.extensions import db
from chatsurvey.flows.models import FlowVersion
from chatsurvey.reports.indicators import Indicator, load_catalogue
from chatsurvey.responses.models import Comment, Response
from chatsurvey.rounds.models import SurveyRound

PLACES = ("Northvale", "Eastmoor", "Westbridge", "Southmere", "Highcombe", "Lowford",
          "Ashdown", "Brackenfield", "Carrick Fell", "Dunmore", "Elmsworth", "Fernlea",
          "Glenhaven", "Hartwell", "Ironbridge", "Kingsmead", "Larchmont", "Millbeck",
          "Newholm", "Oakridge", "Pendle Cross", "Queensferry Vale", "Redcliffe", "Stonehaven",
          "Thornbury", "Upwell", "Valemouth", "Whitmore", "Yarrowdale", "Zennor")
COUNTRIES = ("england", "england", "england", "wales", "scotland")
CIC_BANDS = {"4-7": 0.18, "8-11": 0.24, "11-18": 0.58}
"""Share of a council's children in care in each survey age band."""

BASE_RATES: dict[str, dict[str, float]] = {
    # Bright Spots evaluation (2021) and snapshots: reference §4.1 / §4.2.
    "knows_social_worker": {"4-7": 0.805, "8-11": 0.90, "11-18": 0.94},
    "knows_why_in_care": {"4-7": 0.43, "8-11": 0.66, "11-18": 0.79, "16-25": 0.76},
    "sw_changes": {"11-18": 0.75},
    "trusts_social_worker": {"8-11": 0.62, "11-18": 0.59},
    "trusts_social_worker_yn": {"4-7": 0.80},
    "trusts_personal_adviser": {"16-25": 0.78},
    "trusts_carers": {"8-11": 0.93, "11-18": 0.85},
    "trusts_carers_yn": {"4-7": 0.96},
    "carers_notice_feelings": {"4-7": 0.89, "8-11": 0.93, "11-18": 0.92},
    "carers_interest_education": {"8-11": 0.94, "11-18": 0.94},
    "talks_to_carers": {"11-18": 0.80},
    "life_satisfaction": {"11-18": 0.84, "16-25": 0.74},
    "worthwhile": {"11-18": 0.85, "16-25": 0.77},
    "happy_yesterday": {"11-18": 0.80, "16-25": 0.72},
    "anxious_yesterday": {"16-25": 0.67},
    "lonely": {"11-18": 0.85, "16-25": 0.78},
    "happy_with_appearance": {"11-18": 0.87, "16-25": 0.80},
    "life_getting_better": {"8-11": 0.85, "11-18": 0.83, "16-25": 0.80},
    "has_good_friend": {"4-7": 0.90, "8-11": 0.93, "11-18": 0.93, "16-25": 0.85},
    "has_trusted_adult": {"4-7": 0.94, "8-11": 0.93, "11-18": 0.92},
    "afraid_bullying": {"8-11": 0.71, "11-18": 0.85},
    "made_to_feel_different": {"11-18": 0.875},
    "same_as_friends": {"8-11": 0.83, "11-18": 0.83},
    "worries_feelings": {"8-11": 0.40, "11-18": 0.40},
    "feels_safe": {"4-7": 0.80, "8-11": 0.78, "11-18": 0.75, "16-25": 0.67},
    "feels_settled": {"8-11": 0.72, "11-18": 0.70, "16-25": 0.62},
    "money_coping": {"16-25": 0.80},
    "internet_at_home": {"11-18": 0.95, "16-25": 0.80},
    "someone_believes_in_me": {"16-25": 0.92},
    "mum_contact": {"8-11": 0.45, "11-18": 0.48},
    "dad_contact": {"8-11": 0.38, "11-18": 0.40},
    "siblings_contact": {"8-11": 0.50, "11-18": 0.52},
    "family_contact": {"16-25": 0.55},
}
DEFAULT_RATE = 0.75
"""Base rate of indicators without a published figure."""

SKIP_RATES = {"dad_contact": 0.25, "mum_contact": 0.13, "siblings_contact": 0.10,
              "family_contact": 0.12}
"""Family time is skipped most, fathers above all (Bright Spots practice)."""

WEIGHTS: dict[str, dict[str, float]] = {
    "gender": {"female": 0.46, "male": 0.51, "another_way": 0.03},
    "placement_type": {"foster_care": 0.70, "kinship_care": 0.11, "residential": 0.10,
                       "with_parents": 0.04, "supported_accommodation": 0.03,
                       "somewhere_else": 0.02},
    "helped_by": {"no_one": 0.7, "trusted_adult": 0.2, "friend": 0.04, "worker": 0.04,
                  "someone_else": 0.02},
}

COMMENTS = (
    "More time with my brothers and sisters.", "I want to see my mum more often.",
    "My carers are kind and they listen to me.", "Better wifi where I live please.",
    "Social workers should not keep changing.", "More trips out and clubs in the holidays.",
    "Help with my college work.", "I like my bedroom, it is mine.",
    "Tell me more about why I am in care.", "My PA always answers my texts.",
    "Money is hard, bills are too much.", "I want to learn to cook properly.",
    "Stop moving me around so much.", "My school is good and my teacher helps me.",
    "More football.", "Let me have a say in my plan.", "[NAME] is the best carer.",
    "I would like a pet.", "Nothing, it is fine.", "I feel lonely at the weekends.",
)


@dataclass
class CouncilTruth:
    """One synthetic council and what was planted in its data."""

    slug: str
    name: str
    country: str
    eligible: dict[str, int]
    response_rate: float
    rounds: dict[str, int] = field(default_factory=dict)
    """"previous", "current" (and "open" where made) -> round id."""
    effects: dict[str, dict[str, float]] = field(default_factory=dict)
    """Age band -> indicator key -> change to the base rate in the current round."""


@dataclass
class DemoTruth:
    """What the generator did, so tests can check reports against it."""

    seed: int
    councils: list[CouncilTruth]
    base: dict[str, dict[str, float]]
    """Age band -> indicator key -> base rate (previous rounds use it unchanged)."""
    responses: int = 0

    def rate(self, slug: str, band: str, key: str, round_name: str = "current") -> float:
        council = next(c for c in self.councils if c.slug == slug)
        effect = council.effects.get(band, {}).get(key, 0.0) if round_name == "current" else 0
        return _clip(self.base[band][key] + effect)

    def planted(self) -> list[tuple[str, str, str, float]]:
        """(slug, band, key, effect) of every council made better or worse."""
        return [(c.slug, band, key, delta) for c in self.councils
                for band, keys in c.effects.items() for key, delta in keys.items()]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def _clip(p: float) -> float:
    return min(0.99, max(0.01, p))


@dataclass
class _Question:
    key: str
    ask: str
    values: list[Any]
    sensitive: bool
    indicator: Indicator | None
    positive: list[Any] = field(default_factory=list)
    negative: list[Any] = field(default_factory=list)


def _questions(flow, indicators: dict[str, Indicator]) -> list[_Question]:
    out = []
    for node in flow.questions():
        if not node.key or not node.record or node.personal:
            continue
        if node.ask in ("scale", "number"):
            values: list[Any] = list(range(node.min, node.max + 1))
        elif node.ask == "faces":
            values = [int(o.value) for o in node.options]
        else:
            values = [o.value for o in node.options]
        q = _Question(node.key, node.ask, values, node.sensitive, indicators.get(node.key))
        if q.indicator is not None and q.ask != "text":
            q.positive = [v for v in values if q.indicator.is_positive(
                [v] if q.ask == "multi" else v)]
            q.negative = [v for v in values if v not in q.positive]
        out.append(q)
    return out


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _weighted(rng: random.Random, weights: dict[str, float], values: list[Any]) -> Any:
    known = [v for v in values if v in weights]
    if not known:
        return rng.choice(values)
    return rng.choices(known, [weights[v] for v in known])[0]


class _Writer:
    """Builds rows and writes them in batches (bulk inserts, no ORM objects)."""

    def __init__(self, rng: random.Random, prefix: str = "demo") -> None:
        self.rng = rng
        self.prefix = prefix
        self.responses: list[dict] = []
        self.comments: list[dict] = []
        self.count = 0

    def new_id(self) -> str:
        # The prefix keeps two data sets made with the same seed apart.
        bits = f"{self.prefix}:{self.rng.getrandbits(128):032x}".encode()
        return hashlib.sha256(bits).hexdigest()[:32]

    def flush(self) -> None:
        if self.responses:
            db.session.execute(insert(Response), self.responses)
        if self.comments:
            db.session.execute(insert(Comment), self.comments)
        self.count += len(self.responses)
        self.responses, self.comments = [], []


def _answers(rng: random.Random, questions: list[_Question], rates: dict[str, float],
             band: str) -> tuple[dict, list, list[tuple[str, str]], bool]:
    """One young person's answers, skips and comments; True if they stopped part-way."""
    answers: dict[str, Any] = {}
    skipped: list[str] = []
    comments: list[tuple[str, str]] = []
    stop_at = rng.randint(3, len(questions)) if rng.random() < 0.08 else len(questions)
    young = 0.02 if band == "4-7" else 0.0
    for q in questions[:stop_at]:
        if q.key == "support_with_worries" and answers.get("worries_feelings") == "no":
            continue  # the flow only asks those who worry or are not sure
        if q.ask == "text":
            if rng.random() < (0.35 if q.key == "better_things" else 0.2):
                comments.append((q.key, rng.choice(COMMENTS)))
            else:
                skipped.append(q.key)
            continue
        skip = SKIP_RATES.get(q.key, 0.08 if q.sensitive else 0.025) + young
        if rng.random() < skip:
            skipped.append(q.key)
            continue
        if q.indicator is not None and q.positive and q.negative:
            pool = q.positive if rng.random() < rates.get(q.key, DEFAULT_RATE) else q.negative
            value = rng.choice(pool)
        else:
            value = _weighted(rng, WEIGHTS.get(q.key, {}), q.values)
        answers[q.key] = [value] if q.ask == "multi" else value
    return answers, skipped, comments, stop_at < len(questions)


def _iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _fill_round(writer: _Writer, survey_round: SurveyRound, council: CouncilTruth,
                counts: dict[str, int], flows: dict[str, Any], questions: dict[str, list],
                rates: dict[str, dict[str, float]]) -> None:
    rng = writer.rng
    span = max(1, (min(survey_round.closes_at, datetime.now(UTC)) -
                   survey_round.opens_at).days)
    for band, n in counts.items():
        flow = flows[band]
        for _ in range(n):
            answers, skipped, comments, partial = _answers(rng, questions[band], rates[band],
                                                           band)
            day = min(span - 1, int(rng.expovariate(3 / span)))
            response_id = writer.new_id()
            channel = rng.choices(("web", "sms", "paper"), (0.6, 0.3, 0.1))[0]
            locale = {"wales": "cy", "scotland": "gd"}.get(council.country, "en") \
                if rng.random() < 0.15 and council.country != "england" else "en"
            writer.responses.append({
                "id": response_id, "tenant_id": survey_round.tenant_id,
                "round_id": survey_round.id, "flow_id": flow.id, "flow_version": flow.version,
                "survey": flow.survey, "age_band": band,
                "locale": locale, "channel": channel,
                "week": _iso_week(survey_round.opens_at + timedelta(days=day)),
                "status": "partial" if partial else "complete",
                "helped": (rng.random() < 0.8) if band == "4-7" else (rng.random() < 0.15),
                "answers": answers, "skipped": skipped})
            for key, text in comments:
                status = rng.choices(("approved", "pending", "rejected"), (0.6, 0.3, 0.1))[0]
                writer.comments.append({
                    "response_id": response_id, "key": key, "text": text, "found": {},
                    "flagged": needs_review_first(text) and status == "pending",
                    "status": status, "edited": False})
            if len(writer.responses) >= 5000:
                writer.flush()


def _plant(rng: random.Random, council: CouncilTruth, expected: dict[str, int],
           base: dict[str, dict[str, float]]) -> None:
    """Make the council clearly better on one or two indicators and worse on one or two."""
    bands = [b for b, n in expected.items() if n >= 120]
    if not bands:
        return
    for direction in (+1, -1):
        for _ in range(rng.randint(1, 2)):
            band = rng.choice(bands)
            fits = [k for k, p in base[band].items()
                    if (p <= 0.72 if direction > 0 else p >= 0.5)
                    and k not in council.effects.get(band, {})
                    and k != "support_with_worries"]
            if fits:
                key = rng.choice(sorted(fits))
                council.effects.setdefault(band, {})[key] = 0.2 * direction


def generate(councils: int = 12, seed: int = 7, responses: int | None = None,
             now: datetime | None = None, flows_dir: str | Path | None = None,
             open_rounds: int = 0, prefix: str = "demo",
             progress: Callable[[int], None] | None = None) -> DemoTruth:
    """Write ``councils`` synthetic councils with two closed rounds each; returns the truth.

    ``responses`` scales every council's eligible population so the total
    comes near that number (for benchmarks); ``open_rounds`` councils also get
    a round still open, with a few responses so far. Call in an app context.
    """
    from flask import current_app

    from chatsurvey.flows.publish import publish_directory

    rng = random.Random(seed)  # noqa: S311 (reproducible synthetic data, not a secret)
    now = now or datetime.now(UTC)
    flows_dir = Path(flows_dir or current_app.config["FLOWS_DIR"])
    indicators = {i.key: i for i in load_catalogue(flows_dir / "indicators.yaml")}
    library = FlowLibrary.load([flows_dir])
    flows = {f.age_band: f for f in library.flows.values() if f.age_band}
    questions = {band: _questions(flow, indicators) for band, flow in flows.items()}
    versions = {v.flow_id: v for v in publish_directory(flows_dir)}
    entry = versions.get("your-life") or db.session.scalars(
        select(FlowVersion).where(FlowVersion.flow_id == "your-life")).first()
    base = {band: {i.key: BASE_RATES.get(i.key, {}).get(band, DEFAULT_RATE)
                   for i in indicators.values() if band in i.age_bands} for band in flows}

    plans = []
    for n in range(councils):
        place = PLACES[n % len(PLACES)] + ("" if n < len(PLACES) else f" {n // len(PLACES) + 1}")
        small = n == 2
        cic = 120 if small else int(_log_uniform(rng, 150, 2500))
        leavers = 80 if small else int(_log_uniform(rng, 100, 1200))
        eligible = {band: max(1, round(cic * share)) for band, share in CIC_BANDS.items()}
        eligible["16-25"] = leavers
        council = CouncilTruth(
            slug=f"{prefix}-{place.lower().replace(' ', '-')}", name=f"{place} Council",
            country=COUNTRIES[n % len(COUNTRIES)], eligible=eligible,
            response_rate=rng.uniform(0.2, 0.55))
        plans.append(council)
    expected_total = sum(2 * sum(c.eligible.values()) * c.response_rate for c in plans)
    scale = (responses / expected_total) if responses else 1.0
    if scale != 1.0:
        for c in plans:
            c.eligible = {b: max(1, round(n * scale)) for b, n in c.eligible.items()}

    writer = _Writer(rng, prefix)
    for index, council in enumerate(plans):
        tenant = Tenant(slug=council.slug, name=council.name, country=council.country,
                        branding={"display_name": council.name})
        db.session.add(tenant)
        expected = {b: round(n * council.response_rate) for b, n in council.eligible.items()}
        if index % 2 == 0 and index != 2:
            _plant(rng, council, expected, base)
        spans = {"previous": (now - timedelta(days=420), now - timedelta(days=360)),
                 "current": (now - timedelta(days=80), now - timedelta(days=20))}
        if index < open_rounds:
            spans["open"] = (now - timedelta(days=10), now + timedelta(days=40))
        for name, (opens, closes) in spans.items():
            label = {"previous": f"Autumn {opens.year}", "current": f"Spring {opens.year}",
                     "open": f"Summer {opens.year}"}[name]
            survey_round = SurveyRound(tenant=tenant, name=label, flow_version=entry,
                                       opens_at=opens, closes_at=closes,
                                       eligible=dict(council.eligible))
            db.session.add(survey_round)
            db.session.flush()
            council.rounds[name] = survey_round.id
            rates = {band: {k: _clip(p + (council.effects.get(band, {}).get(k, 0.0)
                                          if name == "current" else 0.0))
                            for k, p in base[band].items()} for band in flows}
            share = 0.3 if name == "open" else 1.0
            counts = {band: max(0, round(n * council.response_rate * share *
                                         rng.uniform(0.85, 1.15)))
                      for band, n in council.eligible.items()}
            _fill_round(writer, survey_round, council, counts, flows, questions, rates)
        writer.flush()
        if progress:
            progress(1)
    db.session.commit()
    return DemoTruth(seed=seed, councils=plans, base=base, responses=writer.count)
