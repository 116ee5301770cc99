"""The operator, with every key and every log, cannot tell whose response is whose.

Young people answer by SMS and in the web chat at the same time (threads, as
the web processes would), and each response is stored the moment its
conversation finishes (the store job runs at once, JOBS_ASYNC off: workers
that keep up do the same, and the order of arrival is then plainest to see). One of them texts STOP half-way.
Each conversation gives a different number of good friends, so the test (and
only the test) knows which response is whose, and in which order they
finished. Then the day ends and the sweeper runs.

Then the operator tries every link they could follow, holding the secret key
(so they can hash any phone number), a dump of every Redis key with its TTL
and idle time, every row of the database with its physical place (SQLite's
rowid; PostgreSQL's ctid and xmin when the tests run on it), every log line
of the run and every RQ job record:

* the "finished this round" marker of each sender: its expiry, its idle time,
  its place in Redis;
* the order responses (and their comments) were written in;
* any response id named by a log line, a Redis key or value, or a job record;
* the times of the opt-out list (and of invitations).

Each ordering is compared with the true finishing order; the operator's best
guess must match no better than chance (a random order matches about one in
n; see EXACT_BOUND and RHO_BOUND).
"""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from twilio.request_validator import RequestValidator

import chatsurvey.invitations.models  # noqa: F401  (the SMS tables)
from chatsurvey.conversations.keyspace import outbox_key
from chatsurvey.crypto import crypto
from chatsurvey.extensions import db, redis_client
from chatsurvey.invitations.models import Invitation, OptOut
from chatsurvey.responses.mixing import mix_days
from chatsurvey.responses.models import Comment, Response
from chatsurvey.sweeper import sweep
from devtools.phone import reply_texts
from tests.helpers import fresh_app, store_waiting

pytestmark = [pytest.mark.redis, pytest.mark.timeout(240)]

COUNCIL_NUMBER = "+447700900001"
TOKEN = "twilio-test-token"
ACCOUNT = "AC" + "0" * 32
URL = "http://localhost/sms/inbound"
EACH = 20
"""Conversations per channel."""
EXACT_BOUND = 8
"""Exact places an ordering may get right before it counts as better than chance (a random
order of 40 gets more about once in a million)."""
RHO_BOUND = 0.75
"""Rank correlation with the finishing order past which an ordering counts as better than
chance (a random order of 40 goes past it about once in 300,000; of 20, once in 600)."""


def sms_sender(i: int) -> str:
    return f"+4477009002{i:02d}"


class Run:
    """What happened, as only the test knows it: who finished when, with which answers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.finished: list[tuple[str, int]] = []  # (channel, friends), in finishing order
        self.senders: dict[int, str] = {}  # friends -> phone number (SMS)
        self.link = ""

    def done(self, channel: str, friends: int) -> None:
        with self.lock:
            self.finished.append((channel, friends))


def sms_conversation(app, run: Run, friends: int) -> None:
    client = app.test_client()
    sender = sms_sender(friends)
    run.senders[friends] = sender
    for body in ["hi", "English", "yes", "17", "7", "never", "1", str(friends),
                 "more days out"]:
        data = {"From": sender, "To": COUNCIL_NUMBER, "Body": body,
                "MessageSid": "SM" + secrets.token_hex(16), "AccountSid": ACCOUNT,
                "NumMedia": "0"}
        signature = RequestValidator(TOKEN).compute_signature(URL, data)
        for _ in range(20):  # Twilio retries a 503 (a turn of the same sender was busy)
            response = client.post("/sms/inbound", data=data,
                                   headers={"X-Twilio-Signature": signature})
            if response.status_code != 503:
                break
            time.sleep(0.05)
        assert response.status_code == 200, response.get_data(as_text=True)
    assert "Thank you!" in reply_texts(response.get_data(as_text=True))[-1]
    run.done("sms", friends)


def web_conversation(app, run: Run, friends: int) -> None:
    client = app.test_client()
    environ = {"REMOTE_ADDR": f"198.51.100.{friends + 1}"}
    base = "/api/v1/surveys/" + run.link

    def post(path, body, token=None):
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        response = client.post(base + path, json={"message_id": secrets.token_hex(12), **body},
                               headers=auth, environ_base=environ)
        assert response.status_code < 300, response.get_json()
        return response.get_json()

    token = post("/conversations", {})["conversation"]
    for answer in [{"text": "English"}, {"value": "yes"}, {"text": "19"}, {"value": 7},
                   {"value": "never"}, {"value": ["sport"]}, {"text": str(friends)},
                   {"text": "more days out"}]:
        reply = post("/conversation/messages", answer, token)
    assert reply["status"] == "complete", reply
    run.done("web", friends)


def stopping_sender(app) -> None:
    client = app.test_client()
    for body in ["hi", "English", "yes", "STOP"]:
        data = {"From": "+447700900399", "To": COUNCIL_NUMBER, "Body": body,
                "MessageSid": "SM" + secrets.token_hex(16), "AccountSid": ACCOUNT}
        signature = RequestValidator(TOKEN).compute_signature(URL, data)
        assert client.post("/sms/inbound", data=data,
                           headers={"X-Twilio-Signature": signature}).status_code == 200


def drive(app, survey) -> Run:
    """Every conversation at once, four at a time, each stored as it finishes."""
    run = Run()
    run.link = survey.link
    jobs = [(conversation, i) for i in range(EACH)
            for conversation in (sms_conversation, web_conversation)]
    secrets.SystemRandom().shuffle(jobs)
    halves = (jobs[:len(jobs) // 2] + [(stopping_sender, None)], jobs[len(jobs) // 2:])
    with ThreadPoolExecutor(4) as pool:
        for i, half in enumerate(halves):
            if i:  # Redis counts idle time in whole seconds: the finishes span more than one
                time.sleep(3)
            futures = [pool.submit(f, app) if friends is None else pool.submit(f, app, run, friends)
                       for f, friends in half]
            for future in futures:
                future.result()
    return run


def dump_redis() -> list[dict]:
    """Every key in Redis that is still there once the day is over (and a sweep later): its
    name, its value in full, its TTL (ms) and idle time (s). What expires before then (a
    sender's flood-throttle window, say) is in flight, like a conversation being answered."""
    redis = redis_client()
    now = datetime.now(UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC).timestamp() + 86400
    gone_within = max(midnight - now.timestamp(), 300) * 1000
    keys = [key for key in redis.scan_iter("*") if not 0 <= redis.pttl(key) < gone_within]
    # Idle times first (reading a value resets its key's), all at one instant: in one
    # MULTI, so a slow dump does not itself make them differ.
    pipe = redis.pipeline(transaction=True)
    for key in keys:
        pipe.object("idletime", key)
    idle_times = pipe.execute()
    dumped = []
    for key, idle in zip(keys, idle_times, strict=True):
        kind = redis.type(key).decode()
        value = {"string": lambda k: redis.get(k),
                 "hash": lambda k: redis.hgetall(k),
                 "list": lambda k: redis.lrange(k, 0, -1),
                 "set": lambda k: redis.smembers(k),
                 "zset": lambda k: redis.zrange(k, 0, -1, withscores=True),
                 }.get(kind, lambda k: None)(key)
        dumped.append({"key": key.decode("utf-8", "replace"), "type": kind, "value": value,
                       "pttl": redis.pttl(key),
                       "idle": idle})
    return dumped


def physical_order() -> dict[str, list[str]]:
    """Response ids in each order the database keeps beside them."""
    orders = {"id": [r for (r,) in db.session.execute(select(Response.id).order_by(Response.id))]}
    if db.engine.dialect.name == "sqlite":
        orders["rowid"] = [r for (r,) in db.session.execute(
            text("SELECT id FROM responses ORDER BY rowid"))]
    else:
        orders["ctid"] = [r for (r,) in db.session.execute(
            text("SELECT id FROM responses ORDER BY ctid"))]
        orders["xmin"] = [r for (r,) in db.session.execute(
            text("SELECT id FROM responses ORDER BY xmin::text::bigint, ctid"))]
    first_comment: dict[str, int] = {}
    for comment_id, response_id in db.session.execute(
            select(Comment.id, Comment.response_id).order_by(Comment.id)):
        first_comment.setdefault(response_id, comment_id)
    orders["comment id"] = sorted(first_comment, key=first_comment.__getitem__)
    return orders


def better_than_chance(guess: list, truth: list) -> str | None:
    """Why ``guess`` (who, in the order the operator reads them) tells the finishing order
    ``truth`` better than chance: places right (either way round) or rank correlation."""
    forwards = sum(g == t for g, t in zip(guess, truth, strict=True))
    backwards = sum(g == t for g, t in zip(reversed(guess), truth, strict=True))
    n = len(truth)
    rank = {who: place for place, who in enumerate(truth)}
    rho = 1 - 6 * sum((place - rank[who]) ** 2 for place, who in enumerate(guess)) / (
        n * (n * n - 1))
    if max(forwards, backwards) > EXACT_BOUND or abs(rho) > RHO_BOUND:
        return f"{max(forwards, backwards)} of {n} in the right place, rank correlation {rho:.2f}"
    return None


@pytest.fixture
def app(make_app):
    with fresh_app(make_app, JOBS_ASYNC=False) as app:
        yield app


def test_the_operator_cannot_tie_a_response_to_its_sender_or_its_time(app, survey, caplog):
    caplog.set_level("DEBUG")
    with app.app_context():
        survey = db.session.merge(survey)
        run = drive(app, survey)
        assert len(run.finished) == 2 * EACH
        store_waiting()  # the workers drain the outbox (in shuffled batches)
        # The day is over: the sweeper runs as it does every half minute.
        sweep(time.time() + 86400)
        db.session.expire_all()

        # The test's own key to the responses: channel and number of good friends.
        whose = {r.id: (r.channel, r.answers["good_friends"])
                 for r in db.session.scalars(select(Response))}
        assert sorted(whose.values()) == sorted(run.finished)
        ids = set(whose)
        redis = dump_redis()
        logs = caplog.text
        failures = []

        # 1. No response id is named anywhere outside the response store.
        for entry in redis:
            named = [i for i in ids if i in entry["key"] or i in repr(entry["value"])]
            if named:
                failures.append(f"Redis key {entry['key']} names a response id")
        if any(i in logs for i in ids):
            failures.append("a log line names a response id")

        # 2. The finished markers date nobody and keep no order of finishing.
        hashes = {crypto().phone_hash(number): friends for friends, number in run.senders.items()}
        marked = [e for e in redis if any(h in e["key"] or h in repr(e["value"]) for h in hashes)]
        assert marked, "no finished marker found: the operator's search is broken"
        failures += marker_links(marked, hashes, run)

        # 3. Nothing in the database keeps the order they finished in.
        truth = run.finished
        for name, order in physical_order().items():
            found = better_than_chance([whose[i] for i in order], truth)
            if found:
                failures.append(f"responses ordered by {name} follow the finishing order "
                                f"({found})")
        if db.engine.dialect.name == "postgresql":
            xmins = {x for (x,) in db.session.execute(text("SELECT xmin::text FROM responses"))}
            if len(xmins) != 1:
                failures.append(f"responses of one day were written in {len(xmins)} transactions")

        # 4. The opt-out list (and invitations) keep the day, never the time.
        opt_outs = db.session.scalars(select(OptOut)).all()
        assert len(opt_outs) == 1
        db.session.add(Invitation(round_id=survey.id, phone_hash="0" * 64))
        db.session.commit()
        for moment in [o.created_at for o in opt_outs] + [
                i.created_at for i in db.session.scalars(select(Invitation))]:
            if moment != datetime(moment.year, moment.month, moment.day, tzinfo=UTC):
                failures.append(f"an opt-out or invitation keeps a time ({moment.isoformat()})")
    assert not failures, "the operator can re-identify:\n" + "\n".join(failures)


def marker_links(marked: list[dict], hashes: dict[str, int], run: Run) -> list[str]:
    """What the finished markers tell the operator about when each sender finished."""
    failures = []
    finishing = [friends for channel, friends in run.finished if channel == "sms"]
    # Each kind of key (finished marker, ended record) expires at one moment for everyone,
    # a whole hour (a midnight, or a set time after one): it dates nobody.
    kinds: dict[str, set[float]] = {}
    for e in marked:
        kinds.setdefault(e["key"][:5], set()).add(round(time.time() * 1000 + e["pttl"], -3))
    for kind, expiries in kinds.items():
        if len(expiries) != 1:
            failures.append(f"the {kind}* keys expire at {len(expiries)} different moments")
        for moment in expiries:
            seconds = moment / 1000 % 3600
            if min(seconds, 3600 - seconds) > 60:
                failures.append(f"a {kind}* key expires at a time of day, not a whole hour")
    idle = [e["idle"] for e in marked]  # whole seconds: a touch may straddle one tick
    if len(marked) > 1 and max(idle) - min(idle) > 1:
        failures.append("the finished markers have different idle times")
    # The order the operator can read them in: keys by TTL, or members by their place.
    by_ttl = [hashes[h] for e in sorted(marked, key=lambda e: -e["pttl"])
              for h in hashes if h in e["key"]]
    found = len(by_ttl) == len(finishing) and better_than_chance(by_ttl, finishing)
    if found:
        failures.append(f"the finished markers' TTLs give the finishing order ({found})")
    for entry in marked:
        if entry["type"] == "zset":
            members = [m.decode() for m, _ in entry["value"]]
            if members != sorted(members) or {s for _, s in entry["value"]} != {0.0}:
                failures.append("the finished set keeps an order or a score of its own")
    return failures


def stored(survey, day: str, **answers) -> str:
    """A response as the store writes it, under a submission id, finished on ``day``."""
    submission_id = secrets.token_hex(16)
    db.session.add(Response(
        id=submission_id, tenant_id=survey.tenant_id, round_id=survey.id, flow_id="router",
        flow_version=3, survey="demo", age_band="11-17", locale="en", channel="web",
        week=datetime.fromisoformat(day).strftime("%G-W%V"), day=day, status="complete",
        helped=None, answers=answers, skipped=[],
        comments=[Comment(key="better", text=f"comment {answers}")]))
    db.session.commit()
    return submission_id


def test_a_response_stored_late_is_mixed_again_with_its_whole_day(app, survey):
    with app.app_context():
        survey = db.session.merge(survey)
        now = time.time()
        yesterday = datetime.fromtimestamp(now - 86400, UTC).date().isoformat()
        first = {stored(survey, yesterday, n=n) for n in range(3)}
        assert mix_days(now) == 1
        mixed = set(db.session.scalars(select(Response.id)))
        assert len(mixed) == 3 and not mixed & first
        late = stored(survey, yesterday, n=3)  # its job was retried after the day was mixed
        assert mix_days(now) == 1
        again = set(db.session.scalars(select(Response.id)))
        assert len(again) == 4 and not again & (mixed | {late})
        assert {c.response_id for c in db.session.scalars(select(Comment))} == again
        assert sorted(r.answers["n"] for r in db.session.scalars(select(Response))) == [0, 1, 2, 3]


def test_today_and_a_response_still_waiting_in_redis_are_not_mixed_yet(app, survey):
    with app.app_context():
        survey = db.session.merge(survey)
        now = time.time()
        today = datetime.fromtimestamp(now, UTC).date().isoformat()
        yesterday = datetime.fromtimestamp(now - 86400, UTC).date().isoformat()
        today_s = stored(survey, today)
        waiting = stored(survey, yesterday)  # stored, but its worker died before the clean-up
        entry = redis_client().xadd(outbox_key(0), {"s": waiting, "t": "{}"})
        assert mix_days(now) == 0
        assert set(db.session.scalars(select(Response.id))) == {today_s, waiting}
        redis_client().xdel(outbox_key(0), entry)  # a worker found it stored, and cleaned up
        assert mix_days(now) == 1
        assert today_s in set(db.session.scalars(select(Response.id)))
        assert waiting not in set(db.session.scalars(select(Response.id)))
