"""What the engine says, shaped for each channel.

Web replies carry structure (buttons, faces, progress) for the widget to
draw. SMS replies are one plain text each: numbered options, GSM-7-safe
punctuation, and the number of segments it will cost. WhatsApp replies are
worded and shaped exactly as SMS ones (its buttons need a template approved
in advance, numbers always work), so a flow's SMS wording serves both. The static part of
every question is rendered once per locale and channel and cached on the
flow; only progress and piped answers are filled in per turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast

from . import sms
from .catalogue import Texts, text_direction
from .model import Flow, QuestionNode
from .replies import Button, Progress, Reply, Widget
from .state import Context

_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?:\.([a-z0-9_]+))?\}")

REPLIES_KEPT = 64
"""Whole question replies kept per question, language and channel (see question_reply)."""

TEXT_CHANNELS = {"whatsapp": "sms"}
"""Channels that say what another channel says: WhatsApp uses the SMS wording and shape."""


def wording(channel: str) -> str:
    """The channel whose words and shape a conversation on ``channel`` gets."""
    return TEXT_CHANNELS.get(channel, channel)


# How each question type is answered in the web widget.
WEB_INPUT = {
    "choice": "choice", "yesno": "choice", "consent": "choice", "frequency": "choice",
    "faces": "faces", "multi": "multi", "scale": "scale", "number": "number", "text": "text",
}


class Speaker(Protocol):
    """What a reply is rendered for: earlier answers to pipe in, and the context.

    A ``State``, or the turn that is making the next one.
    """

    @property
    def answers(self) -> Mapping[str, Any]: ...

    @property
    def vars(self) -> Mapping[str, Any]: ...

    @property
    def ctx(self) -> Context: ...


def placeholders(text: str) -> list[str]:
    """The ``{name}`` / ``{answer.key}`` placeholders in a text."""
    return [f"{a}.{b}" if b else a for a, b in _PLACEHOLDER.findall(text)]


def answer_text(root: Flow, key: str, speaker: Speaker, channel: str) -> str:
    """An earlier answer in words, for piping into a later prompt."""
    value = speaker.answers.get(key, speaker.vars.get(key))
    if value is None:
        return ""
    node = questions_by_key(root).get(key)
    if node is None or not node.options:
        return str(value)
    texts = root.flow(node.flow_id).texts
    locale = speaker.ctx.locale
    labels = {o.value: texts.text(o.label, locale, channel) for o in node.options}
    if isinstance(value, list):
        return ", ".join(labels.get(v, str(v)) for v in cast(list[Any], value))
    return labels.get(str(value), str(value))


def questions_by_key(root: Flow) -> dict[str, QuestionNode]:
    """Every keyed question of the bundle, by key."""
    found: dict[str, QuestionNode] | None = root.cache.get("questions_by_key")
    if found is None:
        found = {}
        for flow in root.bundle.values() or (root,):
            for node in flow.questions():
                if node.key:
                    found.setdefault(node.key, node)
        root.cache["questions_by_key"] = found
    return found


def fill(text: str, root: Flow, speaker: Speaker | None, channel: str,
         values: dict[str, Any] | None = None) -> str:
    """Fill ``{answer.key}``, ``{param.name}`` and system ``{name}`` placeholders."""
    if "{" not in text:
        return text
    if values:
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
    if speaker is None or ("{answer." not in text and "{param." not in text):
        return text

    def replace(match: re.Match[str]) -> str:
        kind, name = match.group(1), match.group(2)
        if kind == "answer" and name:
            return answer_text(root, name, speaker, channel)
        if kind == "param" and name:
            return str(speaker.ctx.params.get(name, ""))
        return match.group(0)

    return _PLACEHOLDER.sub(replace, text)


def _sms_cost(text: str) -> tuple[str, int]:
    encoding = sms.encoding(text)
    return encoding, sms.segments(text, encoding)


def _said(kind: str, text: str, lang: str, channel: str) -> Reply:
    """A reply that only says something, with its language, direction and SMS cost."""
    if channel != "sms":
        return Reply(kind, text, lang, text_direction(lang))
    text = sms.plain_punctuation(text)
    encoding, segments = _sms_cost(text)
    return Reply(kind, text, lang, text_direction(lang), encoding=encoding, segments=segments)


def text_reply(root: Flow, texts: Texts, key: str, speaker: Speaker, kind: str = "message",
               values: dict[str, Any] | None = None) -> Reply:
    """A reply that only says something.

    A text without piped answers or parameters is the same in every conversation, so
    it is rendered once per locale, channel and ``values`` (small numbers: a question's
    range, a length) and kept on the flow.
    """
    ctx = speaker.ctx
    locale, channel = ctx.locale, wording(ctx.channel)
    cache_key = ("say", texts, key, locale, channel, kind,
                 tuple(values.items()) if values else None)
    found = root.cache.get(cache_key)
    if found is not None:
        return found
    text, lang = texts.text_lang(key, locale, channel)
    reply = _said(kind, fill(text, root, speaker, channel, values), lang, channel)
    if "{answer." not in text and "{param." not in text:
        root.cache[cache_key] = reply
    return reply


def _widget(node: QuestionNode, t: Callable[[str], str], buttons: tuple[Button, ...],
            intro: str | None, ends: str | None, max_chars: int) -> Widget:
    return Widget(
        ask=node.ask, input=WEB_INPUT[node.ask], options=buttons, skip=node.ask != "consent",
        skip_label=t("system:skip"), sensitive=node.sensitive, intro=intro or None,
        ends=ends or None,
        min_label=t(node.min_label) if node.min_label else None,
        max_label=t(node.max_label) if node.max_label else None,
        send_label=t("system:send") if node.ask == "multi" else None,
        min=node.min, max=node.max,
        max_length=min(node.max_length or max_chars, max_chars) if node.ask == "text" else None)


_NUMBERED = re.compile(r"(\d+)\s*[-.):]?\s")


def sms_options(numbers: list[str], labels: list[str]) -> list[str]:
    """The numbered answers of an SMS question: "2 Sometimes".

    Answers whose words all start with their own number ("1 - Very poor") are
    sent as they are; if any starts with a number ("1 to 2 years"), every answer
    is set apart from its number ("2: 1 to 2 years"), never "2 1 to 2 years".
    """
    own = [_NUMBERED.match(label) for label in labels]
    if labels and all(m and m.group(1) == n for m, n in zip(own, numbers, strict=True)):
        return list(labels)
    gap = ": " if any(label[:1].isdigit() for label in labels) else " "
    return [f"{n}{gap}{label}" for n, label in zip(numbers, labels, strict=True)]


def _static_question(root: Flow, node: QuestionNode, locale: str, channel: str,
                     max_chars: int) -> dict[str, Any]:
    """The parts of a question that are the same in every conversation, rendered once.

    For the web, ``widget`` is the reply's widget. For SMS, ``before`` and
    ``after`` surround the prompt.
    """
    cache_key = ("question", node.flow_id, node.name, locale, channel, max_chars)
    found = root.cache.get(cache_key)
    if found is not None:
        return found
    texts = root.flow(node.flow_id).texts

    def t(key: str) -> str:
        return texts.text(key, locale, channel)

    prompt, lang = texts.text_lang(node.prompt, locale, channel)
    intro = t("system:sensitive") if node.sensitive else None
    ends = None
    if node.ask == "scale" and node.ends and node.min_label and node.max_label:
        ends = fill(t("system:scale.ends"), root, None, channel, {
            "min": node.min, "max": node.max,
            "min_label": t(node.min_label), "max_label": t(node.max_label)})
    buttons: list[Button] = []
    for option in node.options:
        label, label_lang = texts.text_lang(option.label, locale, channel)
        buttons.append(Button(option.value, label, option.emoji,
                              label_lang if label_lang != lang else None, option.icon))
    out: dict[str, Any] = {"prompt": prompt, "lang": lang, "dir": text_direction(lang),
                           "templated": "{" in prompt, "progress": t("system:progress"),
                           "replies": {}}
    if channel == "sms":
        lines = sms_options([b.value if node.ask == "faces" else str(i)
                             for i, b in enumerate(buttons, start=1)], [b.label for b in buttons])
        after = [x for x in (ends, "\n".join(lines)) if x]
        out["before"] = sms.plain_punctuation(intro + "\n") if intro else ""
        out["after"] = sms.plain_punctuation("".join("\n" + x for x in after))
        out["offer_skip"] = ("\n" + sms.plain_punctuation(t("system:offer_skip"))
                             if node.ask != "consent" and not intro else "")
    else:
        out["widget"] = _widget(node, t, tuple(buttons), intro, ends, max_chars)
    root.cache[cache_key] = out
    return out


def question_reply(root: Flow, node: QuestionNode, speaker: Speaker,
                   progress: tuple[int, int] | None, offer_skip: bool, max_chars: int) -> Reply:
    """A question, ready to send on the conversation's channel.

    A reply is a value: a question without piped answers, at the same place in
    the count, is the same reply in every conversation, so it is made once and
    kept with the question's static parts (up to REPLIES_KEPT of them).
    """
    ctx = speaker.ctx
    static = _static_question(root, node, ctx.locale, wording(ctx.channel), max_chars)
    if static["templated"]:
        return _question_reply(root, node, speaker, static, progress, offer_skip)
    kept = static["replies"]
    found = kept.get((progress, offer_skip))
    if found is None:
        if len(kept) >= REPLIES_KEPT:
            kept.clear()  # start afresh: cheaper and simpler than finding the oldest
        found = kept[(progress, offer_skip)] = _question_reply(root, node, speaker, static,
                                                               progress, offer_skip)
    return found


def _question_reply(root: Flow, node: QuestionNode, speaker: Speaker, static: dict[str, Any],
                    progress: tuple[int, int] | None, offer_skip: bool) -> Reply:
    channel = wording(speaker.ctx.channel)
    prompt = fill(static["prompt"], root, speaker, channel) if static["templated"] \
        else static["prompt"]
    progress_text = ""
    if progress:
        progress_text = static["progress"].replace("{n}", str(progress[0])).replace(
            "{total}", str(progress[1]))
    if channel == "sms":
        head = f"{progress_text} {prompt}" if progress_text else prompt
        text = static["before"] + sms.plain_punctuation(head) + static["after"]
        if offer_skip:
            text += static["offer_skip"]
        encoding, segments = _sms_cost(text)
        return Reply("question", text, static["lang"], static["dir"], node.key,
                     encoding=encoding, segments=segments)
    return Reply("question", prompt, static["lang"], static["dir"], node.key,
                 Progress(progress[0], progress[1], progress_text) if progress else None,
                 static["widget"])
