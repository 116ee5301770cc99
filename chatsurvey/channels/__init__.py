"""Thin adapters between the outside world and `chatsurvey.conversations`.

`sms` takes Twilio's webhooks and answers in TwiML; `webchat` is the JSON API,
the chat page and the embeddable widget.
"""

from __future__ import annotations

from flask import Flask

from . import sms, webchat


def init_app(app: Flask) -> None:
    sms.init_app(app)
    webchat.init_app(app)
