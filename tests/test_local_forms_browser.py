"""A council admin's whole journey, in Chromium: add a local question through the form
(reading age and SMS length shown as they type), see it on the map, publish, move the
open round to the new version, and a new web chat asks it. The programme's questions have
no form and no control to change them.

Screenshots: test-output/screenshots/local-form-*.png (390 and 1280 px).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.admin_helpers import PASSWORD, make_user
from tests.browser import axe_scan, describe, screenshot, serve
from tests.helpers import open_round, publish_fixture_flows, seed_tenant
from tests.test_local_questions import TO_THE_OPEN_QUESTION
from tests.test_round_moves import answer, start

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def world(app):
    with app.app_context():
        tenant = seed_tenant("bchester")
        published = publish_fixture_flows()
        survey_round = open_round(tenant, published["router"], name="Winter 2026")
        return {"round": survey_round.id, "tenant": tenant.id,
                "email": make_user("council-admin", tenant, name="Cara Council").email}


def accessible(page, name):
    serious = axe_scan(page, f"local-form-{name}")
    assert not serious, describe(serious)


def test_a_council_admin_adds_a_question_and_a_new_chat_asks_it(app, browser, world):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                  reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    with serve(app) as live:
        page.goto(f"{live}/admin/login")
        page.get_by_label("E-mail address").fill(world["email"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Local questions").click()
        page.get_by_role("link", name="Add a question").click()
        accessible(page, "new")
        page.get_by_label("A short name for it").fill("sport_club")
        page.get_by_label("Yes / No / Not sure").check()
        words = page.get_by_label("The question in English")
        words.fill("Do you go to a sports club?")
        check = page.locator("#f-text_en-check")
        expect(check).to_contain_text("reading age")
        expect(check).to_contain_text("1 SMS")
        screenshot(page, "local-form-new-1280")
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, "local-form-new-390", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_role("button", name="Save to my draft").click()
        expect(page.locator(".flash-success")).to_contain_text("Added local_sport_club")
        expect(page.locator("#q-local_sport_club")).to_contain_text("Do you go to a sports club?")
        page.on("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Delete local_youth_club").click()  # the example's
        expect(page.locator(".flash-success")).to_contain_text("Deleted local_youth_club")
        expect(page.locator("#q-local_youth_club")).to_have_count(0)
        # no control for the programme's questions: only the council's own are listed
        assert page.get_by_role("link", name=re.compile("Change happy")).count() == 0
        page.locator("#your-questions").scroll_into_view_if_needed()
        screenshot(page, "local-form-list-1280")
        page.set_viewport_size({"width": 390, "height": 844})
        page.locator("#your-questions").scroll_into_view_if_needed()
        screenshot(page, "local-form-list-390")
        page.set_viewport_size({"width": 1280, "height": 900})

        page.get_by_role("link", name="See your questions on the map").click()
        mine = page.locator(".map-node.local", has_text="local_sport_club")
        expect(mine).to_have_count(1)
        core_links = page.locator("a.map-link[href*='/local-questions/questions/']")
        assert all("local_" in (core_links.nth(i).get_attribute("href") or "")
                   for i in range(core_links.count()))
        screenshot(page, "local-form-map", full_page=True)
        page.go_back()

        page.get_by_role("button", name="Publish").click()
        expect(page.locator(".flash-success")).to_contain_text("Published version 1")
        moves = page.locator("#moves-title")
        expect(moves).to_contain_text("Your rounds on an earlier version")
        page.get_by_role("link", name=re.compile("Look at the changes and move")).click()
        expect(page.locator("pre.diff")).to_contain_text("local_sport_club")
        accessible(page, "move")
        screenshot(page, "local-form-move-1280", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, "local-form-move-390", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_role("button", name=re.compile("^Move Winter 2026")).click()
        expect(page.locator(".flash-success")).to_contain_text("Conversations already under way")

    said = answer(app, start(app, world["round"]), TO_THE_OPEN_QUESTION)
    assert said[-1] == "Do you go to a sports club?"
    context.close()
    assert not errors, errors


def test_the_simulator_shows_web_chat_and_sms_side_by_side(app, browser, world):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                  reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    with serve(app) as live:
        page.goto(f"{live}/admin/login")
        page.get_by_label("E-mail address").fill(world["email"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Local questions").click()
        page.get_by_label("As").select_option("both")
        page.get_by_label("Age band").fill("11-17")
        page.locator("#simulator").get_by_role("button", name="Start").click()
        turn = page.locator("#sim-log .sim-turn").first
        expect(turn.locator(".sim-col").nth(0)).to_contain_text("Web chat")
        expect(turn.locator(".sim-col").nth(1)).to_contain_text("SMS")
        expect(turn.locator(".sim-col").nth(1)).to_contain_text("1 ")
        page.locator("#sim-buttons").get_by_role("button").first.click()
        expect(page.locator("#sim-log .sim-turn")).to_have_count(2)
        page.locator("#simulator").scroll_into_view_if_needed()
        screenshot(page, "local-form-simulator-both-1280")
        accessible(page, "simulator-both")
    context.close()
    assert not errors, errors
