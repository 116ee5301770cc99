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


# -- hostile documents: a flow editor, `flows check` and the simulator all read YAML
#    written by someone else, so reading must stay small and fast whatever it is given.

def billion_laughs(levels: int = 9) -> str:
    """The classic alias bomb: a few hundred bytes that expand to 9**9 strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"[:levels - 1], strict=False):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _bounded(call):
    """Run ``call``; return what it raised, with the time taken and the memory it peaked at."""
    import time
    import tracemalloc

    tracemalloc.start()
    began = time.perf_counter()
    try:
        call()
    except FlowSyntaxError as exc:
        raised = exc
    else:
        raised = None
    took = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return raised, took, peak


def test_the_alias_bomb_is_refused_at_once_without_growing():
    bomb = billion_laughs()
    assert len(bomb.encode()) <= 414
    raised, took, peak = _bounded(lambda: parse_yaml(bomb, "bomb.yaml"))
    assert raised is not None, "the bomb was read"
    assert "&" in raised.message and "*" in raised.message and raised.line == 2
    assert took < 0.5 and peak < 5_000_000, (took, peak)


@pytest.mark.parametrize("text", [
    "a: &x hello\nb: *x\n",                      # a repeated text
    "a: &x {b: 1}\nc: *x\n",                     # a repeated mapping
    "a: &x [1]\nb: [*x, *x]\n",                  # a repeated list
    "a: &x [*x]\n",                              # a list that holds itself
    "base: &b {ask: yesno}\nq:\n  <<: *b\n",      # a merge key
])
def test_anchors_and_aliases_are_refused(text):
    with pytest.raises(FlowSyntaxError) as info:
        parse_yaml(text, "x.yaml")
    assert "write it out" in str(info.value)


def test_an_anchor_without_an_alias_is_harmless():
    assert parse_yaml("a: &x 1\nb: 2\n").data == {"a": 1, "b": 2}


@pytest.mark.parametrize("text", [
    "[" * 5000 + "]" * 5000,                                               # flow style
    "- " * 5000 + "x\n",                                                    # block style
    "a: " + "[" * 200 + "]" * 200 + "\n",                                   # under YAML's own limit
])
def test_deep_nesting_is_a_clear_error(text):
    raised, took, _ = _bounded(lambda: parse_yaml(text, "deep.yaml"))
    assert raised is not None
    assert "nested" in raised.message or "nesting" in raised.message
    assert took < 2


def test_real_flows_are_well_inside_the_limits():
    from chatsurvey.engine import source

    deepest = "a: " + "[" * (source.MAX_DEPTH - 1) + "]" * (source.MAX_DEPTH - 1) + "\n"
    assert parse_yaml(deepest).data["a"]
    with pytest.raises(FlowSyntaxError):
        parse_yaml("a: " + "[" * source.MAX_DEPTH + "]" * source.MAX_DEPTH + "\n")


def test_a_document_too_long_is_refused_before_it_is_read():
    from chatsurvey.engine import source

    text = "a: " + "x" * source.MAX_CHARS
    raised, took, peak = _bounded(lambda: parse_yaml(text, "long.yaml"))
    assert raised is not None and "too long" in raised.message
    assert took < 0.1


def test_too_many_values_are_refused():
    from chatsurvey.engine import source

    text = "a: [" + ",".join(["1"] * source.MAX_VALUES) + "]\n"
    assert len(text) < source.MAX_CHARS
    with pytest.raises(FlowSyntaxError) as info:
        parse_yaml(text)
    assert "values" in info.value.message
