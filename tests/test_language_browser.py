"""The programme's survey in the right-to-left languages, in a real browser, at phone and desktop widths.

For Arabic, Farsi, Pashto, Dari and Kurdish (Sorani): the page is right to left, the
language picker names every language in its own script (with its own lang and dir),
choosing one switches the page and the conversation, and nothing is wider than the
screen. Screenshots: test-output/screenshots/lang-<code>-<width>[-start].png.
"""

from __future__ import annotations

import pytest

from chatsurvey.extensions import db
from tests.browser import axe_scan, describe, screenshot, serve

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

RIGHT_TO_LEFT = ["ar", "fa", "ps", "prs", "ckb"]
WIDTHS = [390, 1280]
CONSENT = {"ar": "هل تريد أن تشارك؟", "fa": "می‌خواهی شرکت کنی؟", "ps": "غواړې برخه واخلې؟",
           "prs": "می‌خواهی شرکت کنی؟"}
START = {"ar": "ابدأ", "fa": "شروع", "ps": "پیل", "prs": "شروع"}


@pytest.fixture
def programme(app):
    """A council offering English and the right-to-left languages, on the programme's flows."""
    from chatsurvey.flows.publish import publish_directory
    from tests.helpers import PROJECT, open_round, seed_tenant

    with app.app_context():
        tenant = seed_tenant()
        tenant.locales = ["en", *RIGHT_TO_LEFT]
        published = {v.flow_id: v for v in publish_directory(PROJECT / "flows")}
        db.session.commit()
        survey_round = open_round(tenant, published["your-life"])
        with serve(app) as base:
            app.config["QUICK_EXIT_URL"] = f"{base}/healthz"
            yield base, survey_round.link


def overflow(page) -> int:
    """How far the page is wider than the screen (0: nothing sticks out sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("code", RIGHT_TO_LEFT)
def test_each_right_to_left_language_at_phone_and_desktop_width(browser, programme, code, width):
    base, link = programme
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-GB",
                                  reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{base}/s/{link}")
        choice = page.locator(f'#languages a[lang="{code}"]')
        assert choice.get_attribute("dir") == "rtl"
        choice.click()  # the picker: the page comes back in that language
        page.wait_for_url(f"**lang={code}*")
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]"
                             ) == [code, "rtl"]
        names = page.locator("#languages a").evaluate_all(
            "links => links.map(a => [a.lang, a.dir, a.textContent])")
        assert [n[0] for n in names] == ["en", *RIGHT_TO_LEFT]
        assert all(d == ("ltr" if lang == "en" else "rtl") for lang, d, _ in names)
        assert overflow(page) <= 0, f"{code} at {width}px: the start page scrolls sideways"
        if code in START:  # the page's own words are in that language too
            assert page.locator("#start").inner_text().strip() == START[code]
        screenshot(page, f"lang-{code}-{width}-start")

        page.locator("#start").click()
        page.locator("#answer button").first.wait_for()
        assert page.locator("#languages").is_hidden(), "chosen: the picker goes"
        if code in CONSENT:  # its words are written: the conversation is in it
            bubble = page.locator(".msg.bot", has_text=CONSENT[code])
            assert bubble.get_attribute("lang") == code and bubble.get_attribute("dir") == "rtl"
        assert overflow(page) <= 0, f"{code} at {width}px: the chat scrolls sideways"
        for button in page.locator("#answer button:visible").all():
            box = button.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5
        screenshot(page, f"lang-{code}-{width}")
        if width == 390:
            serious = axe_scan(page, f"lang-{code}")
            assert not serious, describe(serious)
    finally:
        context.close()
