"""Comment review: the flag is a signal a person clears, the queue pages, filters and searches,
and real disclosures come first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.admin_helpers import add_response

pytestmark = pytest.mark.redis


@pytest.fixture
def rounds(app):
    from tests.helpers import open_round, publish_fixture_flows, seed_tenant

    with app.app_context():
        flows = publish_fixture_flows()
        now = datetime.now(UTC)
        made = []
        for slug, number in (("northshire", "+447700900001"), ("southshire", "+447700900002")):
            tenant = seed_tenant(slug, number=number)
            made.append(open_round(tenant, flows["router"], opens_at=now - timedelta(days=40),
                                   closes_at=now - timedelta(days=5)))  # sealed
        yield made


def test_a_flagged_comment_an_analyst_approves_can_be_quoted(app, rounds):
    from chatsurvey.reports import council_report
    from chatsurvey.responses.actions import review_comment

    app.config["REPORT_QUOTES_PER_QUESTION"] = 20  # every approved comment may be quoted
    first = rounds[0]
    for i in range(10):
        add_response(first, comment=f"More trips out please {i}")
    flagged = add_response(first, comment="I want to see my dad more", flagged=True).comments[0]
    assert flagged.text not in [q.text for q in council_report(first.tenant, first).quotes]
    review_comment(flagged, "approve")
    assert not flagged.flagged  # cleared by the person who read it
    pub = council_report(first.tenant, first)
    assert "I want to see my dad more" in [q.text for q in pub.quotes]


def test_the_queue_pages_filters_searches_and_puts_real_disclosures_first(rounds):
    from chatsurvey.responses.actions import comment_queue

    first, second = rounds
    for i in range(28):
        add_response(first, comment=f"More football {i}")
    add_response(second, comment="More football in the south")
    sleepover = add_response(first, comment="being allowed to have sleepovers like everyone",
                             flagged=True).comments[0]
    hurt = add_response(second, comment="my carer hits me when he is angry",
                        flagged=True).comments[0]
    page = comment_queue(limit=25)
    assert page.total == 31 and len(page.items) == 25
    assert [c.id for c in page.items[:2]] == [hurt.id, sleepover.id]  # the disclosure first
    assert len(comment_queue(limit=25, offset=25).items) == 6
    assert {c.response.tenant_id for c in comment_queue(tenant_id=second.tenant_id).items} \
        == {second.tenant_id}
    found = comment_queue(search="south")
    assert [c.text for c in found.items] == ["More football in the south"]


def test_the_review_flag_meets_its_targets_on_the_held_out_corpus():
    """Recall at least 95% and precision at least 60% for the review flag, on comments it
    was never tuned on (figures in docs/benchmarks.md)."""
    from devtools.redaction_eval import evaluate

    scores = evaluate(Path(__file__).parent / "redaction" / "holdout.jsonl")
    assert scores.flag_recall() >= 0.95, scores.flag
    assert scores.flag_precision() >= 0.60, scores.flag


def test_real_disclosures_come_first_on_the_held_out_corpus():
    """Flagged comments in queue order: the first page is nearly all real disclosures."""
    import json

    from chatsurvey.engine.safeguarding import needs_review_first
    from chatsurvey.responses.actions import urgency

    rows = [json.loads(line) for line in (Path(__file__).parent / "redaction" /
                                          "holdout.jsonl").read_text().splitlines()]
    flagged = sorted((r for r in rows if needs_review_first(r["text"])),
                     key=lambda r: urgency(r["text"]))
    first_page = flagged[:25]
    share = sum(bool(r["safeguarding"]) for r in first_page) / len(first_page)
    assert share >= 0.9, share  # measured: 24 of 25 (all flagged: 74 of 101)
