"""Builders shared by the tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from textwrap import dedent

from chatsurvey.engine import (
    Catalogue,
    FlowLibrary,
    Resume,
    advance,
    compile_flow,
    link,
    resume_from,
    start,
)
from chatsurvey.engine.resumes import Command, Expire, QuickExit, Tap, Text

TESTS = Path(__file__).parent
FIXTURE_FLOWS = TESTS / "flows"
PROJECT = TESTS.parent


@contextmanager
def fresh_app(make_app, keep_tables: bool = False, **overrides) -> Iterator:
    """An app from conftest's ``make_app`` (with ``overrides``), its Redis emptied and its
    tables made. Afterwards the tables are dropped, or with ``keep_tables`` only emptied (the
    suite's own ``app``: its tables are made once per run, see conftest's ``tables``)."""
    from chatsurvey.extensions import db, redis_client

    app = make_app(**overrides)
    redis_client(app).flushdb()
    with app.app_context():
        db.create_all()  # with keep_tables, only the tables a test with an app of its own dropped
    yield app
    with app.app_context():
        db.session.remove()  # a test may leave a transaction open; PostgreSQL would wait
        if keep_tables:
            empty_tables(db)
        else:
            db.drop_all()


def empty_tables(db) -> None:
    """Delete every row, children first, and restart the id sequences (PostgreSQL's;
    SQLite's ids start again at 1 in an empty table)."""
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            sequences = connection.exec_driver_sql(
                "SELECT sequence_name FROM information_schema.sequences"
                " WHERE sequence_schema = current_schema()").scalars().all()
            for name in sequences:
                connection.exec_driver_sql(f'ALTER SEQUENCE "{name}" RESTART')


def fixture_library() -> FlowLibrary:
    """The small flows under tests/flows, with their catalogues."""
    return FlowLibrary.load([FIXTURE_FLOWS])


def flow_from(yaml_text: str, catalogue: Catalogue | None = None, others: tuple[str, ...] = ()):
    """Compile (and link) a flow written inline in a test."""
    flow = compile_flow(dedent(yaml_text), catalogue or Catalogue(), "<test>")
    extra = {f.id: f for f in (compile_flow(dedent(t), catalogue or Catalogue()) for t in others)}
    return link(flow, lambda flow_id: extra.get(flow_id))


def resume(inbound) -> Resume:
    """A resume as given, or read from a message the way the channels receive it."""
    if isinstance(inbound, Text | Tap | Command | Expire | QuickExit):
        return inbound
    return resume_from(inbound)


def play(flow, inputs, **start_kwargs):
    """Start ``flow`` and send each input; returns (state, every reply, every event)."""
    state, replies, events = start(flow, **start_kwargs)
    all_replies, all_events = list(replies), list(events)
    for inbound in inputs:
        state, replies, events = advance(flow, state, resume(inbound))
        all_replies.extend(replies)
        all_events.extend(events)
    return state, all_replies, all_events


def texts(replies) -> list[str]:
    return [r.text for r in replies]


def kinds(events) -> list[str]:
    return [e.type for e in events]


MINIMAL = """
spec_version: "1.0"
id: mini
title: Mini
survey: demo
locales: [en]
start: q
states:
  q:
    type: question
    ask: yesno
    key: q
    prompt: q
  end:
    type: end
messages:
  q: "Is this a question?"
"""


def seed_tenant(slug="testshire", country="england", number="+447700900001",
                auth_token="twilio-test-token", origins=("https://www.testshire.gov.uk",)):
    """A council with one SMS number (call inside an app context)."""
    from chatsurvey.councils.models import SmsNumber, Tenant
    from chatsurvey.extensions import db

    tenant = Tenant(slug=slug, name=f"{slug.title()} Council", country=country,
                    twilio_account_sid="AC" + "0" * 32, twilio_auth_token=auth_token,
                    web_origins=list(origins), help_text=f"{slug.title()} survey. Text STOP to leave.",
                    branding={"colour": "#005ea5"})
    tenant.numbers.append(SmsNumber(number=number))
    db.session.add(tenant)
    db.session.commit()
    return tenant


def publish_fixture_flows():
    """Publish tests/flows as flow versions; returns {flow id: FlowVersion}."""
    from chatsurvey.extensions import db
    from chatsurvey.flows.publish import publish_directory

    published = {v.flow_id: v for v in publish_directory(FIXTURE_FLOWS)}
    db.session.commit()
    return published


def open_round(tenant, version, keyword=None, **kwargs):
    """A survey round open from yesterday for a month."""
    from datetime import UTC, datetime, timedelta

    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound

    now = datetime.now(UTC)
    survey_round = SurveyRound(tenant=tenant, name=kwargs.pop("name", "Autumn survey"),
                               flow_version=version, keyword=keyword,
                               opens_at=kwargs.pop("opens_at", now - timedelta(days=1)),
                               closes_at=kwargs.pop("closes_at", now + timedelta(days=30)),
                               **kwargs)
    db.session.add(survey_round)
    db.session.commit()
    return survey_round


def waiting() -> list[dict]:
    """The transcripts of finished conversations waiting in the outbox, oldest first."""
    from chatsurvey.conversations.keyspace import outbox_keys
    from chatsurvey.extensions import redis_client

    found = []
    for key in outbox_keys():
        found += [(entry_id, fields) for entry_id, fields in redis_client().xrange(key)]
    return [json.loads(fields[b"t"]) for _, fields in sorted(found, key=lambda e: e[0])]


def store_waiting(consumer: str = "test-worker") -> None:
    """Store every finished conversation waiting in the outbox, as a worker would."""
    import threading

    from chatsurvey.responses.store import drain

    drain(consumer, threading.Event(), burst=True)


def record_of(key: str) -> dict:
    """A conversation record's lines by name (``v``, ``i``, ``m``, ``s``, ``o``: see
    chatsurvey/conversations/keyspace.py), decoded; ``s`` only while in progress."""
    from chatsurvey.conversations.keyspace import Conversation
    from chatsurvey.extensions import redis_client

    lines = redis_client().get(key).decode().split("\n", 4)
    raw = {name: value for name, value in zip("vimso", lines, strict=True) if value}
    for name in ("m", "s", "o"):
        if name in raw:
            raw[name] = json.loads(raw[name])
    if "m" in raw:  # by name: the whole of Conversation.META, or (once ended) whose it was
        raw["m"] = dict(zip(Conversation.META, raw["m"], strict=False))
    return raw
