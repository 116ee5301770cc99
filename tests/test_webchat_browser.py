"""The chat page and widget in a real browser: whole surveys by mouse, by keyboard, in Arabic.

Debian's Chromium driven by Playwright against a real server thread that shares the test
Redis and database. Screenshots go to test-output/screenshots/ and axe-core findings to
test-output/axe/; a serious or critical axe finding fails the test.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from chatsurvey.conversations.keyspace import outbox_keys
from chatsurvey.extensions import db, redis_client
from tests.browser import (
    PHONE,
    axe_scan,
    describe,
    screenshot,
    serve,
    speech_spy,
    static_site,
)
from tests.helpers import record_of, waiting

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

# The browser's speech is replaced so the tests can see what would be read aloud.
SPEECH_SPY = speech_spy("en-GB")


@pytest.fixture
def live(app, survey):
    """The app on a real port; quick exit goes to a harmless page on the same server."""
    with serve(app) as base:
        app.config["QUICK_EXIT_URL"] = f"{base}/healthz"
        yield base


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, locale="en-GB", reduced_motion="reduce")
    context.add_init_script(SPEECH_SPY)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def accessible(target, name):
    serious = axe_scan(target, name)
    assert not serious, f"axe found serious problems on {name}:\n{describe(serious)}"


def stored_answers():
    [record] = waiting()
    return record


def nothing_kept_in_the_browser(page):
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert page.evaluate("document.cookie") == ""
    assert page.context.cookies() == []
    assert page.evaluate("indexedDB.databases().then(d => d.length)") == 0


def focused(page) -> str:
    return page.evaluate("document.activeElement.textContent.trim()")


def test_a_whole_survey_by_mouse_with_faces(page, live, survey):
    page.goto(f"{live}/s/{survey.link}")
    screenshot(page, "01-start")
    accessible(page, "start")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Yes").click()
    page.get_by_role("textbox", name="How old are you?").fill("5")
    page.get_by_role("button", name="Send").click()

    faces = page.get_by_role("group", name="How did you feel yesterday?")
    faces.get_by_role("button", name="Happy", exact=True).wait_for()
    log = page.get_by_role("log")
    assert log.get_attribute("aria-live") == "polite"
    assert log.get_by_text("How did you feel yesterday?").is_visible(), "announced in the log"
    assert page.locator("progress").get_attribute("value") == "1"
    assert page.get_by_text("Question 1 of 2").is_visible()
    for box in faces.get_by_role("button").all():
        size = box.bounding_box()
        assert size["width"] >= 44 and size["height"] >= 44, "tap targets are at least 44px"
    page.locator(".msg.bot").last.get_by_role("button", name="Read aloud").click()
    spoken = page.evaluate("window.__spoken")
    assert spoken[-1]["lang"] == "en-GB" and spoken[-1]["text"].startswith(
        "How did you feel yesterday?") and "Very happy" in spoken[-1]["text"]
    screenshot(page, "02-faces-question")
    accessible(page, "faces-question")
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "no sideways scrolling"
    tops = {round(b.bounding_box()["y"]) for b in faces.get_by_role("button").all()}
    assert len(tops) == 1, "the five faces stay in one row on a 320px screen"
    faces.scroll_into_view_if_needed()
    screenshot(page, "02b-faces-320px")
    page.set_viewport_size(PHONE)

    faces.get_by_role("button", name="Happy", exact=True).click()
    page.get_by_role("group", name="Do you feel safe at home?").get_by_role(
        "button", name="Yes").click()
    page.get_by_text("The chat has finished").wait_for()
    assert page.locator(".msg.bot p").last.inner_text() == "Thank you!"
    screenshot(page, "03-end")
    accessible(page, "end")
    nothing_kept_in_the_browser(page)
    record = stored_answers()
    assert record["status"] == "complete" and record["survey"] == "little-ones"
    assert record["answers"] == {"age": 5, "happy_yesterday": 4, "feels_safe": "yes"}

    page.get_by_role("button", name="Clear this chat and leave").click()
    page.wait_for_url(f"{live}/healthz")
    nothing_kept_in_the_browser(page)


def test_a_whole_survey_by_keyboard_only(page, live, survey):
    page.goto(f"{live}/s/{survey.link}")
    keys = page.keyboard
    for _ in range(4):
        keys.press("Tab")
        if page.evaluate("document.activeElement.id") == "start":
            break
    assert page.evaluate("document.activeElement.id") == "start"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "the focused control shows where it is"
    keys.press("Enter")
    page.get_by_role("button", name="English").wait_for()
    assert focused(page) == "English", "focus moves to the new question's first answer"
    keys.press("Enter")
    page.get_by_role("button", name="Yes").wait_for()
    assert focused(page) == "Yes"
    keys.press("Space")
    page.get_by_role("textbox", name="How old are you?").wait_for()
    assert page.evaluate("document.activeElement.tagName") == "INPUT"
    keys.type("5")
    keys.press("Enter")
    page.get_by_role("group", name="How did you feel yesterday?").wait_for()
    assert "Very sad" in focused(page)
    for _ in range(3):
        keys.press("ArrowRight")
    assert "Happy" in focused(page) and "Very" not in focused(page)
    keys.press("Enter")
    page.get_by_role("group", name="Do you feel safe at home?").wait_for()
    keys.press("Tab")  # Tab works too: Yes -> No
    assert focused(page) == "No"
    keys.press("Shift+Tab")
    keys.press("Enter")
    page.get_by_text("The chat has finished").wait_for()
    assert page.evaluate("document.activeElement.textContent").startswith("The chat has finished")
    assert stored_answers()["answers"] == {"age": 5, "happy_yesterday": 4, "feels_safe": "yes"}
    screenshot(page, "04-keyboard-end")


def test_a_whole_survey_in_arabic_right_to_left(page, live, survey, app):
    survey.tenant.locales = ["en", "ar"]
    db.session.commit()
    page.goto(f"{live}/s/{survey.link}?lang=ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    page.get_by_role("button", name="ابدأ").click()  # the page's own words in Arabic too
    page.get_by_role("button", name="العربية").click()

    consent = page.get_by_role("group", name="هل تريد المشاركة؟")
    consent.wait_for()
    assert page.evaluate("document.documentElement.dir") == "rtl"
    bubble = page.locator(".msg.bot", has_text="لن يعرف أحد أنك أنت.")
    assert bubble.get_attribute("dir") == "rtl" and bubble.get_attribute("lang") == "ar"
    box = consent.bounding_box()
    quick_exit = page.get_by_role("button", name="خروج سريع").bounding_box()
    assert quick_exit["x"] < box["x"] + box["width"] / 2, "the layout is mirrored"
    screenshot(page, "05-rtl-consent")
    accessible(page, "rtl-question")
    consent.get_by_role("button", name="نعم").click()
    page.get_by_role("textbox", name="How old are you?").fill("6")
    page.get_by_role("button", name="إرسال").click()

    faces = page.get_by_role("group", name="كيف شعرت أمس؟")
    faces.wait_for()
    assert page.evaluate("document.documentElement.dir") == "rtl"
    page.keyboard.press("ArrowLeft")  # right-to-left: the next face is to the left
    assert page.evaluate("document.activeElement.textContent").strip().endswith("Sad")
    screenshot(page, "06-rtl-faces")
    faces.get_by_role("button", name="Happy", exact=True).click()
    safe = page.get_by_role("group", name="Do you feel safe at home?")
    safe.get_by_role("button", name="نعم").click()  # English question, Arabic answers
    page.get_by_text("انتهت المحادثة").wait_for()
    record = stored_answers()
    assert record["locale"] == "ar" and record["channel"] == "web"
    assert record["answers"] == {"age": 6, "happy_yesterday": 4, "feels_safe": "yes"}


def test_quick_exit_leaves_clears_and_keeps_consented_answers(page, live, survey):
    page.goto(f"{live}/healthz?before=1")
    page.goto(f"{live}/s/{survey.link}")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Yes").click()
    page.get_by_role("textbox", name="How old are you?").fill("5")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("group", name="How did you feel yesterday?").get_by_role(
        "button", name="OK", exact=True).click()
    page.get_by_role("group", name="Do you feel safe at home?").wait_for()

    with page.expect_request(lambda r: r.url.endswith("/conversation/exit")) as exit_request:
        page.keyboard.press("Escape")
    assert exit_request.value.headers["authorization"].startswith("Bearer ")
    page.wait_for_url(f"{live}/healthz")
    nothing_kept_in_the_browser(page)
    page.go_back()
    assert page.url == f"{live}/healthz?before=1", "Back does not return to the survey"
    for _ in range(50):
        if waiting():
            break
        page.wait_for_timeout(100)
    record = stored_answers()
    assert record["status"] == "partial" and record["answers"]["happy_yesterday"] == 3


def test_a_lost_response_is_sent_again_and_answered_once(page, live, survey):
    sent = []

    def lose_the_first_answer(route):
        sent.append(json.loads(route.request.post_data))
        response = route.fetch()  # the server handles it...
        if len(sent) == 1:
            route.abort("connectionreset")  # ...but the phone never hears back
        else:
            route.fulfill(response=response)

    page.goto(f"{live}/s/{survey.link}")
    page.get_by_role("button", name="Start").click()
    page.route("**/conversation/messages", lose_the_first_answer)
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Yes").wait_for()
    assert len(sent) == 2 and sent[0] == sent[1], "the same message, with the same id"
    assert page.get_by_text("Nobody will know it was you.").count() == 1
    [key] = redis_client().keys("cs:c:*")
    assert record_of(key.decode())["s"]["t"] == 1, "the server counted one turn"


def test_the_widget_on_a_council_page(page, browser, live, survey):
    host_page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
                 f'<title>Testshire Council</title></head><body><main><h1>Testshire Council</h1>'
                 f'<p>Children in care: tell us how things are.</p></main>'
                 f'<script src="{live}/widget.js" data-survey="{survey.link}" async></script>'
                 f'</body></html>')
    with serve(static_site({"/": host_page})) as council:
        survey.tenant.web_origins = [council]
        db.session.commit()
        page.goto(council + "/")
        launcher = page.get_by_role("button", name="Take our survey")
        assert launcher.get_attribute("aria-expanded") == "false"
        screenshot(page, "07-widget-closed")
        accessible(page, "widget-closed")
        launcher.click()
        chat = page.frame_locator("iframe[title='Survey chat']")
        expect(chat.get_by_role("button", name="Start")).to_be_focused()
        expect(page.locator("iframe")).to_have_attribute("style", re.compile(r"height: [1-5]\d\dpx"))
        chat.get_by_role("button", name="Start").click()
        chat.get_by_role("button", name="English").click()
        chat.get_by_role("button", name="Yes").wait_for()
        frame = next(f for f in page.frames if "/s/" in f.url)
        query = parse_qs(urlsplit(frame.url).query)
        assert query == {"embed": ["1"], "parent": [council]}
        screenshot(page, "08-widget-open")
        accessible(page, "widget-host-page")
        accessible(frame, "widget-frame")

        page.get_by_role("button", name="Close").click()
        assert launcher.get_attribute("aria-expanded") == "false"
        expect(launcher).to_be_focused()
        launcher.click()  # the conversation is still there
        chat.get_by_role("button", name="Yes").focus()
        page.keyboard.press("Escape")  # quick exit leaves the council's page too
        page.wait_for_url(f"{live}/healthz")

        # Another site may not frame the chat: instead of the browser's "refused to connect",
        # the panel says what to do, and holds no chat (the CSP lets only the notice be framed).
        elsewhere = council.replace("127.0.0.1", "localhost")
        for width, height in ((390, 844), (1280, 800)):
            stranger = browser.new_context(viewport={"width": width, "height": height})
            other = stranger.new_page()
            other.goto(elsewhere + "/")
            other.get_by_role("button", name="Take our survey").click()
            notice = other.frame_locator("iframe[title='Survey chat']")
            notice.get_by_role("heading", name="This survey cannot open on this website yet"
                               ).wait_for()
            expect(notice.get_by_text(f"add {elsewhere} to your council")).to_be_visible()
            assert notice.get_by_role("button", name="Start").count() == 0
            assert notice.get_by_role("link", name="Open the survey in a new tab").get_attribute(
                "target") == "_blank"
            screenshot(other, f"09-widget-on-an-unlisted-site-{width}")
            accessible(next(f for f in other.frames if "/s/" in f.url), "widget-unlisted-site")
            stranger.close()


def to_the_safe_question(page, live, survey):
    """Start in English, agree, give age 5 and a face: 'Do you feel safe at home?' is next."""
    page.goto(f"{live}/s/{survey.link}")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Yes").click()
    page.get_by_role("textbox", name="How old are you?").fill("5")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("group", name="How did you feel yesterday?").get_by_role(
        "button", name="OK", exact=True).click()
    page.get_by_role("group", name="Do you feel safe at home?").wait_for()


def test_delete_my_answers_is_on_every_question_and_asks_first(page, live, survey):
    page.goto(f"{live}/s/{survey.link}")
    assert page.get_by_text("Quick exit keeps the answers you gave so far.").is_visible()
    expect(page.get_by_role("button", name="Quick exit")).to_have_accessible_description(
        "Quick exit keeps the answers you gave so far.")
    page.get_by_role("button", name="Start").click()
    delete = page.get_by_role("button", name="Delete my answers")
    for answer in ("English", "Yes"):  # a choice before consent, and consent itself
        expect(delete).to_be_visible()
        page.get_by_role("button", name=answer, exact=True).click()
    expect(delete).to_be_visible()  # a typed question
    page.get_by_role("textbox", name="How old are you?").fill("5")
    page.get_by_role("button", name="Send").click()
    expect(delete).to_be_visible()  # faces
    page.get_by_role("button", name="OK", exact=True).click()
    page.get_by_role("group", name="Do you feel safe at home?").wait_for()

    sent = []
    page.on("request", lambda r: sent.append(r.post_data) if r.method == "POST" else None)
    assert delete.get_attribute("aria-expanded") == "false"
    delete.click()
    confirm = page.get_by_role("group", name="Delete all your answers?")
    expect(confirm).to_be_visible()
    assert delete.get_attribute("aria-expanded") == "true"
    assert focused(page).startswith("Delete all your answers?"), "focus moves to the question"
    screenshot(page, "09-delete-confirm-390")
    accessible(page, "delete-confirm")
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, "09b-delete-confirm-1280")
    page.set_viewport_size(PHONE)
    confirm.get_by_role("button", name="No, keep them").click()
    expect(confirm).to_be_hidden()
    assert focused(page) == "Delete my answers", "focus goes back to the button"
    assert sent == [], "nothing is sent until the second yes"

    page.keyboard.press("Enter")  # open it again, by keyboard this time
    expect(confirm).to_be_visible()
    page.keyboard.press("Tab")
    assert focused(page) == "Yes, delete them"
    with page.expect_request(lambda r: r.url.endswith("/conversation/messages")) as deleting:
        page.keyboard.press("Enter")
    assert json.loads(deleting.value.post_data)["command"] == "stop"
    page.get_by_text("The chat has finished").wait_for()
    assert page.get_by_text("Your answers are deleted").is_visible()
    screenshot(page, "10-deleted")
    accessible(page, "deleted")
    assert waiting() == [], "nothing waits to be stored"
    [key] = redis_client().keys("cs:c:*")
    assert "s" not in record_of(key.decode()), "the conversation is gone"
    nothing_kept_in_the_browser(page)


def test_delete_my_answers_right_to_left(page, live, survey):
    survey.tenant.locales = ["en", "ar"]
    db.session.commit()
    page.goto(f"{live}/s/{survey.link}?lang=ar")
    page.get_by_role("button", name="ابدأ").click()
    page.get_by_role("button", name="العربية").click()
    page.get_by_role("group", name="هل تريد المشاركة؟").wait_for()
    page.get_by_role("button", name="احذف إجاباتي").click()
    confirm = page.get_by_role("group", name="هل تحذف كل إجاباتك؟")
    expect(confirm).to_be_visible()
    assert page.evaluate("document.documentElement.dir") == "rtl"
    screenshot(page, "11-rtl-delete-confirm-390")
    accessible(page, "rtl-delete-confirm")
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, "11b-rtl-delete-confirm-1280")


def test_quick_exit_keeps_what_it_says_and_delete_deletes(page, live, survey):
    """The page's two promises, side by side: quick exit keeps, delete deletes."""
    to_the_safe_question(page, live, survey)
    page.get_by_role("button", name="Quick exit").click()
    page.wait_for_url(f"{live}/healthz")
    for _ in range(50):
        if waiting():
            break
        page.wait_for_timeout(100)
    assert stored_answers()["answers"]["happy_yesterday"] == 3, "quick exit kept the answers"
    redis_client().delete(*outbox_keys())

    to_the_safe_question(page, live, survey)
    page.get_by_role("button", name="Delete my answers").click()
    page.get_by_role("button", name="Yes, delete them").click()
    page.get_by_text("The chat has finished").wait_for()
    assert waiting() == [], "delete kept nothing"


HELP = ("Need help now? Call Childline on 0800 1111 or Samaritans on 116 123. "
        "Text SHOUT to 85258. In danger? Call 999.")


def shown_text(locator) -> str:
    """The words a sighted reader sees (without the words only a screen reader hears)."""
    return locator.evaluate("""p => { const copy = p.cloneNode(true);
      copy.querySelectorAll('.visually-hidden').forEach(n => n.remove());
      return copy.textContent; }""")


def reply_with(page, text, lang="en", direction="ltr"):
    """Answer the next message with one bot reply saying ``text`` (the server is bypassed)."""
    body = {"conversation": "c" * 32, "status": "active", "replies": [
        {"type": "message", "text": text, "lang": lang, "dir": direction},
        {"type": "question", "text": "Go on?", "input": "choice", "lang": lang, "dir": direction,
         "options": [{"value": "yes", "label": "Yes"}], "skip": True, "skip_label": "Skip"}]}
    page.route("**/api/v1/surveys/*/conversations",
               lambda route: route.fulfill(status=201, json=body))


def test_helpline_numbers_are_links_to_call_or_text(page, live, survey, app):
    from tests.helpers import open_round, publish_fixture_flows

    layout = open_round(survey.tenant, publish_fixture_flows()["layout"])
    page.goto(f"{live}/s/{layout.link}")
    page.get_by_role("button", name="Start").click()
    bubble = page.locator(".msg.bot", has_text="Need help now?")
    bubble.wait_for()
    assert shown_text(bubble.locator("p").first) == HELP, "the words read as before"
    links = {a.get_attribute("href"): a for a in bubble.get_by_role("link").all()}
    assert list(links) == ["tel:08001111", "tel:116123", "sms:85258", "tel:999"]
    for name, href in (("Call 0800 1111", "tel:08001111"), ("Call 116 123", "tel:116123"),
                       ("Text 85258", "sms:85258"), ("Call 999", "tel:999")):
        expect(bubble.get_by_role("link", name=name, exact=True)).to_have_attribute("href", href)
    assert page.locator(".msg.bot", has_text="aged 16 to 25").get_by_role("link").count() == 0
    screenshot(page, "12-helpline-links")
    accessible(page, "helpline-links")
    page.locator("#quick-exit").focus()
    reached = set()
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.getAttribute('href')"))
    assert set(links) <= reached, "Tab reaches every number"


def test_only_real_numbers_become_links_and_message_text_stays_text(page, live, survey):
    text = ("<img src=x onerror=\"window.__pwned=1\"> Ages 16 to 25, £75000, 1 of 12345, "
            "year 2026, 07700 900 123 4567, room 101. Real: 0808 800 5792, 080880 23456, "
            "0800 83 85 87, +44 20 7946 0000, text 84001, 111.")
    reply_with(page, text)
    page.goto(f"{live}/s/{survey.link}")
    page.get_by_role("button", name="Start").click()
    bubble = page.locator(".msg.bot").first
    bubble.wait_for()
    assert shown_text(bubble.locator("p").first) == text, "shown exactly as sent"
    assert page.locator(".msg img").count() == 0 and page.evaluate("window.__pwned") is None
    hrefs = [a.get_attribute("href") for a in bubble.get_by_role("link").all()]
    assert hrefs == ["tel:08088005792", "tel:08088023456", "tel:0800838587", "tel:+442079460000",
                     "sms:84001", "tel:111"]


def test_numbers_stay_in_order_inside_right_to_left_words(page, live, survey):
    reply_with(page, "اتصل بـ Childline على 0800 1111 الآن.", "ar", "rtl")
    page.goto(f"{live}/s/{survey.link}")
    page.get_by_role("button", name="Start").click()
    link = page.get_by_role("link", name="Call 0800 1111")
    link.wait_for()
    first, second = page.evaluate("""() => {
      const text = document.querySelector('a.phone [dir=ltr]').firstChild;
      const at = (from, to) => { const r = document.createRange(); r.setStart(text, from);
        r.setEnd(text, to); return r.getBoundingClientRect().left; };
      return [at(0, 4), at(5, 9)];
    }""")
    assert first < second, "0800 is read before 1111, also in Arabic"
    screenshot(page, "13-rtl-helpline-link")


def start_in_arabic(page, live, survey):
    survey.tenant.locales = ["en", "ar"]
    db.session.commit()
    page.goto(f"{live}/s/{survey.link}?lang=ar")
    page.get_by_role("button", name="ابدأ").click()
    page.get_by_role("button", name="العربية").click()
    page.get_by_role("group", name="هل تريد المشاركة؟").wait_for()
    return page.locator(".msg.bot", has_text="هل تريد المشاركة؟")


def test_read_aloud_says_when_there_is_no_voice_for_the_language(page, live, survey):
    bubble = start_in_arabic(page, live, survey)  # the page has an English voice only
    note = "لا يوجد هنا صوت يقرأ هذا بصوت عال بلغة: العربية."  # the page's words, in Arabic
    read = re.compile("Read aloud|اقرأ بصوت عال")  # the button, in the page's language
    first_arabic = page.locator(".msg.bot[lang=ar]").first
    expect(first_arabic.get_by_text(note)).to_be_visible()  # said once, where Arabic begins
    expect(page.get_by_text(note)).to_have_count(1)
    expect(page.locator(".msg.bot[lang=ar]").get_by_role("button", name=read)).to_have_count(0)
    expect(bubble.get_by_role("button", name=read)).to_have_count(0)
    english = page.locator(".msg.bot").first  # the language question, in English
    expect(english.get_by_role("button", name=read)).to_be_visible()
    screenshot(page, "14-rtl-no-voice")
    accessible(page, "rtl-no-voice")

    page.evaluate("""() => {
      window.__voices.push({lang: 'ar-SA', name: 'Test ar-SA'});
      window.speechSynthesis.dispatchEvent(new Event('voiceschanged'));
    }""")
    expect(page.get_by_text(note)).to_have_count(0)
    bubble.get_by_role("button", name=read).click()
    spoken = page.evaluate("window.__spoken")
    assert spoken[-1] == {"text": "هل تريد المشاركة؟. نعم. لا", "lang": "ar-SA",
                          "voice": "Test ar-SA"}


@pytest.mark.parametrize(("voices", "shown"), [
    ((), re.compile(r"Does dim llais \w+ yma i ddarllen hwn yn uchel\.")),  # the page's Welsh
    (("cy-GB",), None)])
def test_read_aloud_in_welsh_uses_a_welsh_voice_or_says_there_is_none(browser, live, survey,
                                                                      voices, shown):
    survey.tenant.locales = ["cy", "en"]
    db.session.commit()
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.add_init_script(speech_spy("en-GB", *voices))
    page = context.new_page()
    page.goto(f"{live}/s/{survey.link}?lang=cy")
    page.locator("#start").click()
    page.get_by_role("button", name="Cymraeg").click()
    welsh = page.locator(".msg.bot[lang=cy]")
    welsh.first.wait_for()
    if shown:
        expect(page.get_by_text(shown)).to_have_count(1)
        expect(welsh.get_by_role("button", name=re.compile("Read aloud|Darllen"))).to_have_count(0)
    else:
        welsh.last.locator("button.speak").click()
        assert page.evaluate("window.__spoken")[-1]["voice"] == "Test cy-GB"
    context.close()


def test_read_aloud_reads_each_part_in_its_own_voice(page, live, survey):
    page.add_init_script("window.__voices.push({lang: 'ar-EG', name: 'Test ar-EG'})")
    start_in_arabic(page, live, survey)
    page.get_by_role("button", name="نعم").click()
    page.get_by_role("textbox", name="How old are you?").fill("6")
    page.get_by_role("button", name="إرسال").click()
    faces = page.locator(".msg.bot", has_text="كيف شعرت أمس؟")
    faces.get_by_role("button", name="اقرأ بصوت عال").click()
    spoken = page.evaluate("window.__spoken")
    assert [(s["lang"], s["text"].split(". ")[0]) for s in spoken] == [
        ("ar-EG", "كيف شعرت أمس؟"), ("en-GB", "Sad")], "Arabic words in Arabic, English in English"


def test_read_aloud_without_any_voice_says_so(browser, live, survey):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.add_init_script(speech_spy())
    page = context.new_page()
    page.goto(f"{live}/s/{survey.link}")
    page.get_by_role("button", name="Start").click()
    sorry = "Sorry, there is no voice here to read this out loud."
    expect(page.get_by_text(sorry)).to_have_count(1)
    expect(page.locator(".msg.bot").first.get_by_text(sorry)).to_be_visible()
    expect(page.get_by_role("button", name="Read aloud")).to_have_count(0)
    assert page.evaluate("window.__spoken") == []
    context.close()
