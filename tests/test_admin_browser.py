"""The admin in a real browser: sign-in with TOTP, the flow editor (a lint error shown and
fixed, then published), the simulator, a new round, paper entry, comment review, and an
axe-core scan of every admin page.

Debian's Chromium through Playwright, against a real server thread sharing the test Redis
and database. Screenshots go to test-output/screenshots/admin-*.png and axe findings to
test-output/axe/admin-*.json; a serious or critical axe finding fails the test.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.admin_helpers import PASSWORD, add_response, make_user
from tests.browser import axe_scan, describe, screenshot, serve
from tests.helpers import open_round, publish_fixture_flows, seed_tenant

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

DESKTOP = {"width": 1280, "height": 900}



@pytest.fixture
def world(app):
    """A council with an open round, the fixture flows, an analyst (TOTP) and a council admin."""
    with app.app_context():
        tenant = seed_tenant()
        published = publish_fixture_flows()
        survey_round = open_round(tenant, published["router"], name="Autumn 2026",
                                  channels=["web", "sms", "whatsapp"])
        add_response(survey_round, comment="I would like more trips out, [name] is kind")
        add_response(survey_round, comment="I am scared at home", flagged=True)
        analyst = make_user("programme-analyst", totp=True, name="Ana Lyst")
        council = make_user("council-admin", tenant, name="Cara Council")
        return {"round_id": survey_round.id, "analyst": analyst.email,
                "secret": analyst.totp_secret, "council": council.email}


@pytest.fixture
def live(app, world):
    with serve(app) as base:
        yield base


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not m.text
            .startswith("Failed to load resource") else None)  # 400s for forms with errors
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, f"errors in the browser console: {errors}"


def accessible(page, name):
    serious = axe_scan(page, f"admin-{name}")
    assert not serious, f"axe found serious problems on {name}:\n{describe(serious)}"


def sign_in(page, live, email, secret=None):
    page.goto(f"{live}/admin/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if secret:
        page.get_by_label(re.compile("code", re.I)).first.fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name=re.compile("sign in|continue|confirm", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")


def test_sign_in_with_totp(page, live, world):
    page.goto(f"{live}/admin/rounds")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    accessible(page, "login")
    page.get_by_label("E-mail address").fill(world["analyst"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/login/code$"))
    accessible(page, "login-code")
    screenshot(page, "admin-login-code")
    page.get_by_label(re.compile("code", re.I)).first.fill("000000")
    page.get_by_role("button").filter(has_text=re.compile(".")).last.click()
    expect(page.locator(".error-summary, .error").first).to_be_visible()
    page.get_by_label(re.compile("code", re.I)).first.fill(pyotp.TOTP(world["secret"]).now())
    page.get_by_role("button").filter(has_text=re.compile(".")).last.click()
    expect(page).to_have_url(re.compile(r"/admin/rounds$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Survey rounds")
    screenshot(page, "admin-rounds")


def test_edit_flow_error_shown_fixed_and_published(page, live, world):
    sign_in(page, live, world["analyst"], world["secret"])
    page.goto(f"{live}/admin/flows/pets/edit")
    editor = page.get_by_label("The flow (YAML)")
    source = editor.input_value()
    expect(page.locator("#check-summary")).to_contain_text("No errors: this can be published.")
    broken = source.replace("    prompt: has_pet\n", "    prompt: no_such_message\n", 1)
    line = broken.splitlines().index("    prompt: no_such_message") + 1
    editor.fill(broken)
    expect(page.locator("#check-summary")).to_contain_text("error(s) to fix")
    problem = page.locator("#problems li", has_text="no_such_message").first
    expect(problem).to_contain_text(f"line {line}")
    expect(page.locator(".tok-bad")).to_have_count(1)
    screenshot(page, "admin-flow-editor-error")
    accessible(page, "flow-editor")
    problem.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "f-source"
    selected = page.evaluate("(() => { const t = document.activeElement;"
                             " return t.value.slice(t.selectionStart, t.selectionEnd); })()")
    assert selected == "    prompt: no_such_message"
    fixed = source.replace('"Do you have a pet?"', '"Have you got a pet?"')
    editor.fill(fixed)
    expect(page.locator("#check-summary")).to_contain_text("No errors")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flash-success")).to_contain_text("Published pets version 2")
    expect(page.get_by_role("link", name="Version 2")).to_be_visible()
    screenshot(page, "admin-flow-published")
    accessible(page, "flow-detail")


def test_simulator_beside_the_editor(page, live, world):
    sign_in(page, live, world["analyst"], world["secret"])
    page.goto(f"{live}/admin/flows/pets/edit")
    editor = page.get_by_label("The flow (YAML)")
    editor.fill(editor.input_value().replace('"Do you have a pet?"', '"Draft: any pets?"'))
    simulator = page.locator("#simulator")
    simulator.get_by_role("button", name="Start").click()
    log = page.locator("#sim-log")
    expect(log).to_contain_text("short chat about pets")
    simulator.get_by_role("button", name=re.compile("^Yes", re.I)).first.click()
    expect(log).to_contain_text("Draft: any pets?")
    simulator.get_by_role("button", name=re.compile("^No", re.I)).first.click()
    expect(log.locator(".event", has_text="Answer recorded").first).to_be_visible()
    page.get_by_label("Your message").fill("7")
    page.get_by_role("button", name="Send").click()
    expect(log.locator(".me").last).to_have_text("7")
    screenshot(page, "admin-simulator")


def test_a_council_writes_tries_and_publishes_its_local_questions(page, browser, live, world):
    sign_in(page, live, world["council"])
    page.get_by_role("link", name="Local questions").click()
    editor = page.get_by_label("Your local questions (YAML)")
    expect(page.locator("#check-summary")).to_contain_text("No errors: this can be published.")
    screenshot(page, "admin-local-questions-top")
    example = editor.input_value()
    smuggled = example.replace("    prompt: local_youth_club\n", "    prompt: local_youth_club\n"
                               "    when: {param: council, equals: Elsewhere}\n")
    editor.fill(smuggled)
    expect(page.locator("#check-summary")).to_contain_text("error(s) to fix")
    expect(page.locator("#problems li", has_text="the link's params")).to_contain_text("line")
    editor.fill(example)
    expect(page.locator("#check-summary")).to_contain_text("No errors")
    simulator = page.locator("#simulator")
    page.get_by_label("Age band").fill("11-17")
    simulator.get_by_role("button", name="Start").click()
    log = page.locator("#sim-log")
    expect(log).to_contain_text("Which language")
    simulator.get_by_role("button", name=re.compile("^English", re.I)).first.click()
    expect(log).to_contain_text("Do you want to take part?")
    simulator.get_by_role("button", name=re.compile("^Yes", re.I)).first.click()
    expect(log).to_contain_text("How happy")  # answered before "7" is typed, not after
    for typed, then in (("7", "lonely"), ("never", "for fun"), ("sport", "good friends"),
                        ("3", "Do you go to a youth club near you?")):
        expect(log).not_to_contain_text(then)
        page.get_by_label("Your message").fill(typed)
        page.get_by_role("button", name="Send").click()
        expect(log).to_contain_text(then)
    screenshot(page, "admin-local-questions")
    accessible(page, "local-questions")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flash-success")).to_contain_text("Published version 1")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    small = phone.new_page()
    sign_in(small, live, world["council"])
    small.goto(page.url)
    screenshot(small, "admin-local-questions-390")
    phone.close()


def test_create_a_round(page, live, world):
    sign_in(page, live, world["council"])
    page.goto(f"{live}/admin/rounds/new")
    accessible(page, "round-new")
    expect(page.get_by_label(re.compile("WhatsApp"))).not_to_be_checked()  # needs set-up
    page.get_by_label(re.compile("WhatsApp")).check()
    screenshot(page, "admin-round-new", full_page=True)
    page.get_by_label("Name of the round").fill("Spring 2027")
    page.get_by_label(re.compile("Entry that routes by age")).check()
    page.get_by_label("First day").fill("2027-03-01")
    page.get_by_label("Closes on").fill("2027-04-30")
    page.get_by_label("Aged 11-17").fill("90")
    page.get_by_label("SMS keyword").fill("SPRING")
    page.get_by_role("button", name="Set up the round").click()
    expect(page.locator(".warning-box")).to_contain_text("below the programme's minimum")
    expect(page.locator(".error-summary")).to_be_focused()
    accessible(page, "round-new-warning")
    page.get_by_label("I understand; set up the round anyway").check()
    page.get_by_role("button", name="Set up the round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring 2027")
    expect(page.locator("a.url").first).to_contain_text("/s/")
    assert page.locator("a.url").count() >= 2  # the survey link, then one per age band
    expect(page.get_by_text("By WhatsApp: send SPRING to")).to_be_visible()
    screenshot(page, "admin-round", full_page=True)
    accessible(page, "round")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "admin-round-390", full_page=True)


def test_invite_by_whatsapp(page, live, world):
    sign_in(page, live, world["council"])
    page.goto(f"{live}/admin/rounds/{world['round_id']}")
    page.get_by_role("link", name="Invite by SMS or WhatsApp").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Invite young people by SMS or WhatsApp")
    expect(page.locator(".warning-box")).to_contain_text("cannot invite by WhatsApp yet")
    page.get_by_label(re.compile("WhatsApp")).check()
    accessible(page, "invitations")
    screenshot(page, "admin-invitations", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "admin-invitations-390", full_page=True)


def test_paper_entry(page, live, world):
    sign_in(page, live, world["council"])
    page.goto(f"{live}/admin/rounds/{world['round_id']}/paper")
    page.get_by_role("link", name=re.compile("Teenagers")).click()
    accessible(page, "paper")
    page.get_by_label("The young person said yes to taking part").check()
    page.get_by_label(re.compile("How many good friends")).fill("4")
    page.get_by_role("group", name=re.compile("What do you do for fun")).get_by_label(
        "Sport").check()
    page.get_by_role("button", name="Store these answers").click()
    expect(page.get_by_role("status").filter(has_text="destroy the paper copy")).to_have_count(1)
    screenshot(page, "admin-paper-stored")


def test_comment_review(page, live, world):
    sign_in(page, live, world["analyst"], world["secret"])
    page.goto(f"{live}/admin/comments")
    accessible(page, "comments")
    first = page.locator("article.comment").first
    expect(first).to_contain_text("I am scared at home")
    expect(first).to_contain_text("Safeguarding")
    screenshot(page, "admin-comments")
    first.get_by_role("button", name="Reject").click()
    expect(page.locator(".flash-success")).to_contain_text("Rejected")
    comment = page.locator("article.comment").first
    comment.get_by_text("Edit the redaction").click()
    comment.get_by_label("The comment as it may appear in reports").fill(
        "I would like more trips out")
    comment.get_by_role("button", name="Approve with my edits").click()
    expect(page.locator(".flash-success")).to_contain_text("Approved with your edits")
    expect(page.get_by_text("Nothing here.")).to_be_visible()


def test_every_admin_page_passes_axe(page, live, world, app):
    """Every GET page in the URL map (with real ids), scanned by axe-core as an analyst."""
    sign_in(page, live, world["analyst"], world["secret"])
    accessible(page, "home")
    values = {"round_id": world["round_id"], "tenant_id": 1, "user_id": 1, "flow_id": "pets",
              "version": 1, "locale": "en", "name": "local_youth_club"}
    skip = {"admin.static", "admin.round_qr", "admin.translation_download", "admin.invite",
            "admin.login", "admin.login_code", "admin.totp_setup"}
    failures = []
    scanned = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin.") or "GET" not in rule.methods \
                or rule.endpoint in skip:
            continue
        path = rule.rule
        for name, value in values.items():
            path = re.sub(rf"<(?:int:)?{name}>", str(value), path)
        assert "<" not in path, path
        head = page.request.get(f"{live}{path}")
        if not head.headers.get("content-type", "").startswith("text/html"):
            continue  # downloads: PDF, CSV, SVG
        response = page.goto(f"{live}{path}")
        assert response.status < 500, path
        serious = axe_scan(page, "admin-page-" + rule.endpoint.removeprefix("admin."))
        scanned += 1
        if serious:
            failures.append(f"{path}:\n{describe(serious)}")
    assert scanned >= 20
    assert not failures, "\n".join(failures)


def test_a_council_uploads_its_logo_and_the_chat_shows_it(page, live, world, app, tmp_path):
    from PIL import Image, ImageDraw

    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound

    drawn = Image.new("RGB", (200, 200), (0, 94, 165))
    ImageDraw.Draw(drawn).ellipse((40, 40, 160, 160), fill=(255, 221, 0))
    drawn.save(tmp_path / "logo.png")
    with app.app_context():
        survey_round = db.session.get(SurveyRound, world["round_id"])
        link, tenant_id = survey_round.link, survey_round.tenant_id
    sign_in(page, live, world["council"])
    page.goto(f"{live}/admin/councils/{tenant_id}")
    page.get_by_label("Upload a logo").set_input_files(str(tmp_path / "logo.png"))
    page.get_by_role("button", name="Upload the logo").click()
    expect(page.get_by_role("img", name=re.compile("The logo of"))).to_be_visible()
    accessible(page, "council-logo")
    screenshot(page, "admin-council-logo-1280", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "admin-council-logo-390", full_page=True)
    page.goto(f"{live}/s/{link}")
    logo = page.locator("header img.logo")
    expect(logo).to_be_visible()
    assert page.evaluate("document.querySelector('header img.logo').naturalWidth") > 0
    screenshot(page, "chat-logo-390")
    accessible(page, "chat-logo")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "chat-logo-1280")
    page.goto(f"{live}/admin/rounds/{world['round_id']}")
    papers = page.get_by_role("heading", name="Paper questionnaires to print")
    expect(papers).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"English \(PDF\)")).first).to_be_visible()
    screenshot(page, "admin-round-papers-1280", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "admin-round-papers-390", full_page=True)


def test_a_council_chooses_whether_twilio_keeps_its_texts(page, browser, live, world, app):
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db

    sign_in(page, live, world["council"])
    page.goto(f"{live}/admin/councils/1")
    deleting = page.get_by_role("radio", name=re.compile("Delete a young person's texts"))
    expect(deleting).to_be_checked()
    page.get_by_role("group", name="Texts kept by Twilio").scroll_into_view_if_needed()
    screenshot(page, "admin-council-texts-at-twilio")
    accessible(page, "council-texts-at-twilio")
    small = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    small.add_cookies(page.context.cookies())
    narrow = small.new_page()
    narrow.goto(f"{live}/admin/councils/1")
    narrow.get_by_role("group", name="Texts kept by Twilio").scroll_into_view_if_needed()
    screenshot(narrow, "admin-council-texts-at-twilio-390")
    small.close()
    page.get_by_role("radio", name=re.compile("Keep them")).check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_be_visible()
    with app.app_context():
        assert db.session.get(Tenant, 1).delete_sms_from_provider is False
    expect(page.get_by_role("radio", name=re.compile("Keep them"))).to_be_checked()


def test_a_council_sets_up_whatsapp(page, browser, live, world, app):
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db
    from chatsurvey.invitations import whatsapp

    sign_in(page, live, world["council"])
    page.goto(f"{live}/admin/councils/1")
    page.get_by_role("link", name="set up WhatsApp").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("WhatsApp")
    expect(page.locator(".warning-box")).to_contain_text("No WhatsApp sender")
    page.get_by_label("WhatsApp sender").fill("+447700900999")
    page.get_by_label("Content SID of the invitation template").fill("AC" + "1" * 32)
    page.get_by_label("Content SID of the reminder template").fill("HX" + "2" * 32)
    page.get_by_role("button", name="Save").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("is not one of testshire's numbers")
    expect(summary).to_contain_text("it looks like the council's Twilio account SID")
    expect(page.locator(":focus")).to_have_class(re.compile("error-summary"))
    accessible(page, "council-whatsapp-errors")
    screenshot(page, "admin-council-whatsapp-errors-1280", full_page=True)
    small = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    small.add_cookies(page.context.cookies())
    narrow = small.new_page()
    narrow.goto(f"{live}/admin/councils/1/whatsapp")
    screenshot(narrow, "admin-council-whatsapp-390", full_page=True)
    small.close()
    page.get_by_role("link", name=re.compile("is not one of")).click()
    expect(page.get_by_label("WhatsApp sender")).to_be_focused()
    page.get_by_label("WhatsApp sender").fill("whatsapp:+447700900001")
    page.get_by_label("Content SID of the invitation template").fill("HX" + "1" * 32)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_contain_text("Saved")
    expect(page.get_by_text("Ready: invitations and reminders can go by WhatsApp")).to_be_visible()
    accessible(page, "council-whatsapp")
    screenshot(page, "admin-council-whatsapp-1280", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "admin-council-whatsapp-saved-390", full_page=True)
    with app.app_context():
        tenant = db.session.get(Tenant, 1)
        assert whatsapp.not_ready(tenant) is None
        assert tenant.whatsapp_templates == {"invite": "HX" + "1" * 32,
                                             "reminder": "HX" + "2" * 32}
