"""Each finished day's responses are mixed: nothing in the store follows their arrival.

A response is written as soon as its conversation has finished, under the
conversation's random submission id, which the job that stored it (its RQ
record and the worker's log) also names. Until its day is over, its place in
the table still follows arrival: SQLite's rowid, PostgreSQL's ``ctid`` and
``xmin``, and the ids of its comments.

Once a day (UTC) is over, `mix_days` (run by the sweeper) rewrites each round's
responses of that day in one transaction: in a random order, under new random
ids (UUID4), with their comments re-inserted after them in the same random
order (new comment ids; review status kept). After that a response shares its
transaction (``xmin``) with every response of its round and day, its place in
the table is random among them, and its id appears nowhere else: not in a job
record, a log line, Redis or the submission's transcript. A response stored
late (a job retried after the day ended) marks its group unmixed again and the
whole group is mixed again.

What stays: the day itself (``Response.day``, while the round is open; then the
week), which the store keeps on purpose. PostgreSQL's dead row versions and its
write-ahead log keep the old order until vacuumed and recycled; Redis's
append-only file keeps the transcripts until it is rewritten. docs/security.md
says what an operator must configure for those.

A response whose transcript is still waiting to be stored is left alone (its
group waits for the next sweep): a worker that died between its commit and its
clean-up leaves such a transcript, and its retried job must still find the
response under the submission id to know it is stored.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, insert, or_, select

from chatsurvey.conversations.keyspace import sessions
from chatsurvey.extensions import db
from chatsurvey.responses.models import Comment, Response

_RESPONSE_COLUMNS = tuple(c.name for c in Response.__table__.columns if c.name != "id")
_COMMENT_COLUMNS = tuple(c.name for c in Comment.__table__.columns
                         if c.name not in ("id", "response_id"))


def mix_days(now: float | None = None) -> int:
    """Mix every round's responses of every day that is over; how many groups were mixed."""
    moment = datetime.now(UTC) if now is None else datetime.fromtimestamp(now, UTC)
    today = moment.date().isoformat()
    groups = db.session.execute(
        select(Response.round_id, Response.week, Response.day).distinct()
        .where(Response.mixed.is_(False),
               or_(Response.day.is_(None), Response.day < today))).all()
    waiting = _waiting_submissions() if groups else set()
    mixed = 0
    for round_id, week, day in groups:
        mixed += mix_group(round_id, week, day, waiting)
    return mixed


def _waiting_submissions() -> set[str]:
    """Submission ids whose transcripts still wait to be stored (or cleaned up)."""
    return sessions().waiting_submissions()


def mix_group(round_id: int, week: str, day: str | None, waiting: set[str]) -> int:
    """Rewrite one round's responses of one day (or week, once the day is forgotten) in a
    random order under new ids; 1 if done, 0 if left for later."""
    # A day's group takes in the week's responses whose day is already forgotten (its round
    # closed), so a response stored late is never mixed alone.
    those = [Response.round_id == round_id, Response.week == week,
             Response.day.is_(None) if day is None
             else or_(Response.day == day, Response.day.is_(None))]
    rows = db.session.execute(select(Response.__table__).where(*those)).mappings().all()
    if not rows or any(row["id"] in waiting for row in rows):
        return 0
    old_ids = [row["id"] for row in rows]
    comments: dict[str, list[dict[str, Any]]] = {}
    for comment in db.session.execute(
            select(Comment.__table__).where(Comment.response_id.in_(old_ids))
            .order_by(Comment.id)).mappings():
        comments.setdefault(comment["response_id"], []).append(
            {c: comment[c] for c in _COMMENT_COLUMNS})
    order = list(rows)
    secrets.SystemRandom().shuffle(order)
    new_rows, new_comments = [], []
    for row in order:
        new_id = uuid.uuid4().hex
        new_rows.append({"id": new_id, **{c: row[c] for c in _RESPONSE_COLUMNS}, "mixed": True})
        new_comments += [{**c, "response_id": new_id} for c in comments.get(row["id"], ())]
    db.session.execute(delete(Comment).where(Comment.response_id.in_(old_ids)))
    gone = db.session.execute(delete(Response).where(Response.id.in_(old_ids)))
    if cast(CursorResult, gone).rowcount != len(old_ids):
        db.session.rollback()  # some were discarded (a burst) meanwhile: never bring them back
        return 0
    db.session.execute(insert(Response), new_rows)
    if new_comments:
        db.session.execute(insert(Comment), new_comments)
    db.session.commit()
    return 1
