"""The compact state kept in Redis round-trips exactly and stays small."""

import json
import random

import pytest

from chatsurvey.engine import StateError, advance, start
from chatsurvey.engine.state import pack, unpack
from tests.helpers import flow_from
from tests.test_properties import LIBRARIES, sensible_answer


@pytest.mark.parametrize("flow_id", sorted(LIBRARIES["fixtures"].flows))
def test_every_state_of_a_walk_round_trips(flow_id):
    flow = LIBRARIES["fixtures"].get(flow_id)
    for seed in range(25):
        rng = random.Random(seed)
        state, replies, _ = start(flow, channel=rng.choice(["web", "sms"]),
                                  locale=rng.choice(flow.locales), country="wales",
                                  params={"council": "Powys"} if seed % 2 else None)
        while True:
            packed = pack(flow, state)
            assert unpack(flow, packed) == state
            assert len(packed) < len(json.dumps(state))
            if state["status"] != "active":
                break
            state, replies, _ = advance(flow, state, sensible_answer(replies[-1], rng))


def test_a_long_conversation_packs_small(library):
    router = library.get("router")
    state, _, _ = start(router, channel="sms")
    for message in ["en", "yes", "12", "4", "never", "1 2", "3", "drums", "x" * 100]:
        state, _, _ = advance(router, state, message)
    packed = pack(router, state)
    assert unpack(router, packed) == state
    assert len(packed) < 400, packed


def test_damaged_or_foreign_states_are_refused(library):
    pets, router = library.get("pets"), library.get("router")
    packed = pack(pets, start(pets)[0])
    with pytest.raises(StateError, match="not router version 3"):
        unpack(router, packed)
    for broken in ["", "[]", "{}", packed.replace('"s":0', '"s":99'), packed[:-5]]:
        with pytest.raises(StateError, match="damaged conversation state"):
            unpack(pets, broken)


def test_a_sub_flow_s_own_entry_has_a_position_too(library):
    # A frame can point at a flow of the bundle before any of its states ([flow, None]).
    from chatsurvey.engine.state import _Index

    router = library.get("router")
    index = _Index(router)
    for flow_id in index.flow_ids:
        assert index.pos([flow_id, None]) < 0
        assert index.at(index.pos([flow_id, None])) == [flow_id, None]
    assert index.pos(None) is None and index.at(None) is None


def test_a_garbled_typed_answer_is_kept_readable_and_packs():
    """Undecodable bytes read with surrogateescape arrive as lone surrogates: not sendable."""
    flow = flow_from("""
        spec_version: "1.0"
        id: garbled
        title: Garbled
        survey: test
        locales: [en]
        start: say
        states:
          say: {type: question, ask: text, key: say, prompt: p}
          end: {type: end, say: p}
        messages:
          p: "Tell me"
        """)
    state, _, _ = start(flow, channel="sms")
    state, _, _ = advance(flow, state, "caf\udcc3\udca9 ok \ud800")
    assert state["answers"]["say"] == "caf\ufffd\ufffd ok \ufffd"
    assert unpack(flow, pack(flow, state)) == state
