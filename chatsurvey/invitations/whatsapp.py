"""WhatsApp through Twilio: its addresses, its 24-hour window and its templates.

WhatsApp is the SMS channel with different rules for what we may send first:

* Twilio writes a WhatsApp sender and our number as ``whatsapp:+447700900123``;
  the number behind the prefix is hashed exactly as an SMS sender's is, so a
  young person has one conversation, one opt-out and one invitation per
  council whichever of the two they use.
* A reply is free text only within 24 hours of the young person's last message
  (WhatsApp's "customer service window"). Every reply to a message is sent at
  once in the webhook's answer, so it is always inside it.
* Anything we start (an invitation, a reminder) outside the window must be a
  template the council had approved by WhatsApp, sent by its Twilio Content SID
  (``HX`` and 32 hex digits), kept per kind in ``Tenant.whatsapp_templates``.
  Without one, nothing is sent: never free text.

We do not track the window: everything we start is a template, inside the
window or not (WhatsApp allows that). A reminder goes only after
REMINDER_AFTER_HOURS (48) quiet hours, and an invitation only to someone not
already taking part, so free text would almost never have been allowed anyway;
and a marker of when each number last wrote would be one more thing in Redis
that could say when someone answered.

Buttons: WhatsApp's quick-reply buttons exist only inside templates, so
questions are sent as SMS sends them, numbered options the young person
answers with a number or a word; that works on every phone and in every
window.
"""

from __future__ import annotations

import json
import re

from chatsurvey.audit import record
from chatsurvey.councils.models import SmsNumber, Tenant
from chatsurvey.crypto import normalise_number
from chatsurvey.extensions import db

SMS, WHATSAPP = "sms", "whatsapp"
PREFIX = "whatsapp:"
INVITE, REMINDER = "invite", "reminder"
KINDS = (INVITE, REMINDER)
"""Messages a council starts, each needing its own approved template."""
CONTENT_SID = re.compile(r"HX[0-9a-f]{32}")
NO_TEMPLATE = "no-template"
"""Invitation.error when a WhatsApp message could not be sent: no approved template."""


def split_address(address: str) -> tuple[str, str]:
    """("whatsapp", "+44...") for Twilio's ``whatsapp:+44...``, else ("sms", the address)."""
    if address[:len(PREFIX)].casefold() == PREFIX:
        return WHATSAPP, address[len(PREFIX):].strip()
    return SMS, address


def address(channel: str, number: str) -> str:
    """How Twilio wants a number written on ``channel``."""
    return f"{PREFIX}{number}" if channel == WHATSAPP else number


def twilio_addresses(tenant: Tenant) -> list[str]:
    """Every address the council's messages have at Twilio: each number, by SMS and on
    WhatsApp (``whatsapp:+44...``), for listing them in its Messages resource.

    WhatsApp addresses are listed for every number, not only the one marked as the
    sender: a message to a number is answered however it is marked, so its thread
    must be found however it is marked too.
    """
    return [*(n.number for n in tenant.numbers),
            *(address(WHATSAPP, n.number) for n in tenant.numbers)]


def template(tenant: Tenant, kind: str) -> str | None:
    """The Content SID of the council's approved template for ``kind``, if it has a valid one."""
    found = (tenant.whatsapp_templates or {}).get(kind)
    return found if isinstance(found, str) and CONTENT_SID.fullmatch(found) else None


def sending_number(tenant: Tenant) -> SmsNumber | None:
    """The council's first number that is a WhatsApp sender."""
    return next((n for n in tenant.numbers if n.whatsapp), None)


def message(tenant: Tenant, kind: str) -> dict[str, str] | None:
    """What to pass Twilio's ``messages.create`` for a WhatsApp message we start.

    The council's approved template for ``kind`` (its Content SID, and the
    council's name as variable 1); None if it has none, so nothing is sent.
    """
    content_sid = template(tenant, kind)
    if content_sid is None:
        return None
    return {"content_sid": content_sid,
            "content_variables": json.dumps({"1": tenant.display_name}, ensure_ascii=False)}


KIND_NAMES = {INVITE: "the invitation", REMINDER: "the reminder"}


def problems(tenant: Tenant) -> list[str]:
    """What the council must set up before it can invite by WhatsApp (empty: ready)."""
    found = []
    if sending_number(tenant) is None:
        found.append("no WhatsApp sender")
    found += [f"no approved template for {KIND_NAMES[kind]}" for kind in KINDS
              if template(tenant, kind) is None]
    return found


def not_ready(tenant: Tenant) -> str | None:
    """Why the council cannot invite by WhatsApp yet, in one sentence (None: it can)."""
    found = problems(tenant)
    return (f"{tenant.display_name} cannot invite by WhatsApp yet: {', '.join(found)} "
            "(see docs/whatsapp.md)") if found else None


class SetUpRefused(ValueError):
    """The council's WhatsApp settings were not saved; ``problems`` says why, by field
    ("sender", "invite", "reminder"), in words for the person setting up.

    A refused value is never repeated back: someone may paste the council's auth token
    into the wrong box, and a message that quoted it would show it on the page.
    """

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = problems


OTHER_SIDS = {"AC": "the council's Twilio account SID", "MG": "a messaging service SID",
              "SM": "a message SID", "MM": "a message SID", "PN": "a phone number SID",
              "XE": "a WhatsApp sender SID"}
"""Other Twilio ids people paste by mistake, by their first two letters."""


def _sender_problem(tenant: Tenant, sender: str) -> tuple[SmsNumber | None, str | None]:
    """The council's number ``sender`` names (``+44...`` or Twilio's ``whatsapp:+44...``)."""
    _, raw = split_address(sender.strip())
    try:
        wanted = normalise_number(raw)
    except ValueError:
        return None, ("That is not a phone number. Write the WhatsApp sender like "
                      "+447700900123 or whatsapp:+447700900123.")
    number = next((n for n in tenant.numbers if n.number == wanted), None)
    if number is None:
        return None, (f"{wanted} is not one of {tenant.slug}'s numbers: add it as an SMS "
                      "number first (a programme analyst adds numbers).")
    return number, None


def _template_problem(kind: str, sid: str) -> str | None:
    if kind not in KINDS:
        return f"{kind[:20]} is not a kind of message: {', '.join(KINDS)}."
    if not sid or CONTENT_SID.fullmatch(sid):
        return None
    other = OTHER_SIDS.get(sid[:2].upper())
    return (f"For {KIND_NAMES[kind]}: that is not a Content SID"
            + (f" (it looks like {other})" if other else "")
            + ". A Content SID is HX and 32 letters and digits, as Twilio's Content Template "
              "Builder shows it.")


def set_up(tenant: Tenant, sender: str | None, templates: dict[str, str]) -> None:
    """Mark one of the council's numbers as its WhatsApp sender and keep its template SIDs.

    The one way to set up a council's WhatsApp, for the admin's WhatsApp page and
    `chatsurvey tenants whatsapp`. ``sender`` must be one of the council's numbers
    (add it first, like an SMS number); None keeps the sender, "" means none.
    ``templates`` maps "invite"/"reminder" to a Content SID ("" removes one). Every
    problem is found first (SetUpRefused, nothing written); then written, audited
    and committed.
    """
    found: dict[str, str] = {}
    number = None
    if sender:
        number, problem = _sender_problem(tenant, sender)
        if problem:
            found["sender"] = problem
    cleaned = {kind: (sid or "").strip() for kind, sid in templates.items()}
    for kind, sid in cleaned.items():
        problem = _template_problem(kind, sid)
        if problem:
            found[kind if kind in KINDS else "templates"] = problem
    if found:
        raise SetUpRefused(found)
    kept = dict(tenant.whatsapp_templates or {})
    for kind, sid in cleaned.items():
        if sid:
            kept[kind] = sid
        else:
            kept.pop(kind, None)
    if sender is not None:
        for other in tenant.numbers:
            other.whatsapp = other is number
    tenant.whatsapp_templates = kept
    chosen = sending_number(tenant)
    record("council.whatsapp", tenant, sender=chosen.number if chosen else None,
           templates=sorted(kept))
    db.session.commit()
