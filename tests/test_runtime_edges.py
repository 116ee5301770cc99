"""Less common paths through the engine: control questions, params, loops, progress."""

import pytest
from jsonschema.exceptions import ValidationError

from chatsurvey.engine import start
from chatsurvey.engine.compile import _schema_message
from chatsurvey.engine.events import ContextSet, Failed
from chatsurvey.engine.replies import Progress
from tests.helpers import flow_from, kinds, play, texts

EDGES = """
spec_version: "1.0"
id: edges
title: Edges
survey: demo
locales: [en]
start: band
states:
  band:
    type: question
    ask: choice
    record: false
    sets: age_band
    prompt: q
    options: [{value: 8-11, label: young}, {value: 16-25, label: old}]
  mood:
    type: question
    ask: yesno
    record: false
    prompt: q
  first:
    type: question
    ask: yesno
    key: first
    prompt: q
  second:
    type: question
    ask: yesno
    key: second
    prompt: q
  by_first:
    type: branch
    cases:
      - when: {answer: first, equals: "yes"}
        next: extra
      - when: {param: council, is: set}
        next: extra
    otherwise: go
  extra:
    type: question
    ask: text
    key: extra
    prompt: q
  go:
    type: subflow
    flow: inner
messages:
  q: "Question?"
  young: "8 to 11"
  old: "16 to 25"
"""

INNER = """
spec_version: "1.0"
id: inner
title: Inner
survey: demo
locales: [en]
start: i
states:
  i: {type: question, ask: yesno, key: inner_q, prompt: q}
  done: {type: end}
messages:
  q: "Inner?"
"""


@pytest.fixture
def edges():
    return flow_from(EDGES, others=(INNER,))


def test_a_choice_can_set_the_age_band_and_control_questions_keep_nothing(edges):
    state, _, events = play(edges, ["16 to 25", "yes"])
    assert state.ctx.age_band == "16-25"
    assert ContextSet(field="age_band", value="16-25") in events
    assert state.answers == {} and state.vars == {}


def test_progress_follows_decided_branches_and_enters_sub_flows(edges):
    state, replies, _ = play(edges, ["8 to 11", "no"])
    assert replies[-1].progress.total == 4  # first, second, extra?, inner: longest way
    state, replies, _ = play(edges, ["8 to 11", "no", "no"])
    assert replies[-1].progress == Progress(2, 3, "Question 2 of 3")
    state, replies, _ = play(edges, ["8 to 11", "no", "no"], params={"council": "Fife"})
    assert replies[-1].progress.total == 4


def test_a_branch_loop_is_stopped_by_the_budgets():
    flow = flow_from("""
        spec_version: "1.0"
        id: spin
        title: Spin
        survey: demo
        locales: [en]
        start: q
        states:
          q: {type: question, ask: yesno, key: q, prompt: q}
          a: {type: branch, cases: [{when: {channel: web}, next: b}], otherwise: b}
          b: {type: branch, cases: [{when: {channel: web}, next: a}], otherwise: a}
        messages:
          q: "Go?"
    """)
    state, replies, events = play(flow, ["yes"])
    assert replies[0].progress.total == 1
    assert state.status == "failed" and Failed(reason="step-budget") in events


def test_a_disclosure_without_a_signpost_flow_still_gets_a_kind_reply():
    flow = flow_from("""
        spec_version: "1.0"
        id: nohelp
        title: No help flow
        survey: demo
        locales: [en]
        start: q
        states:
          q: {type: question, ask: yesno, key: q, prompt: q}
        messages:
          q: "Go?"
    """)
    state, replies, events = play(flow, ["i want to die"])
    assert kinds(events) == ["started", "invalid", "signpost"]
    assert texts(replies)[1] == "Sorry, I did not get that."


def test_unknown_schema_complaints_fall_back_to_jsonschema_words():
    error = ValidationError("is not a 'date'", validator="format", validator_value="date",
                            instance="x", schema={})
    assert _schema_message(error) == "is not a 'date'"


def test_progress_stops_at_an_end_that_ends_everything():
    flow = flow_from("""
        spec_version: "1.0"
        id: short
        title: Short
        survey: demo
        locales: [en]
        start: q1
        states:
          q1: {type: question, ask: yesno, key: q1, prompt: q}
          q2: {type: question, ask: yesno, key: q2, prompt: q}
          stop: {type: end, status: partial}
          never: {type: question, ask: yesno, key: q3, prompt: q}
        messages:
          q: "Go?"
    """)
    _, replies, _ = play(flow, ["yes"])
    assert replies[-1].progress.total == 2


def test_progress_counts_a_loop_through_undecided_branches_once():
    flow = flow_from("""
        spec_version: "1.0"
        id: undecided
        title: Undecided
        survey: demo
        locales: [en]
        start: q1
        states:
          q1: {type: question, ask: yesno, key: q1, prompt: q}
          a: {type: branch, cases: [{when: {answer: later, equals: "yes"}, next: b}], otherwise: b}
          b: {type: branch, cases: [{when: {answer: later, equals: "yes"}, next: a}], otherwise: later}
          later: {type: question, ask: yesno, key: later, prompt: q}
        messages:
          q: "Go?"
    """)
    _, replies, _ = start(flow)
    assert replies[-1].progress.total == 2


@pytest.mark.parametrize("kept", [32, 1])
def test_progress_follows_each_conversations_own_answers_when_the_walk_is_reused(kept,
                                                                               monkeypatch):
    """Two conversations at the same question, with different earlier answers, count apart.

    With room for one walk per place, each new one replaces the last.
    """
    from chatsurvey.engine import runtime

    monkeypatch.setattr(runtime, "REMAINING_KEPT", kept)
    flow = flow_from("""
        spec_version: "1.0"
        id: fork
        title: Fork
        survey: test
        locales: [en]
        start: pets
        states:
          pets: {type: question, ask: yesno, key: pets, prompt: p}
          name: {type: question, ask: text, key: name, prompt: p}
          fork: {type: branch, cases: [{when: {answer: pets, equals: "yes"}, next: kind}],
                 otherwise: end}
          kind: {type: question, ask: text, key: kind, prompt: p}
          age: {type: question, ask: number, min: 0, max: 30, key: age, prompt: p}
          end: {type: end, say: p}
        messages:
          p: "Tell me"
        """)
    totals = {}
    for answer in ("yes", "no", "yes", "no"):  # the second "yes" and "no" reuse the walks
        state, replies, _ = play(flow, [answer])
        totals.setdefault(answer, set()).add(replies[-1].progress.total)
    assert totals == {"yes": {4}, "no": {2}}


def test_a_progress_walk_is_reused_by_answers_that_decide_the_branches_the_same_way():
    """The walk is kept with what the branches decided, not with the answers they read."""
    flow = flow_from("""
        spec_version: "1.0"
        id: ages
        title: Ages
        survey: test
        locales: [en]
        start: age
        states:
          age: {type: question, ask: number, min: 0, max: 30, key: age, prompt: p}
          pets: {type: question, ask: yesno, key: pets, prompt: p}
          fork: {type: branch, cases: [{when: {answer: age, lt: 12}, next: young}],
                 otherwise: end}
          young: {type: question, ask: yesno, key: young, prompt: p}
          end: {type: end, say: p}
        messages:
          p: "Tell me"
        """)
    totals = {age: play(flow, [age])[1][-1].progress.total for age in ("5", "9", "20", "25")}
    assert totals == {"5": 3, "9": 3, "20": 2, "25": 2}
    walks = [v for k, v in flow.cache.items() if k[:3] == ("remaining", "ages", "pets")]
    assert [len(kept) for kept in walks] == [2]  # one per way the branch went, not one per age
