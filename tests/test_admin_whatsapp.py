"""A council's WhatsApp page in the admin: its sender and approved templates.

The page saves through `chatsurvey.invitations.whatsapp.set_up`, as `chatsurvey tenants
whatsapp` does: the same checks, the same words, the same audit entry. A refused
value is never shown back (someone may paste the auth token into the wrong box), and
another council's admin finds nothing at the page's address.
"""

from __future__ import annotations

import html

import pytest

from tests.admin_helpers import csrf_token, make_user, post, sign_in
from tests.helpers import seed_tenant

INVITE = "HX" + "0123456789abcdef" * 2
REMINDER = "HX" + "fedcba9876543210" * 2
TOKEN_LIKE = "9f86d081884c7d659a2feaa0c55ad015"
"""What a Twilio auth token looks like: pasted in the wrong box, it must not be shown back."""


@pytest.fixture
def councils(app):
    """Aford (two numbers) with its admin and viewer, Bchester with its admin, an analyst."""
    from chatsurvey.councils.models import SmsNumber
    from chatsurvey.extensions import db

    with app.app_context():
        a = seed_tenant("aford", number="+447700900001")
        a.numbers.append(SmsNumber(number="+447700900003"))
        db.session.commit()
        b = seed_tenant("bchester", number="+447700900002")
        return {"a": a.id, "b": b.id,
                "admin": make_user("council-admin", a, email="admin@aford.example").email,
                "viewer": make_user("council-viewer", a, email="viewer@aford.example").email,
                "b_admin": make_user("council-admin", b, email="admin@bchester.example").email}


def whatsapp_of(app, tenant_id):
    """(sender, templates) as stored for the council."""
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db
    from chatsurvey.invitations import whatsapp

    with app.app_context():
        tenant = db.session.get(Tenant, tenant_id)
        sender = whatsapp.sending_number(tenant)
        return (sender.number if sender else None, dict(tenant.whatsapp_templates or {}))


def audit_entries(app):
    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db

    with app.app_context():
        return [(e.actor, e.details) for e in
                db.session.query(AuditEntry).filter_by(action="council.whatsapp")]


def test_a_council_admin_sets_up_whatsapp(app, client, councils):
    sign_in(client, councils["admin"])
    url = f"/admin/councils/{councils['a']}/whatsapp"
    assert f'href="{url}"' in client.get(f"/admin/councils/{councils['a']}").get_data(
        as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "Not ready to invite by WhatsApp yet" in page and "No WhatsApp sender" in page
    assert "+447700900001 or +447700900003" in page  # which numbers it can be
    saved = post(client, url, {"sender": "whatsapp:+44 7700 900003", "invite": INVITE,
                               "reminder": f" {REMINDER} "}, token_from=url)
    assert saved.status_code == 302
    assert whatsapp_of(app, councils["a"]) == (
        "+447700900003", {"invite": INVITE, "reminder": REMINDER})
    assert audit_entries(app) == [(councils["admin"], {  # the log keeps no phone number
        "sender": "[number]", "templates": ["invite", "reminder"]})]
    page = client.get(url).get_data(as_text=True)
    assert "Ready: invitations and reminders can go by WhatsApp" in page
    assert f'value="{INVITE}"' in page and 'value="+447700900003"' in page
    # Emptied boxes take the sender and a template away again.
    assert post(client, url, {"sender": "", "invite": INVITE, "reminder": ""},
                token_from=url).status_code == 302
    assert whatsapp_of(app, councils["a"]) == (None, {"invite": INVITE})


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"sender": "my whatsapp"}, "sender", "That is not a phone number"),
    ({"sender": "whatsapp:hello"}, "sender", "That is not a phone number"),
    ({"sender": "+447700900999"}, "sender", "+447700900999 is not one of aford's numbers"),
    ({"sender": "+447700900002"}, "sender", "is not one of aford's numbers"),  # Bchester's
    ({"invite": "HXnothex"}, "invite", "For the invitation: that is not a Content SID."),
    ({"reminder": "AC" + "1" * 32}, "reminder",
     "it looks like the council's Twilio account SID"),
    ({"reminder": TOKEN_LIKE}, "reminder", "For the reminder: that is not a Content SID."),
])
def test_bad_settings_are_refused_with_words_saying_why(app, client, councils, fields, field,
                                                        words):
    sign_in(client, councils["admin"])
    url = f"/admin/councils/{councils['a']}/whatsapp"
    form = {"sender": "+447700900001", "invite": INVITE, "reminder": REMINDER, **fields}
    page = post(client, url, form, token_from=url)
    body = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 400
    assert "There is a problem" in body and words in body
    assert f'href="#f-{field}"' in body and 'aria-invalid="true"' in body
    if field != "sender":
        assert fields[field] not in body  # a refused value is never shown back
    assert whatsapp_of(app, councils["a"]) == (None, {})  # nothing written
    assert audit_entries(app) == []


def test_every_problem_is_named_at_once(app, client, councils):
    sign_in(client, councils["admin"])
    url = f"/admin/councils/{councils['a']}/whatsapp"
    body = post(client, url, {"sender": "nope", "invite": "HX1", "reminder": "SM" + "1" * 32},
                token_from=url).get_data(as_text=True)
    for field in ("sender", "invite", "reminder"):
        assert f'href="#f-{field}"' in body


def test_the_command_line_says_the_same_words(app, councils):
    from chatsurvey.cli import main

    result = app.test_cli_runner().invoke(main, [
        "tenants", "whatsapp", "aford", "--sender", "whatsapp:+447700900001",
        "--invite", "AC" + "1" * 32])
    assert result.exit_code != 0
    assert "For the invitation: that is not a Content SID (it looks like the council's " \
           "Twilio account SID)" in result.output
    assert whatsapp_of(app, councils["a"]) == (None, {})


def test_another_councils_admin_can_neither_see_nor_change_it(app, client, councils):
    """As an attacker would: Bchester's admin, signed in with a valid form token, aims at
    Aford's page by its id; the answer is the same 404 as for a council that does not exist."""
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db
    from chatsurvey.invitations import whatsapp

    with app.app_context():
        whatsapp.set_up(db.session.get(Tenant, councils["a"]), "+447700900001",
                        {"invite": INVITE})
    before = whatsapp_of(app, councils["a"])
    sign_in(client, councils["b_admin"])
    own = f"/admin/councils/{councils['b']}/whatsapp"
    token = csrf_token(client, own)
    for target in (councils["a"], 999999):
        url = f"/admin/councils/{target}/whatsapp"
        seen = client.get(url)
        assert seen.status_code == 404
        assert "+447700900001" not in seen.get_data(as_text=True)
        assert INVITE not in seen.get_data(as_text=True)
        changed = client.post(url, data={"csrf_token": token, "sender": "+447700900002",
                                         "invite": REMINDER, "reminder": REMINDER})
        assert changed.status_code == 404
    assert whatsapp_of(app, councils["a"]) == before
    # Nor by naming Aford's number as Bchester's own sender.
    refused = client.post(own, data={"csrf_token": token, "sender": "+447700900001"})
    assert refused.status_code == 400
    assert whatsapp_of(app, councils["a"]) == before
    assert whatsapp_of(app, councils["b"]) == (None, {})
    assert [actor for actor, _ in audit_entries(app)] == ["cli"]  # only the set-up above


def test_a_viewer_cannot_change_it_and_an_analyst_can(app, client, councils):
    sign_in(client, councils["viewer"])
    url = f"/admin/councils/{councils['a']}/whatsapp"
    token = csrf_token(client, "/admin/")
    assert client.get(url).status_code == 403
    assert client.post(url, data={"csrf_token": token, "invite": INVITE}).status_code == 403
    assert whatsapp_of(app, councils["a"]) == (None, {})
    with app.app_context():
        analyst = make_user("programme-analyst", email="analyst@example.org", totp=True)
        email, secret = analyst.email, analyst.totp_secret
    other = app.test_client()
    sign_in(other, email, totp_secret=secret)
    assert post(other, url, {"sender": "+447700900001", "invite": INVITE},
                token_from=url).status_code == 302
    assert whatsapp_of(app, councils["a"]) == ("+447700900001", {"invite": INVITE})


def test_a_form_without_its_token_is_refused_and_changes_nothing(app, client, councils):
    sign_in(client, councils["admin"])
    url = f"/admin/councils/{councils['a']}/whatsapp"
    page = client.post(url, data={"sender": "+447700900001", "invite": INVITE})
    assert page.status_code == 400
    assert "This form has expired" in page.get_data(as_text=True)
    stranger = csrf_token(app.test_client())
    assert client.post(url, data={"csrf_token": stranger, "invite": INVITE}).status_code == 400
    assert whatsapp_of(app, councils["a"]) == (None, {})
