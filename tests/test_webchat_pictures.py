"""Pictures beside the answers (OpenMoji), as a 4 to 7 year old sees them on a phone.

The pictures are SVG files served by chatsurvey itself, so they look the same on every
phone whatever its emoji font, and need nothing from another site. They are decoration
(alt=""): each answer's words still say it all, for a screen reader and for SMS.
Screenshots (what the phone's screen shows at the question):
test-output/screenshots/pictures-4-7-*.png.
"""

from __future__ import annotations

import pytest

from chatsurvey.extensions import db
from chatsurvey.flows.publish import publish_directory
from tests.browser import axe_scan, describe, screenshot, serve
from tests.helpers import PROJECT, open_round, seed_tenant

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

# Every picture on the page: where it came from, whether it drew, and its text alternative.
PICTURES = """() => Array.from(document.querySelectorAll('#answer img')).map((img) => ({
  src: img.src, alt: img.getAttribute('alt'), drawn: img.complete && img.naturalWidth > 0,
  inside: img.closest('button, label') !== null}))"""


@pytest.fixture
def young_round(app):
    """A round on the real 4 to 7 survey."""
    with app.app_context():
        tenant = seed_tenant()
        versions = {v.flow_id: v for v in publish_directory(PROJECT / "flows")}
        db.session.commit()
        yield open_round(tenant, versions["ylyc-4-7"])


@pytest.fixture
def page(browser, app, young_round):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB",
                                  reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(10_000)
    with serve(app) as base:
        page.goto(f"{base}/s/{young_round.link}")
        yield page, base
    context.close()


def check_pictures(page, base: str, name: str) -> list[dict]:
    page.locator("#answer img").first.wait_for()
    page.wait_for_function("() => Array.from(document.querySelectorAll('#answer img'))"
                           ".every((img) => img.complete)")
    pictures = page.evaluate(PICTURES)
    for picture in pictures:
        assert picture["src"].startswith(f"{base}/chat/pictures/"), picture
        assert picture["alt"] == "" and picture["drawn"] and picture["inside"], picture
    page.mouse.move(0, 0)
    page.locator("#answer .more").scroll_into_view_if_needed()
    screenshot(page, name)
    serious = axe_scan(page, name)
    assert not serious, describe(serious)
    return pictures


def test_a_4_to_7_survey_shows_pictures_beside_faces_and_choices(page):
    page, base = page
    page.get_by_role("button", name="Start").click()
    faces = check_pictures(page, base, "pictures-4-7-faces-390")
    assert [p["src"].rsplit("/", 1)[1] for p in faces] == [
        "face-crying.svg", "face-frowning.svg", "face-neutral.svg", "face-smiling.svg",
        "face-grinning.svg"]
    assert page.get_by_role("button", name="Very sad").is_visible()  # named by its words
    for _ in range(12):
        if "why you are in care" in page.locator(".msg.bot").last.inner_text():
            break
        asked = page.locator(".msg.bot").count()
        page.locator("#answer .skip").click()
        page.wait_for_function(f"() => document.querySelectorAll('.msg.bot').length > {asked}"
                               " && document.querySelector('#answer .skip')")
    choices = check_pictures(page, base, "pictures-4-7-choice-390")
    assert len(choices) == 3
    assert page.get_by_role("button", name="A bit").is_visible()


def test_a_picture_is_served_from_here_and_nothing_else_is(client):
    with client.get("/chat/pictures/face-crying.svg") as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'"
        assert response.data.startswith(b"<svg")
    for name in ("castle", "..%2Fchat%2Fchat", "LICENSE", "README"):
        assert client.get(f"/chat/pictures/{name}.svg").status_code == 404
