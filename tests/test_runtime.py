"""The engine's behaviour, turn by turn: start, advance, and every command."""

from dataclasses import FrozenInstanceError, replace

import pytest

from chatsurvey.engine import (
    Command,
    Expire,
    Options,
    QuickExit,
    State,
    StateError,
    Tap,
    Text,
    advance,
    resume_from,
    start,
    transcript,
)
from chatsurvey.engine.events import (
    Answered,
    AnswerUndone,
    ContextSet,
    Failed,
    Finished,
    Help,
    NotUnderstood,
    Signpost,
    Skipped,
    Started,
    Truncated,
)
from chatsurvey.engine.replies import Button, Progress
from tests.helpers import flow_from, kinds, play, texts


@pytest.fixture
def pets(library):
    return library.get("pets")


@pytest.fixture
def router(library):
    return library.get("router")


def started(flow, **kwargs):
    return start(flow, **kwargs)[0]


def answered(flow, inputs, **kwargs):
    return play(flow, inputs, **kwargs)[0]


# -- starting ----------------------------------------------------------------

def test_start_says_hello_and_asks_for_consent(pets):
    state, replies, events = start(pets, channel="web")
    assert texts(replies) == ["Hi! This is a short chat about pets.", "Do you want to take part?"]
    assert replies[1].type == "question" and replies[1].widget.ask == "consent"
    assert replies[1].widget.skip is False and replies[1].progress is None
    assert list(events) == [Started(flow="pets", version=1, channel="web", locale="en")]
    assert state.status == "active" and state.at == ("pets", "consent")
    assert State.load(pets, state.dump(pets)) == state  # the state has one serialised form


def test_start_checks_the_channel_and_falls_back_to_a_known_locale(pets):
    with pytest.raises(ValueError, match="channel must be one of"):
        start(pets, channel="fax")
    assert started(pets, locale="fr").ctx.locale == "en"
    assert started(pets, locale="cy").ctx.locale == "cy"


def test_a_flow_for_an_age_band_records_it(library):
    assert started(library.get("kids")).ctx.age_band == "4-7"
    assert started(library.get("kids"), age_band="8-11").ctx.age_band == "8-11"


# -- consent -------------------------------------------------------------------

def test_no_consent_keeps_nothing(pets):
    state, replies, events = play(pets, ["no"])
    assert state.status == "declined" and state.answers == {}
    assert texts(replies)[-1] == "That is OK. Bye for now."
    assert kinds(events)[-2:] == ["consent", "finished"]
    assert events[-1].status == "declined"


def test_consent_cannot_be_skipped(pets):
    state, replies, events = play(pets, ["skip"])
    assert state.at == ("pets", "consent") and state.consent is None
    assert "Please tap Yes or No." in texts(replies)


def test_answers_are_not_kept_before_consent_even_if_a_flow_asks(pets):
    flow = flow_from("""
        spec_version: "1.0"
        id: early
        title: Early
        survey: demo
        locales: [en]
        requires_consent: true
        start: q
        states:
          q: {type: question, ask: yesno, key: q, prompt: q}
          end: {type: end}
        messages:
          q: "Asked too early?"
    """)
    state, _, events = play(flow, ["yes"])
    assert state.answers == {} and "answer" not in kinds(events)
    assert state.status == "complete"


# -- answers, skips and invalid answers ---------------------------------------

def test_an_answer_is_recorded_and_the_next_question_asked(pets):
    state, replies, events = play(pets, ["yes", "yes"])
    assert state.answers == {"has_pet": "yes"}
    assert events[-1] == Answered(key="has_pet", value="yes", flow="pets", core=True)
    assert replies[-1].text == "What kind of pet, Yes?"
    assert replies[-1].progress == Progress(2, 6, "Question 2 of 6")


def test_skip_records_a_skip(pets):
    state, _, events = play(pets, ["yes", "skip"])
    assert state.answers == {"has_pet": None}
    assert events[-1] == Skipped(key="has_pet", flow="pets")
    assert state.at == ("pets", "feel")  # a skipped answer takes no branch


def test_invalid_answers_are_asked_again_kindly_then_skip_is_offered(pets):
    state = answered(pets, ["yes"], channel="sms")
    state, replies, events = advance(pets, state, Text("purple"))
    assert texts(replies)[:2] == ["Sorry, I did not get that.",
                                  "Please reply with a number from 1 to 3."]
    assert "SKIP" not in replies[-1].text
    assert list(events) == [NotUnderstood(key="has_pet", attempt=1)]
    state, replies, _ = advance(pets, state, Text("green"))
    assert replies[-1].text.endswith("Or reply SKIP to go on.")
    state, _, _ = advance(pets, state, Text("yes"))
    assert state.retries == 0


def test_the_sms_hint_names_the_numbers_there_are():
    flow = flow_from("""
        spec_version: "1.0"
        id: two
        title: Two
        survey: demo
        locales: [en]
        start: pick
        states:
          pick: {type: question, ask: choice, key: pick, prompt: q, options: [tea, milk]}
          both: {type: question, ask: multi, key: both, prompt: q, options: [tea, milk]}
        messages:
          q: "Which?"
          tea: "Tea"
          milk: "Milk"
    """)
    state, replies, _ = play(flow, ["purple"], channel="sms")
    assert texts(replies)[1:3] == ["Sorry, I did not get that.", "Please reply 1 or 2."]
    state, replies, _ = play(flow, ["1", "purple"], channel="sms")
    assert texts(replies)[-2] == "Reply with all the numbers that fit, like 1 2."
    _, replies, _ = play(flow, ["purple"], channel="web")
    assert texts(replies)[2] == "Please tap one of the answers."


def test_web_buttons_send_values_and_commands(pets):
    state = answered(pets, [{"value": "yes"}, {"value": "yes"}])
    state, _, events = advance(pets, state, Tap("cat"))
    assert state.answers["pet_kind"] == "cat"
    state, _, events = advance(pets, state, Command("skip"))
    assert events[-1].type == "skipped"
    state, replies, events = advance(pets, state, Tap(11))
    assert kinds(events) == ["invalid"] and replies[1].text == "Please send a number from 0 to 10."
    state, _, events = advance(pets, state, Tap(7))
    assert state.answers["happy_yesterday_10"] == 7


def test_messages_as_the_channels_receive_them_are_read_as_resumes():
    assert resume_from("hi") == Text("hi")
    assert resume_from({"text": "hi"}) == Text("hi")
    assert resume_from({"value": ["a", "b"]}) == Tap(["a", "b"])
    assert resume_from({"value": None}) == Tap(None)
    assert resume_from({"command": "skip"}) == Command("skip")
    # Not a command the engine knows, or nothing at all: an empty message, asked again.
    assert resume_from({"command": "dance"}) == Text("")
    assert resume_from({"nothing": 1}) == resume_from(None) == Text("")
    assert resume_from(7) == Text("7")
    assert resume_from({"command": 3, "value": 1}) == Tap(1)


def test_a_made_up_command_or_an_empty_message_is_not_an_answer(pets):
    state = answered(pets, ["yes", "yes", "cat", "skip"])
    for message in ({"command": "dance"}, {"nothing": 1}, None):
        _, _, events = advance(pets, state, resume_from(message))
        assert kinds(events) == ["invalid"]
    with pytest.raises(ValueError, match="command must be one of"):
        Command("dance")


def test_advance_takes_only_a_resume(pets):
    state = started(pets)
    for wrong in ("yes", {"value": "yes"}, None):
        with pytest.raises(TypeError, match="advance takes a Text, Tap, Command"):
            advance(pets, state, wrong)


def test_long_free_text_is_cut_and_the_young_person_told(pets):
    state = answered(pets, ["yes", "no", "7", "2"])
    assert state.at == ("pets", "better")
    state, replies, events = advance(pets, state, Text("word " * 100))
    assert len(state.answers["better"]) == 200
    assert Truncated(key="better", kept=200) in events
    assert "We kept the first 200 letters." in texts(replies)[0]
    state, _, events = advance(flow := pets, answered(flow, ["yes", "no", "7", "2"]),
                               Tap("fine as it is"))
    assert state.answers["better"] == "fine as it is" and "truncated" not in kinds(events)


def test_inbound_is_cut_before_it_is_read(pets):
    state = answered(pets, ["yes", "no", "7", "2"])
    state, _, _ = advance(pets, state, Text("z" * 5000), Options(max_inbound_chars=50))
    assert state.answers["better"] == "z" * 50


# -- commands ----------------------------------------------------------------

def test_back_undoes_the_last_answer(pets):
    state = answered(pets, ["yes", "yes", "dog"])
    state, replies, events = advance(pets, state, Text("back"))
    assert state.answers == {"has_pet": "yes"} and state.at == ("pets", "which_pet")
    assert list(events) == [AnswerUndone(key="pet_kind")]
    assert replies[-1].progress.n == 2


def test_back_at_the_first_question_says_so(pets):
    state = answered(pets, ["yes"])
    state, replies, events = advance(pets, state, Text("back"))
    assert texts(replies)[0] == "This is the first question." and events == ()
    assert state.at == ("pets", "has_pet")


def test_back_across_a_sub_flow_restores_where_it_was(router):
    state = answered(router, ["en", "yes", "12", "7"])
    assert state.at == ("teens", "lonely") and state.stack == (("router", "done"),)
    state, _, _ = advance(router, state, Text("back"))
    assert state.at == ("teens", "happy")
    state, _, _ = advance(router, state, Text("back"))
    assert state.at == ("router", "age") and state.stack == ()
    assert "age" not in state.answers


def test_help_shows_the_question_s_help_or_general_help(router, pets):
    state = answered(router, ["en"])
    state, replies, events = advance(router, state, Text("help"))
    assert texts(replies)[0] == "Say yes to start, or no to leave."
    assert replies[-1].widget.ask == "consent" and list(events) == [Help(key=None)]
    state = answered(pets, ["yes"], channel="sms")
    state, replies, _ = advance(pets, state, Text("HELP"))
    assert texts(replies)[0].startswith("Reply with a number or a word.")


def test_stop_withdraws_and_deletes_everything(pets):
    state = answered(pets, ["yes", "yes", "dog"])
    state, replies, events = advance(pets, state, Text("stop"))
    assert state.status == "withdrawn" and state.answers == {} and state.history == ()
    assert kinds(events) == ["withdrawn", "finished"]
    assert "Your answers are deleted" in texts(replies)[0]


def test_restart_starts_again_from_the_beginning(pets):
    state = answered(pets, ["yes", "yes", "dog"])
    state, replies, events = advance(pets, state, Text("start again"))
    assert state.answers == {} and state.consent is None
    assert state.at == ("pets", "consent") and kinds(events) == ["restarted"]
    assert texts(replies)[:2] == ["OK. Let's start again.", "Hi! This is a short chat about pets."]


def test_an_ended_conversation_just_says_so(pets):
    state = answered(pets, ["no"])
    state, replies, events = advance(pets, state, Text("hello?"))
    assert texts(replies) == ["This chat has finished. Thank you."] and events == ()


# -- signposting -----------------------------------------------------------------

def test_a_low_answer_offers_help_then_carries_on(pets):
    state = answered(pets, ["yes", "no"], country="wales")
    state, replies, events = advance(pets, state, Text("2"))
    assert texts(replies)[0].startswith("You can talk to Meic")
    assert Signpost(reason="answer", key="happy_yesterday_10") in events
    state, replies, _ = advance(pets, state, Text("yes"))
    assert texts(replies)[0] == "OK, let's go on." and state.at == ("pets", "family")
    assert "carry_on" not in state.answers and state.vars == {"carry_on": "yes"}


def test_help_is_offered_in_full_once_then_briefly(pets):
    state = answered(pets, ["yes", "no", "2", "yes", "back"])
    state, replies, events = advance(pets, state, Text("1"))
    assert texts(replies)[0].startswith("Remember, help is there")
    assert "flow_entered" not in kinds(events)


def test_not_carrying_on_ends_with_a_partial_response(pets):
    state = answered(pets, ["yes", "no", "2", "no"])
    assert state.status == "partial"
    assert state.answers == {"has_pet": "no", "happy_yesterday_10": 2}


def test_a_disclosure_in_free_text_always_offers_help(pets):
    state = answered(pets, ["yes", "no", "2", "yes", "2"])
    state, replies, events = advance(pets, state, Text("my foster dad hits me"))
    assert Signpost(reason="harm", key="better") in events
    assert texts(replies)[0].startswith("You can talk to Childline")


def test_a_disclosure_instead_of_an_answer_offers_help_then_asks_again(pets):
    state = answered(pets, ["yes", "yes"])
    state, replies, events = advance(pets, state, Text("i want to kill myself"))
    assert kinds(events) == ["invalid", "signpost", "flow_entered"]
    state, replies, _ = advance(pets, state, Text("yes"))
    assert replies[-1].text == "What kind of pet, Yes?"


def test_support_command_shows_help_and_comes_back(pets):
    state = answered(pets, ["yes"])
    state, replies, events = advance(pets, state, Text("talk to someone"))
    assert Signpost(reason="asked", key="has_pet") in events
    state, replies, _ = advance(pets, state, Text("yes"))
    assert state.at == ("pets", "has_pet")
    # Asking again inside the support flow shows the general help instead.
    state = answered(pets, ["yes", "support"])
    state, replies, _ = advance(pets, state, Text("support"))
    assert texts(replies)[0].startswith("Tap an answer or type it.")


def test_without_a_signpost_flow_help_is_still_given():
    flow = flow_from("""
        spec_version: "1.0"
        id: plain
        title: Plain
        survey: demo
        locales: [en]
        start: q
        states:
          q: {type: question, ask: scale, key: q, prompt: q, signpost_if: {lte: 2}}
          t: {type: question, ask: text, key: t, prompt: q}
        messages:
          q: "How is it?"
    """)
    state, replies, events = play(flow, ["support", "1", "they hurt me"])
    assert texts(replies)[1].startswith("Tap an answer")
    assert [e.reason for e in events if isinstance(e, Signpost)] == ["asked", "answer", "harm"]
    assert state.status == "complete"


SIGNPOST_REASONS = ("""
    spec_version: "1.0"
    id: survey
    title: Survey
    survey: demo
    locales: [en]
    signpost: help
    start: q
    states:
      q: {type: question, ask: scale, key: q, prompt: q, signpost_if: {lte: 2}}
      t: {type: question, ask: text, key: t, prompt: t}
      after: {type: branch, cases: [{when: {signpost: harm}, next: stale}], otherwise: fine}
      stale: {type: end, say: stale}
      fine: {type: end, say: fine}
    messages:
      q: "How is it?"
      t: "Tell us more."
      stale: "The reason stayed after the help was over."
      fine: "Thank you."
""", ["""
    spec_version: "1.0"
    id: help
    title: Help
    survey: demo
    locales: [en]
    start: why
    states:
      why:
        type: branch
        cases:
          - {when: {signpost: harm}, next: harm}
          - {when: {signpost: answer}, next: answer}
          - {when: {signpost: asked}, next: asked}
        otherwise: unknown
      harm: {type: message, say: harm, next: contacts}
      answer: {type: message, say: answer, next: contacts}
      asked: {type: message, say: asked, next: contacts}
      unknown: {type: message, say: unknown, next: contacts}
      contacts: {type: subflow, flow: contacts}
      carry_on: {type: question, ask: yesno, key: carry_on, record: false, prompt: carry_on}
      done: {type: end}
    messages:
      harm: "No one reads this straight away."
      answer: "It is OK to feel low."
      asked: "Here is who you can talk to."
      unknown: "Help is here."
      carry_on: "Go on?"
""", """
    spec_version: "1.0"
    id: contacts
    title: Contacts
    survey: demo
    locales: [en]
    start: danger_first
    states:
      danger_first:
        type: branch
        cases: [{when: {signpost: harm}, next: danger}]
        otherwise: childline
      danger: {type: message, say: danger}
      childline: {type: end, say: childline}
    messages:
      danger: "If you are in danger now, call 999."
      childline: "Call Childline on 0800 1111."
"""])


def test_the_signpost_flow_can_say_why_it_was_entered():
    flow = flow_from(SIGNPOST_REASONS[0], others=tuple(SIGNPOST_REASONS[1]))
    _, replies, _ = play(flow, ["support"])
    assert texts(replies)[1:3] == ["Here is who you can talk to.", "Call Childline on 0800 1111."]
    _, replies, _ = play(flow, ["1"])
    assert texts(replies)[1:3] == ["It is OK to feel low.", "Call Childline on 0800 1111."]
    _, replies, _ = play(flow, ["my carer hits me"])
    assert texts(replies)[1:4] == ["No one reads this straight away.",
                                   "If you are in danger now, call 999.",
                                   "Call Childline on 0800 1111."]
    # In free text too; and the reason lasts only for the turn that entered the flow:
    # it is not kept in the state, and nothing after the help sees it.
    state, replies, _ = play(flow, ["5", "they hurt me"])
    assert texts(replies)[-4:-1] == ["No one reads this straight away.",
                                     "If you are in danger now, call 999.",
                                     "Call Childline on 0800 1111."]
    assert not hasattr(state.ctx, "signpost") and "harm" not in state.dump(flow)
    state, replies, _ = advance(flow, state, Text("yes"))
    assert texts(replies) == ["Thank you."] and state.status == "complete"


def test_a_flow_entered_without_a_signpost_has_no_reason():
    flow = flow_from(SIGNPOST_REASONS[1][0], others=(SIGNPOST_REASONS[1][1],))
    _, replies, _ = start(flow)
    assert texts(replies)[:2] == ["Help is here.", "Call Childline on 0800 1111."]


# -- routing, sub-flows and progress ----------------------------------------------

def test_age_routing_and_language_choice(router):
    state, replies, events = play(router, ["Cymraeg", "ie", "6"], params={"council": "Testshire"})
    assert state.ctx.locale == "cy" and state.ctx.age_band == "4-7"
    assert state.at == ("kids", "happy")
    assert ContextSet(field="locale", value="cy") in events
    assert replies[-1].text == "Sut oeddet ti'n teimlo ddoe?" and replies[-1].lang == "cy"
    assert replies[-1].widget.options[0] == Button("1", "Very sad", "😢", "en", "face-crying")
    assert replies[-1].as_dict()["options"][0] == {"value": "1", "label": "Very sad",
                                                   "emoji": "😢", "lang": "en",
                                                   "icon": "face-crying"}
    assert replies[-1].progress.text == "Cwestiwn 1 o 2"


def test_an_age_band_from_the_link_skips_the_age_question(router):
    state = answered(router, ["en", "yes"], age_band="11-17")
    assert state.at == ("teens", "happy") and "age" not in state.answers


def test_an_age_outside_every_band_is_handled(router):
    state, replies, _ = play(router, ["en", "yes", "9"])
    assert "We do not have a survey for 8 to 10 yet." in texts(replies)
    assert state.status == "complete"


def test_a_skipped_age_still_routes(router):
    state = answered(router, ["en", "yes", "skip"])
    assert state.at == ("teens", "happy")


def test_progress_counts_the_longest_way_until_a_branch_is_decided(router, library):
    state, replies, _ = play(router, ["en", "yes", "12"])
    assert replies[-1].progress == Progress(1, 6, "Question 1 of 6")
    teens = library.get("teens")
    state = answered(teens, ["7", "never", "sport"])
    state, replies, _ = advance(teens, state, Text("3"))
    assert replies[-1].progress.text == "Question 5 of 5"


def test_a_sub_flow_returns_and_the_conversation_completes(router):
    state, replies, events = play(router, ["en", "yes", "5", "3", "yes"])
    assert state.status == "complete" and texts(replies)[-1] == "Thank you!"
    assert state.answers == {"age": 5, "happy_yesterday": 3, "feels_safe": "yes"}
    assert events[-1] == Finished(status="complete")


def test_piped_answers_and_params(library):
    teens = library.get("teens")
    state, replies, _ = play(teens, ["5", "never", "1 and 2", "3"], params={"council": "Fife"})
    assert replies[-1].text == "What music do you like, Sport, Music fan?"
    state, replies, _ = advance(teens, state, Text("rock"))
    state, replies, _ = advance(teens, state, Text("more money"))
    assert texts(replies)[-1] == "That's all. Thanks, Fife!"


def test_multi_choice_branches_on_what_was_picked(library):
    teens = library.get("teens")
    assert answered(teens, ["5", "never", "sport", "3"]).at == ("teens", "better")
    assert answered(teens, ["5", "never", "music", "3"]).at == ("teens", "music")


# -- limits and damaged states --------------------------------------------------

LOOP = """
spec_version: "1.0"
id: loop
title: Loop
survey: demo
locales: [en]
start: q
states:
  q: {type: question, ask: yesno, key: q, prompt: q}
  a: {type: message, say: m, next: b}
  b: {type: message, say: m, next: a}
messages:
  q: "Go?"
  m: "round"
"""


def test_a_flow_that_loops_without_asking_fails_safely():
    flow = flow_from(LOOP)
    state, replies, events = play(flow, ["yes"])
    assert state.status == "failed"
    assert Failed(reason="step-budget") in events
    assert texts(replies)[-1].startswith("Sorry, something went wrong")


def test_too_many_turns_end_the_conversation(pets):
    state = started(pets)
    options = Options(max_turns=2)
    state, _, _ = advance(pets, state, Text("hi"), options)
    state, _, _ = advance(pets, state, Text("hi"), options)
    state, _, events = advance(pets, state, Text("hi"), options)
    assert state.status == "failed" and Failed(reason="turn-budget") in events


def test_a_state_of_another_flow_or_version_is_refused(pets, router):
    state = started(pets)
    with pytest.raises(StateError, match="is on flow pets version 1, not router version 3"):
        advance(router, state, Text("yes"))
    with pytest.raises(StateError, match="not a conversation state"):
        advance(pets, {"flow": "pets"}, Text("yes"))
    with pytest.raises(StateError, match="not a conversation state"):
        advance(pets, ["x"], Text("yes"))
    broken = replace(state, at=("pets", "nowhere"))
    with pytest.raises(StateError, match="not in this flow"):
        advance(pets, broken, Text("yes"))
    with pytest.raises(StateError, match="not a question"):
        advance(pets, replace(state, at=("pets", "welcome")), Text("yes"))
    with pytest.raises(StateError, match="not in this flow"):
        advance(pets, replace(state, at=None), Text("yes"))


def test_advance_never_changes_the_state_it_was_given(pets):
    state = answered(pets, ["yes", "yes"])
    before = state.dump(pets)
    advance(pets, state, Text("dog"))
    advance(pets, state, Text("back"))
    advance(pets, state, Text("stop"))
    advance(pets, state, Expire())
    assert state.dump(pets) == before


def test_a_state_cannot_be_changed_in_place(pets):
    state = answered(pets, ["yes", "yes"], params={"council": "Fife"})
    with pytest.raises(FrozenInstanceError):
        state.status = "complete"
    with pytest.raises(TypeError):
        state.answers["has_pet"] = "no"
    with pytest.raises(TypeError):
        state.ctx.params["council"] = "Powys"
    assert isinstance(state.history, tuple) and isinstance(state.stack, tuple)


# -- ending without a message: expiry and quick exit -------------------------------

@pytest.mark.parametrize("leave", [Expire(), QuickExit()], ids=["expire", "quick-exit"])
def test_expiry_and_quick_exit_end_the_conversation_keeping_its_answers(pets, leave):
    state = answered(pets, ["yes", "yes", "dog"])
    ended, replies, events = advance(pets, state, leave)
    assert ended.status == "partial" and ended.at is None and ended.stack == ()
    assert ended.answers == state.answers and ended.turns == state.turns
    assert replies == () and events == (Finished(status="partial"),)


def test_an_ended_conversation_cannot_expire_again(pets):
    state = answered(pets, ["no"])
    assert advance(pets, state, Expire()) == (state, (), ())
    assert advance(pets, state, QuickExit()) == (state, (), ())


def test_implicit_ends_finish_the_flow_and_return_from_sub_flows():
    sub = """
        spec_version: "1.0"
        id: sub
        title: Sub
        survey: demo
        locales: [en]
        start: s
        states:
          s: {type: question, ask: yesno, key: s, prompt: p}
        messages:
          p: "Sub?"
    """
    root = flow_from("""
        spec_version: "1.0"
        id: root
        title: Root
        survey: demo
        locales: [en]
        start: go
        states:
          go: {type: subflow, flow: sub}
          after: {type: message, say: m}
        messages:
          m: "Back in root."
    """, others=(sub,))
    state, replies, events = play(root, ["yes"])
    assert texts(replies)[-1] == "Back in root." and state.status == "complete"


# -- what is handed over at the end ------------------------------------------------

def test_transcript_describes_each_answer(router):
    state = answered(router, ["en", "yes", "6", "skip", "yes"], channel="sms", country="wales")
    out = transcript(router, state)
    assert out == {
        "flow": "router", "version": 3, "survey": "little-ones", "status": "complete",
        "consent": True, "channel": "sms", "locale": "en", "country": "wales",
        "age_band": "4-7",
        "answers": {"age": 6, "feels_safe": "yes"},
        "skipped": ["happy_yesterday"],
        "questions": {
            "age": {"ask": "number", "flow": "router", "core": False, "sensitive": False,
                    "personal": True},
            "happy_yesterday": {"ask": "faces", "flow": "kids", "core": True,
                                "sensitive": False, "personal": False},
            "feels_safe": {"ask": "yesno", "flow": "kids", "core": True, "sensitive": False,
                           "personal": False},
        },
    }


def test_going_back_and_taking_another_route_changes_the_age_band(router):
    state = answered(router, ["en", "yes", "5"])
    assert state.ctx.age_band == "4-7" and state.ctx.survey == "little-ones"
    state = answered(router, ["en", "yes", "5", "back", "12"])
    assert state.ctx.age_band == "11-17" and state.ctx.survey == "demo"
