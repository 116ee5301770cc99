"""Engine micro-benchmark: one `advance` over the largest flows, per channel.

Turns come from random walks that answer like a young person would (mostly
answers, some skips, help and back), so the figure covers rendering, progress
counting, input reading and sub-flow entry, not just one easy path.
Target: under 50 µs per turn at p99.

Each turn is timed once as it happens, and then REPEATS times more on the same
state (advance is pure): the fastest of those is what the turn itself costs,
without what the machine was doing meanwhile. Both are reported.
"""

from __future__ import annotations

import gc
import random
import time
from pathlib import Path

from chatsurvey.engine import FlowLibrary, Resume, Tap, Text, advance, compile_flow, start

from .report import percentile, write_section

ROOT = Path(__file__).resolve().parent.parent
TURNS = 30_000
REPEATS = 4


def synthetic_flow(questions: int = 200):
    """A long flow with every question type and a branch every ten questions."""
    kinds = [
        "{type: question, ask: yesno, key: k%d, prompt: p}",
        "{type: question, ask: frequency, scale: always4, key: k%d, prompt: p}",
        "{type: question, ask: scale, key: k%d, prompt: p, signpost_if: {lte: 1}}",
        "{type: question, ask: faces, key: k%d, prompt: p}",
        "{type: question, ask: choice, key: k%d, prompt: p, options: [a, b, c]}",
        "{type: question, ask: multi, key: k%d, prompt: p, options: [a, b, c]}",
        "{type: question, ask: number, key: k%d, prompt: p, min: 0, max: 30}",
        "{type: question, ask: text, key: k%d, prompt: p}",
    ]
    lines = ['spec_version: "1.0"', "id: synthetic", "title: Synthetic", "survey: bench",
             "locales: [en]", "start: q0", "states:"]
    for i in range(questions):
        lines.append(f"  q{i}: " + kinds[i % len(kinds)] % i)
        if i % 10 == 9 and i + 1 < questions:
            lines.append(f"  b{i}: {{type: branch, cases: [{{when: {{answer: k{i - 9}, equals: "
                         f"'no'}}, next: q{i + 1}}}], otherwise: q{i + 1}}}")
    lines += ["  end: {type: end, say: p}", "messages:", '  p: "How is this going for you?"',
              "  a: A", "  b: B", "  c: C"]
    return compile_flow("\n".join(lines))


def answer_for(node, rng: random.Random, channel: str) -> Resume:
    """What a young person might send to ``node``: usually an answer, sometimes a command.

    Read from the question itself (an SMS reply is plain text with no input
    type to go by). On the web most answers are taps on a button (the widget
    sends the option's value) and some are typed; by SMS choices are answered
    by their number or in words.
    """
    roll = rng.random()
    if roll < 0.05:
        return Text(rng.choice(["skip", "help", "back", "hmm"]))
    ask = node.ask
    if node.options and ask != "multi":
        number = rng.randint(1, len(node.options))
        option = node.options[number - 1]
        if channel == "web" and roll < 0.8:
            return Tap(number if ask == "faces" else option.value)
        return Text(str(number) if roll < 0.9 else option.value.replace("_", " "))
    if ask == "multi":
        return Text("1 and 2")
    if ask in ("scale", "number"):
        return Text(str(rng.randint(node.min, node.max)))
    return Text("more time with my friends")


def measure(flow, channel: str, turns: int) -> dict:
    rng = random.Random(7)
    samples: list[float] = []
    fastest: list[float] = []
    sizes: list[int] = []
    gc.disable()
    try:
        while len(samples) < turns:
            state, _, _ = start(flow, channel=channel, country="england")
            while state.status == "active" and len(samples) < turns:
                flow_id, name = state.at
                message = answer_for(flow.flow(flow_id).nodes[name], rng, channel)
                began = time.perf_counter_ns()
                after, replies, _ = advance(flow, state, message)
                samples.append((time.perf_counter_ns() - began) / 1000)
                best = samples[-1]
                for _ in range(REPEATS):
                    began = time.perf_counter_ns()
                    advance(flow, state, message)
                    best = min(best, (time.perf_counter_ns() - began) / 1000)
                fastest.append(best)
                state = after
                sizes.append(len(state.dump(flow)))
    finally:
        gc.enable()
    samples.sort()
    fastest.sort()
    return {"p50": percentile(samples, 50), "p90": percentile(samples, 90),
            "p99": percentile(samples, 99), "max": samples[-1],
            "fastest_p50": percentile(fastest, 50), "fastest_p99": percentile(fastest, 99),
            "mean": sum(samples) / len(samples), "state": max(sizes)}


def largest_flows(library: FlowLibrary, count: int = 2) -> list:
    def size(flow):
        return sum(len(f.questions()) for f in flow.bundle.values())
    return sorted(library.flows.values(), key=size, reverse=True)[:count]


def run() -> str:
    flows = largest_flows(FlowLibrary.load([ROOT / "flows"]))
    if not flows:
        flows = largest_flows(FlowLibrary.load([ROOT / "tests" / "flows"]), 1)
    flows.append(synthetic_flow())
    rows = []
    for flow in flows:
        questions = sum(len(f.questions()) for f in flow.bundle.values()) or len(flow.questions())
        for channel in ("web", "sms"):
            advance_figures = measure(flow, channel, TURNS)
            rows.append(
                f"| {flow.id} ({questions} questions) | {channel} | "
                f"{advance_figures['p50']:.1f} | {advance_figures['p90']:.1f} | "
                f"{advance_figures['p99']:.1f} | {advance_figures['max']:.0f} | "
                f"{advance_figures['fastest_p50']:.1f} | {advance_figures['fastest_p99']:.1f} | "
                f"{advance_figures['state']} |")
    body = "\n".join([
        "## Engine: one `advance` (target: p99 under 50 µs)",
        "",
        f"`python -m bench engine`: {TURNS:,} turns per row from random walks (answers "
        "as taps or typed words on the web, numbers or words by SMS; 5% skip, help, back "
        "or words that are not an answer), garbage collector paused while timing. Times "
        "in µs. The first four columns time each turn as it happens; the two \"fastest "
        f"of {REPEATS + 1}\" columns time the same turn {REPEATS} more times and keep the "
        "fastest, which is what the code costs without the rest of the machine's noise. "
        "State is the largest serialised state seen (`state.dump(flow)`, what the "
        "conversation store keeps), in bytes.",
        "",
        f"| flow | channel | p50 | p90 | p99 | max | fastest of {REPEATS + 1}: p50 | p99 | "
        "state bytes |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
    ])
    write_section("engine", body)
    return body
