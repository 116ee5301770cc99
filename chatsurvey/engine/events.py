"""What happened in a turn, for the host to act on and for people to read.

Each event is a small frozen value; ``as_dict()`` is its one JSON form,
``{"type": ..., **fields}``, documented with an example per type in
``chatsurvey/engine/README.md``. The host acts on ``Finished`` (store or
discard the conversation); the others describe the turn for the simulator,
transcripts (``chatsurvey simulate``) and the golden tests.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar


class _Event:
    """Shared by every event: its type name and its JSON form."""

    __slots__ = ()
    type: ClassVar[str]

    def as_dict(self) -> dict[str, Any]:
        """``{"type": ..., **fields}``, fields in the order they are declared."""
        out: dict[str, Any] = {"type": self.type}
        for f in fields(self):  # type: ignore[arg-type]
            out[f.name] = getattr(self, f.name)
        return out


@dataclass(frozen=True, slots=True)
class Started(_Event):
    """A conversation began on a flow version, channel and language."""

    type: ClassVar[str] = "started"
    flow: str
    version: int
    channel: str
    locale: str


@dataclass(frozen=True, slots=True)
class Consent(_Event):
    """The young person said yes or no to taking part."""

    type: ClassVar[str] = "consent"
    given: bool


@dataclass(frozen=True, slots=True)
class Answered(_Event):
    """A recorded question was answered."""

    type: ClassVar[str] = "answer"
    key: str
    value: Any
    flow: str
    core: bool


@dataclass(frozen=True, slots=True)
class Skipped(_Event):
    """A recorded question was skipped."""

    type: ClassVar[str] = "skipped"
    key: str
    flow: str


@dataclass(frozen=True, slots=True)
class AnswerUndone(_Event):
    """"back": the last recorded answer was taken away and its question asked again."""

    type: ClassVar[str] = "answer_undone"
    key: str


@dataclass(frozen=True, slots=True)
class NotUnderstood(_Event):
    """The message was not an answer to the waiting question; ``attempt`` counts them."""

    type: ClassVar[str] = "invalid"
    key: str | None
    attempt: int


@dataclass(frozen=True, slots=True)
class Help(_Event):
    """"help" was asked for at a question."""

    type: ClassVar[str] = "help"
    key: str | None


@dataclass(frozen=True, slots=True)
class Signpost(_Event):
    """Help was offered: ``reason`` is "answer" (signpost_if), "harm" (a disclosure in
    free text) or "asked" (the support command)."""

    type: ClassVar[str] = "signpost"
    reason: str
    key: str | None


@dataclass(frozen=True, slots=True)
class FlowEntered(_Event):
    """A sub-flow (a survey for an age band, the support flow, ...) began."""

    type: ClassVar[str] = "flow_entered"
    flow: str
    version: int


@dataclass(frozen=True, slots=True)
class ContextSet(_Event):
    """The locale or the age band changed."""

    type: ClassVar[str] = "context_set"
    field: str
    value: Any


@dataclass(frozen=True, slots=True)
class Truncated(_Event):
    """A free-text answer was longer than allowed; the first ``kept`` letters were kept."""

    type: ClassVar[str] = "truncated"
    key: str | None
    kept: int


@dataclass(frozen=True, slots=True)
class Restarted(_Event):
    """"restart": every answer was deleted and the flow began again."""

    type: ClassVar[str] = "restarted"


@dataclass(frozen=True, slots=True)
class Withdrawn(_Event):
    """"stop": every answer was deleted and the conversation ended."""

    type: ClassVar[str] = "withdrawn"


@dataclass(frozen=True, slots=True)
class Failed(_Event):
    """The flow could not go on: "step-budget" (it loops without asking) or "turn-budget"
    (too many messages). A ``Finished`` with status "failed" follows."""

    type: ClassVar[str] = "error"
    reason: str


@dataclass(frozen=True, slots=True)
class Finished(_Event):
    """The conversation ended; ``status`` is the state's final status."""

    type: ClassVar[str] = "finished"
    status: str


Event = (Started | Consent | Answered | Skipped | AnswerUndone | NotUnderstood | Help
         | Signpost | FlowEntered | ContextSet | Truncated | Restarted | Withdrawn | Failed
         | Finished)
"""Any event ``start`` or ``advance`` returns."""

EVENT_TYPES: dict[str, type[_Event]] = {
    cls.type: cls for cls in (Started, Consent, Answered, Skipped, AnswerUndone, NotUnderstood,
                              Help, Signpost, FlowEntered, ContextSet, Truncated, Restarted,
                              Withdrawn, Failed, Finished)}
"""Every event class by its type name."""
