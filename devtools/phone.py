"""A pretend phone in the terminal, for playing the SMS channel without Twilio.

It does what Twilio does for each text: posts the standard webhook form to
``/sms/inbound``, signed with the council's auth token over the exact URL, and
shows the text of the TwiML reply. Because the request is signed like Twilio's,
the server checks it exactly as it would in production.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from xml.etree import ElementTree  # nosec B405 - parses only the reply of a server we chose

import requests
from twilio.request_validator import RequestValidator


def made_up_number() -> str:
    """A UK mobile number Ofcom keeps for drama: it can never reach a real person."""
    return f"+447700900{secrets.randbelow(1000):03d}"


def webhook_form(to: str, sender: str, body: str, account_sid: str | None) -> dict[str, str]:
    """The fields Twilio posts for an inbound SMS (the ones we read, and a few more)."""
    sid = "SM" + secrets.token_hex(16)
    return {"ToCountry": "GB", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid,
            "SmsStatus": "received", "Body": body, "FromCountry": "GB", "To": to,
            "NumSegments": "1", "MessageSid": sid, "AccountSid": account_sid or "AC" + "0" * 32,
            "From": sender, "ApiVersion": "2010-04-01"}


def reply_texts(twiml: str) -> list[str]:
    """The text of each <Message> in a TwiML reply."""
    root = ElementTree.fromstring(twiml)  # noqa: S314 - our own server's reply, not untrusted
    return [(message.text or "").strip() for message in root.iter("Message")]


class Phone:
    """Sends texts to one council number as one sender."""

    def __init__(self, url: str, to: str, sender: str, token: str,
                 account_sid: str | None = None, timeout: float = 10) -> None:
        self.url = url.rstrip("/") + "/sms/inbound"
        self.to, self.sender, self.account_sid = to, sender, account_sid
        self.validator = RequestValidator(token)
        self.session = requests.Session()
        self.timeout = timeout

    def send(self, body: str) -> tuple[int, list[str]]:
        """(HTTP status, texts of the reply)."""
        form = webhook_form(self.to, self.sender, body, self.account_sid)
        signature = self.validator.compute_signature(self.url, form)
        response = self.session.post(self.url, data=form, timeout=self.timeout,
                                     headers={"X-Twilio-Signature": signature})
        texts = []
        if response.headers.get("Content-Type", "").startswith(("text/xml", "application/xml")):
            texts = reply_texts(response.text)
        return response.status_code, texts


def play(phone: Phone, read: Callable[[str], str], echo: Callable[[str], None]) -> None:
    """Read a line, send it, print the reply; until end of input (Ctrl-D)."""
    echo(f"Texting {phone.to} from {phone.sender} via {phone.url}. Ctrl-D to leave.")
    while True:
        try:
            line = read("you: ")
        except (EOFError, KeyboardInterrupt):
            echo("")
            return
        try:
            status, texts = phone.send(line)
        except requests.RequestException as exc:
            echo(f"  (could not reach the server: {type(exc).__name__}; is it running?)")
            continue
        if status != 200:
            echo(f"  (the server answered {status})")
        for text in texts:
            for paragraph in text.split("\n"):
                echo(f"  {paragraph}")
        if status == 200 and not texts:
            echo("  (no reply)")
