"""Properties that must hold for every flow and every message a young person might send."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatsurvey.engine import (
    Expire,
    FlowLibrary,
    QuickExit,
    Reply,
    Resume,
    State,
    Tap,
    Text,
    advance,
    resume_from,
    start,
)
from tests.helpers import FIXTURE_FLOWS, PROJECT

LIBRARIES = {"fixtures": FlowLibrary.load([FIXTURE_FLOWS]),
             "flows": FlowLibrary.load([PROJECT / "flows"])}
ALL_FLOWS = [(name, flow_id) for name, lib in LIBRARIES.items() for flow_id in sorted(lib.flows)]

words = st.sampled_from([
    "yes", "no", "y", "1", "2", "3", "10", "0", "skip", "back", "help", "support", "restart",
    "stop", "not sure", "👍", "😢", "dog and cat", "1 3", "", " ", "{", "nine", "always",
    "he hits me", "x" * 3000, "\x00", "١٢", "ŵ", "🇬🇧", "-1", "99999999999999999999",
])
inbound = st.one_of(
    st.text(max_size=60),
    words,
    st.builds(lambda v: {"value": v}, st.one_of(st.text(max_size=10), st.integers(),
                                                 st.lists(st.text(max_size=5), max_size=3),
                                                 st.none(), st.booleans())),
    st.builds(lambda c: {"command": c}, st.sampled_from(["skip", "back", "help", "stop",
                                                          "restart", "support", "fly"])),
    st.none(),
).map(resume_from) | st.sampled_from([Expire(), QuickExit()])


@pytest.mark.parametrize("library, flow_id", ALL_FLOWS, ids=[f for _, f in ALL_FLOWS])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=st.lists(inbound, max_size=25), channel=st.sampled_from(["web", "sms"]),
       locale=st.sampled_from(["en", "cy", "gd", "ar"]))
def test_any_message_at_any_state_gets_a_reply_and_never_raises(library, flow_id, messages,
                                                                 channel, locale):
    flow = LIBRARIES[library].get(flow_id)
    state, replies, _ = start(flow, channel=channel, locale=locale, country="scotland")
    assert replies
    for message in messages:
        active = state.status == "active"
        state, replies, events = advance(flow, state, message)
        assert State.load(flow, state.dump(flow)) == state
        if isinstance(message, Expire | QuickExit):  # ends it, says nothing
            assert not replies and state.status != "active"
            assert [e.type for e in events] == (["finished"] if active else [])
            continue
        assert replies, f"no reply to {message!r}"
        assert all(isinstance(r.text, str) for r in replies)
        if channel == "sms":
            assert all(r.segments >= 1 for r in replies)


def sensible_answer(reply: Reply, rng: random.Random) -> Resume:
    """Something a young person might send to this reply: usually an answer."""
    roll = rng.random()
    if roll < 0.1:
        return Text(rng.choice(["skip", "help", "back", "support", "hmm"]))
    widget = reply.widget
    kind = widget.input if widget else None
    if kind in ("choice", "faces") and widget.options:
        return Tap(rng.choice(widget.options).value)
    if kind == "multi":
        picked = rng.sample(widget.options, rng.randint(1, len(widget.options)))
        return Tap([o.value for o in picked])
    if kind in ("scale", "number"):
        return Text(str(rng.randint(widget.min, widget.max)))
    if kind == "text":
        return Text(rng.choice(["more time with friends", "no idea", "my dog"]))
    return Text(rng.choice(["yes", "1", "2"]))


@pytest.mark.parametrize("library, flow_id", ALL_FLOWS, ids=[f for _, f in ALL_FLOWS])
def test_random_walks_always_end(library, flow_id):
    flow = LIBRARIES[library].get(flow_id)
    limit = 20 * max(1, sum(len(f.nodes) for f in flow.bundle.values()))
    for seed in range(40):
        rng = random.Random(seed)
        state, replies, _ = start(flow, channel="web", locale=rng.choice(flow.locales),
                                  country=rng.choice(["england", "wales", "scotland"]))
        for _ in range(limit):
            if state.status != "active":
                break
            state, replies, _ = advance(flow, state, sensible_answer(replies[-1], rng))
        assert state.status in ("complete", "partial", "declined"), (seed, state.at)


@pytest.mark.parametrize("library, flow_id", ALL_FLOWS, ids=[f for _, f in ALL_FLOWS])
def test_progress_kept_between_turns_is_the_progress_worked_out_afresh(library, flow_id):
    """The "question n of total" walk is reused across conversations; it must never go stale."""
    flow = LIBRARIES[library].get(flow_id)
    fresh = FlowLibrary.load([FIXTURE_FLOWS if library == "fixtures" else PROJECT / "flows"])
    for seed in range(25):
        rng = random.Random(seed)
        locale = rng.choice(flow.locales)
        state, replies, _ = start(flow, channel="web", locale=locale, country="wales")
        for _ in range(300):
            if state.status != "active":
                break
            message = sensible_answer(replies[-1], rng)
            state_before = state
            state, replies, _ = advance(flow, state_before, message)
            again = fresh.get(flow_id)
            again.cache.clear()  # nothing remembered from any earlier turn
            for bundled in again.bundle.values():
                bundled.cache.clear()
            _, expected, _ = advance(again, state_before, message)
            assert [r.progress for r in replies] == [r.progress for r in expected]
