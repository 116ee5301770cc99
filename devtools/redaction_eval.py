"""How well redaction and the safeguarding check do on the labelled corpus.

Used by the tests (which hold the targets) and by `make bench` (which writes
the figures to docs/benchmarks.md). An entity counts as found when at least
80% of its characters are inside something the redactor removed (whatever it
called it: a phone number removed as a date is still removed). A finding
counts as correct when it overlaps a labelled entity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from chatsurvey.engine.safeguarding import looks_like_harm, needs_review_first
from chatsurvey.responses.redact import find

COVERED = 0.8


@dataclass
class Scores:
    """Counts per entity type, and for the safeguarding flag."""

    labelled: dict[str, int] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)
    predicted: dict[str, int] = field(default_factory=dict)
    correct: dict[str, int] = field(default_factory=dict)
    missed: list[tuple[str, str, str]] = field(default_factory=list)
    wrong: list[tuple[str, str, str]] = field(default_factory=list)
    flag: dict[str, int] = field(default_factory=lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
    """The review flag (needs_review_first)."""
    signpost: dict[str, int] = field(default_factory=lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
    """Help offered in the conversation (looks_like_harm)."""

    def recall(self, kind: str) -> float:
        return self.found.get(kind, 0) / self.labelled[kind] if self.labelled.get(kind) else 1.0

    def precision(self, kind: str) -> float:
        return (self.correct.get(kind, 0) / self.predicted[kind]
                if self.predicted.get(kind) else 1.0)

    def flag_recall(self, which: str = "flag") -> float:
        counts = getattr(self, which)
        return counts["tp"] / ((counts["tp"] + counts["fn"]) or 1)

    def flag_precision(self, which: str = "flag") -> float:
        counts = getattr(self, which)
        return counts["tp"] / ((counts["tp"] + counts["fp"]) or 1)


def _spans(text: str, entities: list[dict]) -> list[tuple[str, int, int]]:
    """Entity positions: the n-th listed copy of a text is its n-th occurrence."""
    seen: dict[str, int] = {}
    spans = []
    for entity in entities:
        start = -1
        for _ in range(seen.get(entity["text"], 0) + 1):
            start = text.index(entity["text"], start + 1)
        seen[entity["text"]] = seen.get(entity["text"], 0) + 1
        spans.append((entity["type"], start, start + len(entity["text"])))
    return spans


def evaluate(corpus: Path) -> Scores:
    """Score the redactor and the safeguarding check on a JSON-lines corpus."""
    scores = Scores()
    for line in corpus.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        text = item["text"]
        spans = _spans(text, item.get("entities", []))
        findings = find(text)
        for kind, start, end in spans:
            scores.labelled[kind] = scores.labelled.get(kind, 0) + 1
            covered = sum(max(0, min(end, f.end) - max(start, f.start)) for f in findings)
            if covered >= COVERED * (end - start):
                scores.found[kind] = scores.found.get(kind, 0) + 1
            else:
                scores.missed.append((item["id"], kind, text[start:end]))
        for finding in findings:
            scores.predicted[finding.type] = scores.predicted.get(finding.type, 0) + 1
            if any(finding.start < end and start < finding.end for _, start, end in spans):
                scores.correct[finding.type] = scores.correct.get(finding.type, 0) + 1
            else:
                scores.wrong.append((item["id"], finding.type, text[finding.start:finding.end]))
        truth = bool(item.get("safeguarding"))
        for counts, flagged in ((scores.flag, needs_review_first(text)),
                                (scores.signpost, looks_like_harm(text))):
            counts[("t" if flagged == truth else "f") + ("p" if flagged else "n")] += 1
    return scores
