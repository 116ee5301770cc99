"""The translation status page: every language, its three catalogues, and what awaits review."""

from __future__ import annotations

import re

import pytest

from chatsurvey.engine import FlowLibrary
from chatsurvey.engine.catalogue import SYSTEM, system_messages
from chatsurvey.engine.languages import LANGUAGES
from chatsurvey.engine.lint import translation_status
from chatsurvey.texts import CATALOGUES
from chatsurvey.translation_status import Share, flows_share, page_share, sms_share
from tests.admin_helpers import make_user, sign_in
from tests.helpers import PROJECT

TEMPLATE = '''msgid "Send"
msgstr ""

msgid "Start"
msgstr ""

msgid "Quick exit"
msgstr ""

msgid "Go back"
msgstr ""
'''

WELSH_PAGE = '''msgid ""
msgstr ""
"Language: cy\\n"

msgid "Send"
msgstr "Anfon"

#, fuzzy
msgid "Start"
msgstr "Dechrau"

#, fuzzy
#| msgid "Leave"
msgid "Quick exit"
msgstr "Gadael"

msgid "Gone from the page"
msgstr "Wedi mynd"
'''


@pytest.fixture(scope="module")
def product():
    return FlowLibrary.load([PROJECT / "flows"], PROJECT / "locales")


def test_a_share_counts_reviewed_drafts_and_outdated_words():
    share = Share(total=10, translated=8, awaiting_review=6, outdated=1)
    assert share.complete == 0.8 and share.to_review == 0.6 and share.reviewed == 2
    assert share + Share(10, 10, 0) == Share(20, 18, 6, 1)
    assert Share(0, 0, 0).complete == 1.0 and Share(0, 0, 0).to_review == 0.0


def test_the_chat_page_s_words_awaiting_review_and_outdated_ones(tmp_path):
    (tmp_path / "web.pot").write_text(TEMPLATE, "utf-8")
    (tmp_path / "cy" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "cy" / "LC_MESSAGES" / "web.po").write_text(WELSH_PAGE, "utf-8")
    # Send: reviewed. Start: a draft, shown, to review. Quick exit: its English changed
    # since (not shown, outdated). Go back: missing. An entry no longer on the page: ignored.
    assert page_share(tmp_path, "cy") == Share(total=4, translated=2, awaiting_review=1,
                                               outdated=1)
    assert page_share(tmp_path, "gd") is None


@pytest.mark.parametrize("code", ["ti", "ckb", "vi", "sq"])
def test_a_first_draft_is_all_to_review_in_every_catalogue(product, code):
    flows = flows_share(product.flows.values(), code)
    assert flows is not None and flows.total > 500
    assert flows.translated == flows.awaiting_review == flows.total
    page = page_share(CATALOGUES, code)
    assert page is not None and page.complete == 1.0 and page.to_review == 1.0
    sms = sms_share(CATALOGUES, code)
    assert sms is not None and sms.complete == 1.0 and sms.to_review == 1.0


@pytest.mark.parametrize("code", ["cy", "gd"])
def test_welsh_and_gaelic_show_what_a_native_speaker_has_reviewed(product, code):
    """Their flows are partly reviewed; their chat page and SMS words are all a first draft."""
    flows = flows_share(product.flows.values(), code)
    assert flows is not None and flows.complete == 1.0
    assert 0 < flows.awaiting_review < flows.total
    for share in (page_share(CATALOGUES, code), sms_share(CATALOGUES, code)):
        assert share is not None and share.complete == 1.0 and share.to_review == 1.0


def test_the_flows_share_is_every_flow_offering_the_language_and_the_engine_s_words_once(
        product):
    offering = [f for f in product.flows.values() if "vi" in f.locales]
    expected = translation_status(SYSTEM, system_messages(), ["vi"],
                                  offering[-1].texts.catalogue)["vi"]["total"]
    expected += sum(translation_status(f.id, f.messages, ["vi"], f.texts.catalogue)["vi"]
                    ["total"] for f in offering)
    share = flows_share(product.flows.values(), "vi")
    assert share is not None and share.total == expected
    assert flows_share(product.flows.values(), "xx") is None


def test_no_catalogue_means_none(tmp_path):
    assert sms_share(tmp_path, "vi") is None
    assert sms_share(CATALOGUES, "en") is None  # English is the source: nothing to translate


def _row(page: str, code: str) -> str:
    found = re.search(rf'<tr><th scope="row"><span lang="{code}".*?</tr>', page, re.S)
    assert found, code
    return found.group(0)


def test_the_page_lists_every_language_with_its_review_state(app, client):
    with app.app_context():
        analyst = make_user("programme-analyst", totp=True)
        email, secret = analyst.email, analyst.totp_secret
    sign_in(client, email, totp_secret=secret)
    response = client.get("/admin/translations")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for language in LANGUAGES:
        if language.code == "en":
            continue
        row = _row(page, language.code)
        assert f'dir="{language.direction}">{language.native}</span>' in row
        assert language.english in row
    # The test app publishes no flow in Tigrinya; its chat page and SMS words are a draft.
    tigrinya = _row(page, "ti")
    assert "no flow offers it" in tigrinya
    assert tigrinya.count("100% translated") == 2 and tigrinya.count("100% to review") == 2
    assert 'dir="rtl">کوردی سۆرانی</span>' in _row(page, "ckb")
    # Welsh and Gaelic: the chat page and SMS words are a draft, their flows partly reviewed.
    for code in ("cy", "gd"):
        assert "no catalogue: English" not in _row(page, code)
        assert _row(page, code).count("100% to review") == 2


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_the_page_reads_at_phone_and_desktop_width(app, browser, width):
    """Screenshots (test-output/screenshots/admin-translations-*.png), axe, no sideways scroll.

    The programme's own flows are published, so the page shows them as it will in service.
    """
    import pyotp

    from chatsurvey.extensions import db
    from chatsurvey.flows.publish import publish_directory
    from tests.admin_helpers import PASSWORD
    from tests.browser import axe_scan, describe, screenshot, serve

    with app.app_context():
        publish_directory(PROJECT / "flows", PROJECT / "locales")
        db.session.commit()
        analyst = make_user("programme-analyst", totp=True)
        email, secret = analyst.email, analyst.totp_secret
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        with serve(app) as live:
            page.goto(f"{live}/admin/login")
            page.get_by_label("E-mail address").fill(email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_label(re.compile("code", re.I)).first.fill(pyotp.TOTP(secret).now())
            page.get_by_role("button", name=re.compile("sign in|continue|confirm", re.I)).click()
            page.goto(f"{live}/admin/translations")
            screenshot(page, f"admin-translations-{width}", full_page=True)
            serious = axe_scan(page, f"admin-translations-{width}")
            assert not serious, describe(serious)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert page.locator('span[lang="ckb"][dir="rtl"]').inner_text() == "کوردی سۆرانی"
            vietnamese = page.locator("tr", has=page.locator('span[lang="vi"]'))
            assert vietnamese.locator("td").first.inner_text().startswith(
                "100% translated\n100% to review")
    finally:
        context.close()


def test_the_page_says_when_nothing_is_translated_or_everything_is_reviewed(make_app, tmp_path):
    """An empty catalogue is not "reviewed": young people see English there."""
    from chatsurvey.extensions import db

    (tmp_path / "web.pot").write_text(TEMPLATE, "utf-8")
    for code, strings in (("sq", ('""', '""', '""', '""')),
                          ("vi", ('"Gửi"', '"Bắt đầu"', '"Thoát nhanh"', '"Quay lại"'))):
        (tmp_path / code / "LC_MESSAGES").mkdir(parents=True)
        entries = zip(("Send", "Start", "Quick exit", "Go back"), strings, strict=True)
        (tmp_path / code / "LC_MESSAGES" / "web.po").write_text("\n".join(
            f'msgid "{english}"\nmsgstr {string}\n' for english, string in entries), "utf-8")
    app = make_app(TEXTS_DIR=str(tmp_path))
    with app.app_context():
        db.create_all()
        analyst = make_user("programme-analyst", totp=True)
        email, secret = analyst.email, analyst.totp_secret
    client = app.test_client()
    sign_in(client, email, totp_secret=secret)
    page = client.get("/admin/translations").get_data(as_text=True)
    page_cell = re.compile(r"</td>\s*<td>(.*?)</td>", re.S)  # the second cell: the chat page
    albanian, vietnamese = (page_cell.search(_row(page, code)).group(1) for code in ("sq", "vi"))
    assert "0% translated" in albanian and "young people see English" in albanian
    assert "none to review" not in albanian
    assert "100% translated" in vietnamese and "none to review" in vietnamese
    assert "(4 of 4 reviewed)" in vietnamese
    assert "no catalogue: English" in page_cell.search(_row(page, "ti")).group(1)
    with app.app_context():
        db.drop_all()
