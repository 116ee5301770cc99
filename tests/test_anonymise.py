"""The pure transform from a finished conversation to an anonymous response."""

from datetime import UTC, datetime

import pytest

from chatsurvey.responses.anonymise import anonymise, iso_week

TRANSCRIPT = {
    "submission_id": "a" * 32, "tenant_id": 3, "round_id": 7, "flow": "your-life",
    "version": 2, "survey": "your-life-your-care", "status": "complete", "consent": True,
    "channel": "sms", "locale": "cy", "country": "wales", "age_band": "11-18",
    "answers": {"age": 14, "feels_safe": "always", "better": "call me on 07700 900123 ta",
                "worries": "my carer hits me", "helped": "no_one", "pets": ["dog"]},
    "skipped": ["age_again", "trust_sw"],
    "questions": {
        "age": {"ask": "number", "personal": True}, "age_again": {"personal": True},
        "feels_safe": {"ask": "frequency"}, "better": {"ask": "text"},
        "worries": {"ask": "text"}, "helped": {"ask": "choice"}, "pets": {"ask": "multi"},
        "trust_sw": {"ask": "frequency"},
    },
    "started_at": 1795000000, "finished_at": 1795003600,
}


def test_identifiers_are_dropped_and_time_is_coarsened():
    record = anonymise(TRANSCRIPT)
    assert record.id == "a" * 32 and record.week == iso_week(1795003600)
    assert record.answers == {"feels_safe": "always", "pets": ["dog"]}  # who helped: yes or no only
    assert record.skipped == ["trust_sw"]
    assert (record.locale, record.channel, record.age_band, record.status) == \
        ("cy", "sms", "11-18", "complete")
    assert record.helped is False
    flat = repr(record)
    for leaked in ("07700", "1795000000", "1795003600", "14,", "wales"):
        assert leaked not in flat


def test_free_text_is_redacted_and_disclosures_flagged():
    comments = {c.key: c for c in anonymise(TRANSCRIPT).comments}
    assert comments["better"].text == "call me on [phone] ta"
    assert comments["better"].found == {"PHONE": 1} and not comments["better"].flagged
    assert comments["worries"].flagged


def test_council_terms_are_removed():
    transcript = dict(TRANSCRIPT, answers={"better": "Oakwood House staff are ok"})
    [comment] = anonymise(transcript, terms=["Oakwood House"]).comments
    assert comment.text == "[removed] staff are ok" and comment.found == {"TERM": 1}


@pytest.mark.parametrize("status, stored", [("complete", "complete"), ("partial", "partial"),
                                            ("failed", "partial")])
def test_status(status, stored):
    assert anonymise(dict(TRANSCRIPT, status=status)).status == stored


@pytest.mark.parametrize("helped, expected", [
    (None, None), ("no", False), ("a_trusted_adult", True), (["friend"], True),
    (["no_one"], False),
])
def test_helped(helped, expected):
    answers = {} if helped is None else {"helped": helped}
    assert anonymise(dict(TRANSCRIPT, answers=answers)).helped is expected


def test_iso_week():
    assert iso_week(datetime(2026, 11, 23, 12, tzinfo=UTC).timestamp()) == "2026-W48"
    assert iso_week(datetime(2027, 1, 1, tzinfo=UTC).timestamp()) == "2026-W53"
