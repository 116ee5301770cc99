"""The engine's contract as written down in chatsurvey/engine/README.md, checked against the code."""

import json
import re

import pytest

from chatsurvey.engine import EVENT_TYPES, Event, Text, advance, start
from chatsurvey.engine.events import Answered
from tests.helpers import PROJECT, play

README = (PROJECT / "chatsurvey" / "engine" / "README.md").read_text()


def documented_events() -> dict[str, dict]:
    """The JSON example under each heading of the README's "Events" section, by type."""
    section = README.split("\n## Events\n", 1)[1].split("\n## ", 1)[0]
    found = {}
    for heading, body in re.findall(r"\n### `(\w+)`[^\n]*\n(.*?)(?=\n### |\Z)", section, re.S):
        [example] = re.findall(r"```json\n(.*?)\n```", body, re.S)
        found[heading] = json.loads(example)
    return found


def test_every_event_type_is_documented_with_an_example_and_nothing_else():
    assert set(documented_events()) == set(EVENT_TYPES)


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_each_documented_example_is_that_event_s_json_form(name):
    example = documented_events()[name]
    assert example["type"] == name
    event = EVENT_TYPES[name](**{k: v for k, v in example.items() if k != "type"})
    assert event.as_dict() == example
    assert list(event.as_dict()) == list(example)  # the fields in the order they are declared


def test_events_are_frozen_values(library):
    _, _, events = play(library.get("pets"), ["yes", "yes"])
    answered = events[-1]
    assert answered == Answered(key="has_pet", value="yes", flow="pets", core=True)
    with pytest.raises(AttributeError):
        answered.key = "other"  # type: ignore[misc]
    assert all(isinstance(e, Event) for e in events)


def test_what_start_and_advance_return_is_typed(library):
    pets = library.get("pets")
    state, replies, events = start(pets, channel="sms")
    assert isinstance(replies, tuple) and isinstance(events, tuple)
    state, replies, events = advance(pets, state, Text("yes"))
    assert [type(r).__name__ for r in replies] == ["Reply"]
    assert all(r.as_dict()["text"] == r.text for r in replies)
