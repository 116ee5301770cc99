"""The state's one serialised form (kept in Redis) round-trips exactly and stays small."""

import json
import random

import orjson
import pytest

from chatsurvey.engine import State, StateError, Text, advance, start
from chatsurvey.engine.state import FORMAT, layout
from tests.helpers import MINIMAL, flow_from
from tests.test_properties import LIBRARIES, sensible_answer


def readable(state: State) -> str:
    """The state spelt out by name (answers, places, option values) as JSON: the yardstick."""
    return json.dumps({
        "flow": state.flow, "version": state.version, "status": state.status,
        "at": state.at, "stack": state.stack, "answers": dict(state.answers),
        "vars": dict(state.vars), "history": state.history, "n": state.n,
        "consent": state.consent, "retries": state.retries, "signposted": state.signposted,
        "turns": state.turns, "ctx": {"channel": state.ctx.channel, "locale": state.ctx.locale,
                                      "country": state.ctx.country,
                                      "age_band": state.ctx.age_band,
                                      "survey": state.ctx.survey,
                                      "params": dict(state.ctx.params)}})


@pytest.mark.parametrize("flow_id", sorted(LIBRARIES["fixtures"].flows))
def test_every_state_of_a_walk_round_trips(flow_id):
    flow = LIBRARIES["fixtures"].get(flow_id)
    for seed in range(25):
        rng = random.Random(seed)
        state, replies, _ = start(flow, channel=rng.choice(["web", "sms"]),
                                  locale=rng.choice(flow.locales), country="wales",
                                  params={"council": "Powys"} if seed % 2 else None)
        while True:
            packed = state.dump(flow)
            assert State.load(flow, packed) == state
            assert State.load(flow, packed.encode()) == state  # as Redis gives it back
            assert len(packed) < len(readable(state))
            if state.status != "active":
                break
            state, replies, _ = advance(flow, state, sensible_answer(replies[-1], rng))


def test_a_long_conversation_packs_small(library):
    router = library.get("router")
    state, _, _ = start(router, channel="sms")
    for message in ["en", "yes", "12", "4", "never", "1 2", "3", "drums", "x" * 100]:
        state, _, _ = advance(router, state, Text(message))
    packed = state.dump(router)
    assert State.load(router, packed) == state
    assert len(packed) < 400, packed


def test_damaged_or_foreign_states_are_refused(library):
    pets, router = library.get("pets"), library.get("router")
    packed = start(pets)[0].dump(pets)
    with pytest.raises(StateError, match="not router version 3"):
        State.load(router, packed)
    assert '"n":0' in packed and '"c":null' in packed
    for broken in ["", "[]", "{}", packed.replace('"s":0', '"s":99'), packed[:-5],
                   packed.replace('"n":0', '"n":"0"'), packed.replace('"c":null', '"c":1'),
                   packed.replace('"x":[', '"x":[1,'), packed.replace("}", ',"V":[1]}')]:
        with pytest.raises(StateError, match="damaged conversation state"):
            State.load(pets, broken)


@pytest.mark.parametrize("version", [0, 2, "1", None])
def test_a_state_in_a_format_this_code_does_not_know_is_refused_by_name(library, version):
    pets = library.get("pets")
    data = orjson.loads(start(pets)[0].dump(pets))
    assert data["F"] == FORMAT == 1
    data["F"] = version
    with pytest.raises(StateError, match=f"is in format {version!r}; this version of "
                                         "chatsurvey reads format 1 only"):
        State.load(pets, orjson.dumps(data))


def test_the_layout_digest_changes_with_what_positions_refer_to():
    """A serialised state names states, questions and options by position: the digest
    changes when they move, and not when only the wording does."""
    base = MINIMAL.replace("ask: yesno", "ask: choice\n    options: [a, b]") + \
        '  a: "A"\n  b: "B"\n'
    same = layout(flow_from(base))
    assert len(same) == 12
    assert layout(flow_from(base.replace('"Is this a question?"', '"Reworded?"'))) == same
    assert layout(flow_from(base.replace("options: [a, b]", "options: [b, a]"))) != same
    assert layout(flow_from(base.replace("  end:\n", "  more:\n    type: end\n  end:\n"))) \
        != same
    assert layout(flow_from(base.replace("key: q", "key: r"))) != same


def test_a_sub_flow_s_own_entry_has_a_position_too(library):
    # A frame can point at a flow of the bundle before any of its states ([flow, None]).
    from chatsurvey.engine.state import _Index

    router = library.get("router")
    index = _Index(router)
    for flow_id in index.flow_ids:
        assert index.pos((flow_id, None)) < 0
        assert index.at(index.pos((flow_id, None))) == (flow_id, None)
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
    state, _, _ = advance(flow, state, Text("caf\udcc3\udca9 ok \ud800"))
    assert state.answers["say"] == "caf\ufffd\ufffd ok \ufffd"
    assert State.load(flow, state.dump(flow)) == state
