"""Redaction and safeguarding detection, measured on the labelled corpora.

The development corpus (tests/redaction/corpus.jsonl) was in view while the
rules were written, so its figures are optimistic; the held-out corpus
(holdout.jsonl) was written separately and never read by the rule writers,
so its figures are the honest ones. Two smaller sets measure the review flag
alone: flag_dev.jsonl, written to tune it (optimistic), and flag_check.jsonl,
written before the model was last trained and never tuned on.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from chatsurvey.responses.redact import redact
from devtools.redaction_eval import evaluate

from .report import write_section

CORPORA = Path(__file__).resolve().parent.parent / "tests" / "redaction"
KINDS = ["PERSON", "PHONE", "EMAIL", "POSTCODE", "ADDRESS", "URL", "HANDLE", "DOB", "SCHOOL"]
TARGETS = {"PHONE": "≥ 99%", "EMAIL": "≥ 99%", "POSTCODE": "≥ 99%", "PERSON": "≥ 90%"}


def _table(path: Path) -> list[str]:
    scores = evaluate(path)
    rows = []
    for kind in KINDS:
        if scores.labelled.get(kind):
            rows.append(f"| {kind} | {scores.labelled[kind]} | {scores.recall(kind):.1%} | "
                        f"{scores.precision(kind):.1%} | {TARGETS.get(kind, '')} |")
    flagged = scores.flag["tp"] + scores.flag["fn"]
    rows.append(f"| disclosure: first in the review queue | {flagged} | {scores.flag_recall():.1%}"
                f" | {scores.flag_precision():.1%} | ≥ 95% (precision ≥ 60%) |")
    rows.append(f"| disclosure: help offered in the conversation | {flagged} | "
                f"{scores.flag_recall('signpost'):.1%} | {scores.flag_precision('signpost'):.1%}"
                " | |")
    return ["| kind | labelled | recall | precision | target (recall) |",
            "|---|---|---|---|---|", *rows]


def _flag_table(path: Path) -> list[str]:
    scores = evaluate(path)
    flag, signpost = scores.flag, scores.signpost
    return ["| check | disclosures | flagged | recall | precision |", "|---|---|---|---|---|",
            f"| first in the review queue | {flag['tp'] + flag['fn']} | {flag['tp'] + flag['fp']}"
            f" | {scores.flag_recall():.1%} | {scores.flag_precision():.1%} |",
            f"| help offered in the conversation | {signpost['tp'] + signpost['fn']} | "
            f"{signpost['tp'] + signpost['fp']} | {scores.flag_recall('signpost'):.1%} | "
            f"{scores.flag_precision('signpost'):.1%} |"]


def run() -> str:
    texts = [json.loads(line)["text"] for line in
             (CORPORA / "corpus.jsonl").read_text("utf-8").splitlines() if line.strip()]
    redact(texts[0])  # load the word lists first
    began = time.perf_counter()
    for text in texts:
        redact(text)
    per_comment = (time.perf_counter() - began) / len(texts) * 1000
    body = [
        "## Redaction and safeguarding detection",
        "",
        "`python -m bench redaction`. An entity counts as found when at least 80% of it is "
        "removed (as whatever kind); a finding counts as correct when it overlaps a labelled "
        "entity. Every comment is still reviewed by a person before any report shows it.",
        "",
    ]
    holdout = CORPORA / "holdout.jsonl"
    if holdout.exists():
        count = sum(1 for line in holdout.read_text("utf-8").splitlines() if line.strip())
        body += [f"**Held-out corpus** ({count} comments, never read by the rule writers; "
                 "the honest figures):", "", *_table(holdout), ""]
    body += [f"**Development corpus** ({len(texts)} comments, in view while the rules were "
             "written; optimistic):", "", *_table(CORPORA / "corpus.jsonl"), "",
             "**Review flag check set** (flag_check.jsonl, 70 comments written before the model "
             "was last trained and never tuned on):", "",
             *_flag_table(CORPORA / "flag_check.jsonl"),
             "", "**Review flag development set** (flag_dev.jsonl, 268 comments the phrases and "
             "the model were tuned on; optimistic):", "", *_flag_table(CORPORA / "flag_dev.jsonl"),
             "", f"Speed: {per_comment:.2f} ms per comment (redaction and safeguarding check)."]
    text = "\n".join(body)
    write_section("redaction", text)
    return text
