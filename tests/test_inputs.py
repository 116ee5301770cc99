"""Reading what young people type: forgiving, but never guessing between two answers."""

import pytest

from chatsurvey.engine.catalogue import Catalogue, Entry
from chatsurvey.engine.inputs import (
    Invalid,
    accept_value,
    match_command,
    normalise,
    parse_answer,
)
from tests.helpers import flow_from

FLOW = """
spec_version: "1.0"
id: inputs
title: Inputs
survey: demo
locales: [en, cy]
start: yn
states:
  yn: {type: question, ask: yesno, key: yn, prompt: p}
  consent: {type: question, ask: consent, prompt: p, declined: end}
  pick: {type: question, ask: choice, key: pick, prompt: p, options: [always_happy, sometimes_happy, never, nevermore]}
  faces: {type: question, ask: faces, key: faces, prompt: p}
  freq: {type: question, ask: frequency, scale: always4, key: freq, prompt: p}
  many: {type: question, ask: multi, key: many, prompt: p, options: [dog, cat, fish, none], exclusive: [none]}
  num: {type: question, ask: number, key: num, prompt: p, min: 4, max: 25}
  scale: {type: question, ask: scale, key: scale, prompt: p}
  words: {type: question, ask: text, key: words, prompt: p, max_length: 10}
  long: {type: question, ask: text, key: long, prompt: p}
  end: {type: end}
messages:
  p: "Question?"
  always_happy: "Always happy"
  sometimes_happy: "Sometimes happy"
  never: {text: "Never", synonyms: [no way]}
  nevermore: {text: "Nevermore", synonyms: [no way]}
  dog: "Dog"
  cat: "Cat"
  fish: "Fish"
  none: "None of these"
"""


@pytest.fixture(scope="module")
def flow():
    return flow_from(FLOW)


def answer(flow, state, text, locale="en", cap=1000):
    return parse_answer(flow, flow.texts, flow.nodes[state], locale, text, cap)


@pytest.mark.parametrize("raw, clean", [
    ("  Yes!! ", "yes"),
    ("YEAH.", "yeah"),
    ("👍🏽", "👍"),
    ("❤️", "❤"),
    ("?", "?"),
    ("...", "..."),
    ("ｙｅｓ", "yes"),
    ("most   of\tthe time", "most of the time"),
])
def test_normalise(raw, clean):
    assert normalise(raw) == clean


@pytest.mark.parametrize("text, command", [
    ("skip", "skip"), ("SKIP!", "skip"), ("rather not say", "skip"), ("back", "back"),
    ("oops", "back"), ("help", "help"), ("?", "help"), ("help me", "support"),
    ("STOP", "stop"), ("unsubscribe", "stop"), ("start again", "restart"),
    ("stop the bullying", None), ("yes", None),
])
def test_commands_match_the_whole_message(flow, text, command):
    assert match_command(flow, flow.texts, "en", text) == command


@pytest.mark.parametrize("text, value", [
    ("yes", "yes"), ("Y", "yes"), ("yeah!", "yes"), ("👍", "yes"), ("1", "yes"),
    ("nah", "no"), ("2", "no"), ("dunno", "not_sure"), ("3", "not_sure"), ("not sure", "not_sure"),
    ("Yess", "yes"), ("not_sure", "not_sure"),
])
def test_yes_no(flow, text, value):
    assert answer(flow, "yn", text) == value


@pytest.mark.parametrize("text", ["4", "maybe so", "", "yes no", "0"])
def test_yes_no_invalid(flow, text):
    with pytest.raises(Invalid) as info:
        answer(flow, "yn", text)
    assert info.value.hint == "choice"


def test_consent_hint(flow):
    assert answer(flow, "consent", "yes") == "yes"
    with pytest.raises(Invalid) as info:
        answer(flow, "consent", "not sure")
    assert info.value.hint == "consent"


@pytest.mark.parametrize("text, value", [
    ("1", "always_happy"), ("always happy", "always_happy"), ("Always", "always_happy"),
    ("some", "sometimes_happy"), ("3 never", "never"), ("2. sometimes happy", "sometimes_happy"),
    ("nevermore", "nevermore"), ("alwyas happy", "always_happy"),
])
def test_choice(flow, text, value):
    assert answer(flow, "pick", text) == value


@pytest.mark.parametrize("text", [
    "nev",        # starts two options
    "no way",     # a synonym of two options
    "3 always happy",  # a number and another option's words
    "5", "12", "xyz",
])
def test_choice_never_guesses(flow, text):
    with pytest.raises(Invalid):
        answer(flow, "pick", text)


@pytest.mark.parametrize("text, value", [
    ("5", 5), ("1", 1), ("😀", 5), ("😢", 1), ("very happy", 5), ("OK", 3), ("sad", 2),
])
def test_faces(flow, text, value):
    assert answer(flow, "faces", text) == value


def test_frequency_uses_the_shared_scale(flow):
    assert answer(flow, "freq", "most of the time") == "most_of_the_time"
    assert answer(flow, "freq", "mostly") == "most_of_the_time"
    assert answer(flow, "freq", "4") == "never"


@pytest.mark.parametrize("text, value", [
    ("1 3", ["dog", "fish"]), ("3,1", ["dog", "fish"]), ("dog and cat", ["dog", "cat"]),
    ("cat & fish", ["cat", "fish"]), ("2", ["cat"]), ("none of these", ["none"]),
    ("1, 2 3", ["dog", "cat", "fish"]), ("dog/dog", ["dog"]),
])
def test_multi(flow, text, value):
    assert answer(flow, "many", text) == value


def test_multi_in_welsh_uses_the_welsh_and():
    catalogue = Catalogue({"cy": {"system:and": Entry("and", "a", False, False)}})
    welsh = flow_from(FLOW, catalogue)
    assert answer(welsh, "many", "dog a cat", locale="cy") == ["dog", "cat"]


@pytest.mark.parametrize("text, hint", [
    ("4 and 1", "exclusive"), ("dog and horse", "choice"), ("1 9", "choice"), (" , ", "multi"),
])
def test_multi_invalid(flow, text, hint):
    with pytest.raises(Invalid) as info:
        answer(flow, "many", text)
    assert info.value.hint == hint


@pytest.mark.parametrize("text, value", [
    ("9", 9), ("I'm 9", 9), ("nine", 9), ("I am nine", 9), ("twenty-five", 25), ("+10", 10),
    ("9 years old", 9),
])
def test_number(flow, text, value):
    assert answer(flow, "num", text) == value


@pytest.mark.parametrize("text", ["3", "26", "nine or ten", "9 or 10", "old", "-5", "1.5"])
def test_number_invalid(flow, text):
    with pytest.raises(Invalid) as info:
        answer(flow, "num", text)
    assert info.value.hint == "number"


def test_scale_zero_to_ten(flow):
    assert answer(flow, "scale", "0") == 0
    assert answer(flow, "scale", "ten") == 10
    with pytest.raises(Invalid) as info:
        answer(flow, "scale", "11")
    assert info.value.hint == "scale"


def test_text_is_trimmed_and_capped(flow):
    assert answer(flow, "words", "  hello  ") == "hello"
    assert answer(flow, "words", "x" * 50) == "x" * 10
    assert answer(flow, "long", "y" * 50, cap=20) == "y" * 20
    with pytest.raises(Invalid) as info:
        answer(flow, "words", "   ")
    assert info.value.hint == "text"


@pytest.mark.parametrize("state, value, expected", [
    ("yn", "no", "no"), ("pick", "never", "never"), ("many", ["fish", "dog"], ["dog", "fish"]),
    ("faces", 4, 4), ("faces", "2", 2), ("num", 10, 10), ("num", "12", 12), ("scale", 0, 0),
    ("words", "  typed  ", "typed"),
])
def test_accept_value(flow, state, value, expected):
    assert accept_value(flow.nodes[state], value, 1000) == expected


@pytest.mark.parametrize("state, value, hint", [
    ("yn", "perhaps", "choice"), ("yn", 1, "choice"), ("consent", "maybe", "consent"),
    ("many", "dog", "multi"), ("many", ["dog", "horse"], "multi"), ("many", [], "multi"),
    ("many", ["dog", "none"], "exclusive"),
    ("faces", 6, "choice"), ("faces", True, "choice"), ("faces", "x", "choice"),
    ("num", 3, "number"), ("num", 2.5, "number"), ("scale", 11, "scale"),
    ("words", 5, "text"), ("words", " ", "text"),
])
def test_accept_value_rejects(flow, state, value, hint):
    with pytest.raises(Invalid) as info:
        accept_value(flow.nodes[state], value, 1000)
    assert info.value.hint == hint


def test_blank_synonyms_are_ignored():
    flow = flow_from(FLOW.replace("synonyms: [no way]}\n  nevermore", "synonyms: [' ']}\n  nevermore"))
    assert answer(flow, "pick", "never") == "never"


def test_arabic_spelling_variants_match():
    assert normalise("أبداً") == normalise("ابدا")
    assert normalise("مدرسة") == "مدرسه"


def test_the_longest_number_phrase_wins():
    catalogue = Catalogue({"gd": {"system:numbers": Entry(
        "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
        "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|twenty-one|twenty-two|twenty-three|"
        "twenty-four|twenty-five",
        "neoni|aon|dha|tri|ceithir|coig|sia|seachd|ochd|naoi|deich|aon deug|dha dheug|tri deug|"
        "ceithir deug", False, False)}})
    flow = flow_from(FLOW.replace("locales: [en, cy]", "locales: [en, gd]"), catalogue)
    assert answer(flow, "num", "tha mi ceithir deug", locale="gd") == 14
    assert answer(flow, "num", "ceithir", locale="gd") == 4
    assert answer(flow, "num", "I am fourteen") == 14
