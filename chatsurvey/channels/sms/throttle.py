"""A flood of texts from one number is met with silence, not replies on the council's bill.

Each reply costs the council an SMS segment or more, so a phone (or a script)
texting fast could run up a bill and fill the conversation with noise. A sender
may send SMS_FLOOD_LIMIT messages in a window; past that each message gets empty
TwiML (no reply, and no turn of the survey) and the number stays silenced until
it has been quiet for SMS_FLOOD_CALM seconds, however long the flood goes on.
STOP is handled before this and always works.

Senders are known here only by the keyed phone hash the webhook made, never the
number. Redis keys (``cs:`` prefix):

``cs:sw:{tenant}:{phone hash}:{window number}``
    Messages in the current window. The window.
``cs:sq:{tenant}:{phone hash}``
    The number is silenced. SMS_FLOOD_CALM, renewed by every message meanwhile.
``cs:sf:{tenant}:{day}``
    How many messages were not answered for the council that UTC day (no sender
    in it). Eight days; `chatsurvey jobs` shows today's and the week's.

The check is one script, so it costs each inbound text one Redis round trip.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from flask import current_app

from chatsurvey.extensions import redis_client

KEPT_DAYS = 8
SCRIPT = "chatsurvey.sms_flood_script"
_FLOODING = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2] + 1) end
if n <= tonumber(ARGV[1]) and redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('SET', KEYS[2], 1, 'EX', ARGV[3])
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return 1
"""


def window_key(tenant_id: int, phone: str, window: int, now: float) -> str:
    return f"cs:sw:{tenant_id}:{phone}:{int(now // window)}"


def quiet_key(tenant_id: int, phone: str) -> str:
    return f"cs:sq:{tenant_id}:{phone}"


def count_key(tenant_id: int, day: str) -> str:
    return f"cs:sf:{tenant_id}:{day}"


def flooding(tenant_id: int, phone: str, now: float | None = None) -> bool:
    """Count this message; True if it is part of a flood and must not be answered."""
    config = current_app.config
    limit, window = config["SMS_FLOOD_LIMIT"]
    now = time.time() if now is None else now
    day = datetime.fromtimestamp(now, UTC).date().isoformat()
    script = current_app.extensions.get(SCRIPT)
    if script is None:
        script = current_app.extensions[SCRIPT] = redis_client().register_script(_FLOODING)
    return bool(script(
        keys=[window_key(tenant_id, phone, window, now), quiet_key(tenant_id, phone),
              count_key(tenant_id, day)],
        args=[limit, window, int(config["SMS_FLOOD_CALM"]), KEPT_DAYS * 86400]))


def silenced(tenant_id: int, days: int = 7) -> tuple[int, int]:
    """(today, the last ``days`` days): messages not answered for the council."""
    today = datetime.now(UTC).date()
    keys = [count_key(tenant_id, (today - timedelta(days=n)).isoformat()) for n in range(days)]
    counts = [int(v or 0) for v in redis_client().mget(keys)]
    return counts[0], sum(counts)
