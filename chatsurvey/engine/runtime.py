"""Playing a flow as a conversation: ``start`` it, then ``advance`` it per message.

Both are pure: they take a compiled flow and a ``State`` (and ``advance`` a
``Resume``: a message, a tap, a command, or the end of the conversation) and
return a new state, the replies to send and the events the host acts on. No
clock, no randomness, no I/O — the same inputs always give the same outputs,
which is what lets the simulator, the tests and production share this code.
The processing model is written down in ``chatsurvey/engine/README.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast

from . import safeguarding
from .conditions import MISSING
from .events import (
    Answered,
    AnswerUndone,
    Consent,
    ContextSet,
    Event,
    Failed,
    Finished,
    FlowEntered,
    Help,
    NotUnderstood,
    Restarted,
    Signpost,
    Skipped,
    Started,
    Truncated,
    Withdrawn,
)
from .inputs import Invalid, accept_value, match_command, parse_answer
from .model import BranchNode, EndNode, Flow, MessageNode, QuestionNode, SubflowNode
from .render import question_reply, questions_by_key, text_reply
from .replies import Reply
from .resumes import Command, Expire, QuickExit, Resume, Tap, Text
from .state import ACTIVE, Context, Place, State, StateError, Step, frozen, new_state, thawed

CHANNELS = ("sms", "whatsapp", "web", "paper")


@dataclass(frozen=True, slots=True)
class Options:
    """Limits that keep a badly written flow or a hostile input harmless."""

    max_steps: int = 100
    """States visited in one turn without waiting for input; beyond it the flow is stuck."""
    max_turns: int = 500
    """Messages one conversation may take."""
    max_inbound_chars: int = 2000
    """Longer messages are cut before they are read."""
    max_answer_chars: int = 1000
    """Longest free-text answer kept."""
    detect_harm: Callable[[str, str], bool] = safeguarding.looks_like_harm
    """Decides whether free text suggests a young person may be at risk."""


DEFAULT_OPTIONS = Options()

# How many progress walks are kept per place in a flow (one per way the branches
# ahead of it were decided, e.g. per age band); the oldest goes first.
REMAINING_KEPT = 32
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class _Turn:
    """One call of start/advance: walks the flow and collects replies and events.

    It holds the state being made, field by field (the ``State`` it began
    from is never changed), and is what replies are rendered for.
    """

    __slots__ = ("root", "options", "replies", "events", "steps", "flow", "version", "status",
                 "at", "stack", "answers", "vars", "history", "n", "consent", "retries",
                 "signposted", "turns", "ctx", "reason")

    def __init__(self, root: Flow, state: State, options: Options) -> None:
        self.root = root
        self.options = options
        self.replies: list[Reply] = []
        self.events: list[Event] = []
        self.steps = 0
        self.flow, self.version, self.status = state.flow, state.version, state.status
        self.at: Place | None = state.at
        self.stack: list[Place] = list(state.stack)
        self.answers: dict[str, Any] = thawed(state.answers)
        self.vars: dict[str, Any] = thawed(state.vars)
        self.history: tuple[Step, ...] = state.history  # replaced, never changed in place
        self.n, self.consent, self.retries = state.n, state.consent, state.retries
        self.signposted, self.turns, self.ctx = state.signposted, state.turns, state.ctx
        # Why the signpost flow was entered in this turn ("harm", "answer", "asked"), for
        # its branches to word the help to fit. Kept for this turn only, never in the state,
        # so nothing later in the conversation reads a stale reason.
        self.reason: str | None = None

    def result(self) -> tuple[State, tuple[Reply, ...], tuple[Event, ...]]:
        """The new state, the replies and the events."""
        state = State(self.flow, self.version, self.status, self.at, tuple(self.stack),
                      frozen(self.answers), frozen(self.vars), self.history, self.n,
                      self.consent, self.retries, self.signposted, self.turns, self.ctx)
        return state, tuple(self.replies), tuple(self.events)

    # -- small helpers ---------------------------------------------------

    def say(self, key: str, owner: str | None = None, kind: str = "message",
            values: dict[str, Any] | None = None) -> None:
        texts = self.root.flow(owner or self.root.id).texts
        self.replies.append(text_reply(self.root, texts, key, self, kind, values))

    def lookup(self, subject: str, name: str | None) -> Any:
        if subject == "answer":
            value = self.answers.get(name, MISSING)  # type: ignore[arg-type]
            return self.vars.get(name, MISSING) if value is MISSING else value  # type: ignore
        if subject == "param":
            return self.ctx.params.get(name, MISSING)  # type: ignore[arg-type]
        value = self.reason if subject == "signpost" else getattr(self.ctx, subject, None)
        return MISSING if value is None else value

    def may_record(self) -> bool:
        return not self.root.requires_consent or self.consent is True

    def set_context(self, name: str, value: Any) -> None:
        """Change the locale, age band or survey being answered."""
        if getattr(self.ctx, name) != value:
            self.ctx = replace(self.ctx, **{name: value})

    # -- walking -----------------------------------------------------------

    def run(self) -> None:
        """Visit states until one waits for an answer or the conversation ends."""
        while True:
            self.steps += 1
            if self.steps > self.options.max_steps:
                self.fail("step-budget")
                return
            flow_id, name = cast(Place, self.at)  # set until the conversation ends
            if name is None:
                if self.stack:
                    self.at = self.stack.pop()
                    continue
                self.finish("complete")
                return
            node = self.root.flow(flow_id).nodes[name]
            if isinstance(node, QuestionNode):
                self.ask(node)
                return
            if isinstance(node, MessageNode):
                for key in node.say:
                    self.say(key, flow_id)
                self.at = (flow_id, node.next)
            elif isinstance(node, BranchNode):
                self.at = (flow_id, node.pick(self.lookup))
            elif isinstance(node, SubflowNode):
                self.enter(node.flow, (flow_id, node.next))
            else:
                node = cast(EndNode, node)
                for key in node.say:
                    self.say(key, flow_id)
                if node.status or not self.stack:
                    self.finish(node.status or "complete")
                    return
                self.at = self.stack.pop()

    def enter(self, flow_id: str, return_to: Place) -> None:
        """Play another flow, coming back to ``return_to`` when it ends."""
        sub = self.root.flow(flow_id)
        self.stack.append(return_to)
        self.at = (sub.id, sub.start)
        self.events.append(FlowEntered(sub.id, sub.version))
        if sub.age_band:
            # A flow written for an age band is the survey being answered, and
            # the band it is written for is the young person's (even after "back"
            # took them to a different one).
            self.set_context("survey", sub.survey)
            if self.ctx.age_band != sub.age_band:
                self.set_context("age_band", sub.age_band)
                self.events.append(ContextSet("age_band", sub.age_band))

    def progress(self, node: QuestionNode) -> tuple[int, int] | None:
        """("question n of total"): answered so far, plus what lies ahead on this path."""
        if not node.counted:
            return None
        n = self.n + 1
        return n, n + self.remaining(node)

    def unanswered(self, key: str) -> bool:
        return key not in self.answers and key not in self.vars

    def remaining(self, node: QuestionNode) -> int:
        """Counted questions after ``node``, following branches as the answers so far decide.

        Where a branch depends on an answer not given yet, the longest way on
        from it is counted, so the total can only shrink as the young person
        goes on.

        The walk runs on every turn, so its result is kept on the flow with
        what each branch on the way decided: the walk only depends on those
        decisions, so the next conversation at the same place whose answers
        decide those branches the same way reuses it (whatever the answers are).
        """
        key = ("remaining", node.flow_id, node.name, tuple(self.stack))
        known: list[tuple[tuple[tuple[BranchNode, str | None], ...], int]] | None = \
            self.root.cache.get(key)
        if known is None:
            known = self.root.cache[key] = []
        for walked, count in known:
            for branch, target in walked:
                if branch.decide(self.lookup, self.unanswered) != target:
                    break
            else:
                return count
        decisions: list[tuple[BranchNode, str | None]] = []
        count = self._walk_remaining(node, decisions)
        if len(known) >= REMAINING_KEPT:
            del known[0]
        known.append((tuple(decisions), count))
        return count

    def _walk_remaining(self, node: QuestionNode,
                        decisions: list[tuple[BranchNode, str | None]]) -> int:
        at: Place = (node.flow_id, node.next)
        stack = list(self.stack)
        count = 0
        for _ in range(1000):
            flow = self.root.flow(at[0])
            counted, name = flow.segment(at[1])
            count += counted
            current = flow.nodes[name] if name else None
            if isinstance(current, BranchNode):
                target = current.decide(self.lookup, self.unanswered)
                decisions.append((current, target))
                if target is not None:
                    at = (flow.id, target)
                    continue
                count += longest(self.root, flow.id, name)
            elif isinstance(current, SubflowNode):
                stack.append((flow.id, current.next))
                sub = self.root.flow(current.flow)
                at = (sub.id, sub.start)
                continue
            elif isinstance(current, EndNode) and current.status:  # an end that ends everything
                break
            if not stack:
                break
            at = stack.pop()
        return count

    def ask(self, node: QuestionNode, offer_skip: bool = False) -> None:
        self.at = (node.flow_id, node.name)
        self.replies.append(question_reply(self.root, node, self, self.progress(node),
                                           offer_skip, self.options.max_answer_chars))

    # -- ending ------------------------------------------------------------

    def clear_answers(self) -> None:
        self.answers, self.vars, self.history, self.n = {}, {}, (), 0

    def end(self, status: str) -> None:
        self.status, self.at, self.stack = status, None, []

    def finish(self, status: str) -> None:
        if self.consent is False:
            status = "declined"
            self.clear_answers()
        self.end(status)
        if not self.replies:
            self.say("system:ended")  # a flow that ends without a word still says goodbye
        self.events.append(Finished(status))

    def fail(self, reason: str) -> None:
        self.say("system:failed", kind="notice")
        self.end("failed")
        self.events.append(Failed(reason))
        self.events.append(Finished("failed"))

    def abandon(self) -> None:
        """Expiry or quick exit: end as "partial", answers kept for the host to judge."""
        self.end("partial")
        self.events.append(Finished("partial"))

    # -- what the young person sent ------------------------------------------

    def take(self, node: QuestionNode, resume: Text | Tap | Command) -> None:
        """One message for the question ``node``: a command or an answer."""
        if isinstance(resume, Tap):
            self.answer(node, None, resume.value)
            return
        if isinstance(resume, Command):
            self.command(resume.name, node)
            return
        text = resume.text[:self.options.max_inbound_chars]
        if not text.isascii():  # a garbled message: keep what can be read, drop what cannot be sent
            text = _LONE_SURROGATE.sub("\ufffd", text)
        command = match_command(self.root, self.root.texts, self.ctx.locale, text)
        if command is not None:
            self.command(command, node)
        else:
            self.answer(node, text, MISSING)

    def command(self, command: str, node: QuestionNode) -> None:
        if command == "stop":
            self.clear_answers()
            self.end("withdrawn")
            self.say("system:withdrawn")
            self.events.append(Withdrawn())
            self.events.append(Finished("withdrawn"))
        elif command == "restart":
            self.clear_answers()
            self.consent, self.retries, self.signposted = None, 0, False
            self.stack, self.at = [], (self.root.id, self.root.start)
            self.events.append(Restarted())
            self.say("system:restarted")
            self.run()
        elif command == "help":
            self.events.append(Help(node.key))
            self.say(node.help or "system:help", node.flow_id)
            self.ask(node)
        elif command == "back":
            self.back(node)
        elif command == "support":
            if not self.signpost("asked", node, (node.flow_id, node.name)):
                self.say("system:help", node.flow_id)
                self.ask(node)
                return
            self.run()
        elif node.ask == "consent":
            self.invalid(node, "consent", None)
        else:
            self.keep(node, None)

    def back(self, node: QuestionNode) -> None:
        if not self.history:
            self.say("system:back.first", kind="notice")
            self.ask(node)
            return
        flow_id, name, stack = self.history[-1]
        self.history = self.history[:-1]
        # history holds only recorded questions, and a recorded question has a key (see keep)
        previous = cast(QuestionNode, self.root.flow(flow_id).nodes[name])
        key = cast(str, previous.key)
        self.answers.pop(key, None)
        self.n -= previous.counted
        self.stack = list(stack)
        self.retries = 0
        self.events.append(AnswerUndone(key))
        self.ask(previous)

    def invalid(self, node: QuestionNode, hint: str, text: str | None) -> None:
        self.retries += 1
        self.events.append(NotUnderstood(node.key, self.retries))
        harm = bool(text) and self.options.detect_harm(text, self.ctx.locale)
        # Offer help first, then come back to the same question.
        if harm and self.signpost("harm", node, (node.flow_id, node.name)):
            self.run()
            return
        values = {"count": len(node.options), "min": node.min, "max": node.max}
        self.say("system:invalid", kind="notice")
        self.say(f"system:hint.{_hint(node, hint)}", kind="notice", values=values)
        self.ask(node, offer_skip=self.retries >= 2)

    def answer(self, node: QuestionNode, text: str | None, value: Any) -> None:
        locale, cap = self.ctx.locale, self.options.max_answer_chars
        try:
            if value is not MISSING:
                parsed = accept_value(node, value, cap)
            else:
                flow = self.root.flow(node.flow_id)
                parsed = parse_answer(flow, flow.texts, node, locale, text or "", cap)
        except Invalid as exc:
            self.invalid(node, exc.hint, text)
            return
        if node.ask == "consent":
            self.give_consent(node, parsed == "yes")
            return
        given = value if isinstance(value, str) else text
        if node.ask == "text" and given and len(given.strip()) > len(parsed):
            self.events.append(Truncated(node.key, len(parsed)))
            self.say("system:truncated", kind="notice", values={"max": len(parsed)})
        self.keep(node, parsed)

    def give_consent(self, node: QuestionNode, given: bool) -> None:
        self.consent, self.retries = given, 0
        self.events.append(Consent(given))
        self.at = (node.flow_id, node.next if given else node.declined)
        self.run()

    def keep(self, node: QuestionNode, value: Any) -> None:
        """Record an answer (None = skipped) and move on, offering help if it calls for it."""
        self.retries = 0
        if node.sets and value is not None:
            self.set_context(node.sets, value)
            self.events.append(ContextSet(node.sets, value))
        if node.key and node.record and self.may_record():
            self.answers[node.key] = value
            self.history += ((node.flow_id, node.name, tuple(self.stack)),)
            self.n += node.counted
            if value is None:
                self.events.append(Skipped(node.key, node.flow_id))
            else:
                self.events.append(Answered(node.key, value, node.flow_id, node.core))
        elif node.key and value is not None:
            self.vars[node.key] = value
        reason = None
        if value is not None:
            if node.ask == "text" and self.options.detect_harm(value, self.ctx.locale):
                reason = "harm"
            elif node.signpost_if is not None and node.signpost_if(lambda s, n: value):
                reason = "answer"
        self.at = (node.flow_id, node.next)
        if reason:
            self.signpost(reason, node, (node.flow_id, node.next))
        self.run()

    def signpost(self, reason: str, node: QuestionNode, return_to: Place) -> bool:
        """Offer help now; True if the signpost flow was entered."""
        self.events.append(Signpost(reason, node.key))
        flow_id = self.root.flow(node.flow_id).signpost or self.root.signpost
        inside = flow_id is not None and (
            node.flow_id == flow_id or any(frame[0] == flow_id for frame in self.stack))
        if flow_id is None or inside:
            return False
        if reason == "answer" and self.signposted:
            self.say("system:signpost.again", kind="notice")
            return False
        self.signposted = True
        self.reason = reason
        self.enter(flow_id, return_to)
        return True


def _hint(node: QuestionNode, hint: str) -> str:
    """The nudge that fits the question: several answers are asked for as several, and
    two options are named ("reply 1 or 2", not "a number from 1 to 2")."""
    if hint != "choice":
        return hint
    if node.ask == "multi":
        return "multi"
    return "choice.two" if len(node.options) == 2 else hint


def longest(root: Flow, flow_id: str, name: str | None,
            visiting: frozenset[Place] = frozenset()) -> int:
    """Most counted questions from state ``name`` to the end of its flow, on any path."""
    key = ("longest", flow_id, name)
    found = root.cache.get(key)
    if found is not None:
        return found
    flow = root.flow(flow_id)
    count, stop = flow.segment(name)
    node = flow.nodes[stop] if stop else None
    if (flow_id, stop) in visiting:  # a loop (lint reports it): count it once
        return count
    inner = visiting | {(flow_id, stop)}
    if isinstance(node, BranchNode):
        count += max(longest(root, flow_id, t, inner) for t in node.targets())
    elif isinstance(node, SubflowNode):
        sub = root.flow(node.flow)
        count += longest(root, sub.id, sub.start, inner) + longest(root, flow_id, node.next, inner)
    root.cache[key] = count
    return count


def start(flow: Flow, *, channel: str = "web", locale: str | None = None,
          country: str | None = None, age_band: str | None = None,
          params: dict[str, str] | None = None,
          options: Options = DEFAULT_OPTIONS) -> tuple[State, tuple[Reply, ...], tuple[Event, ...]]:
    """Begin a conversation on ``flow``: the first state, replies and events."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if locale not in flow.locales:
        locale = flow.locales[0]
    ctx = Context(channel, locale, country, age_band or flow.age_band, flow.survey,
                  frozen(dict(params or {})))
    turn = _Turn(flow, new_state(flow, ctx), options)
    turn.events.append(Started(flow.id, flow.version, channel, locale))
    turn.run()
    return turn.result()


def check_state(flow: Flow, state: Any) -> QuestionNode | None:
    """Raise StateError unless ``state`` is a conversation state of this flow version.

    Returns the question an active conversation waits at (None once it has ended).
    """
    if not isinstance(state, State):
        raise StateError("not a conversation state")
    if state.flow != flow.id or state.version != flow.version:
        raise StateError(f"this conversation is on flow {state.flow} version "
                         f"{state.version}, not {flow.id} version {flow.version}")
    at = state.at
    if state.status == ACTIVE:
        try:
            node = flow.flow(at[0]).nodes[at[1]]  # type: ignore[index]
        except (KeyError, TypeError, IndexError):
            raise StateError(f"the conversation waits at {at!r}, which is not in this flow"
                             ) from None
        if not isinstance(node, QuestionNode):
            raise StateError(f"the conversation waits at {at!r}, which is not a question")
        return node
    return None


def advance(flow: Flow, state: State, resume: Resume,
            options: Options = DEFAULT_OPTIONS) -> tuple[State, tuple[Reply, ...],
                                                         tuple[Event, ...]]:
    """Take one resume: the next state, the replies and the events.

    A message (``Text``, ``Tap``, ``Command``) answers the waiting question;
    ``Expire`` and ``QuickExit`` end the conversation as "partial". A
    conversation that has ended answers a message with "this chat has
    finished" and ignores the rest.
    """
    # Checked for callers the type checker does not see (a channel's own resume).
    if not isinstance(resume, (Text, Tap, Command, Expire, QuickExit)):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"advance takes a Text, Tap, Command, Expire or QuickExit, "
                        f"not {type(resume).__name__}")
    node = check_state(flow, state)
    turn = _Turn(flow, state, options)
    if isinstance(resume, (Expire, QuickExit)):
        if node is not None:
            turn.abandon()
    elif node is None:
        turn.say("system:ended", kind="notice")
    else:
        turn.turns += 1
        if turn.turns > options.max_turns:
            turn.fail("turn-budget")
        else:
            turn.take(node, resume)
    return turn.result()


def transcript(flow: Flow, state: State) -> dict[str, Any]:
    """What a conversation leaves to be stored: answers with what each question was."""
    questions = questions_by_key(flow)
    answers = state.answers
    ctx = state.ctx
    return {
        "flow": state.flow, "version": state.version, "survey": ctx.survey,
        "status": state.status, "consent": state.consent,
        "channel": ctx.channel, "locale": ctx.locale, "country": ctx.country,
        "age_band": ctx.age_band,
        "answers": {k: v for k, v in answers.items() if v is not None},
        "skipped": [k for k, v in answers.items() if v is None],
        "questions": {
            k: {"ask": questions[k].ask, "flow": questions[k].flow_id, "core": questions[k].core,
                "sensitive": questions[k].sensitive, "personal": questions[k].personal}
            for k in answers if k in questions
        },
    }
