"""The chat page in Welsh and in Gaelic on a phone: its own words, marked with their language.

The programme's own flows are published (the test flows are not written in Gaelic). A Welsh
council offers Welsh first, so its link opens in Welsh; a Scottish council offers English first
and Gaelic on ``?lang=gd``. Screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chatsurvey.extensions import db
from chatsurvey.flows.publish import publish_directory
from tests.browser import axe_scan, describe, screenshot, serve
from tests.helpers import PROJECT, open_round, seed_tenant

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

WIDTH = 390
CASES = [  # country, query, language, the page's words: Quick exit, Start, the first line
    # under the heading, and the buttons under a question: Go back, Delete my answers
    ("wales", "", "cy", ("Gadael yn gyflym", "Dechrau",
                         "Gelli di hepgor unrhyw gwestiwn, a stopio unrhyw bryd.",
                         "Mynd yn ôl", "Dileu fy atebion")),
    ("scotland", "?lang=gd", "gd", ("Fàg gu luath", "Tòisich",
                                    "Faodaidh tu leum thairis air ceist sam bith, agus stad"
                                    " uair sam bith.",
                                    "Rach air ais", "Sguab às m' fhreagairtean")),
]


@pytest.mark.parametrize(("country", "query", "code", "words"), CASES, ids=["cy", "gd"])
def test_the_chat_page_speaks_the_council_s_language(app, browser, country, query, code, words):
    quick_exit, start, first_line, go_back, delete = words
    with app.app_context():
        published = {v.flow_id: v for v in publish_directory(PROJECT / "flows",
                                                             PROJECT / "locales")}
        db.session.commit()
        survey_round = open_round(seed_tenant(country=country), published["your-life"])
        link = survey_round.link
        db.session.remove()
    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, locale="en-GB",
                                  reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        with serve(app) as live:
            page.goto(f"{live}/s/{link}{query}")
            expect(page.locator("html")).to_have_attribute("lang", code)
            expect(page.get_by_role("button", name=quick_exit)).to_be_visible()
            expect(page.get_by_role("button", name=start)).to_be_visible()
            expect(page.get_by_text(first_line)).to_be_visible()
            screenshot(page, f"chat-{code}-{WIDTH}", full_page=True)
            serious = axe_scan(page, f"chat-{code}-{WIDTH}")
            assert not serious, describe(serious)
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
            page.get_by_role("button", name=start).click()
            expect(page.get_by_role("button", name=go_back)).to_be_visible()
            expect(page.get_by_role("button", name=delete)).to_be_visible()
            screenshot(page, f"chat-{code}-{WIDTH}-asked", full_page=True)
            serious = axe_scan(page, f"chat-{code}-{WIDTH}-asked")
            assert not serious, describe(serious)
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    finally:
        context.close()
