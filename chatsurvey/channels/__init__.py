"""Thin adapters between the outside world and `chatsurvey.conversations`.

`sms` takes Twilio's webhooks, for SMS and WhatsApp, and answers in TwiML; `web` is the JSON API,
the chat page and the embeddable widget.

May import: conversations, councils, rounds, flows, invitations (opt-outs), the
engine (rendering), crypto, i18n, security, extensions. Never the admin, the
command line, reports or `workers`.
"""

from __future__ import annotations

from flask import Flask

from chatsurvey.channels.sms import webhook
from chatsurvey.channels.web import api, limits, page


def init_app(app: Flask) -> None:
    app.register_blueprint(webhook.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(page.bp)
    limits.init_app(app)
