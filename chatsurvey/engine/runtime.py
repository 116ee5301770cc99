"""Playing a flow as a conversation: ``start`` it, then ``advance`` it per message.

Both are pure: they take a compiled flow and a state document and return a
new state, the replies to send and the events the host must act on. No
clock, no randomness, no I/O — the same inputs always give the same outputs,
which is what lets the simulator, the tests and production share this code.
The processing model is written down in ``chatsurvey/engine/README.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import safeguarding
from .conditions import MISSING
from .inputs import COMMANDS, Invalid, accept_value, match_command, parse_answer
from .model import BranchNode, Flow, MessageNode, QuestionNode, SubflowNode
from .render import question_reply, questions_by_key, text_reply

STATE_FORMAT = 1
CHANNELS = ("sms", "web", "paper")
ACTIVE = "active"
_STATE_FIELDS = frozenset(("flow", "version", "status", "at", "stack", "answers", "history", "ctx"))


class StateError(ValueError):
    """The state document does not belong to this flow or is damaged."""


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


def _copy(state: dict) -> dict:
    out = dict(state)
    out["answers"] = dict(state["answers"])
    out["vars"] = dict(state.get("vars", {}))
    out["history"] = list(state["history"])
    out["stack"] = [list(frame) for frame in state["stack"]]
    out["ctx"] = dict(state["ctx"])
    out["at"] = list(state["at"]) if state["at"] else None
    return out


class _Turn:
    """One call of start/advance: walks the flow and collects replies and events."""

    __slots__ = ("root", "state", "options", "replies", "events", "steps")

    def __init__(self, root: Flow, state: dict, options: Options) -> None:
        self.root = root
        self.state = state
        self.options = options
        self.replies: list[dict] = []
        self.events: list[dict] = []
        self.steps = 0

    # -- small helpers ---------------------------------------------------

    def event(self, kind: str, **data: Any) -> None:
        self.events.append({"type": kind, **data})

    def say(self, key: str, owner: str | None = None, kind: str = "message",
            values: dict | None = None) -> None:
        texts = self.root.flow(owner or self.root.id).texts
        self.replies.append(text_reply(self.root, texts, key, self.state, kind, values))

    def lookup(self, subject: str, name: str | None) -> Any:
        state = self.state
        if subject == "answer":
            value = state["answers"].get(name, MISSING)
            return state["vars"].get(name, MISSING) if value is MISSING else value
        if subject == "param":
            return state["ctx"].get("params", {}).get(name, MISSING)
        value = state["ctx"].get(subject)
        return MISSING if value is None else value

    def may_record(self) -> bool:
        return not self.root.requires_consent or self.state["consent"] is True

    # -- walking -----------------------------------------------------------

    def run(self) -> None:
        """Visit states until one waits for an answer or the conversation ends."""
        state = self.state
        while True:
            self.steps += 1
            if self.steps > self.options.max_steps:
                self.fail("step-budget")
                return
            flow_id, name = state["at"]
            if name is None:
                if state["stack"]:
                    state["at"] = state["stack"].pop()
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
                state["at"] = [flow_id, node.next]
            elif isinstance(node, BranchNode):
                state["at"] = [flow_id, node.pick(self.lookup)]
            elif isinstance(node, SubflowNode):
                self.enter(node.flow, [flow_id, node.next])
            else:  # EndNode
                for key in node.say:
                    self.say(key, flow_id)
                if node.status or not state["stack"]:
                    self.finish(node.status or "complete")
                    return
                state["at"] = state["stack"].pop()

    def enter(self, flow_id: str, return_to: list) -> None:
        """Play another flow, coming back to ``return_to`` when it ends."""
        sub = self.root.flow(flow_id)
        self.state["stack"].append(return_to)
        self.state["at"] = [sub.id, sub.start]
        self.event("flow_entered", flow=sub.id, version=sub.version)
        if sub.age_band:
            # A flow written for an age band is the survey being answered, and
            # the band it is written for is the young person's (even after "back"
            # took them to a different one).
            ctx = self.state["ctx"]
            ctx["survey"] = sub.survey
            if ctx.get("age_band") != sub.age_band:
                ctx["age_band"] = sub.age_band
                self.event("context_set", field="age_band", value=sub.age_band)

    def progress(self, node: QuestionNode) -> tuple[int, int] | None:
        """("question n of total"): answered so far, plus what lies ahead on this path."""
        if not node.counted:
            return None
        n = self.state["n"] + 1
        return n, n + self.remaining(node)

    def unanswered(self, key: str) -> bool:
        return key not in self.state["answers"] and key not in self.state["vars"]

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
        stack = self.state["stack"]
        key = ("remaining", node.flow_id, node.name, tuple(map(tuple, stack)) if stack else ())
        known = self.root.cache.get(key)
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

    def _walk_remaining(self, node: QuestionNode, decisions: list) -> int:
        at = [node.flow_id, node.next]
        stack = [list(f) for f in self.state["stack"]]
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
                    at = [flow.id, target]
                    continue
                count += longest(self.root, flow.id, name)
            elif isinstance(current, SubflowNode):
                stack.append([flow.id, current.next])
                sub = self.root.flow(current.flow)
                at = [sub.id, sub.start]
                continue
            elif current is not None and current.status:  # an end that ends everything
                break
            if not stack:
                break
            at = stack.pop()
        return count

    def ask(self, node: QuestionNode, offer_skip: bool = False) -> None:
        self.state["at"] = [node.flow_id, node.name]
        self.replies.append(question_reply(self.root, node, self.state, self.progress(node),
                                           offer_skip, self.options.max_answer_chars))

    # -- ending ------------------------------------------------------------

    def clear_answers(self) -> None:
        state = self.state
        state["answers"], state["vars"], state["history"], state["n"] = {}, {}, [], 0

    def finish(self, status: str) -> None:
        state = self.state
        if state["consent"] is False:
            status = "declined"
            self.clear_answers()
        state["status"], state["at"], state["stack"] = status, None, []
        if not self.replies:
            self.say("system:ended")  # a flow that ends without a word still says goodbye
        self.event("finished", status=status)

    def fail(self, reason: str) -> None:
        self.say("system:failed", kind="notice")
        self.state["status"], self.state["at"], self.state["stack"] = "failed", None, []
        self.event("error", reason=reason)
        self.event("finished", status="failed")

    # -- what the young person sent ------------------------------------------

    def command(self, command: str, node: QuestionNode) -> None:
        state = self.state
        if command == "stop":
            self.clear_answers()
            state["status"], state["at"], state["stack"] = "withdrawn", None, []
            self.say("system:withdrawn")
            self.event("withdrawn")
            self.event("finished", status="withdrawn")
        elif command == "restart":
            self.clear_answers()
            state["consent"], state["retries"], state["signposted"] = None, 0, False
            state["stack"], state["at"] = [], [self.root.id, self.root.start]
            self.event("restarted")
            self.say("system:restarted")
            self.run()
        elif command == "help":
            self.event("help", key=node.key)
            help_key = node.help or "system:help"
            self.say(help_key, node.flow_id)
            self.ask(node)
        elif command == "back":
            self.back(node)
        elif command == "support":
            if not self.signpost("asked", node, [node.flow_id, node.name]):
                self.say("system:help", node.flow_id)
                self.ask(node)
                return
            self.run()
        elif node.ask == "consent":
            self.invalid(node, "consent", None)
        else:
            self.keep(node, None)

    def back(self, node: QuestionNode) -> None:
        state = self.state
        if not state["history"]:
            self.say("system:back.first", kind="notice")
            self.ask(node)
            return
        flow_id, name, stack = state["history"].pop()
        previous = self.root.flow(flow_id).nodes[name]
        state["answers"].pop(previous.key, None)
        state["n"] -= previous.counted
        state["stack"] = [list(f) for f in stack]
        state["retries"] = 0
        self.event("answer_undone", key=previous.key)
        self.ask(previous)

    def invalid(self, node: QuestionNode, hint: str, text: str | None) -> None:
        state = self.state
        state["retries"] += 1
        self.event("invalid", key=node.key, attempt=state["retries"])
        harm = bool(text) and self.options.detect_harm(text, state["ctx"]["locale"])
        # Offer help first, then come back to the same question.
        if harm and self.signpost("harm", node, [node.flow_id, node.name]):
            self.run()
            return
        values = {"count": len(node.options), "min": node.min, "max": node.max}
        self.say("system:invalid", kind="notice")
        self.say(f"system:hint.{hint}", kind="notice", values=values)
        self.ask(node, offer_skip=state["retries"] >= 2)

    def answer(self, node: QuestionNode, text: str | None, value: Any) -> None:
        locale, cap = self.state["ctx"]["locale"], self.options.max_answer_chars
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
            self.consent(node, parsed == "yes")
            return
        given = value if isinstance(value, str) else text
        if node.ask == "text" and given and len(given.strip()) > len(parsed):
            self.event("truncated", key=node.key, kept=len(parsed))
            self.say("system:truncated", kind="notice", values={"max": len(parsed)})
        self.keep(node, parsed)

    def consent(self, node: QuestionNode, given: bool) -> None:
        state = self.state
        state["consent"], state["retries"] = given, 0
        self.event("consent", given=given)
        state["at"] = [node.flow_id, node.next if given else node.declined]
        self.run()

    def keep(self, node: QuestionNode, value: Any) -> None:
        """Record an answer (None = skipped) and move on, offering help if it calls for it."""
        state = self.state
        state["retries"] = 0
        if node.sets and value is not None:
            state["ctx"][node.sets] = value
            self.event("context_set", field=node.sets, value=value)
        if node.key and node.record and self.may_record():
            state["answers"][node.key] = value
            state["history"].append([node.flow_id, node.name, [list(f) for f in state["stack"]]])
            state["n"] += node.counted
            if value is None:
                self.event("skipped", key=node.key, flow=node.flow_id)
            else:
                self.event("answer", key=node.key, value=value, flow=node.flow_id,
                           core=node.core)
        elif node.key and value is not None:
            state["vars"][node.key] = value
        reason = None
        if value is not None:
            if node.ask == "text" and self.options.detect_harm(value, state["ctx"]["locale"]):
                reason = "harm"
            elif node.signpost_if is not None and node.signpost_if(lambda s, n: value):
                reason = "answer"
        state["at"] = [node.flow_id, node.next]
        if reason:
            self.signpost(reason, node, [node.flow_id, node.next])
        self.run()

    def signpost(self, reason: str, node: QuestionNode, return_to: list) -> bool:
        """Offer help now; True if the signpost flow was entered."""
        state = self.state
        self.event("signpost", reason=reason, key=node.key)
        flow_id = self.root.flow(node.flow_id).signpost or self.root.signpost
        inside = flow_id is not None and (
            node.flow_id == flow_id or any(frame[0] == flow_id for frame in state["stack"]))
        if flow_id is None or inside:
            return False
        if reason == "answer" and state["signposted"]:
            self.say("system:signpost.again", kind="notice")
            return False
        state["signposted"] = True
        self.enter(flow_id, return_to)
        return True


def longest(root: Flow, flow_id: str, name: str | None, visiting: frozenset = frozenset()) -> int:
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


def _new_state(flow: Flow, channel: str, locale: str, country: str | None,
               age_band: str | None, params: dict | None) -> dict:
    return {
        "v": STATE_FORMAT, "flow": flow.id, "version": flow.version, "status": ACTIVE,
        "at": [flow.id, flow.start], "stack": [], "answers": {}, "vars": {}, "history": [],
        "n": 0, "consent": None, "retries": 0, "signposted": False, "turns": 0,
        "ctx": {"channel": channel, "locale": locale, "country": country,
                "age_band": age_band or flow.age_band, "survey": flow.survey,
                "params": dict(params or {})},
    }


def start(flow: Flow, *, channel: str = "web", locale: str | None = None,
          country: str | None = None, age_band: str | None = None,
          params: dict | None = None,
          options: Options = DEFAULT_OPTIONS) -> tuple[dict, list[dict], list[dict]]:
    """Begin a conversation on ``flow``: the first state, replies and events."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if locale not in flow.locales:
        locale = flow.locales[0]
    state = _new_state(flow, channel, locale, country, age_band, params)
    turn = _Turn(flow, state, options)
    turn.event("started", flow=flow.id, version=flow.version, channel=channel, locale=locale)
    turn.run()
    return turn.state, turn.replies, turn.events


def _read_inbound(inbound: Any, max_chars: int) -> tuple[str | None, Any, str | None]:
    """(text, structured value, command) from a message in any of its forms."""
    if isinstance(inbound, dict):
        if isinstance(inbound.get("command"), str):
            return None, MISSING, inbound["command"]
        if "value" in inbound:
            return None, inbound["value"], None
        inbound = inbound.get("text")
    if inbound is None:
        return "", MISSING, None
    text = str(inbound)[:max_chars]
    if not text.isascii():  # a garbled message: keep what can be read, drop what cannot be sent
        text = _LONE_SURROGATE.sub("\ufffd", text)
    return text, MISSING, None


def check_state(flow: Flow, state: Any) -> QuestionNode | None:
    """Raise StateError unless ``state`` is a conversation state of this flow version.

    Returns the question an active conversation waits at (None once it has ended).
    """
    if not isinstance(state, dict) or not state.keys() >= _STATE_FIELDS:
        raise StateError("not a conversation state")
    if state["flow"] != flow.id or state["version"] != flow.version:
        raise StateError(f"this conversation is on flow {state['flow']} version "
                         f"{state['version']}, not {flow.id} version {flow.version}")
    at = state["at"]
    if state["status"] == ACTIVE:
        try:
            node = flow.flow(at[0]).nodes[at[1]]
        except (KeyError, TypeError, IndexError):
            raise StateError(f"the conversation waits at {at!r}, which is not in this flow"
                             ) from None
        if not isinstance(node, QuestionNode):
            raise StateError(f"the conversation waits at {at!r}, which is not a question")
        return node
    return None


def advance(flow: Flow, state: dict, inbound: Any,
            options: Options = DEFAULT_OPTIONS) -> tuple[dict, list[dict], list[dict]]:
    """Take one inbound message: the next state, the replies and the events.

    ``inbound`` is the text typed (``str``), or from the web widget
    ``{"value": ...}`` for a tapped answer or ``{"command": "skip"}``.
    """
    node = check_state(flow, state)
    state = _copy(state)
    turn = _Turn(flow, state, options)
    if node is None:  # the conversation has ended
        turn.say("system:ended", kind="notice")
        return state, turn.replies, turn.events
    state["turns"] += 1
    if state["turns"] > options.max_turns:
        turn.fail("turn-budget")
        return state, turn.replies, turn.events
    text, value, command = _read_inbound(inbound, options.max_inbound_chars)
    if command is None and text is not None:
        command = match_command(flow, flow.texts, state["ctx"]["locale"], text)
    if command in COMMANDS:
        turn.command(command, node)
    else:
        turn.answer(node, text, value)
    return state, turn.replies, turn.events


def transcript(flow: Flow, state: dict) -> dict:
    """What a conversation leaves to be stored: answers with what each question was."""
    questions = questions_by_key(flow)
    answers = state["answers"]
    ctx = state["ctx"]
    return {
        "flow": state["flow"], "version": state["version"],
        "survey": ctx.get("survey", flow.survey),
        "status": state["status"], "consent": state["consent"],
        "channel": ctx["channel"], "locale": ctx["locale"], "country": ctx.get("country"),
        "age_band": ctx.get("age_band"),
        "answers": {k: v for k, v in answers.items() if v is not None},
        "skipped": [k for k, v in answers.items() if v is None],
        "questions": {
            k: {"ask": questions[k].ask, "flow": questions[k].flow_id, "core": questions[k].core,
                "sensitive": questions[k].sensitive, "personal": questions[k].personal}
            for k in answers if k in questions
        },
    }
