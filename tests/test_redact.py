"""Redaction of free text, measured on labelled corpora of synthetic comments."""

from pathlib import Path

import pytest

from chatsurvey.responses.redact import find, redact
from devtools.redaction_eval import evaluate

CORPUS = Path(__file__).parent / "redaction"

# The targets: recall at least 99% for phone numbers, e-mail addresses and postcodes,
# at least 90% for names, and at least 95% for safeguarding disclosures.
TARGETS = {"PHONE": 0.99, "EMAIL": 0.99, "POSTCODE": 0.99, "PERSON": 0.90}
FLAG_TARGET = 0.95


@pytest.fixture(scope="module")
def corpus_scores():
    return evaluate(CORPUS / "corpus.jsonl")


@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_recall_meets_its_target(corpus_scores, kind):
    assert corpus_scores.recall(kind) >= TARGETS[kind], [m for m in corpus_scores.missed
                                                          if m[1] == kind]


def test_safeguarding_recall_meets_its_target(corpus_scores):
    assert corpus_scores.flag_recall() >= FLAG_TARGET


def test_the_corpus_is_big_enough_to_mean_something(corpus_scores):
    assert sum(corpus_scores.labelled.values()) >= 500
    assert corpus_scores.flag["tp"] + corpus_scores.flag["fn"] >= 80


@pytest.mark.parametrize("text, redacted", [
    ("ring me on 07700 900123 pls", "ring me on [phone] pls"),
    ("+44 (0)7700-900-123", "[phone]"),
    ("email jo.bloggs+care@example.co.uk", "email [email]"),
    ("jonno at example dot com", "[email]"),
    ("i live in CF10 3AT now", "i live in [postcode] now"),
    ("my address is 12 Oak Road", "my address is [address]"),
    ("flat 3/2, 14 dalmeny street", "[address]"),
    ("45 heol y coed", "[address]"),
    ("look at www.example.org/help", "look at [link]"),
    ("youtu.be/abc123 is my song", "[link] is my song"),
    ("add me on snap its jay_23", "add me on snap its [username]"),
    ("@kayleigh.x on insta", "[username] on insta"),
    ("born 3/4/2009", "born [date of birth]"),
    ("my birthday is the 8th of may", "my birthday is [date of birth]"),
    ("i go to St Mary's Primary", "i go to [school]"),
    ("i hate hillside academy", "i hate [school]"),
    ("ysgol gyfun bro morgannwg is ok", "[school] is ok"),
    ("my social worker sarah jones is ok", "my social worker [name] is ok"),
    ("Will is my best mate", "[name] is my best mate"),
    ("i will go, i hope so", "i will go, i hope so"),
    ("more money for college", "more money for college"),
    ("1 hour each way", "1 hour each way"),
    ("i hit 1000 followers", "i hit 1000 followers"),
])
def test_examples(text, redacted):
    assert redact(text).text == redacted


def test_council_terms_and_counts():
    result = redact("Oakwood House staff and Sam were kind", terms=["Oakwood House", " "])
    assert result.text == "[removed] staff and [name] were kind"
    assert result.counts() == {"TERM": 1, "PERSON": 1}


def test_findings_point_into_the_original_text():
    text = "text Ali on 07700 900456"
    assert [(f.type, text[f.start:f.end]) for f in find(text)] == [
        ("PERSON", "Ali"), ("PHONE", "07700 900456")]


def test_safeguarding_flag_comes_with_the_redaction():
    assert redact("my carer Kevin hits me").safeguarding
    assert not redact("my carer Kevin is kind").safeguarding
