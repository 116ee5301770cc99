"""What the engine says, shaped for each channel.

Web replies carry structure (buttons, faces, progress) for the widget to
draw. SMS replies are one plain text each: numbered options, GSM-7-safe
punctuation, and the number of segments it will cost. The static part of
every question is rendered once per locale and channel and cached on the
flow; only progress and piped answers are filled in per turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import sms
from .catalogue import Texts, text_direction
from .model import Flow, QuestionNode

_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?:\.([a-z0-9_]+))?\}")

# How each question type is answered in the web widget.
WEB_INPUT = {
    "choice": "choice", "yesno": "choice", "consent": "choice", "frequency": "choice",
    "faces": "faces", "multi": "multi", "scale": "scale", "number": "number", "text": "text",
}


def placeholders(text: str) -> list[str]:
    """The ``{name}`` / ``{answer.key}`` placeholders in a text."""
    return [f"{a}.{b}" if b else a for a, b in _PLACEHOLDER.findall(text)]


def answer_text(root: Flow, key: str, state: dict, channel: str) -> str:
    """An earlier answer in words, for piping into a later prompt."""
    value = state["answers"].get(key, state.get("vars", {}).get(key))
    if value is None:
        return ""
    node = questions_by_key(root).get(key)
    if node is None or not node.options:
        return str(value)
    texts = root.flow(node.flow_id).texts
    locale = state["ctx"]["locale"]
    labels = {o.value: texts.text(o.label, locale, channel) for o in node.options}
    if isinstance(value, list):
        return ", ".join(labels.get(v, str(v)) for v in value)
    return labels.get(str(value), str(value))


def questions_by_key(root: Flow) -> dict[str, QuestionNode]:
    """Every keyed question of the bundle, by key."""
    found = root.cache.get("questions_by_key")
    if found is None:
        found = {}
        for flow in root.bundle.values() or (root,):
            for node in flow.questions():
                if node.key:
                    found.setdefault(node.key, node)
        root.cache["questions_by_key"] = found
    return found


def fill(text: str, root: Flow, state: dict, channel: str, values: dict | None = None) -> str:
    """Fill ``{answer.key}``, ``{param.name}`` and system ``{name}`` placeholders."""
    if "{" not in text:
        return text
    if values:
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
    if "{answer." not in text and "{param." not in text:
        return text

    def replace(match: re.Match) -> str:
        kind, name = match.group(1), match.group(2)
        if kind == "answer" and name:
            return answer_text(root, name, state, channel)
        if kind == "param" and name:
            return str(state["ctx"].get("params", {}).get(name, ""))
        return match.group(0)

    return _PLACEHOLDER.sub(replace, text)


def finish(reply: dict, lang: str, channel: str) -> dict:
    """Add language, direction and (for SMS) encoding and segment count."""
    reply["lang"] = lang
    reply["dir"] = text_direction(lang)
    if channel == "sms":
        text = sms.plain_punctuation(reply["text"])
        reply["text"] = text
        reply["encoding"] = sms.encoding(text)
        reply["segments"] = sms.segments(text, reply["encoding"])
    return reply


def text_reply(root: Flow, texts: Texts, key: str, state: dict, kind: str = "message",
               values: dict | None = None) -> dict:
    """A reply that only says something.

    A text without piped answers or parameters is the same in every conversation, so
    it is rendered once per locale, channel and ``values`` (small numbers: a question's
    range, a length) and kept on the flow; each turn gets its own copy.
    """
    ctx = state["ctx"]
    locale, channel = ctx["locale"], ctx["channel"]
    cache_key = ("say", texts, key, locale, channel, kind,
                 tuple(values.items()) if values else None)
    found = root.cache.get(cache_key)
    if found is not None:
        return dict(found)
    text, lang = texts.text_lang(key, locale, channel)
    reply = finish({"type": kind, "text": fill(text, root, state, channel, values)}, lang,
                   channel)
    if "{answer." not in text and "{param." not in text:
        root.cache[cache_key] = reply
        return dict(reply)
    return reply


def _options(texts: Texts, node: QuestionNode, locale: str, channel: str,
             lang: str) -> list[dict[str, Any]]:
    """The answers to choose from, each marked with its language when it is not the prompt's."""
    options = []
    for option in node.options:
        label, label_lang = texts.text_lang(option.label, locale, channel)
        shown: dict[str, Any] = {"value": option.value, "label": label}
        if option.emoji:
            shown["emoji"] = option.emoji
        if label_lang != lang:
            shown["lang"] = label_lang
        options.append(shown)
    return options


def _sms_parts(node: QuestionNode, t: Callable[[str], str], intro: str | None,
               ends: str | None, options: list[dict[str, Any]]) -> dict[str, str]:
    """What surrounds an SMS question's prompt: the sensitive intro, numbered answers, skip."""
    lines = [f"{o['value'] if node.ask == 'faces' else i} {o['label']}"
             for i, o in enumerate(options, start=1)]
    after = [x for x in (ends, "\n".join(lines)) if x]
    return {"before": sms.plain_punctuation(intro + "\n") if intro else "",
            "after": sms.plain_punctuation("".join("\n" + x for x in after)),
            "offer_skip": ("\n" + sms.plain_punctuation(t("system:offer_skip"))
                           if node.ask != "consent" and not intro else "")}


def _web_base(node: QuestionNode, t: Callable[[str], str], prompt: str, intro: str | None,
              ends: str | None, options: list[dict[str, Any]], max_chars: int) -> dict:
    """A web question's reply, but for its text and progress."""
    base: dict[str, Any] = {
        "type": "question", "text": prompt, "key": node.key, "ask": node.ask,
        "input": WEB_INPUT[node.ask], "options": options, "skip": node.ask != "consent",
        "skip_label": t("system:skip"), "sensitive": node.sensitive,
    }
    optional = {"intro": intro or None, "ends": ends or None,
                "min_label": t(node.min_label) if node.min_label else None,
                "max_label": t(node.max_label) if node.max_label else None,
                "send_label": t("system:send") if node.ask == "multi" else None}
    base.update((k, v) for k, v in optional.items() if v is not None)
    if node.ask in ("number", "scale"):
        base["min"], base["max"] = node.min, node.max
    if node.ask == "text":
        base["max_length"] = min(node.max_length or max_chars, max_chars)
    return base


def _static_question(root: Flow, node: QuestionNode, locale: str, channel: str,
                     max_chars: int) -> dict:
    """The parts of a question that are the same in every conversation, rendered once.

    For the web, ``base`` is the whole reply but for its text and progress.
    For SMS, ``before`` and ``after`` surround the prompt; ``encoding`` and
    ``units`` are for the fixed parts, so segments are counted without
    rescanning them on every turn.
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
    if node.ask == "scale" and node.min_label and node.max_label:
        ends = fill(t("system:scale.ends"), root, {"ctx": {}, "answers": {}}, channel, {
            "min": node.min, "max": node.max,
            "min_label": t(node.min_label), "max_label": t(node.max_label)})
    options = _options(texts, node, locale, channel, lang)
    out: dict[str, Any] = {"prompt": prompt, "lang": lang, "dir": text_direction(lang),
                           "templated": "{" in prompt, "progress": t("system:progress")}
    if channel == "sms":
        out.update(_sms_parts(node, t, intro, ends, options))
    else:
        base = _web_base(node, t, prompt, intro, ends, options, max_chars)
        base["lang"], base["dir"] = lang, out["dir"]
        out["base"] = base
    root.cache[cache_key] = out
    return out


def question_reply(root: Flow, node: QuestionNode, state: dict,
                   progress: tuple[int, int] | None, offer_skip: bool, max_chars: int) -> dict:
    """A question, ready to send on the conversation's channel."""
    ctx = state["ctx"]
    locale, channel = ctx["locale"], ctx["channel"]
    static = _static_question(root, node, locale, channel, max_chars)
    prompt = fill(static["prompt"], root, state, channel) if static["templated"] \
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
        encoding = sms.encoding(text)
        return {"type": "question", "text": text, "key": node.key, "lang": static["lang"],
                "dir": static["dir"], "encoding": encoding,
                "segments": sms.segments(text, encoding)}
    reply = dict(static["base"])
    if static["templated"]:
        reply["text"] = prompt
    if progress:
        reply["progress"] = {"n": progress[0], "total": progress[1], "text": progress_text}
    return reply
