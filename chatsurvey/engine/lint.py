"""`flows check`: everything worth telling an analyst about a flow.

Errors stop a flow from being published; warnings are worth a look: each
says what an author or a translator can change. Besides the checks, each
flow gets figures an analyst plans with: how many questions, about how long
it takes, reading age against its target, how many SMS segments each message
costs, and how complete each translation is.

An SMS message is warned about when it needs more segments than the encoding
its letters need allows for about 160 characters (SMS_WARN_SEGMENTS): a
translation is not blamed for its alphabet, only for its length. Reading is
measured in English only: a reading age for prose, hard words for answer
labels (readability.py); wording kept verbatim for a national survey and
messages written in two languages at once are not held to the target.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from . import sms
from .catalogue import Catalogue, context, system_messages
from .library import FlowLibrary
from .model import (
    BranchNode,
    EndNode,
    Flow,
    Message,
    MessageNode,
    Node,
    QuestionNode,
    SubflowNode,
)
from .problems import ERROR, INFO, WARNING, Problem
from .readability import hard_words, reading_age
from .render import placeholders, question_reply, sms_options, text_reply
from .source import is_mapping
from .state import Context, State, frozen, new_state

SMS_WARN_SEGMENTS = {"GSM-7": 1, "UCS-2": 2}
"""Segments a message may take before `flows check` warns, by the encoding its letters need.

The budget is what a young person reads at a glance: about 160 characters,
one GSM-7 segment. A language whose letters are not all in GSM-7 (Arabic,
Vietnamese, Albanian's "ë") is sent as UCS-2, 70 characters a segment, so the
same 160 characters take three; the nearest budget under that is two (134
characters). A message needing more than its budget is worth shortening; the
share of one-segment messages per locale is in the figures, not the warnings.
"""
SMS_ERROR_SEGMENTS = 3
CONTACTS = "contacts"
"""The flow that chooses support contacts by country and age band (every band needs a case)."""
_DIGITS = re.compile(r"\d[\d ]{2,}\d")
_PIPED = "x" * 15  # stands in for a piped answer when measuring SMS length

# Seconds: reading at about 150 words a minute, then answering.
_READ_SECONDS_PER_WORD = 0.4
_ANSWER_SECONDS = {"text": 30, "multi": 10}
_DEFAULT_ANSWER_SECONDS = 5


@dataclass
class FlowReport:
    """What `flows check` found and measured for one flow."""

    flow_id: str
    source: str
    version: int | None = None
    title: str = ""
    problems: list[Problem] = field(default_factory=list[Problem])
    questions: int = 0
    minutes: float = 0.0
    reading: dict[str, Any] = field(default_factory=dict[str, Any])
    sms: dict[str, Any] = field(default_factory=dict[str, Any])
    translations: dict[str, dict[str, Any]] = field(default_factory=dict[str, dict[str, Any]])

    def add(self, level: str, code: str, message: str, node: Node | None = None,
            field_name: str | None = None, locale: str | None = None,
            line: int | None = None) -> None:
        self.problems.append(Problem(level, code, message, self.source,
                                     line if line is not None else (node.line if node else None),
                                     node.name if node else None, field_name, locale))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for `flows check --json`."""
        return {
            "flow": self.flow_id, "source": self.source, "version": self.version,
            "title": self.title, "questions": self.questions, "minutes": self.minutes,
            "reading": self.reading, "sms": self.sms, "translations": self.translations,
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass
class CheckResult:
    """Reports for every flow checked, plus problems not tied to one working flow."""

    reports: list[FlowReport]
    problems: list[Problem]

    def all_problems(self) -> list[Problem]:
        out = list(self.problems)
        for report in self.reports:
            out.extend(report.problems)
        return out

    def count(self, level: str) -> int:
        return sum(1 for p in self.all_problems() if p.level == level)


def edges(node: Node) -> list[str | None]:
    """Where a node can lead, in the order its fields list them (None: not set)."""
    if isinstance(node, BranchNode):
        return [*(t for _, t in node.cases), node.otherwise]
    if isinstance(node, EndNode):
        return []
    if isinstance(node, QuestionNode) and node.declined:
        return [node.next, node.declined]
    return [node.next]


def _reachable(flow: Flow, stop_at: Callable[[Node], bool] | None = None) -> list[str]:
    """States reachable from start, in visiting order, not walking past ``stop_at`` states."""
    seen: dict[str, None] = {}
    pending = [flow.start]
    while pending:
        name = pending.pop()
        if name in seen or name not in flow.nodes:
            continue
        seen[name] = None
        node = flow.nodes[name]
        if stop_at is not None and stop_at(node):
            continue
        pending.extend(reversed([t for t in edges(node) if t]))
    return list(seen)


def _strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Groups of states that lead to each other (Tarjan's algorithm), self-loops included."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                groups.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    return groups


def _loops_without_input(flow: Flow) -> list[list[str]]:
    """Cycles made only of states that never wait for an answer."""
    def waits(node: Node) -> bool:
        if isinstance(node, QuestionNode):
            return True
        if isinstance(node, SubflowNode) and node.flow in flow.bundle:
            return bool(flow.flow(node.flow).questions())
        return False

    graph = {name: [t for t in edges(n) if t in flow.nodes and not waits(flow.nodes[t])]
             for name, n in flow.nodes.items() if not waits(n)}
    return _strongly_connected(graph)


def _structure(flow: Flow, report: FlowReport) -> None:
    _paths(flow, report)
    _skipped(flow, report)
    _questions(flow, report)
    _unused_messages(flow, report)
    if flow.requires_consent:
        _consent(flow, report)


def _paths(flow: Flow, report: FlowReport) -> None:
    """States no path reaches, states the flow stops after, and loops that ask nothing."""
    reachable = set(_reachable(flow))
    for name, node in flow.nodes.items():
        if name not in reachable:
            report.add(WARNING, "unreachable", "no path leads here from the start", node)
        elif not isinstance(node, BranchNode | EndNode) and node.next is None:
            report.add(WARNING, "dead-end", "the flow stops after this state without an end"
                       " state; add next: or an end state", node)
    for loop in _loops_without_input(flow):
        first = flow.nodes[loop[0]]
        report.add(ERROR, "loop", "these states go round in a loop without asking anything: "
                   + " -> ".join(loop), first)


def _slots(flow: Flow) -> set[str]:
    """The states that are slots for councils' local questions."""
    data = flow.doc.data if flow.doc else None
    states: dict[str, Any] = (data.get("states") if is_mapping(data) else None) or {}
    return {name for name, spec in states.items()
            if is_mapping(spec) and spec.get("type") == "local"}


def _run_start(flow: Flow, name: str, into: dict[str, list[str]]) -> str:
    """The first state of the run of states that ends at ``name``, each the only way into
    the next (a branch's own follow-up questions are such a run, starting at its target)."""
    seen = {name}
    while len(into.get(name, [])) == 1 and into[name][0] not in seen and not isinstance(
            flow.nodes[into[name][0]], BranchNode):
        name = into[name][0]
        seen.add(name)
    return name


def _route(branch: BranchNode, target: str) -> str:
    cases = [str(i + 1) for i, (_, t) in enumerate(branch.cases) if t == target]
    if cases:
        return f"case {' or '.join(cases)} of branch '{branch.name}'"
    return f"branch '{branch.name}' (otherwise)"


def _skipped(flow: Flow, report: FlowReport) -> None:
    """States a route goes past: another state or a branch goes straight to where they lead.

    A branch's own follow-up questions (a run starting at one of its targets) are
    skipped on purpose; anything else written to come "just before" a state that
    a branch also jumps to is missed by that route, and a council's slot is
    never played on a route that goes past it.
    """
    reachable = set(_reachable(flow))
    into: dict[str, list[str]] = {}
    for name in reachable:
        for target in dict.fromkeys(edges(flow.nodes[name])):
            if target:
                into.setdefault(target, []).append(name)
    for name in _slots(flow) & reachable:
        node = flow.nodes[name]
        past = sorted(p for p in into.get(node.next or "", []) if p != name)
        if past:
            report.add(WARNING, "skipped", f"this slot for councils' local questions is skipped"
                       f" on some routes: {', '.join(repr(p) for p in past)} go"
                       f"{'es' if len(past) == 1 else ''} straight to '{node.next}'; send them"
                       f" to '{name}' instead", node)
    for branch in (n for n in flow.nodes.values() if isinstance(n, BranchNode)):
        if branch.name not in reachable:
            continue
        targets = branch.targets()
        for target in targets:
            for before in into.get(target, []):
                node = flow.nodes[before]
                if isinstance(node, BranchNode) or before in _slots(flow) or _run_start(
                        flow, before, into) in targets:
                    continue
                report.add(WARNING, "skipped", f"'{before}' leads to '{target}', but"
                           f" {_route(branch, target)} goes straight there: this state is"
                           " skipped on that route", node)


def _questions(flow: Flow, report: FlowReport) -> None:
    """Every recorded question has its own key; signposting needs a signpost flow."""
    keys: dict[str, QuestionNode] = {}
    for node in flow.questions():
        if node.key and node.record:
            if node.key in keys:
                report.add(ERROR, "duplicate-key", f"the key '{node.key}' is also used by state"
                           f" '{keys[node.key].name}'; every question needs its own key",
                           node, "key")
            keys.setdefault(node.key, node)
        if node.signpost_if is not None and not flow.signpost:
            report.add(WARNING, "signpost", "signpost_if is set but the flow names no signpost"
                       " flow to offer help with (add signpost: at the top)", node,
                       "signpost_if")


def _used_messages(flow: Flow) -> set[str]:
    used: set[str] = set()
    for node in flow.nodes.values():
        for attr in ("say", "prompt", "help", "min_label", "max_label"):
            value = getattr(node, attr, None)
            keys = cast(tuple[str | None, ...], value if isinstance(value, tuple) else (value,))
            used.update(key.partition(":")[2] for key in keys if key)
        used.update(option.label.partition(":")[2] for option in getattr(node, "options", ())
                    if option.label.startswith(f"{flow.id}:"))
    return used


def _unused_messages(flow: Flow, report: FlowReport) -> None:
    used = _used_messages(flow)
    for key in flow.messages:
        if key not in used:
            report.add(WARNING, "unused-message", f"message '{key}' is never used",
                       field_name=f"messages.{key}",
                       line=flow.doc.line_of(("messages", key)) if flow.doc else None)


def _consent(flow: Flow, report: FlowReport) -> None:
    consent = [n for n in flow.questions() if n.ask == "consent"]
    if not consent:
        report.add(ERROR, "consent", "requires_consent is true but no question asks for consent",
                   line=flow.doc.line_of(("requires_consent",)) if flow.doc else None)
        return
    before = _reachable(flow, stop_at=lambda n: isinstance(n, QuestionNode) and n.ask == "consent")
    for name in before:
        node = flow.nodes[name]
        if isinstance(node, QuestionNode) and node.ask != "consent" and node.record and node.key:
            report.add(ERROR, "consent", "this question can be asked before consent is given",
                       node)
        if isinstance(node, SubflowNode):
            report.add(WARNING, "consent", "this sub-flow can start before consent is given",
                       node)


def _fake_state(flow: Flow, locale: str, channel: str) -> State:
    keys = {n.key for f in (flow.bundle.values() or [flow]) for n in f.questions() if n.key}
    params: dict[str, Any] = {}
    for message in flow.messages.values():
        for text in (message.text, message.sms or "", message.web or ""):
            for name in placeholders(text):
                if name.startswith("param."):
                    params[name[6:]] = _PIPED
    return replace(new_state(flow, Context(channel, locale, params=frozen(params))),
                   answers=frozen(dict.fromkeys(keys, _PIPED)))


def _sms_advice(flow: Flow, node: Node, locale: str) -> str:
    """What would shorten a message that is over its SMS budget."""
    if isinstance(node, QuestionNode) and node.options:
        texts = flow.flow(node.flow_id).texts
        lines = sms_options([o.value if node.ask == "faces" else str(i)
                             for i, o in enumerate(node.options, start=1)],
                            [texts.text(o.label, locale, "sms") for o in node.options])
        text = sms.plain_punctuation("\n".join(lines))
        if (parts := sms.segments(text)) > SMS_WARN_SEGMENTS.get(sms.encoding(text), 1):
            return f"Its {len(lines)} answers alone take {parts}: ask fewer, or shorten them"
    if locale == flow.source_locale:
        return "Shorten it, or add a shorter sms: wording"
    return "Shorten its translation"


def _sms(flow: Flow, report: FlowReport) -> None:
    counted = sum(1 for n in flow.questions() if n.counted)
    by_locale: dict[str, dict[str, Any]] = {}
    for locale in flow.locales:
        state = _fake_state(flow, locale, "sms")
        one, total, worst = 0, 0, 0
        for node in flow.nodes.values():
            if isinstance(node, QuestionNode):
                progress = (counted, counted) if node.counted else None
                replies = [question_reply(flow, node, state, progress, False, 1000)]
            elif isinstance(node, MessageNode | EndNode):
                replies = [text_reply(flow, flow.texts, key, state) for key in node.say]
            else:
                continue
            for reply in replies:
                segments = reply.segments or 0
                total += 1
                one += segments <= 1
                worst = max(worst, segments)
                if segments > SMS_ERROR_SEGMENTS:
                    report.add(ERROR, "sms-length", f"by SMS this is {segments} segments"
                               f" ({reply.encoding}); the most allowed is"
                               f" {SMS_ERROR_SEGMENTS}. Add a shorter sms: wording", node,
                               locale=locale)
                elif segments > (allowed := SMS_WARN_SEGMENTS.get(reply.encoding or "", 1)) \
                        and reply.lang == locale:  # not the source's words again, untranslated
                    report.add(WARNING, "sms-length", f"by SMS this is {segments} segments"
                               f" ({reply.encoding}); a message in {reply.encoding} should"
                               f" take at most {allowed}. {_sms_advice(flow, node, locale)}",
                               node, locale=locale)
        by_locale[locale] = {"messages": total, "one_segment": one, "max_segments": worst,
                             "one_segment_share": round(one / total, 3) if total else 1.0}
    figures = list(by_locale.values())
    total = sum(f["messages"] for f in figures)
    one = sum(f["one_segment"] for f in figures)
    report.sms = {"messages": total, "one_segment": one,
                  "max_segments": max((f["max_segments"] for f in figures), default=0),
                  "one_segment_share": round(one / total, 3) if total else 1.0,
                  "by_locale": by_locale}


def _labels(flow: Flow) -> set[str]:
    """Messages used only as answer labels (options, and the ends of a scale)."""
    labels: set[str] = set()
    other: set[str] = set()
    for node in flow.nodes.values():
        if isinstance(node, QuestionNode):
            keys = [o.label for o in node.options] + [node.min_label or "", node.max_label or ""]
            labels.update(k.partition(":")[2] for k in keys if k.startswith(f"{flow.id}:"))
            other.update(k.partition(":")[2] for k in (node.prompt, node.help or "") if k)
        elif isinstance(node, MessageNode | EndNode):
            other.update(k.partition(":")[2] for k in node.say if k)
    return labels - other


def _reading(flow: Flow, report: FlowReport) -> None:
    """Reading age of each English message against the flow's target.

    Prose gets a reading age; an answer label, or a text too short to grade,
    is checked for hard words instead (see readability). Wording kept word
    for word for comparison with a national survey (``verbatim``) is measured
    apart and named, not warned about: simplifying it would break the
    comparison it is kept for. A message written in two languages at once
    (``bilingual``, the question that asks which one to use) is not measured:
    the English measures are meaningless on Welsh or Gaelic words.
    """
    if flow.source_locale != "en":
        return
    target = flow.reading_age
    labels = _labels(flow)
    measured: dict[str, float] = {}
    verbatim: dict[str, float] = {}
    for key, message in flow.messages.items():
        if message.bilingual:
            continue
        line = flow.doc.line_of(("messages", key)) if flow.doc else None
        for variant, text in (("text", message.text), ("sms", message.sms), ("web", message.web)):
            age = reading_age(text) if text and key not in labels else None
            hard = hard_words(text) if text and age is None else []
            if hard and target is not None and not message.verbatim:
                report.add(WARNING, "reading-age", f"{', '.join(hard)}: hard to read at age"
                           f" {target}, which this flow aims for. Try a shorter, everyday word",
                           field_name=f"messages.{key}", line=line)
            if age is None:
                continue
            label = key if variant == "text" else f"{key}#{variant}"
            (verbatim if message.verbatim else measured)[label] = age
            if target is not None and age > target and not message.verbatim:
                report.add(WARNING, "reading-age", f"reads at about age {age:g}; this flow"
                           f" aims for {target}. Try shorter words and sentences",
                           field_name=f"messages.{key}", line=line)
    kept = [f"{key} ({m.verbatim})" for key, m in flow.messages.items() if m.verbatim]
    if kept:
        report.add(INFO, "verbatim", "kept verbatim for comparability, not held to the reading"
                   " age: " + ", ".join(kept))
    ages = list(measured.values())
    report.reading = {
        "target": target, "measured": len(ages),
        "at_or_below_target": sum(1 for a in ages if target is None or a <= target),
        "highest": max(ages) if ages else None,
        "average": round(sum(ages) / len(ages), 1) if ages else None,
        "by_message": measured, "verbatim": verbatim,
    }


def _entries(owner: str, messages: Mapping[str, Message]) -> Iterable[tuple[str, str, str]]:
    """(message key, msgctxt, source text) for every translatable entry."""
    for key, message in messages.items():
        yield key, context(owner, key), message.text
        for variant in ("sms", "web"):
            text = getattr(message, variant)
            if text:
                yield key, context(owner, key, variant), text
        if message.synonyms:
            yield key, context(owner, key, "synonyms"), "|".join(message.synonyms)


def translation_status(owner: str, messages: Mapping[str, Message], locales: Iterable[str],
                       catalogue: Catalogue) -> dict[str, dict[str, Any]]:
    """Per locale: how many entries are translated, awaiting review, outdated or missing."""
    out: dict[str, dict[str, Any]] = {}
    for locale in locales:
        counts = {"translated": 0, "fuzzy": 0, "outdated": 0, "missing": 0}
        missing: list[str] = []
        for _key, ctx, source in _entries(owner, messages):
            status = catalogue.status(locale, ctx, source)
            counts[status] += 1
            if status in ("missing", "outdated"):
                missing.append(ctx.partition(":")[2])
        total = sum(counts.values())
        done = counts["translated"] + counts["fuzzy"]
        out[locale] = {**counts, "total": total,
                       "complete": round(done / total, 3) if total else 1.0,
                       "untranslated": missing}
    return out


def _translations(flow: Flow, report: FlowReport, catalogue: Catalogue) -> None:
    locales = [loc for loc in flow.locales if loc != flow.source_locale]
    report.translations = translation_status(flow.id, flow.messages, locales, catalogue)
    for locale, status in report.translations.items():
        if status["untranslated"]:
            shown = ", ".join(status["untranslated"][:5])
            more = len(status["untranslated"]) - 5
            report.add(WARNING, "translation", f"{len(status['untranslated'])} of"
                       f" {status['total']} messages have no current translation ({shown}"
                       + (f" and {more} more" if more > 0 else "") + ")", locale=locale)
        for key, ctx, source in _entries(flow.id, flow.messages):
            translated = catalogue.translate(locale, ctx, source)
            if translated is None or ctx.endswith("#synonyms"):
                continue
            line = flow.doc.line_of(("messages", key)) if flow.doc else None
            if sorted(placeholders(translated)) != sorted(placeholders(source)):
                report.add(ERROR, "translation", f"the translation of '{key}' must keep the"
                           f" same {{placeholders}} as the source: {placeholders(source)}",
                           field_name=f"messages.{key}", locale=locale, line=line)
            numbers = [n.replace(" ", "") for n in _DIGITS.findall(source)]
            kept = translated.replace(" ", "")
            lost = [n for n in numbers if n not in kept]
            if lost:
                report.add(ERROR, "translation", f"the translation of '{key}' is missing the"
                           f" number(s) {', '.join(lost)}", field_name=f"messages.{key}",
                           locale=locale, line=line)


def _time(flow: Flow, report: FlowReport) -> None:
    seconds = 0.0
    for node in flow.nodes.values():
        keys: tuple[Any, ...] = ()
        if isinstance(node, QuestionNode):
            keys = (node.prompt,) + tuple(o.label for o in node.options)
            seconds += _ANSWER_SECONDS.get(node.ask, _DEFAULT_ANSWER_SECONDS)
        elif isinstance(node, MessageNode | EndNode):
            keys = node.say
        for key in keys:
            words = len(flow.texts.text(key, flow.source_locale, "web").split())
            seconds += words * _READ_SECONDS_PER_WORD
    report.questions = sum(1 for n in flow.questions() if n.counted)
    report.minutes = round(seconds / 60, 1)
    report.add(INFO, "size", f"{report.questions} questions, about {report.minutes:g} minutes")


def _comparable(library: FlowLibrary) -> list[Problem]:
    """The same answer key must mean the same question everywhere, or benchmarks break."""
    seen: dict[str, tuple[Flow, QuestionNode, tuple[Any, ...]]] = {}
    problems: list[Problem] = []
    # flows only shared to resolve come first, so a clash is said about a checked flow
    for flow in sorted(library.flows.values(), key=lambda f: f.id not in library.shared):
        for node in flow.questions():
            if not (node.key and node.record):
                continue
            shape = (node.ask, node.scale, tuple(o.value for o in node.options), node.min,
                     node.max)
            if node.key not in seen:
                seen[node.key] = (flow, node, shape)
                continue
            other_flow, other, other_shape = seen[node.key]
            if other_flow is flow:
                continue
            if shape != other_shape:
                problems.append(Problem(
                    ERROR, "comparability", f"key '{node.key}' is asked differently in flow"
                    f" '{other_flow.id}' (state '{other.name}'); the same key must have the same"
                    " type and answers everywhere so results stay comparable",
                    str(library.files.get(flow.id, "")), node.line, node.name, "key"))
            elif node.core != other.core:
                problems.append(Problem(
                    WARNING, "comparability", f"key '{node.key}' is core in one flow but not in"
                    f" '{other_flow.id}'", str(library.files.get(flow.id, "")), node.line,
                    node.name, "core"))
    return problems


def _bands_named(spec: Any) -> set[str]:
    """Every age band a document's conditions name (``age_band: 8-11`` or a list)."""
    found: set[str] = set()
    if is_mapping(spec):
        for key, value in spec.items():
            if key == "age_band" and isinstance(value, str | list):
                found |= {value} if isinstance(value, str) else {v for v in cast(list[Any], value)
                                                                  if isinstance(v, str)}
            else:
                found |= _bands_named(value)
    elif isinstance(spec, list):
        for item in cast(list[Any], spec):
            found |= _bands_named(item)
    return found


def _contacts_bands(library: FlowLibrary) -> list[Problem]:
    """Every age band a flow has or sets is one the contacts flow chooses contacts for."""
    contacts = library.flows.get(CONTACTS)
    if contacts is None or contacts.doc is None:
        return []
    known = _bands_named(contacts.doc.data.get("states"))
    problems: list[Problem] = []
    for flow in library.flows.values():
        bands = {flow.age_band} if flow.age_band else set[str]()
        bands |= {o.value for n in flow.questions() if n.sets == "age_band" for o in n.options}
        for band in sorted(bands - known):
            problems.append(Problem(
                WARNING, "age-band", f"age band '{band}' is unknown to the '{CONTACTS}' flow, "
                f"so young people aged {band} are given the contacts for an unknown age; add a"
                f" case for {band} to {CONTACTS}", str(library.files.get(flow.id, "")),
                flow.doc.line_of(("age_band",)) if flow.doc else None, None, "age_band"))
    return problems


def _subflow_cycles(library: FlowLibrary) -> list[Problem]:
    problems: list[Problem] = []
    for flow in library.flows.values():
        for node in flow.nodes.values():
            if not isinstance(node, SubflowNode) or node.flow not in library.flows:
                continue
            # Does the entered flow lead back to this one?
            pending, seen = [node.flow], set[str]()
            while pending:
                current = pending.pop()
                if current == flow.id:
                    problems.append(Problem(
                        ERROR, "loop", f"flow '{node.flow}' leads back into '{flow.id}', so the"
                        " conversation could nest forever", str(library.files.get(flow.id, "")),
                        node.line, node.name, "flow"))
                    break
                if current in seen or current not in library.flows:
                    continue
                seen.add(current)
                pending.extend(n.flow for n in library.flows[current].nodes.values()
                               if isinstance(n, SubflowNode))
    return problems


def check_flow(flow: Flow, catalogue: Catalogue, source: str = "") -> FlowReport:
    """Every check and figure for one compiled, linked flow."""
    report = FlowReport(flow.id, source or (flow.doc.source if flow.doc else ""),
                        flow.version, flow.title)
    _structure(flow, report)
    _time(flow, report)
    _sms(flow, report)
    _reading(flow, report)
    _translations(flow, report, catalogue)
    return report


def check_library(library: FlowLibrary) -> CheckResult:
    """Check every flow of a library (not those it only shares), and what shows across flows."""
    checked = [f for f in library.flows.values() if f.id not in library.shared]
    reports = [check_flow(flow, library.catalogue, str(library.files[flow.id]))
               for flow in checked]
    ours = {str(library.files[f.id]) for f in checked}
    across = [p for p in _comparable(library) + _subflow_cycles(library)
              + _contacts_bands(library) if not library.shared or p.source in ours]
    problems = list(library.problems) + across
    locales = sorted({loc for f in checked for loc in f.locales if loc != "en"})
    system = FlowReport("system", "chatsurvey/engine/system_messages.yaml")
    system.translations = translation_status("system", system_messages(), locales,
                                             library.catalogue)
    for locale, status in system.translations.items():
        if status["untranslated"]:
            system.add(WARNING, "translation", f"{len(status['untranslated'])} of"
                       f" {status['total']} built-in messages have no current translation",
                       locale=locale)
    if locales:
        reports.append(system)
    return CheckResult(reports, problems)


def check_paths(paths: Iterable[str | Path], locales: str | Path | None = None,
                shared: Iterable[str | Path] = ()) -> CheckResult:
    """Load and check the flows under ``paths``; flows they enter may come from ``shared``."""
    return check_library(FlowLibrary.load(paths, locales, shared))
