"""Schema and structure errors, worded for analysts and pointing at the line."""

import json
from textwrap import dedent

import jsonschema
import pytest

from chatsurvey.engine import FlowError, compile_flow, link, schema
from chatsurvey.engine.compile import compile_document, load_document, referenced_flows
from chatsurvey.engine.model import BranchNode, EndNode, QuestionNode
from tests.helpers import MINIMAL, PROJECT


def errors(text: str) -> list:
    with pytest.raises(FlowError) as info:
        compile_flow(dedent(text), source="f.yaml")
    return info.value.problems


def one_error(text: str):
    problems = errors(text)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def with_state(state_yaml: str, messages: str = 'q: "Q?"') -> str:
    return dedent("""\
        spec_version: "1.0"
        id: t
        title: T
        survey: demo
        locales: [en]
        start: q
        states:
        {states}
          end:
            type: end
        messages:
          {messages}
        """).format(
            states="\n".join("  " + line for line in dedent(state_yaml).strip("\n").splitlines()),
            messages=messages)


def test_the_published_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(schema())
    published = json.loads((PROJECT / "chatsurvey/engine/flow.schema.json").read_text())
    assert published == schema()


def test_minimal_flow_compiles():
    flow = compile_flow(MINIMAL)
    assert flow.id == "mini" and flow.version == 1 and flow.source_locale == "en"
    node = flow.nodes["q"]
    assert isinstance(node, QuestionNode) and node.next == "end"
    assert [o.value for o in node.options] == ["yes", "no", "not_sure"]
    assert isinstance(flow.nodes["end"], EndNode)


def test_missing_field_names_the_state_and_line():
    problem = one_error(with_state("""
        q:
          type: question
          ask: yesno
          key: q
    """))
    assert problem.state == "q" and problem.line == 8
    assert "is missing 'prompt'" in problem.message
    assert str(problem).startswith("f.yaml:8: error: state 'q': ")


def test_unknown_field_suggests_the_right_one():
    problem = one_error(with_state("""
        q:
          type: question
          ask: yesno
          key: q
          prompt: q
          promt: q
    """))
    assert "'promt' (did you mean 'prompt'?)" in problem.message
    assert "allowed:" in problem.message


def test_unknown_question_type_lists_the_choices():
    problem = one_error(with_state("""
        q:
          type: question
          ask: slider
          key: q
          prompt: q
    """))
    assert problem.field == "ask" and problem.line == 10
    assert 'is "slider"; it must be one of: choice, multi' in problem.message


@pytest.mark.parametrize("field, value, words", [
    ("key", "Bad Key", "lower-case letters, digits and _"),
    ("core", "'yes'", "must be true or false"),
    ("max_length", "0", "must be at least 1"),
    ("max_length", "9000", "must be at most 2000"),
])
def test_bad_values_are_explained(field, value, words):
    fields = {"key": "q", field: value}
    lines = "\n".join(f"  {k}: {v}" for k, v in fields.items())
    problem = one_error(with_state(f"q:\n  type: question\n  ask: text\n  prompt: q\n{lines}"))
    assert words in problem.message, problem.message


def test_bad_state_name_and_top_level_fields():
    problems = errors("""
        spec_version: 1.0
        id: Bad_Id
        title: ""
        survey: demo
        locales: [en, en]
        start: q
        states:
          Bad Name:
            type: end
    """)
    messages = {p.field: p.message for p in problems}
    assert "must be text" in messages["spec_version"]
    assert "lower-case letters, digits and dashes" in messages["id"]
    assert messages["title"] == "must not be empty"
    assert messages["locales"] == "lists the same item twice"
    assert any("Bad Name" in p.message and p.state == "Bad Name" for p in problems)


def test_options_count_and_entries():
    problems = errors(with_state("""
        q:
          type: question
          ask: choice
          key: q
          prompt: q
          options: [only]
    """))
    assert problems[0].message == "needs at least 2 items"
    problem = one_error(with_state("""
        q:
          type: question
          ask: choice
          key: q
          prompt: q
          options: [a, {value: b, colour: red}]
    """, messages='q: "Q?"\n  a: A\n  b: B'))
    assert "'colour'" in problem.message and problem.field == "options.1"


def test_a_message_must_have_text():
    problem = one_error(with_state("""
        q:
          type: message
          say: q
    """, messages="q: {sms: short}"))
    assert problem.field == "messages.q"
    assert "is missing 'text'" in problem.message


def test_wrong_top_level_shape():
    assert "a set of fields" in one_error("- just\n- a list\n").message
    problem = one_error('{"spec_version": "1.0", "id": "x"}')
    assert "is missing" in problem.message and "'states'" in problem.message
    assert "needs at least 1 entry" in one_error(
        'spec_version: "1.0"\nid: x\ntitle: X\nsurvey: s\nlocales: [en]\nstart: a\nstates: {}\n'
    ).message


def test_future_language_version_is_refused_plainly():
    problem = one_error(MINIMAL.replace('spec_version: "1.0"', 'spec_version: "2.0"'))
    assert problem.code == "spec-version"
    assert "written in flow language 2.0" in problem.message


def test_yaml_errors_become_flow_errors():
    problem = one_error("a: [1\n")
    assert problem.code == "syntax" and problem.source == "f.yaml"


def test_references_to_missing_states_and_messages():
    problems = errors(with_state("""
        q:
          type: question
          ask: yesno
          key: q
          prompt: qq
          next: ennd
        b:
          type: branch
          cases:
            - when: {age_band: 4-7}
              next: nowhere
          otherwise: end
    """))
    found = {(p.state, p.field): p.message for p in problems}
    assert "not in messages (did you mean 'q'?)" in found[("q", "prompt")]
    assert "goes to 'ennd', which is not a state (did you mean 'end'?)" in found[("q", "next")]
    assert "goes to 'nowhere'" in found[("b", "cases.0.next")]


def test_start_and_source_locale_must_exist():
    problems = errors(MINIMAL.replace("start: q", "start: nope").replace(
        "locales: [en]", "locales: [cy]"))
    assert {p.field for p in problems} == {"start", "locales"}


@pytest.mark.parametrize("state, words", [
    ("""
        q:
          type: question
          ask: yesno
          key: q
          prompt: q
          options: [a, b]
     """, "yesno questions have their answers built in"),
    ("""
        q:
          type: question
          ask: text
          key: q
          prompt: q
          options: [a, b]
     """, "text questions do not have options"),
    ("""
        q:
          type: question
          ask: choice
          key: q
          prompt: q
          options: [a, a]
     """, "lists the answer 'a' more than once"),
    ("""
        q:
          type: question
          ask: number
          key: q
          prompt: q
          min: 5
          max: 1
     """, "min (5) is bigger than max (1)"),
    ("""
        q:
          type: question
          ask: multi
          key: q
          prompt: q
          options: [a, b]
          exclusive: [c]
     """, "exclusive names answers that are not options: c"),
    ("""
        q:
          type: question
          ask: choice
          key: q
          prompt: q
          sets: locale
          options: [a, b]
     """, "a question that sets the locale"),
    ("""
        q:
          type: question
          ask: choice
          key: q
          prompt: q
          sets: age_band
          options: [a, b]
     """, "a question that sets the age band"),
    ("""
        q:
          type: question
          ask: scale
          key: q
          prompt: q
          signpost_if: {lte: 4, gte: 9}
     """, "signpost_if has more than one test (lte, gte)"),
    ("""
        q:
          type: question
          ask: yesno
          key: q
          prompt: q
          declined: end
     """, "only consent questions have 'declined'"),
    ("""
        q:
          type: branch
          cases:
            - when: {answer: q}
              next: end
          otherwise: end
     """, "this condition needs exactly one test"),
])
def test_question_rules(state, words):
    messages = 'q: "Q?"\n  a: A\n  b: B'
    problems = errors(with_state(state, messages))
    assert any(words in p.message for p in problems), [p.message for p in problems]


def test_schema_requires_what_each_question_type_needs():
    cases = {
        "choice": "is missing 'options'",
        "frequency": "is missing 'scale'",
        "number": "is missing 'min', 'max'",
        "consent": "is missing 'declined'",
        "yesno": "is missing 'key'",
    }
    for ask, words in cases.items():
        text = with_state(f"""
            q:
              type: question
              ask: {ask}
              prompt: q
        """)
        assert any(words in p.message for p in errors(text)), ask


def test_control_questions_need_no_key_and_consent_is_never_recorded():
    flow = compile_flow(with_state("""
        q:
          type: question
          ask: consent
          prompt: q
          declined: end
        c:
          type: question
          ask: yesno
          record: false
          prompt: q
    """))
    assert flow.nodes["q"].record is False and flow.nodes["q"].declined == "end"
    assert flow.nodes["c"].key is None


def test_branch_and_subflow_nodes():
    flow = compile_flow(with_state("""
        q:
          type: branch
          cases:
            - when: {all: [{age_band: [4-7, 8-11]}, {not: {channel: sms}}]}
              next: sub
          otherwise: end
        sub:
          type: subflow
          flow: other
    """))
    branch = flow.nodes["q"]
    assert isinstance(branch, BranchNode) and branch.targets() == ["sub", "end"]
    assert flow.nodes["sub"].next == "end"
    assert referenced_flows(flow) == [("other", flow.nodes["sub"])]


def test_link_reports_missing_flows_with_their_state():
    flow = compile_flow(with_state("""
        q:
          type: subflow
          flow: other
    """).replace("start: q", "start: q\nsignpost: help-flow"), source="f.yaml")
    with pytest.raises(FlowError) as info:
        link(flow, lambda flow_id: None)
    found = {(p.state, p.field) for p in info.value.problems}
    assert found == {("q", "flow"), (None, "signpost")}
    assert all("is missing or has errors" in p.message for p in info.value.problems)


def test_link_builds_the_bundle_once_per_flow():
    sub_text = MINIMAL.replace("id: mini", "id: sub")
    sub = compile_flow(sub_text)
    root = compile_flow(with_state("""
        q:
          type: subflow
          flow: sub
        again:
          type: subflow
          flow: sub
    """))
    calls = []

    def resolve(flow_id):
        calls.append(flow_id)
        return sub

    link(root, resolve)
    assert calls == ["sub"]
    assert root.bundle == {"t": root, "sub": sub}
    assert root.flow("sub") is sub and root.flow("t") is root


def test_compile_document_keeps_the_source_for_lines():
    doc = load_document(MINIMAL, "m.yaml")
    flow = compile_document(doc)
    assert flow.doc is doc and flow.nodes["q"].line == doc.line_of(("states", "q"))


def test_long_emoji_is_refused():
    problem = one_error(with_state("""
        q:
          type: question
          ask: choice
          key: q
          prompt: q
          options: [{value: a, emoji: "😀😀😀😀😀😀😀😀😀"}, b]
    """, messages='q: "Q?"\n  a: A\n  b: B'))
    assert problem.message == "must be at most 8 characters"


def test_an_option_may_show_a_picture_that_exists():
    flow = compile_flow(with_state("""
        q:
          type: question
          ask: choice
          key: q
          prompt: q
          options: [{value: a, icon: house}, b]
    """, messages='q: "Q?"\n  a: A\n  b: B'))
    assert [o.icon for o in flow.nodes["q"].options] == ["house", None]


def test_a_picture_that_is_not_there_is_refused():
    problem = one_error(with_state("""
        q:
          type: question
          ask: choice
          key: q
          prompt: q
          options: [{value: a, icon: castle}, b]
    """, messages='q: "Q?"\n  a: A\n  b: B'))
    assert problem.code == "unknown_icon" and problem.field == "options.0.icon"
    assert "no picture called 'castle'" in problem.message


def test_every_picture_is_an_svg_with_its_licence_beside_it():
    from chatsurvey.engine.icons import ICON_DIR, known_icons, picture

    assert {"face-crying", "house"} <= known_icons()
    assert "CC BY-SA 4.0" in (ICON_DIR / "README.md").read_text()
    assert "Attribution-ShareAlike 4.0" in (ICON_DIR / "LICENSE.txt").read_text()
    for name in known_icons():
        found = picture(name)
        assert found is not None and found.parent == ICON_DIR, name
        assert found.read_text().startswith("<svg"), name
    assert picture("1F600") == ICON_DIR / "1F600.svg"  # the summaries name pictures by hexcode
    for outside in ("../../app", "castle", "1F600/../../x", "FFFFF"):  # nothing else is found
        assert picture(outside) is None, outside


def test_a_branch_can_test_why_help_was_offered():
    flow = compile_flow(with_state("""
        q:
          type: branch
          cases: [{when: {signpost: [harm, asked]}, next: end}]
          otherwise: end
    """))
    [(condition, _)] = flow.nodes["q"].cases
    assert condition.subject == "signpost" and condition.arg == ("harm", "asked")
    [problem] = errors(with_state("""
        q:
          type: branch
          cases: [{when: {signpost: sad}, next: end}]
          otherwise: end
    """))
    assert 'is "sad"; it must be one of: harm, answer, asked' in problem.message
