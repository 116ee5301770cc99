"""Train the safeguarding model (chatsurvey/engine/safeguarding_model.json).

A logistic regression over words, word pairs and 4-letter fragments, trained
on the labelled development corpora (tests/redaction/corpus.jsonl and
flag_dev.jsonl). It catches disclosures worded in ways the phrase rules do not
know, and misspellings. The threshold is chosen by 5-fold cross-validation on
the same corpora, for high recall; the held-out corpus and the check set
(holdout.jsonl, flag_check.jsonl) are never used here. Run after changing a
development corpus:

    .venv/bin/python scripts/train_safeguarding.py
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

from chatsurvey.engine.safeguarding import features, phrase_match

ROOT = Path(__file__).resolve().parent.parent
CORPORA = [ROOT / "tests" / "redaction" / name for name in ("corpus.jsonl", "flag_dev.jsonl")]
OUT = ROOT / "chatsurvey" / "engine" / "safeguarding_model.json"
EPOCHS, RATE, L2, KEEP = 40, 0.2, 1e-4, 0.02
MIN_EVIDENCE = 1.0
"""A text is only flagged by the model if its words themselves point towards a
disclosure this much: an unknown short reply ("purple") is never flagged."""
REVIEW_RECALL = 0.9
"""For putting a comment first in the review queue: the model must find this share of
disclosures on its own (in cross-validation). A false alarm costs a reviewer a glance."""
CONVERSATION_PRECISION = 0.7
"""For offering help in the conversation: at least this share of the model's alarms must
be real (in cross-validation), so ordinary answers do not keep bringing up helplines."""


def train(rows: list[tuple[set[str], int]], seed: int = 0) -> tuple[dict[str, float], float]:
    weights: dict[str, float] = {}
    bias = 0.0
    order = list(range(len(rows)))
    rng = random.Random(seed)
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for i in order:
            found, label = rows[i]
            z = bias + sum(weights.get(f, 0.0) for f in found)
            gradient = 1 / (1 + math.exp(-max(-30.0, min(30.0, z)))) - label
            bias -= RATE * gradient
            for f in found:
                weights[f] = weights.get(f, 0.0) - RATE * (gradient + L2 * weights.get(f, 0.0))
    return weights, bias


def score(weights: dict[str, float], bias: float, found: set[str]) -> float:
    """Log-odds, or -inf when nothing in the text points towards a disclosure."""
    evidence = sum(w for f in found if (w := weights.get(f, 0.0)) > 0)
    if evidence < MIN_EVIDENCE:
        return float("-inf")
    return bias + sum(weights.get(f, 0.0) for f in found)


EVERYDAY = ("idk", "dunno", "no idea", "nothing", "not really", "ok", "okay", "fine", "good",
            "bad", "meh", "lol", "yes please", "no thanks", "hi", "hello", "hiya", "?", "what",
            "huh", "sure", "maybe", "not sure", "all good", "its ok", "alright", "cool", "nah",
            "yeah", "yep", "nope", "thanks", "ta", "purple", "football", "my dog", "more money",
            # Typical answers to "what would make things better?"
            "i want to see my mum more", "more time with my family", "see my brothers more",
            "more contact with my dad", "more pocket money", "better wifi", "more days out",
            "i like it here", "my carers are nice", "nothing its fine", "i dunno tbh",
            "more trips to the beach", "a bigger bedroom", "my own phone", "a dog",
            "to stay where i am", "to see my nan more", "more help with homework",
            "less moving around", "the same social worker", "my sw to ring me back",
            "more money for clothes", "driving lessons", "help finding a job",
            "help with my flat", "a later bedtime", "more sleepovers with my friends",
            "to go to the same school as my sister", "when does this end", "how long is this",
            "can i go now", "is this nearly done", "what happens to my answers",
            "i miss my mum", "i miss my old school", "more football")


def everyday_answers() -> list[str]:
    """Short ordinary replies: most of what the check sees in a real conversation.

    The corpus is all full sentences; without these the model would call any
    short reply it knows nothing about a disclosure.
    """
    from chatsurvey.engine import FlowLibrary
    from chatsurvey.engine.catalogue import system_messages

    texts = set(EVERYDAY) | {str(n) for n in range(26)}
    for message in system_messages().values():
        texts.add(message.text)
        texts.update(message.synonyms)
    texts.update(system_messages()["numbers"].text.split("|"))
    for flow in FlowLibrary.load([ROOT / "flows"]).flows.values():
        for node in flow.questions():
            for option in node.options:
                message, _ = flow.texts.message(option.label)
                texts.add(message.text)
                texts.update(message.synonyms)
    return sorted(t for t in texts if "{" not in t)


def main() -> None:
    items = [json.loads(line) for corpus in CORPORA
             for line in corpus.read_text("utf-8").splitlines() if line.strip()]
    items += [{"text": text, "safeguarding": False} for text in everyday_answers()]
    rows = [(features(item["text"]), int(bool(item["safeguarding"]))) for item in items]
    # Cross-validated scores: each comment scored by a model that never saw it.
    folds = [list(range(i, len(rows), 5)) for i in range(5)]
    held: list[tuple[float, int, bool]] = []
    for fold in folds:
        weights, bias = train([r for i, r in enumerate(rows) if i not in set(fold)])
        held += [(score(weights, bias, rows[i][0]), rows[i][1], phrase_match(items[i]["text"]))
                 for i in fold]
    positives = sum(label for _, label, _ in held)
    candidates = sorted({s for s, _, _ in held if s > float("-inf")}, reverse=True)
    review = conversation = candidates[0]
    for candidate in candidates:
        found = sum(1 for s, label, _ in held if label and s >= candidate)
        alarms = sum(1 for s, _, _ in held if s >= candidate)
        if found / alarms >= CONVERSATION_PRECISION:
            conversation = candidate
        if found / positives >= REVIEW_RECALL:
            review = candidate
            break
    weights, bias = train(rows)
    kept = {f: round(w, 3) for f, w in weights.items() if abs(w) >= KEEP}
    OUT.write_text(json.dumps({"about": __doc__.strip().splitlines()[0], "bias": round(bias, 4),
                               "review": round(review, 4), "conversation": round(conversation, 4),
                               "min_evidence": MIN_EVIDENCE, "weights": kept},
                              sort_keys=True, separators=(",", ":")))
    for name, threshold in (("review", review), ("conversation", conversation)):
        flagged = [(s >= threshold or r, y) for s, y, r in held]
        tp = sum(1 for f, y in flagged if f and y)
        fp = sum(1 for f, y in flagged if f and not y)
        print(f"{name} (model or phrases, threshold {threshold:.3f}): cross-validated recall "
              f"{tp / positives:.3f}, precision {tp / (tp + fp):.3f}")
    print(f"{len(kept)} features kept")


if __name__ == "__main__":
    main()
