"""Server-side admin sessions in Redis, behind a random id in one cookie.

Flask's own session is a signed cookie, which cannot be revoked; this module
replaces it (``app.session_interface``) with one whose data stays in Redis
from the moment it names a person. The cookie (ADMIN_SESSION_COOKIE,
``HttpOnly``, ``Secure``, ``SameSite=Lax``, ``Path=/``) then holds only a
256-bit random id. Requests outside ``/admin`` (the chat API, the chat page,
Twilio) get Flask's null session and never touch Redis.

Before anyone is known — the sign-in page, an invitation link — the session
holds only the form's CSRF secret and flashed messages (``BEFORE_SIGN_IN``).
Those travel in the same cookie, signed with SECRET_KEY and dated (a cookie
older than ADMIN_SESSION_ANONYMOUS, or edited, counts as none), so a visitor
costs Redis nothing: fetching the sign-in page 500 times makes no key. The
session moves to Redis as soon as anything else is put in it (the person
waiting for their TOTP code, a signed-in user).

Redis keys:

``cs:as:{session id}``
    JSON: ``data`` (Flask's session dict: the CSRF secret, ``uid`` once signed
    in), ``created``, ``seen`` (epoch seconds), ``handle`` (a public id for the
    "your sessions" page, so the secret id is never shown or put in a URL),
    ``agent`` (a short browser name). TTL: ADMIN_SESSION_IDLE for a signed-in
    session, renewed on each request but never past ``created`` +
    ADMIN_SESSION_ABSOLUTE; ADMIN_SESSION_ANONYMOUS before signing in.
``cs:au:{user id}``
    Hash of the user's sessions: handle -> session id. Lives as long as the
    longest of them (entries whose session expired are pruned when listed).

Ending sessions: signing out deletes the key; "sign out everywhere" and
disabling an account delete every key in the user's hash *and* raise
``User.session_version``, which every request checks, so a session missed here
(Redis restored from a backup) is refused anyway.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import NullSession, SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from chatsurvey.extensions import redis_client

SID = re.compile(r"[A-Za-z0-9_-]{43}")
BEFORE_SIGN_IN = frozenset({"csrf_token", "_flashes"})
"""What a session may hold and still live in its signed cookie rather than in Redis."""
ADMIN_PATH = "/admin"
"""Sessions exist under this path only (the admin blueprint's url_prefix)."""
clock = time.time
"""The time source (tests move it forward)."""


def session_key(sid: str) -> str:
    return f"cs:as:{sid}"


def user_key(uid: int) -> str:
    return f"cs:au:{uid}"


def _agent(user_agent: str) -> str:
    """A short, non-identifying browser name for the sessions list."""
    ua = user_agent or ""
    browser = next((name for token, name in (("Edg/", "Edge"), ("Firefox/", "Firefox"),
                                             ("Chrome/", "Chrome"), ("Safari/", "Safari"))
                    if token in ua), "A browser")
    system = next((name for token, name in (("Android", "Android"), ("iPhone", "iPhone"),
                                            ("iPad", "iPad"), ("Windows", "Windows"),
                                            ("Mac OS", "macOS"), ("Linux", "Linux"))
                   if token in ua), "")
    return f"{browser} on {system}" if system else browser


class AdminSession(CallbackDict, SessionMixin):
    """Flask's ``session``, kept in Redis (see the module docstring)."""

    def __init__(self, data: dict | None = None, sid: str | None = None,
                 meta: dict | None = None) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.sid = sid
        self.meta = meta or {}
        self.new = sid is None
        self.modified = False
        self.ended = False
        self.old_sid: str | None = None
        self.in_cookie = False
        """Loaded from a signed cookie (nothing in Redis yet)."""

    @property
    def needs_server(self) -> bool:
        """Kept in Redis: once it is there, or once it holds more than a form's secret."""
        return self.sid is not None or not BEFORE_SIGN_IN.issuperset(self)

    def sign_in(self, uid: int, session_version: int, agent: str) -> None:
        """A new id for a signed-in session (never keep a pre-login id: ASVS 7.2.4)."""
        self.clear()  # the CSRF secret too: a new one is made for the signed-in session
        self["uid"] = uid
        self["sv"] = session_version
        self.old_sid, self.sid, self.new = self.sid, None, True
        now = clock()
        self.meta = {"created": now, "seen": now, "handle": secrets.token_urlsafe(9),
                     "agent": agent}
        self.modified = True

    def end(self) -> None:
        """Sign out: the key goes, and the cookie with it."""
        self.ended = True
        self.modified = True


class RedisSessionInterface(SessionInterface):
    """Keeps Flask's session in Redis under a random id (see the module docstring)."""

    def _settings(self, app: Flask) -> dict:
        config = app.config
        return {"cookie": config["ADMIN_SESSION_COOKIE"],
                "secure": config["ADMIN_SESSION_COOKIE_SECURE"],
                "idle": int(config["ADMIN_SESSION_IDLE"]),
                "absolute": int(config["ADMIN_SESSION_ABSOLUTE"]),
                "anonymous": int(config["ADMIN_SESSION_ANONYMOUS"])}

    def open_session(self, app: Flask, request: Request) -> AdminSession | NullSession:
        if not request.path.startswith(ADMIN_PATH):
            # Only the admin has sessions: the chat API, the chat page and Twilio's
            # webhook do no session work at all, not even reading a cookie.
            return self.make_null_session(app)
        settings = self._settings(app)
        sid = request.cookies.get(settings["cookie"], "")
        if not SID.fullmatch(sid):
            return self._from_cookie(app, sid, settings)
        raw = redis_client(app).get(session_key(sid))
        if raw is None:
            return AdminSession()
        stored = json.loads(raw)
        meta = {k: v for k, v in stored.items() if k != "data"}
        if "uid" in stored["data"] and clock() - meta["created"] > settings["absolute"]:
            forget(app, sid, stored["data"]["uid"], meta.get("handle"))
            return AdminSession()
        return AdminSession(stored["data"], sid, meta)

    @staticmethod
    def _signer(app: Flask) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(app.config["SECRET_KEY"],
                                      salt="chatsurvey-admin-before-sign-in",
                                      signer_kwargs={"digest_method": hashlib.sha256})

    def _from_cookie(self, app: Flask, value: str, settings: dict) -> AdminSession:
        """The session before signing in, from its signed cookie (or a new, empty one)."""
        if not value:
            return AdminSession()
        try:
            data = self._signer(app).loads(value, max_age=settings["anonymous"])
        except BadSignature:  # edited, or too old (SignatureExpired is a BadSignature)
            return AdminSession()
        if not isinstance(data, dict) or not BEFORE_SIGN_IN.issuperset(data):
            return AdminSession()
        session = AdminSession(data)
        session.in_cookie = True
        return session

    def _save_in_cookie(self, app: Flask, session: AdminSession, response: Response,
                        settings: dict) -> None:
        if not session.modified:
            return
        if not session:
            if session.in_cookie:
                self._delete_cookie(response, settings)
            return
        response.set_cookie(settings["cookie"], self._signer(app).dumps(dict(session)),
                            path="/", secure=settings["secure"], httponly=True, samesite="Lax")

    @staticmethod
    def _delete_cookie(response: Response, settings: dict) -> None:
        response.delete_cookie(settings["cookie"], path="/", secure=settings["secure"],
                               httponly=True, samesite="Lax")

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, AdminSession)  # noqa: S101 (set by open_session)
        settings = self._settings(app)
        redis = redis_client(app)
        if session.old_sid:
            redis.delete(session_key(session.old_sid))
        if session.ended:
            if session.sid:
                forget(app, session.sid, session.get("uid"), session.meta.get("handle"))
            self._delete_cookie(response, settings)
            return
        if not session.needs_server:
            self._save_in_cookie(app, session, response, settings)
            return
        signed_in = "uid" in session
        if not (session.modified or signed_in):
            return
        now = clock()
        if session.sid is None:
            session.sid = secrets.token_urlsafe(32)
            session.meta.setdefault("created", now)
        session.meta["seen"] = now
        if signed_in:
            left = settings["absolute"] - (now - session.meta["created"])
            ttl = max(1, int(min(settings["idle"], left)))
        else:
            ttl = settings["anonymous"]
        pipe = redis.pipeline()
        pipe.set(session_key(session.sid), json.dumps({"data": dict(session), **session.meta}),
                 ex=ttl)
        if signed_in and session.new:
            pipe.hset(user_key(session["uid"]), session.meta["handle"], session.sid)
            pipe.expire(user_key(session["uid"]), settings["absolute"])
        pipe.execute()
        if session.new:
            response.set_cookie(settings["cookie"], session.sid, path="/",
                                secure=settings["secure"], httponly=True, samesite="Lax")


def forget(app: Flask, sid: str, uid: int | None, handle: str | None) -> None:
    """Delete one session and its entry in the user's list."""
    pipe = redis_client(app).pipeline()
    pipe.delete(session_key(sid))
    if uid is not None and handle:
        pipe.hdel(user_key(uid), handle)
    pipe.execute()


def sessions_of(app: Flask, uid: int) -> list[dict]:
    """The user's live sessions, newest first: handle, created, seen, agent."""
    redis = redis_client(app)
    found = []
    for handle, sid in redis.hgetall(user_key(uid)).items():
        raw = redis.get(session_key(_text(sid)))
        if raw is None:
            redis.hdel(user_key(uid), handle)
            continue
        stored = json.loads(raw)
        found.append({"handle": _text(handle), "sid": _text(sid),
                      "created": stored["created"], "seen": stored["seen"],
                      "agent": stored.get("agent", "")})
    return sorted(found, key=lambda s: -s["created"])


def end_session(app: Flask, uid: int, handle: str) -> bool:
    """End one of the user's sessions by its public handle; False if there is none."""
    sid = redis_client(app).hget(user_key(uid), handle)
    if sid is None:
        return False
    forget(app, _text(sid), uid, handle)
    return True


def end_all(app: Flask, uid: int, keep_sid: str | None = None) -> int:
    """End every session of a user (but ``keep_sid``); returns how many were ended."""
    redis = redis_client(app)
    ended = 0
    for handle, sid in redis.hgetall(user_key(uid)).items():
        if _text(sid) == keep_sid:
            continue
        forget(app, _text(sid), uid, _text(handle))
        ended += 1
    return ended


def init_app(app: Flask) -> None:
    app.session_interface = RedisSessionInterface()


agent_name = _agent
"""A short browser name for the sessions list ("Firefox on Linux")."""


def _text(value: bytes | str) -> str:
    """A Redis reply as text (the admin's client answers bytes)."""
    return value.decode() if isinstance(value, bytes) else value
