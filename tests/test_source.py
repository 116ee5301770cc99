"""Reading flow YAML: line numbers, duplicate keys, YAML 1.2 booleans."""

import pytest

from chatsurvey.engine.source import FlowSyntaxError, SourceDoc, parse_yaml


def test_lines_are_recorded_for_every_path():
    doc = parse_yaml("a: 1\nstates:\n  q:\n    ask: yesno\n    opts: [x, y]\n")
    assert doc.line_of(("states", "q", "ask")) == 4
    assert doc.line_of(("states", "q", "opts", 1)) == 5
    # A path that is not there falls back to its closest parent.
    assert doc.line_of(("states", "q", "missing")) == 3
    assert doc.line_of(("nothing",)) == 1


def test_line_of_an_empty_document_map_is_none():
    assert SourceDoc(data={}).line_of(("x",)) is None


def test_duplicate_keys_are_refused_with_their_line():
    with pytest.raises(FlowSyntaxError) as info:
        parse_yaml("states:\n  q: 1\n  q: 2\n", "f.yaml")
    assert info.value.line == 3
    assert "'q' is written twice" in str(info.value)
    assert str(info.value).startswith("f.yaml:3: ")


def test_yes_and_no_stay_text_but_true_is_a_boolean():
    doc = parse_yaml("a: no\nb: yes\nc: true\nd: On\ne: 1.5\n")
    assert doc.data == {"a": "no", "b": "yes", "c": True, "d": "On", "e": 1.5}


def test_numeric_and_boolean_keys_become_text():
    doc = parse_yaml("1: a\ntrue: b\n2.5: c\n")
    assert doc.data == {1: "a", "true": "b", "2.5": "c"}


@pytest.mark.parametrize("text, words", [
    ("a: [1, 2\n", "YAML syntax"),
    ("a: b\n  c: d\n", "YAML syntax"),
    ("", "the file is empty"),
    ("? [a, b]\n: c\n", "a field name must be plain text"),
    ("a: !!python/object:os.system x\n", "YAML syntax"),
    ("a: \x07\n", "YAML syntax"),
])
def test_unreadable_yaml_gets_a_clear_error(text, words):
    with pytest.raises(FlowSyntaxError) as info:
        parse_yaml(text, "x.yaml")
    assert words in str(info.value)


def test_error_without_a_line_still_names_the_source():
    error = FlowSyntaxError("broken", None, "x.yaml")
    assert str(error) == "x.yaml: broken"
    assert str(FlowSyntaxError("broken")) == "broken"


def test_two_documents_are_refused():
    with pytest.raises(FlowSyntaxError):
        parse_yaml("a: 1\n---\nb: 2\n")
