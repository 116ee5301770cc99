"""Survey rounds in the admin: creating one, links and QR codes, SMS invitations, response
rates, paper entry; the comments queue; translations; the audit log."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.admin_helpers import add_response, make_user, post, sign_in
from tests.helpers import open_round, publish_fixture_flows, seed_tenant


@pytest.fixture
def council(app):
    """A council with the fixture flows, an open round on `router`, and its admin."""
    with app.app_context():
        tenant = seed_tenant()
        published = publish_fixture_flows()
        survey_round = open_round(tenant, published["router"], name="Autumn 2026")
        admin = make_user("council-admin", tenant)
        return {"round_id": survey_round.id, "email": admin.email,
                "router": published["router"].id, "tenant_id": tenant.id}


@pytest.fixture
def analyst(app):
    with app.app_context():
        user = make_user("programme-analyst", totp=True)
        return user.email, user.totp_secret


def audit_actions(app):
    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db

    with app.app_context():
        return [(e.action, e.details) for e in db.session.query(AuditEntry).order_by(
            AuditEntry.id)]


def _round_form(council, **changes):
    form = {"name": "Spring 2027", "flow_version_id": str(council["router"]),
            "opens": "2027-03-01", "closes": "2027-04-30", "channel_web": "1",
            "channel_sms": "1", "keyword": "survey", "eligible_11-17": "120",
            "support_contacts": "Participation team: 01234 567890"}
    form.update(changes)
    return form


def test_round_form_lists_age_bands_and_surveys(app, client, council):
    sign_in(client, council["email"])
    page = client.get("/admin/rounds/new").get_data(as_text=True)
    assert 'name="eligible_11-17"' in page and 'name="eligible_4-7"' in page
    assert f'value="{council["router"]}"' in page


def test_round_below_the_programme_minimum_needs_confirming(app, client, council):
    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import RoundDetails, SurveyRound

    sign_in(client, council["email"])
    warned = post(client, "/admin/rounds/new", _round_form(council))
    assert warned.status_code == 400
    body = warned.get_data(as_text=True)
    assert "120 children in care is below the programme&#39;s minimum of 150" in body
    assert 'name="confirm_minimum"' in body
    made = post(client, "/admin/rounds/new", _round_form(council, confirm_minimum="1"))
    assert made.status_code == 302
    with app.app_context():
        created = db.session.query(SurveyRound).filter_by(name="Spring 2027").one()
        assert created.keyword == "SURVEY" and created.eligible == {"11-17": 120}
        assert created.channels == ["web", "sms"]
        assert db.session.get(RoundDetails, created.id).support_contacts.startswith(
            "Participation")
    action, details = audit_actions(app)[-1]
    assert action == "round.created" and details["below_minimum"] is True
    big = post(client, "/admin/rounds/new", _round_form(council, name="Big", **{
        "eligible_11-17": "200"}))
    assert big.status_code == 302


def test_round_form_errors(app, client, council):
    sign_in(client, council["email"])
    response = post(client, "/admin/rounds/new", _round_form(
        council, name="", closes="2027-02-01", channel_web="", channel_sms="", keyword="two words",
        confirm_minimum="1"))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    for message in ("Give the round a name", "must close after it opens",
                    "at least one way", "A keyword is one word"):
        assert message in body
    assert 'href="#f-name"' in body and 'aria-invalid="true"' in body


def test_round_page_links_and_qr_codes(app, client, council):
    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        link = db.session.get(SurveyRound, council["round_id"]).link
    sign_in(client, council["email"])
    page = client.get(f"/admin/rounds/{council['round_id']}").get_data(as_text=True)
    base = app.config["PUBLIC_BASE_URL"] + "/s/" + link
    assert base in page and f"{base}?age=11-17" in page
    qr = client.get(f"/admin/rounds/{council['round_id']}/qr/all.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert b"<svg" in qr.data and "attachment" in qr.headers["Content-Disposition"]
    assert client.get(f"/admin/rounds/{council['round_id']}/qr/nope.svg").status_code == 404
    printed = client.get(f"/admin/rounds/{council['round_id']}/print").get_data(as_text=True)
    assert printed.count("<svg") == len(re.findall(r'class="qr-card"', printed)) >= 2


def test_invitations_csv_upload(app, client, council, caplog):
    import logging

    from chatsurvey.extensions import db
    from chatsurvey.invitations.models import Invitation

    caplog.set_level(logging.DEBUG)

    sign_in(client, council["email"])
    csv = "phone\n07700 900123\n07700900124\nnot a number\n07700900123\n"
    response = post(client, f"/admin/rounds/{council['round_id']}/invitations",
                    {"csv": (io.BytesIO(csv.encode()), "numbers.csv")},
                    token_from=f"/admin/rounds/{council['round_id']}/invitations",
                    content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body
    assert "4 numbers read: 2 accepted, 2 not accepted." in body
    assert "07700" not in body
    with app.app_context():
        assert db.session.query(Invitation).count() == 2
    action, details = audit_actions(app)[-1]
    assert action == "invitations.uploaded" and details == {"channel": "sms", "lines": 4,
                                                            "accepted": 2, "refused": 2}
    assert "07700" not in str(audit_actions(app))
    assert "900123" not in caplog.text and "900124" not in caplog.text
    empty = post(client, f"/admin/rounds/{council['round_id']}/invitations", {},
                 token_from=f"/admin/rounds/{council['round_id']}/invitations")
    assert empty.status_code == 400


def test_rates_show_only_totals_while_open(app, client, council):
    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        survey_round.eligible = {"11-17": 40, "4-7": 10}
        db.session.commit()
        for band, channel in (("11-17", "sms"), ("11-17", "web"), ("4-7", "paper")):
            add_response(survey_round, channel=channel, age_band=band)
    sign_in(client, council["email"])
    page = client.get(f"/admin/rounds/{council['round_id']}/rates").get_data(as_text=True)
    assert "6.0%" in page  # 3 of 50
    assert "By age band" not in page and "By channel" not in page
    assert "only totals are shown" in page
    assert '<svg class="chart"' in page
    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        survey_round.closes_at = datetime.now(UTC) - timedelta(days=4)  # sealed
        db.session.commit()
    closed = client.get(f"/admin/rounds/{council['round_id']}/rates").get_data(as_text=True)
    assert "By age band" in closed and "By channel" in closed
    # 2 and 1 are small counts: hidden ("c") as in a report, so no rate gives them away.
    assert "5.0%" not in closed and '<td class="num">2</td>' not in closed
    assert closed.count('<td class="num">c</td>') >= 4
    assert "<td>paper</td>" in closed
    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        for band in ["11-17"] * 10 + ["8-11"] * 10:
            add_response(survey_round, channel="web", age_band=band)
    closed = client.get(f"/admin/rounds/{council['round_id']}/rates").get_data(as_text=True)
    # 4-7's 1 is hidden, and 8-11 with it (or the total would tell); 11-17's 12 shows as 10.
    assert '<td>11-17</td><td class="num">10</td>' in closed
    assert '<td>8-11</td><td class="num">c</td>' in closed
    assert "25%" in closed  # from the rounded count: 10 of 40


def test_paper_entry_is_stored_like_a_conversation(app, client, council):
    from chatsurvey.extensions import db
    from chatsurvey.responses.models import Comment, Response

    sign_in(client, council["email"])
    url = f"/admin/rounds/{council['round_id']}/paper"
    choose = client.get(url).get_data(as_text=True)
    assert f"{url}?flow=teens" in choose and f"{url}?flow=kids" in choose
    form = client.get(url + "?flow=teens").get_data(as_text=True)
    assert "How many good friends do you have?" in form and 'name="q_good_friends"' in form
    assert 'name="q_hobbies" value="sport"' in form and 'type="checkbox"' in form
    assert "destroy the paper" in form
    missing_consent = post(client, url + "?flow=teens", {"q_good_friends": "3"})
    assert missing_consent.status_code == 400
    bad = post(client, url + "?flow=teens", {"consent": "1", "q_good_friends": "99"})
    assert bad.status_code == 400 and "Enter a whole number from 0 to 20" in bad.get_data(
        as_text=True)
    stored = post(client, url + "?flow=teens", {
        "consent": "1", "q_good_friends": "3", "q_happy_yesterday_10": "7",
        "q_hobbies": ["sport", "games"],
        "q_better": "More time with Jo Bloggs, call me on 07700 900123"})
    assert stored.status_code == 302
    after = client.get(stored.location).get_data(as_text=True)
    assert "Now destroy the paper copy" in after
    with app.app_context():
        row = db.session.query(Response).one()
        assert row.channel == "paper" and row.round_id == council["round_id"]
        assert row.age_band == "11-17" and row.status == "complete"
        assert row.answers["good_friends"] == 3 and row.answers["happy_yesterday_10"] == 7
        assert row.answers["hobbies"] == ["sport", "games"]
        comment = db.session.query(Comment).one()
        assert comment.status == "pending" and "07700" not in comment.text
    action, details = audit_actions(app)[-1]
    assert action == "paper.entered" and "07700" not in str(details)


def test_paper_cannot_change_a_closed_round(app, client, council):
    """A closed round's report is final: paper entry is refused and nothing is stored."""
    from chatsurvey.extensions import db
    from chatsurvey.responses.models import Response
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        survey_round.closes_at = datetime.now(UTC) - timedelta(hours=1)
        db.session.commit()
    sign_in(client, council["email"])
    url = f"/admin/rounds/{council['round_id']}/paper?flow=teens"
    refused = post(client, url, {"consent": "1", "q_good_friends": "3"})
    assert refused.status_code == 409
    assert "paper questionnaires can no longer be added" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Response).count() == 0


def test_a_comment_review_that_makes_no_sense_changes_nothing(app, council):
    from chatsurvey.extensions import db
    from chatsurvey.responses.actions import Refused, review_comment
    from chatsurvey.responses.models import Comment
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        comment_id = add_response(survey_round, comment="Trips out please").comments[0].id
        for decision, text in (("edit", "   "), ("publish", ""), ("", "")):
            with pytest.raises(Refused):
                review_comment(db.session.get(Comment, comment_id), decision, text)
        db.session.rollback()
        comment = db.session.get(Comment, comment_id)
        assert (comment.status, comment.text, comment.edited) == (
            "pending", "Trips out please", False)


def test_viewer_cannot_enter_paper(app, client, council):
    with app.app_context():
        from chatsurvey.councils.models import Tenant
        from chatsurvey.extensions import db

        viewer = make_user("council-viewer", db.session.get(Tenant, council["tenant_id"]))
        email = viewer.email
    sign_in(client, email)
    assert client.get(f"/admin/rounds/{council['round_id']}/paper").status_code == 403


def test_comments_queue_flagged_first_and_reviewed(app, client, council, analyst):
    from chatsurvey.extensions import db
    from chatsurvey.responses.models import Comment
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        plain = add_response(survey_round, comment="More trips out please").comments[0].id
        flagged = add_response(survey_round, comment="I do not feel safe at [place]",
                               flagged=True).comments[0].id
        third = add_response(survey_round, comment="My carer [name] is kind").comments[0].id
    sign_in(client, analyst[0], totp_secret=analyst[1])
    page = client.get("/admin/comments").get_data(as_text=True)
    assert page.index(f'id="comment-{flagged}"') < page.index(f'id="comment-{plain}"')
    assert "Safeguarding" in page
    post(client, f"/admin/comments/{plain}", {"action": "approve"})
    post(client, f"/admin/comments/{flagged}", {"action": "reject"})
    post(client, f"/admin/comments/{third}", {"action": "edit", "text": "My carer is kind"})
    with app.app_context():
        rows = {c.id: c for c in db.session.query(Comment)}
        assert rows[plain].status == "approved" and not rows[plain].edited
        assert rows[flagged].status == "rejected"
        assert rows[third].status == "approved" and rows[third].edited
        assert rows[third].text == "My carer is kind"
    assert "Nothing here." in client.get("/admin/comments").get_data(as_text=True)
    actions = [a for a, _ in audit_actions(app) if a.startswith("comment.")]
    assert actions == ["comment.approved", "comment.rejected", "comment.approved"]
    assert "kind" not in str(audit_actions(app)) and "trips" not in str(audit_actions(app))


def test_translations_status_download_and_upload(app, client, council, analyst):
    """A catalogue goes down from the published versions and comes back up as new versions."""
    from chatsurvey.extensions import db
    from chatsurvey.flows.models import FlowVersion, latest_versions

    sign_in(client, analyst[0], totp_secret=analyst[1])
    page = client.get("/admin/translations").get_data(as_text=True)
    assert "<code>pets</code>" in page and re.search(r"\d+%", page)
    with client.get("/admin/translations/cy/flows.po") as download:
        assert download.status_code == 200
        original = download.get_data(as_text=True)
    assert 'msgid "Hello from {param.council}!"' in original
    assert 'msgctxt "system:progress"\nmsgid "Question {n} of {total}"\nmsgstr "Cwestiwn {n} o' \
        ' {total}"' in original
    assert client.get("/admin/translations/fr/flows.po").status_code == 404
    with app.app_context():
        before = {r.flow_id: r.version for r in latest_versions().values()}
    mended = original.replace("{param.cyngor}", "{param.council}")  # the fixture's own mistake
    broken = mended.replace('msgstr "Cwestiwn {n} o {total}"', 'msgstr "Cwestiwn {n}"')
    refused = post(client, "/admin/translations/cy", {"po": (io.BytesIO(broken.encode()),
                                                              "cy.po")},
                   token_from="/admin/translations", content_type="multipart/form-data")
    assert refused.status_code == 400
    problems = refused.get_data(as_text=True)
    assert "keep the same {placeholders} as the English: n, total" in problems
    assert problems.count("keep the same") == 1
    with app.app_context():
        assert {r.flow_id: r.version for r in latest_versions().values()} == before
    changed = mended.replace('msgstr "Cwestiwn {n} o {total}"',
                             'msgstr "Cwestiwn rhif {n} o {total}"')
    accepted = post(client, "/admin/translations/cy", {"po": (io.BytesIO(changed.encode()),
                                                               "cy.po")},
                    token_from="/admin/translations", content_type="multipart/form-data")
    assert accepted.status_code == 302
    with app.app_context():
        after = latest_versions()
        # every flow that offers Welsh has a new version with the new words; the rest do not
        for flow_id, row in after.items():
            old = db.session.query(FlowVersion).filter_by(flow_id=flow_id,
                                                          version=before[flow_id]).one()
            welsh = "cy" in (old.translations or {})
            assert (row.version > before[flow_id]) == welsh, flow_id
            if welsh:
                assert row.source == old.source
                assert row.translations["cy"]["system:progress"]["str"] == \
                    "Cwestiwn rhif {n} o {total}"
                assert old.translations["cy"]["system:progress"]["str"] == "Cwestiwn {n} o {total}"
    with client.get("/admin/translations/cy/flows.po") as download:
        assert "Cwestiwn rhif {n} o {total}" in download.get_data(as_text=True)
    assert audit_actions(app)[-1][0] == "translations.uploaded"
    again = post(client, "/admin/translations/cy", {"po": (io.BytesIO(changed.encode()),
                                                            "cy.po")},
                 token_from="/admin/translations", content_type="multipart/form-data")
    assert again.status_code == 302
    with app.app_context():
        assert {r.flow_id: r.version for r in latest_versions().values()} == \
            {r.flow_id: r.version for r in after.values()}

def test_council_admin_cannot_upload_translations(app, client, council):
    sign_in(client, council["email"])
    response = post(client, "/admin/translations/cy", {"po": (io.BytesIO(b"x"), "cy.po")},
                    token_from="/admin/translations", content_type="multipart/form-data")
    assert response.status_code == 403


def test_audit_log_page(app, client, council, analyst):
    sign_in(client, council["email"])
    post(client, f"/admin/rounds/{council['round_id']}/edit", {
        "name": "Autumn 2026 renamed", "opens": "2026-11-01", "closes": "2026-12-31",
        "channel_web": "1", "eligible_11-17": "300"})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "round.changed" in page and "login.success" in page
    assert council["email"] in page


def test_invitations_by_whatsapp_from_the_admin(app, client, council):
    from chatsurvey.extensions import db
    from chatsurvey.invitations import whatsapp
    from chatsurvey.invitations.models import Invitation
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        db.session.get(SurveyRound, council["round_id"]).channels = ["web", "sms", "whatsapp"]
        db.session.commit()
    sign_in(client, council["email"])
    url = f"/admin/rounds/{council['round_id']}/invitations"
    page = client.get(url).get_data(as_text=True)
    assert "Invite young people by SMS or WhatsApp" in page
    assert 'value="whatsapp"' in page and "cannot invite by WhatsApp yet" in page
    refused = post(client, url, {"numbers": "07700 900123", "channel": "whatsapp"},
                   token_from=url)
    assert refused.status_code == 400
    assert "cannot invite by WhatsApp yet" in refused.get_data(as_text=True)
    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        whatsapp.set_up(survey_round.tenant, "+447700900001",
                        {"invite": "HX" + "1" * 32, "reminder": "HX" + "2" * 32})
    made = post(client, url, {"numbers": "07700 900123", "channel": "whatsapp"},
                token_from=url)
    assert made.status_code == 200 and "cannot invite by WhatsApp yet" not in made.get_data(
        as_text=True)
    with app.app_context():
        assert [i.channel for i in db.session.query(Invitation)] == ["whatsapp"]
        survey_round = db.session.get(SurveyRound, council["round_id"])
        survey_round.channels = ["web", "sms"]
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Invite young people by SMS<" in page and 'value="whatsapp"' not in page
