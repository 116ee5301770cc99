"""Turning a finished conversation into an anonymous response: a pure transform.

What goes in is the transcript the conversation handed off (exact times,
exact age, free text as typed). What comes out holds nothing that points at
a person: no phone number, conversation or message id, exact time or exact
age; times become the ISO week and the day (the day only until the round closes,
see bursts.py), free text is redacted and flagged for review.
The response's id is the random submission id made at hand-off, which is what
makes storing it twice impossible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chatsurvey.engine.safeguarding import needs_review_first
from chatsurvey.responses.redact import redact

HELPED_KEYS = ("helped_by", "helped")
"""The answer that says whether someone helped the young person answer (the surveys ask
"helped_by": no one, a trusted adult, ...). Only yes or no is stored, never who."""
NOT_HELPED = frozenset({"no", "no_one", "nobody", "none", "myself", "on_my_own", "alone"})


@dataclass
class Comment:
    """A free-text answer, redacted, waiting for a person to review it."""

    key: str
    text: str
    found: dict[str, int] = field(default_factory=dict)
    """How many of each kind of identifier were removed (never what they were)."""
    flagged: bool = False
    """It looks like a safeguarding disclosure: reviewed first."""


@dataclass
class AnonymousResponse:
    """Everything that is stored about one finished conversation."""

    id: str
    tenant_id: int
    round_id: int
    flow_id: str
    flow_version: int
    survey: str
    age_band: str | None
    locale: str
    channel: str
    week: str
    day: str
    """The UTC day it finished ("2026-11-26"): nothing finer."""
    status: str
    helped: bool | None
    answers: dict[str, Any]
    skipped: list[str]
    comments: list[Comment]


def iso_week(epoch: float) -> str:
    """The ISO week a moment falls in, like "2026-W48"."""
    year, week, _ = datetime.fromtimestamp(epoch, UTC).isocalendar()
    return f"{year}-W{week:02d}"


def iso_day(epoch: float) -> str:
    """The UTC day a moment falls in, like "2026-11-26"."""
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def _helped(answers: dict[str, Any]) -> bool | None:
    value = next((answers[k] for k in HELPED_KEYS if answers.get(k) is not None), None)
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    return not all(str(v) in NOT_HELPED for v in values)


def anonymise(transcript: dict, terms: Iterable[str] = (),
              detect_harm: Callable[[str], bool] = needs_review_first) -> AnonymousResponse:
    """The anonymous response for a handed-off transcript (see conversations._settle)."""
    questions: dict[str, dict] = transcript.get("questions", {})
    answers: dict[str, Any] = {}
    comments: list[Comment] = []
    terms = list(terms)
    for key, value in transcript["answers"].items():
        about = questions.get(key, {})
        if about.get("personal") or key in HELPED_KEYS:
            continue  # an exact age, used only to route the conversation; who helped
        if about.get("ask") == "text":
            redacted = redact(str(value), terms, detect_harm)
            comments.append(Comment(key, redacted.text, redacted.counts(), redacted.safeguarding))
        else:
            answers[key] = value
    skipped = [k for k in transcript.get("skipped", [])
               if not questions.get(k, {}).get("personal")]
    return AnonymousResponse(
        id=transcript["submission_id"], tenant_id=transcript["tenant_id"],
        round_id=transcript["round_id"], flow_id=transcript["flow"],
        flow_version=transcript["version"], survey=transcript["survey"],
        age_band=transcript.get("age_band"), locale=transcript["locale"],
        channel=transcript["channel"], week=iso_week(transcript["finished_at"]),
        day=iso_day(transcript["finished_at"]),
        status="complete" if transcript["status"] == "complete" else "partial",
        helped=_helped(transcript["answers"]), answers=answers, skipped=skipped,
        comments=comments,
    )
