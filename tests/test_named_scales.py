"""Answer scales a flow names once and reuses, 0-10 questions without the added labels,
and SMS answers whose words start with a number."""

from __future__ import annotations

import pytest

from chatsurvey.engine import FlowError
from chatsurvey.engine.render import sms_options
from tests.helpers import flow_from, play

SWEMWBS = """
spec_version: "1.0"
id: wellbeing
title: Well-being
survey: demo
locales: [en]
start: optimistic
scales:
  swemwbs:
    - none_of_the_time
    - rarely
    - some_of_the_time
    - often
    - {value: all_of_the_time, label: all_the_time}
  rating5: [r1, r2, r3, r4, r5]
states:
  optimistic: {type: question, ask: frequency, scale: swemwbs, key: optimistic, prompt: opt}
  useful: {type: question, ask: frequency, scale: swemwbs, key: useful, prompt: useful}
  rating: {type: question, ask: choice, scale: rating5, key: rating, prompt: rating}
  life:
    type: question
    ask: scale
    key: life
    prompt: life
    min_label: low
    max_label: high
    ends: false
  end: {type: end}
messages:
  opt: "I've been feeling optimistic about the future"
  useful: "I've been feeling useful"
  rating: "How good is your home?"
  life: "From 0 (not at all) to 10 (completely), how satisfied are you with your life?"
  low: "not at all"
  high: "completely"
  none_of_the_time: "None of the time"
  rarely: "Rarely"
  some_of_the_time: "Some of the time"
  often: "Often"
  all_the_time: "All of the time"
  r1: "1 - Very poor"
  r2: "2 - Poor"
  r3: "3 - OK"
  r4: "4 - Good"
  r5: "5 - Very good"
"""


def test_a_named_scale_is_written_once_and_used_by_several_questions():
    flow = flow_from(SWEMWBS)
    optimistic, useful, rating = (flow.nodes[n] for n in ("optimistic", "useful", "rating"))
    assert optimistic.options == useful.options
    assert [o.value for o in optimistic.options][-1] == "all_of_the_time"
    assert optimistic.options[-1].label == "wellbeing:all_the_time"
    assert optimistic.scale == useful.scale == "swemwbs"
    assert [o.value for o in rating.options] == ["r1", "r2", "r3", "r4", "r5"]
    _, replies, events = play(flow, ["often"], channel="sms")
    assert events[-1].value == "often"


def test_sms_answers_that_start_with_their_number_are_not_numbered_twice():
    flow = flow_from(SWEMWBS)
    _, replies, _ = play(flow, ["often", "rarely"], channel="sms")
    assert "\n1 - Very poor\n2 - Poor\n3 - OK\n4 - Good\n5 - Very good" in replies[-1].text
    assert "1 1" not in replies[-1].text
    assert sms_options(["1", "2"], ["Under 1 year", "1 to 2 years"]) == [
        "1: Under 1 year", "2: 1 to 2 years"]
    assert sms_options(["1", "2"], ["Never", "Sometimes"]) == ["1 Never", "2 Sometimes"]
    assert sms_options(["1", "2"], ["1. Never", "2. Sometimes"]) == ["1. Never", "2. Sometimes"]
    assert sms_options(["1", "2"], ["2 - Never", "1 - Always"]) == ["1: 2 - Never",
                                                                   "2: 1 - Always"]


def test_a_0_to_10_question_can_leave_out_the_added_labels():
    flow = flow_from(SWEMWBS)
    for channel in ("sms", "web"):
        _, replies, _ = play(flow, ["often", "rarely", "3"], channel=channel)
        assert "0 is not at all" not in replies[-1].text
        if channel == "web":
            assert replies[-1].widget.ends is None
            assert replies[-1].widget.min_label == "not at all"  # the row keeps its ends
    said = flow_from(SWEMWBS.replace("    ends: false\n", ""))
    _, replies, _ = play(said, ["often", "rarely", "3"], channel="sms")
    assert "0 is not at all. 10 is completely." in replies[-1].text


@pytest.mark.parametrize(("change", "words", "said"), [
    ("rating5", "always4", "has the name of a built-in scale"),
    ("ask: choice, scale: rating5,", "ask: choice, options: [r1, r2], scale: rating5,",
     "give either options or a scale, not both"),
    ("  rating5: [r1, r2, r3, r4, r5]", "  rating5: [r1, r1, r3]",
     "lists the answer 'r1' more than once"),
])
def test_a_scale_that_clashes_is_refused(change, words, said):
    with pytest.raises(FlowError) as refused:
        flow_from(SWEMWBS.replace(change, words))
    assert said in str(refused.value)


def test_an_unknown_scale_names_the_ones_there_are():
    with pytest.raises(FlowError) as refused:
        flow_from(SWEMWBS.replace("scale: rating5, key: rating", "scale: rating6, key: rating"))
    assert "uses the scale 'rating6', which is neither built in nor under scales:" in str(
        refused.value)
    assert "always4" in str(refused.value) and "swemwbs" in str(refused.value)
