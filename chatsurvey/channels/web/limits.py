"""Rate limits on the anonymous web chat API, counted by Flask-Limiter in the app's own Redis.

Nobody signs in to the chat, so what stops one client starting conversations by the
hundred (Redis memory) or racing through fake complete responses (ballot stuffing)
is how fast it may go. Each limit is a setting (``WEB_LIMIT_*`` in
chatsurvey/config.py) in Flask-Limiter's notation, e.g. "5 per 10 seconds;60 per hour":

* starts, per client and per survey link (the link's limit holds many clients together);
* messages, per conversation (no one answers faster than they read; how many
  conversations a client has is held by its starts), one Redis round trip a turn;
* look-ups and quick exits, per client (they name a token: no guessing at speed).

A client is its IP address as the proxy settings give it (PROXY_X_FOR), a
conversation its bearer token; both are put through a keyed hash first, so no address
and no token is ever part of a Redis key. Limits are kept in the Redis the app already
uses (REDIS_URL, a unix socket included: limits spells it ``redis+unix://``), through
the app's own connection pool, under ``cs:lim:``; each counter lives for its window.
A breach answers 429 in the API's error shape with Retry-After (api.py).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from functools import cache
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_limiter import Limiter

from chatsurvey.extensions import is_cluster, redis_client

PREFIX = "cs:lim"


def storage_uri(redis_url: str) -> str:
    """REDIS_URL as limits names it: the same server, ``unix://`` spelt ``redis+unix://``,
    a cluster node ``redis+cluster://``."""
    if redis_url.startswith("unix://"):
        return "redis+" + redis_url
    if is_cluster(redis_url):
        return "redis+cluster://" + urlsplit(redis_url).netloc
    return redis_url


@cache
def _hash_key(secret: str) -> bytes:
    return hashlib.sha256(b"chatsurvey rate limits\n" + secret.encode("utf-8")).digest()


def _keyed(value: str) -> str:
    """A keyed hash of ``value``: it counts the same client together, and names no one."""
    key = _hash_key(str(current_app.config["SECRET_KEY"]))
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:24]


def client_key() -> str:
    return _keyed("client\n" + (request.remote_addr or "unknown"))


limiter = Limiter(key_func=client_key)
"""The one Flask-Limiter of the web API (its routes carry its decorators)."""


def link_key() -> str:
    return _keyed("link\n" + str((request.view_args or {}).get("link", "")))


def conversation_key() -> str:
    """The bearer token (hashed); a request without one counts as its client."""
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return _keyed("conversation\n" + token) if token else client_key()


def setting(name: str):
    """A limit read from the app's settings at each request (so it can be changed)."""
    return lambda: current_app.config[name]


def retry_after() -> int:
    """Whole seconds until the limit this request broke lets it through again."""
    breached = limiter.current_limit
    if breached is None:
        return 1
    wait = breached.reset_at - time.time()
    return max(1, min(int(wait + 0.999), breached.limit.get_expiry()))


def init_app(app: Flask) -> None:
    """Count in the app's own Redis (its connection pool), unless settings say otherwise."""
    config = app.config
    if not config.get("REDIS_URL"):  # a command that needs no Redis: no requests to count
        config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
        limiter.init_app(app)
        return
    config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(config["REDIS_URL"]))
    if is_cluster(config["REDIS_URL"]):  # limits makes its own cluster client
        config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"key_prefix": PREFIX})
    else:
        config.setdefault("RATELIMIT_STORAGE_OPTIONS", {
            "connection_pool": redis_client(app).connection_pool, "key_prefix": PREFIX})
    limiter.init_app(app)
