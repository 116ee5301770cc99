"""The sweeper: every SWEEP_INTERVAL seconds, what nobody's message would otherwise do.

1. Conversations idle past their timeout are closed: consented answers are
   kept as a partial response, anything else is discarded. They are found by
   scanning the conversation records and reading how long each has left to
   live (chatsurvey/conversations/keyspace.py), so no turn writes to a shared
   index of idle conversations. Why the expiry: each save already renews it,
   AOF keeps it across a restart, and it is exact. Redis's own idle time
   (OBJECT IDLETIME) is reset by any read, is lost on a restart and is not
   kept under an LFU eviction policy; a per-day bucket of ids would be one
   more write per conversation per day and one more thing to clean up.
2. Each round's responses of a day that is over are mixed: a random order, new ids
   (chatsurvey/responses/mixing.py).
3. Responses of rounds that have closed forget the day they finished (only the
   week stays; see chatsurvey/responses/bursts.py).
4. Every finished marker is touched, so Redis's idle time of a marker (OBJECT IDLETIME)
   no longer dates its sender's finish (chatsurvey/conversations/keyspace.py).
5. Rounds sealed since the last sweep are counted once and their figures kept
   (chatsurvey/reports/snapshot.py), so a report never counts a sealed round itself
   unless it is asked for between the seal and the next sweep.

Finished conversations a worker took and never stored (it died) need nothing
from the sweeper: other workers claim them from the outbox's consumer group.
RQ does its own maintenance for scheduled jobs.
"""

from __future__ import annotations

import logging
import time

from flask import current_app
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import OperationalError

from chatsurvey import conversations
from chatsurvey.conversations.keyspace import SWEEPER_LOCK, Busy, sessions
from chatsurvey.extensions import db, redis_client
from chatsurvey.reports.snapshot import seal_due
from chatsurvey.responses.bursts import forget_days
from chatsurvey.responses.mixing import mix_days

log = logging.getLogger(__name__)


def sweep(now: float | None = None) -> dict[str, int]:
    """One sweep; returns how many of each thing it did. ``now``: the time the day's
    mixing goes by (a test's later day; the clock otherwise)."""
    done = {"closed": 0, "days_forgotten": 0, "mixed": 0, "touched": 0, "sealed": 0}
    for key in sessions().due():
        try:
            if conversations.expire(key) is not None:
                done["closed"] += 1
        except Busy:
            continue  # a young person is answering right now: not abandoned after all
    done["mixed"] = mix_days(now)  # before a closed round's days are forgotten
    done["days_forgotten"] = forget_days()
    done["touched"] = sessions().touch_finished()
    done["sealed"] = len(seal_due())
    return done


def run_forever(interval: float | None = None) -> None:
    """Sweep every SWEEP_INTERVAL seconds; with several sweepers, one sweeps at a time.

    Redis or the database being away (a restart, a fail-over) costs a sweep, not the
    sweeper, so it carries on.
    """
    interval = interval or current_app.config["SWEEP_INTERVAL"]
    while True:
        try:
            if redis_client().set(SWEEPER_LOCK, "1", nx=True, ex=max(1, int(interval * 0.9))):
                result = sweep()
                if any(result.values()):
                    log.info("sweep: %s", result)
        except (RedisConnectionError, RedisTimeoutError, OperationalError) as exc:
            log.warning("sweep skipped, will try again: %s", str(exc).splitlines()[0])
        finally:
            db.session.remove()  # no transaction held open between sweeps
        time.sleep(interval)
