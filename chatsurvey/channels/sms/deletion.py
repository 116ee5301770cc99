"""Finished SMS threads are deleted from the council's Twilio account (its Messages resource).

Twilio keeps every text, its body and both numbers, in the council's account
until it is deleted. So once a sender has no conversation in progress (it was
stored, withdrawn with STOP, abandoned, or they only texted a keyword) their
thread with the council is deleted: a job lists the messages to and from each
of the council's numbers and deletes every one whose other party is in no
conversation, found as the webhook finds it, by the keyed hash of the number.
Texts of a conversation still going are left for a later run.

The job keeps nothing about anyone: it takes the council's id, reads numbers
and message SIDs from Twilio only while it runs, and never logs them. There is
no list of SIDs to delete, so no SID can ever sit beside a response or a time.

When: PROVIDER_DELETE_AFTER seconds after a conversation of the council ends
(`jobs.queue_provider_deletion`; one job a minute per council). A message
Twilio is still processing (error 20009; it refuses for about a minute) is
left, and the job runs again PROVIDER_DELETE_LATER seconds later. Twilio busy,
down or refusing: the job raises and RQ tries again
(PROVIDER_DELETE_RETRY_INTERVALS), then keeps it in the failed jobs.

A council can turn it off (``Tenant.delete_sms_from_provider``, on by default).
The young person's own phone keeps the thread; the first text says so.
Another channel through Twilio's Messages resource (WhatsApp) uses
`delete_threads` with its own numbers and its own "in a conversation" test.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from flask import current_app
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from chatsurvey import jobs
from chatsurvey.channels.sms.webhook import phone_hash
from chatsurvey.conversations.keyspace import pointer_key, sessions
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.invitations import whatsapp
from chatsurvey.invitations.sending import twilio_client

log = logging.getLogger(__name__)

IN_PROGRESS = 20009
"""Twilio: cannot delete a message before Twilio has finished processing it."""
NOT_FOUND = 20404
MOST_PER_RUN = 2000
"""Messages one run looks at per number and direction; more wait for the next run."""


class ProviderRefused(RuntimeError):
    """Twilio would not delete a message (busy, down, credentials); RQ tries again."""


def delete_finished_threads(tenant_id: int,
                            client: Callable[[Tenant], Client] = twilio_client) -> str:
    """Delete every message of the council's SMS numbers whose sender is in no conversation."""
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None or not tenant.delete_sms_from_provider:
        return "off"
    if not tenant.twilio_account_sid or not tenant.has_auth_token():
        return "no Twilio account"
    store = sessions()

    def in_conversation(number: str) -> bool:
        return store.find(pointer_key(tenant_id, phone_hash(number))) is not None

    deleted, later, full = delete_threads(client(tenant), whatsapp.twilio_addresses(tenant),
                                          in_conversation)
    if later or full:
        jobs.queue_provider_deletion(tenant_id, current_app.config["PROVIDER_DELETE_LATER"]
                                     if later else 0)
    result = f"{deleted} deleted, {later} still being processed by Twilio"
    log.info("provider deletion for council %s: %s", tenant.slug, result)
    return result


def delete_threads(client: Client, numbers: Iterable[str],
                   in_conversation: Callable[[str], bool]) -> tuple[int, int, bool]:
    """Delete the messages to and from ``numbers`` whose other party is not
    ``in_conversation``: (deleted, left because Twilio is still processing them,
    whether a list was cut at MOST_PER_RUN)."""
    deleted = later = 0
    full = False
    for number in numbers:
        for direction in ({"to": number}, {"from_": number}):
            messages = client.messages.list(**direction, page_size=100, limit=MOST_PER_RUN)
            full = full or len(messages) >= MOST_PER_RUN
            for message in messages:
                other = message.from_ if "to" in direction else message.to
                if not other or in_conversation(other):
                    continue
                outcome = _delete(client, message.sid)
                deleted += outcome == "deleted"
                later += outcome == "later"
    return deleted, later, full


def _delete(client: Client, sid: str | None) -> str:
    """Delete one message: "deleted", "later" (Twilio still processing it) or "gone"."""
    if not sid:
        return "gone"
    try:
        client.messages(sid).delete()
    except TwilioRestException as error:
        if error.code == IN_PROGRESS:
            return "later"
        if error.status == 404 or error.code == NOT_FOUND:
            return "gone"  # deleted meanwhile by another run
        # RQ tries again later. Twilio's text can quote a number and the SID: not kept.
        raise ProviderRefused(f"Twilio error {error.code} (HTTP {error.status})") from None
    return "deleted"
