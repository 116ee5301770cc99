"""Slots for local questions: the programme's flow says where, a council's block says what.

A council's own states are put in at the slots the flow declares (``splice``), and
played for that council's young people only; a flow with an empty slot plays as
if the slot were not there.
"""

from __future__ import annotations

from textwrap import dedent

import pytest

from chatsurvey.engine import FlowError, compile_document, load_document
from chatsurvey.engine.compile import declared_slots, splice
from chatsurvey.engine.model import BranchNode, MessageNode
from tests.helpers import play, texts

CORE = dedent("""\
    spec_version: "1.0"
    id: core
    title: Core
    survey: demo
    locales: [en, cy]
    start: q
    states:
      q:
        type: question
        ask: yesno
        key: q
        prompt: q
        core: true
      council_questions:
        type: local
        slot: before_open_questions
      better:
        type: question
        ask: text
        key: better
        prompt: better
      council_contacts:
        type: local
        slot: contacts
        questions: false
        next: bye
      bye:
        type: end
        say: bye
    messages:
      q: "Do you feel safe?"
      better: "What would make things better?"
      bye: "Bye!"
    """)

BLOCK = dedent("""\
    slots:
      before_open_questions: [local_club, local_often]
      contacts: [local_advocacy]
    states:
      local_club:
        type: question
        ask: yesno
        key: local_club
        prompt: local_club
      local_often:
        type: question
        ask: choice
        key: local_often
        prompt: local_often
        options: [local_weekly, local_monthly]
        when: {answer: local_club, equals: "yes"}
      local_advocacy:
        type: message
        say: local_advocacy
    messages:
      local_club: "Do you go to the youth club?"
      local_often: "How often?"
      local_weekly: "Every week"
      local_monthly: "Every month"
      local_advocacy: "Testshire Advocacy: call 01234 567 890."
    """)


def compiled(core: str = CORE, block: str | None = BLOCK):
    doc = load_document(core, "core.yaml")
    if block is not None:
        doc = splice(doc, load_document(block, "local.yaml"))
    return compile_document(doc)


def test_an_empty_slot_says_nothing_and_goes_on():
    flow = compiled(block=None)
    assert isinstance(flow.nodes["council_questions"], MessageNode)
    assert flow.nodes["council_questions"].say == ()
    _, replies, events = play(flow, ["yes", "nothing"])
    assert texts(replies) == ["Do you feel safe?", "What would make things better?", "Bye!"]
    assert [e.type for e in events].count("answer") == 2


def test_a_block_is_played_at_its_slots_in_order_and_the_flow_goes_on():
    flow = compiled()
    _, replies, events = play(flow, ["yes", "yes", "Every week", "more clubs"])
    assert texts(replies) == [
        "Do you feel safe?", "Do you go to the youth club?", "How often?",
        "What would make things better?", "Testshire Advocacy: call 01234 567 890.", "Bye!"]
    answers = {e.key: e.value for e in events if e.type == "answer"}
    assert answers == {"q": "yes", "local_club": "yes", "local_often": "local_weekly",
                       "better": "more clubs"}


def test_a_state_with_a_condition_is_asked_only_when_it_holds():
    flow = compiled()
    assert isinstance(flow.nodes["when_local_often"], BranchNode)
    _, replies, _ = play(flow, ["yes", "no", "more clubs"])
    assert "How often?" not in texts(replies)
    assert texts(replies)[-3:] == ["What would make things better?",
                                   "Testshire Advocacy: call 01234 567 890.", "Bye!"]


def test_progress_counts_the_council_s_questions_too():
    _, replies, _ = play(compiled(), ["yes"])
    # q, the club, how often (not decided yet: the longest way is counted) and better
    assert [r.progress.total for r in replies] == [4, 4]
    _, replies, _ = play(compiled(), ["yes", "no"])
    assert replies[-1].as_dict()["progress"] == {"n": 3, "total": 3, "text": "Question 3 of 3"}
    _, replies, _ = play(compiled(block=None), ["yes"])
    assert [r.progress.total for r in replies] == [2, 2]


def test_declared_slots_say_which_take_questions():
    assert declared_slots(load_document(CORE).data) == {"before_open_questions": True,
                                                        "contacts": False}
    assert declared_slots("not a flow") == {}
    assert declared_slots({"states": {"x": "not a state"}}) == {}


def test_a_question_in_a_slot_for_messages_is_refused():
    block = BLOCK.replace("contacts: [local_advocacy]", "contacts: [local_club]").replace(
        "before_open_questions: [local_club, local_often]", "before_open_questions: []")
    with pytest.raises(FlowError) as info:
        compiled(block=block)
    problem = info.value.problems[0]
    assert "takes messages only" in problem.message and problem.source == "local.yaml"
    assert problem.line == block.splitlines().index("  local_club:") + 1


@pytest.mark.parametrize(("old", "new"), [
    ("  local_club:\n    type: question", "  better:\n    type: question"),     # a core state
    ("  local_advocacy: \"Testshire", "  better: \"Testshire"),                 # a core message
])
def test_a_name_the_flow_already_uses_is_refused(old, new):
    block = BLOCK.replace(old, new).replace("[local_club, local_often]", "[better, local_often]")
    with pytest.raises(FlowError) as info:
        compiled(block=block)
    assert "'better' is already used" in info.value.problems[0].message


def test_a_slot_with_nothing_after_it_is_refused():
    core = CORE.replace("  bye:\n    type: end\n    say: bye\n", "").replace(
        "    next: bye\n", "").replace('  bye: "Bye!"\n', "")
    problems = _problems(core)
    assert any("must have a state after it" in p.message for p in problems)
    with pytest.raises(FlowError) as info:
        splice(load_document(core, "core.yaml"), load_document(BLOCK, "local.yaml"))
    assert "has no state after it" in info.value.problems[0].message


def test_a_slot_declared_twice_is_refused():
    core = CORE.replace("slot: contacts", "slot: before_open_questions")
    assert any("declared more than once" in p.message for p in _problems(core))


def test_errors_in_a_block_point_at_the_block_s_lines():
    block = BLOCK.replace("prompt: local_club", "prompt: local_nothing").replace(
        'when: {answer: local_club, equals: "yes"}', "when: {answer: local_club, between: [3, 1]}")
    with pytest.raises(FlowError) as info:
        compiled(block=block)
    by_message = {p.message.split(",")[0]: p.line for p in info.value.problems}
    lines = block.splitlines()
    assert by_message["uses message 'local_nothing'"] == lines.index(
        "    prompt: local_nothing") + 1
    condition = next(line for message, line in by_message.items() if "between" in message)
    assert condition == next(i for i, t in enumerate(lines, 1) if "between: [3, 1]" in t)


def _problems(core: str):
    with pytest.raises(FlowError) as info:
        compile_document(load_document(core, "core.yaml"))
    return info.value.problems
