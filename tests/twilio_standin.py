"""A stand-in for Twilio's Messages API, so tests use the real Twilio client without Twilio.

It speaks the shape the client expects, with Basic auth (account SID and auth
token): ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (form fields
To/From/Body, a 201 JSON reply like Twilio's), ``GET`` of the same (the list,
filtered by To and From, in pages), and ``DELETE .../Messages/{sid}.json``
(204). Errors come back as Twilio's error JSON (code, message, status). Tests
can make the next requests fail (429), a number opted out (21610), or a
message not yet deletable (20009, Twilio still processing it). Messages a
young person sent, and the replies Twilio sent from TwiML, are put in with
``received`` and ``replied``, as Twilio would keep them.

WhatsApp (``To``/``From`` written ``whatsapp:+44...``) follows WhatsApp's rule
as Twilio applies it: free text (``Body``) is delivered only to someone who
wrote to us in the last 24 hours (tests say who with ``whatsapp_window``);
otherwise the message is accepted and then fails with error 63016, as
Twilio's does. A template (``ContentSid``, ``ContentVariables``) always goes.

One server per test session (``twilio_server``); ``twilio`` gives each test
an empty one; ``app`` is an app whose Twilio client talks to it. A test module
uses them by naming them::

    twilio_server = twilio_standin.twilio_server
    twilio = twilio_standin.twilio
    app = twilio_standin.app
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from email.utils import formatdate

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.helpers import fresh_app

_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-zA-Z]+)/Messages\.json$")
_ONE = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-zA-Z]+)/Messages/(SM[0-9a-f]+)\.json$")
_LIST_KEYS = ("first_page_uri", "next_page_uri", "previous_page_uri", "uri", "page",
              "page_size", "start", "end")


@dataclass
class Sent:
    sid: str
    account: str
    to: str
    from_: str
    body: str
    direction: str = "outbound-api"
    status: str = "queued"
    content_sid: str = ""
    content_variables: str = ""
    error_code: int | None = None
    """Set when Twilio would accept the message and then fail it (63016: free text outside
    WhatsApp's 24-hour window)."""


@dataclass
class TwilioStandIn:
    accounts: dict[str, str] = field(default_factory=dict)
    messages: list[Sent] = field(default_factory=list)
    opted_out: set[str] = field(default_factory=set)
    whatsapp_window: set[str] = field(default_factory=set)
    """WhatsApp addresses (``whatsapp:+44...``) that wrote to us in the last 24 hours."""
    failures: list[tuple[int, int]] = field(default_factory=list)
    """(HTTP status, Twilio code) for the next requests, in order."""
    requests: int = 0
    deleted: list[Sent] = field(default_factory=list)
    processing: set[str] = field(default_factory=set)
    """SIDs Twilio is still processing: deleting one answers 20009."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = None

    # -- test controls --------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.accounts.clear()
            self.messages.clear()
            self.opted_out.clear()
            self.whatsapp_window.clear()
            self.failures.clear()
            self.requests = 0
            self.deleted.clear()
            self.processing.clear()

    def account(self, sid: str, token: str) -> None:
        self.accounts[sid] = token

    def fail_next(self, status: int = 429, code: int = 20429, times: int = 1) -> None:
        self.failures.extend([(status, code)] * times)

    def received(self, account: str, from_: str, to: str, body: str) -> str:
        """A text a young person sent to a council's number; its MessageSid."""
        sid = "SM" + secrets.token_hex(16)
        with self._lock:
            self.messages.append(Sent(sid, account, to, from_, body, "inbound", "received"))
        return sid

    def replied(self, account: str, from_: str, to: str, body: str) -> str:
        """A reply Twilio sent from a webhook's TwiML; its SID."""
        sid = "SM" + secrets.token_hex(16)
        with self._lock:
            self.messages.append(Sent(sid, account, to, from_, body, "outbound-reply",
                                      "delivered"))
        return sid

    def thread(self, number: str) -> list[Sent]:
        """Every message still kept to or from ``number``."""
        return [m for m in self.messages if number in (m.to, m.from_)]

    # -- the server -------------------------------------------------------------

    def start(self) -> TwilioStandIn:
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @staticmethod
    def _error(status: int, code: int, message: str) -> Response:
        return Response(json.dumps({"code": code, "message": message, "status": status,
                                    "more_info": f"https://www.twilio.com/docs/errors/{code}"}),
                        status=status, mimetype="application/json")

    def wsgi(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            self.requests += 1
            response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        match = _PATH.match(request.path) or _ONE.match(request.path)
        if not match:
            return self._error(404, 20404, "The requested resource was not found")
        account = match.group(1)
        auth = request.authorization
        if (auth is None or auth.username != account
                or self.accounts.get(account) != auth.password):
            return self._error(401, 20003, "Authenticate")
        if request.method == "GET" and match.re is _PATH:
            return self._list(request, account)
        if request.method == "DELETE" and match.re is _ONE:
            return self._delete(account, match.group(2))
        if request.method != "POST" or match.re is not _PATH:
            return self._error(404, 20404, "The requested resource was not found")
        to, from_, body, content_sid, variables = (
            request.form.get(k, "") for k in ("To", "From", "Body", "ContentSid",
                                              "ContentVariables"))
        if not to:
            return self._error(400, 21604, "A 'To' phone number is required.")
        if not from_ or not (body or content_sid):
            return self._error(400, 21603, "A 'From' phone number and a Body are required.")
        if to.startswith("whatsapp:") != from_.startswith("whatsapp:"):
            return self._error(400, 63007, "Twilio could not find a Channel with the From "
                                           "address")
        if self.failures:
            status, code = self.failures.pop(0)
            return self._error(status, code, f"Simulated error {code} for {to}")
        if to in self.opted_out:
            return self._error(400, 21610, f"Attempt to send to unsubscribed recipient {to}")
        sid = "SM" + secrets.token_hex(16)
        late = (to.startswith("whatsapp:") and not content_sid
                and to not in self.whatsapp_window)
        self.messages.append(Sent(sid, account, to, from_, body, content_sid=content_sid,
                                  content_variables=variables,
                                  error_code=63016 if late else None))
        return Response(json.dumps(self._json(self.messages[-1])), status=201,
                        mimetype="application/json")

    @staticmethod
    def _json(message: Sent) -> dict:
        now = formatdate(usegmt=True)
        account, sid = message.account, message.sid
        return {
            "sid": sid, "account_sid": account, "to": message.to, "from": message.from_,
            "body": message.body, "status": message.status, "num_segments": "1",
            "num_media": "0", "direction": message.direction, "api_version": "2010-04-01",
            "date_created": now, "date_updated": now, "date_sent": now, "price": None,
            "price_unit": "GBP", "error_code": None, "error_message": None,
            "messaging_service_sid": None,
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{sid}"
                                          "/Media.json"}}

    def _list(self, request: Request, account: str) -> Response:
        """Messages of the account, newest first, filtered by To and From, in pages."""
        to, from_ = request.args.get("To"), request.args.get("From")
        size = int(request.args.get("PageSize", 50))
        page = int(request.args.get("Page", 0))
        found = [m for m in reversed(self.messages) if m.account == account
                 and (to is None or m.to == to) and (from_ is None or m.from_ == from_)]
        chunk = found[page * size:(page + 1) * size]
        base = f"/2010-04-01/Accounts/{account}/Messages.json?PageSize={size}"
        more = (page + 1) * size < len(found)
        body = dict.fromkeys(_LIST_KEYS)
        body.update(messages=[self._json(m) for m in chunk], page=page, page_size=size,
                    start=page * size, end=page * size + len(chunk) - 1,
                    uri=f"{base}&Page={page}", first_page_uri=f"{base}&Page=0",
                    next_page_uri=f"{base}&Page={page + 1}" if more else None)
        return Response(json.dumps(body), status=200, mimetype="application/json")

    def _delete(self, account: str, sid: str) -> Response:
        if self.failures:
            status, code = self.failures.pop(0)
            return self._error(status, code, f"Simulated error {code}")
        found = [m for m in self.messages if m.sid == sid and m.account == account]
        if not found:
            return self._error(404, 20404, "The requested resource was not found")
        if sid in self.processing:
            return self._error(409, 20009, "Cannot delete this resource before it is complete")
        self.messages.remove(found[0])
        self.deleted.append(found[0])
        return Response(status=204)


_shared: TwilioStandIn | None = None


@pytest.fixture(scope="session")
def twilio_server():
    """The session's stand-in (shared by every module that imports these fixtures)."""
    global _shared
    if _shared is None:
        _shared = TwilioStandIn().start()
    yield _shared
    _shared.stop()


@pytest.fixture
def twilio(twilio_server):
    twilio_server.reset()
    return twilio_server


ACCOUNT = "AC" + "0" * 32
TOKEN = "twilio-test-token"
"""The council's Twilio account and auth token, as tests.helpers.seed_tenant sets them."""


@pytest.fixture
def app(make_app, twilio):
    """The conftest app, its Twilio client talking to the stand-in, which holds the
    council's account (ACCOUNT, TOKEN)."""
    twilio.account(ACCOUNT, TOKEN)
    with fresh_app(make_app, TWILIO_API_BASE_URL=twilio.url) as app:
        yield app
