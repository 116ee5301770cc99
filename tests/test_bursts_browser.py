"""The unusual-days page in a real browser: read, confirmed, discarded, at phone and desk width.

Screenshots: test-output/screenshots/admin-bursts-{1280,390}.png and the page after a
discard; axe-core findings in test-output/axe/admin-bursts*.json (serious ones fail).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.admin_helpers import add_response, make_user
from tests.browser import screenshot, serve
from tests.helpers import open_round, publish_fixture_flows, seed_tenant
from tests.test_admin_browser import accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def world(app):
    with app.app_context():
        tenant = seed_tenant()
        survey_round = open_round(tenant, publish_fixture_flows()["router"], name="Autumn 2026")
        for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
            for _ in range(2):
                add_response(survey_round, day=day)
        for _ in range(30):
            add_response(survey_round, day="2026-11-26")
        analyst = make_user("programme-analyst", totp=True, name="Ana Lyst")
        return {"round_id": survey_round.id, "analyst": analyst.email,
                "secret": analyst.totp_secret}


@pytest.mark.parametrize("width", [1280, 390])
def test_an_analyst_reviews_and_discards_a_burst(browser, app, world, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB",
                                  reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        with serve(app) as live:
            sign_in(page, live, world["analyst"], world["secret"])
            page.goto(f"{live}/admin/rounds/{world['round_id']}")
            page.get_by_role("link", name="Unusual days").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Unusual days")
            expect(page.get_by_role("heading", name="26 November 2026, web chat")).to_be_visible()
            accessible(page, f"bursts-{width}")
            screenshot(page, f"admin-bursts-{width}")
            page.get_by_role("button", name=re.compile("Discard 30 answers")).click()
            expect(page.locator(".error-summary")).to_contain_text("Tick the box")
            accessible(page, f"bursts-error-{width}")
            screenshot(page, f"admin-bursts-error-{width}")
            page.get_by_label(re.compile("I have looked at this day")).check()
            page.get_by_role("button", name=re.compile("Discard 30 answers")).click()
            expect(page.get_by_text("30 answers were discarded.")).to_be_visible()
            expect(page.get_by_text("Nothing unusual so far.")).to_be_visible()
            screenshot(page, f"admin-bursts-done-{width}")
    finally:
        context.close()
