"""Replies shaped for the web widget and for SMS."""

from dataclasses import FrozenInstanceError, replace

import pytest

from chatsurvey.engine import Context, Text, advance, start, transcript
from chatsurvey.engine.events import Answered, Withdrawn
from chatsurvey.engine.pretty import format_event, format_reply
from chatsurvey.engine.render import answer_text, fill, placeholders, questions_by_key
from chatsurvey.engine.replies import Reply, Widget
from chatsurvey.engine.state import frozen, new_state
from tests.helpers import fixture_library, flow_from, play


def test_web_question_carries_structure(library):
    """As the web widget gets it (the reply's JSON form)."""
    teens = library.get("teens")
    state, replies, _ = start(teens)
    question = replies[-1].as_dict()
    assert question["input"] == "scale" and question["min"] == 0 and question["max"] == 10
    assert question["min_label"] == "not at all happy"
    assert question["ends"] == "0 is not at all happy. 10 is completely happy."
    assert question["skip"] is True and question["skip_label"] == "Skip"
    assert question["lang"] == "en" and question["dir"] == "ltr"
    assert "segments" not in question
    state, replies, _ = advance(teens, state, Text("8"))
    lonely = replies[-1].as_dict()
    assert lonely["sensitive"] is True
    assert lonely["intro"] == "This one is personal. You do not have to answer it."
    state, replies, _ = advance(teens, state, Text("never"))
    assert replies[-1].widget.input == "multi" and replies[-1].widget.send_label == "Send"


def test_web_text_and_number_inputs(library):
    teens = library.get("teens")
    state, replies, _ = play(teens, ["5", "never", "music"])
    number = replies[-1].as_dict()
    assert number["input"] == "number" and (number["min"], number["max"]) == (0, 20)
    assert "max_length" not in number
    state, replies, _ = advance(teens, state, Text("2"))
    text = replies[-1].as_dict()
    assert text["input"] == "text" and text["max_length"] == 40 and "min" not in text


def test_sms_question_is_numbered_and_counted(library):
    pets = library.get("pets")
    state, replies, _ = play(pets, ["yes", "yes"], channel="sms")
    assert replies[-1].text == ("(2/6) What kind of pet, Yes?\n1 Dog\n2 Cat\n3 Fish\n"
                                "4 Something else")
    assert replies[-1].segments == 1 and replies[-1].encoding == "GSM-7"
    assert replies[-1].widget is None and replies[-1].progress is None
    assert replies[-1].as_dict() == {
        "type": "question", "text": replies[-1].text, "key": "pet_kind", "lang": "en",
        "dir": "ltr", "encoding": "GSM-7", "segments": 1}


def test_whatsapp_is_worded_and_numbered_as_sms_but_stored_as_whatsapp(library):
    """WhatsApp buttons need a template approved in advance; numbered options always work."""
    pets = library.get("pets")
    inputs = ["yes", "yes", "2", "Tom", "3", "lots"]
    sms_state, sms_replies, _ = play(pets, inputs, channel="sms")
    state, replies, events = play(pets, inputs, channel="whatsapp")
    assert [r.as_dict() for r in replies] == [r.as_dict() for r in sms_replies]
    assert all(r.widget is None for r in replies)
    assert state.ctx.channel == "whatsapp" and events[0].channel == "whatsapp"
    assert transcript(pets, state)["channel"] == "whatsapp"
    assert transcript(pets, sms_state)["channel"] == "sms"


def test_sms_faces_are_numbered_words_without_emoji(library):
    kids = library.get("kids")
    _, replies, _ = start(kids, channel="sms")
    assert replies[-1].text == ("(1/2) How did you feel yesterday?\n1 Very sad\n2 Sad\n3 OK\n"
                                "4 Happy\n5 Very happy")
    _, replies, _ = start(kids, channel="web")
    assert [o.emoji for o in replies[-1].widget.options] == ["😢", "🙁", "😐", "🙂", "😀"]


def test_sms_sensitive_question_offers_skip_up_front(library):
    teens = library.get("teens")
    _, replies, _ = play(teens, ["5"], channel="sms")
    assert replies[-1].text.startswith("This one is personal. Reply SKIP if you want.\n(2/")
    _, replies, _ = play(teens, ["5", "x", "y"], channel="sms")
    assert "Or reply SKIP" not in replies[-1].text  # said once is enough


def test_sms_uses_plain_punctuation_but_keeps_welsh_letters():
    flow = flow_from("""
        spec_version: "1.0"
        id: quotes
        title: Quotes
        survey: demo
        locales: [en]
        start: m
        states:
          m: {type: message, say: [curly, welsh]}
          end: {type: end}
        messages:
          curly: "It’s “fine” – really…"
          welsh: "Mae’n ŵyl"
    """)
    _, replies, _ = start(flow, channel="sms")
    assert replies[0].text == "It's \"fine\" - really..." and replies[0].encoding == "GSM-7"
    assert replies[1].text == "Mae'n ŵyl" and replies[1].encoding == "UCS-2"
    _, replies, _ = start(flow, channel="web")
    assert replies[0].text == "It’s “fine” – really…"
    assert replies[0].as_dict() == {"type": "message", "text": "It’s “fine” – really…",
                                    "lang": "en", "dir": "ltr"}


def test_right_to_left_replies(library):
    router = library.get("router")
    _, replies, _ = play(router, ["ar"])
    assert replies[-1].dir == "rtl" and replies[-1].lang == "ar"
    assert replies[0].dir == "ltr"  # untranslated text is marked as the English it is


def test_fill_and_placeholders(library):
    pets = library.get("pets")
    state = replace(new_state(pets, Context("web", "en", params=frozen({"council": "Fife"}))),
                    answers=frozen({"pet_kind": "fish", "has_pet": None}))
    assert placeholders("{answer.a} and {n} {param.b}") == ["answer.a", "n", "param.b"]
    assert fill("plain", pets, state, "web") == "plain"
    assert fill("{answer.pet_kind}/{answer.has_pet}/{param.council}/{param.x}/{other.y}/{n}",
                pets, state, "web", {"n": 3}) == "Fish//Fife//{other.y}/3"
    assert answer_text(pets, "nothing", state, "web") == ""
    state = replace(state, answers=frozen({"better": "cake"}))
    assert answer_text(pets, "better", state, "web") == "cake"
    assert set(questions_by_key(pets)) == {"has_pet", "pet_kind", "pet_feeling",
                                           "happy_yesterday_10", "family_time", "better", "carry_on"}


def test_pretty_printing():
    assert format_reply(Reply("message", "Hi\nthere", "ar", "rtl", segments=2,
                              encoding="UCS-2")) == "bot (rtl): Hi\n     there\n     [2 segments, UCS-2]"
    age = Widget(ask="number", input="number", options=(), skip=False, skip_label="Skip",
                 sensitive=False, min=4, max=25)
    assert format_reply(Reply("question", "Age?", "en", "ltr", "age", widget=age)) == \
        "bot: Age?\n     [number 4-25]"
    empty = Widget(ask="choice", input="choice", options=(), skip=False, skip_label="Skip",
                   sensitive=False)
    assert format_reply(Reply("question", "Hi", "en", "ltr", widget=empty)) == "bot: Hi"
    assert format_reply(Reply("message", "Hi", "en", "ltr")) == "bot: Hi"
    assert format_event(Withdrawn()) == "     · withdrawn"
    assert format_event(Answered(key="k", value=["a"], flow="f", core=False)) == \
        '     · answer key="k" value=["a"] flow="f" core=False'


def test_texts_are_rendered_once_but_piped_texts_every_time():
    flow = flow_from("""
        spec_version: "1.0"
        id: piped
        title: Piped
        survey: demo
        locales: [en]
        start: name
        states:
          name: {type: question, ask: text, key: name, prompt: ask}
          m: {type: message, say: [plain, piped, council]}
          end: {type: end}
        messages:
          ask: "What should we call you?"
          plain: "Thank you – that helps."
          piped: "Thanks, {answer.name}."
          council: "{param.council} reads every answer."
    """)
    seen = []
    for name, council in (("Sam", "Fife"), ("Ali", "Powys"), ("Sam", "Fife")):
        state, _, _ = start(flow, channel="sms", params={"council": council})
        _, replies, _ = advance(flow, state, Text(name))
        seen.append([r.text for r in replies[:3]])
        with pytest.raises(FrozenInstanceError):
            replies[0].text = "changed by the host"  # a kept reply is shared: nobody may change it
    assert seen == [["Thank you - that helps.", "Thanks, Sam.", "Fife reads every answer."],
                    ["Thank you - that helps.", "Thanks, Ali.", "Powys reads every answer."],
                    ["Thank you - that helps.", "Thanks, Sam.", "Fife reads every answer."]]
    assert any(key[0] == "say" for key in flow.cache)  # the plain one was kept


@pytest.mark.parametrize("kept", [64, 1])
def test_a_question_reply_is_made_once_per_place_in_the_count_and_shared(library, monkeypatch,
                                                                          kept):
    """Replies are values: two conversations at the same place get the same one; with room
    for one, a question asked at another place in the count replaces it and is still right."""
    from chatsurvey.engine import render

    monkeypatch.setattr(render, "REPLIES_KEPT", kept)
    pets = fixture_library().get("pets")  # compiled afresh: nothing kept from other tests
    first = play(pets, ["yes", "no"], channel="sms")[1][-1]
    again = play(pets, ["yes", "no"], channel="sms")[1][-1]
    assert again is first and first.text.startswith("(2/4) How happy")
    hinted = play(pets, ["yes", "no", "purple", "pink"], channel="sms")[1][-1]
    assert hinted.key == first.key and hinted.text.endswith("Or reply SKIP to go on.")
    back = play(pets, ["yes", "no", "7", "back"], channel="sms")[1][-1]
    assert back.text == first.text
