"""Choosing a language: the chat page's picker, and by SMS the offer, the keyword, STOP in every language."""

from __future__ import annotations

import json
import re

import pytest

import chatsurvey.invitations.models  # noqa: F401  (the SMS tables)
from chatsurvey.channels.sms.languages import OFFER_SEGMENTS, language_offer
from chatsurvey.channels.sms.webhook import keyword
from chatsurvey.conversations.keyspace import sessions
from chatsurvey.councils.models import Tenant
from chatsurvey.engine.languages import CODES
from chatsurvey.engine.sms import segments
from chatsurvey.extensions import db
from chatsurvey.invitations.models import OptOut
from tests.test_sms_channel import pointer, text, texts

pytestmark = pytest.mark.redis


def offer(survey, *locales):
    survey.tenant.locales = list(locales)
    db.session.commit()


# -- the chat page's picker -------------------------------------------------------------------


def test_the_page_offers_each_language_in_its_own_name_and_direction(client, survey):
    offer(survey, "en", "ar", "cy")
    page = client.get(f"/s/{survey.link}?age=11-17").text
    nav = re.search(r'<nav id="languages".*?</nav>', page, re.S)
    assert nav is not None
    links = re.findall(r'<a href="([^"]+)" lang="(\w+)" dir="(\w+)" hreflang="\w+"([^>]*)>([^<]+)</a>',
                       nav.group(0))
    assert [(lang, direction, name) for _, lang, direction, _, name in links] == [
        ("en", "ltr", "English"), ("ar", "rtl", "العربية"), ("cy", "ltr", "Cymraeg")]
    assert "aria-current" in links[0][3] and "aria-current" not in links[1][3]
    href = links[1][0].replace("&amp;", "&")
    assert href.startswith(f"/s/{survey.link}?") and "lang=ar" in href and "age=11-17" in href


def test_the_page_in_arabic_is_arabic_and_right_to_left(client, survey):
    offer(survey, "en", "ar")
    page = client.get(f"/s/{survey.link}?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in page
    assert "خروج سريع" in page and "اختر لغتك" in page  # Quick exit, Choose your language
    assert re.search(r'<a [^>]*lang="ar" dir="rtl"[^>]* aria-current="true">العربية</a>', page)


def test_one_language_needs_no_picker(client, survey):
    offer(survey, "en")
    assert 'id="languages"' not in client.get(f"/s/{survey.link}").text


def test_a_language_the_council_does_not_offer_is_not_listed_or_used(client, survey):
    offer(survey, "en", "cy")
    page = client.get(f"/s/{survey.link}?lang=ar").text
    assert '<html lang="en" dir="ltr">' in page and 'lang="ar"' not in page


# -- by SMS -------------------------------------------------------------------------------------


def state_locale(survey) -> str:
    found = sessions().read(pointer(tenant_id=survey.tenant_id)).conversation
    assert found is not None
    return json.loads(found.packed)["x"][1]


def test_the_first_text_offers_the_other_languages_each_in_its_own_words(client, survey):
    offer(survey, "en", "ar", "cy")
    replies = texts(text(client, "hi"))
    assert replies[0].splitlines()[:2] == ["أرسل AR لـالعربية", "Tecstia CY am Cymraeg"]
    assert state_locale(survey) == "en"


def test_texting_the_keyword_first_starts_in_that_language(client, survey):
    offer(survey, "en", "ar")
    replies = texts(text(client, "ar"))
    assert replies[0].splitlines()[0] == "Reply EN for English"
    assert state_locale(survey) == "ar"


def test_the_keyword_before_any_answer_starts_again_in_that_language(client, survey):
    offer(survey, "en", "ar")
    text(client, "hello")
    text(client, "English")  # the router's own question: the word answers it
    cid = sessions().find(pointer(tenant_id=survey.tenant_id))
    assert state_locale(survey) == "en"
    text(client, "عربي")
    assert sessions().find(pointer(tenant_id=survey.tenant_id)) == cid  # the same conversation
    assert state_locale(survey) == "ar"


def test_after_an_answer_the_keyword_is_an_ordinary_message(client, survey):
    offer(survey, "en", "ar", "cy")
    for message in ("hello", "2", "yes"):  # Welsh, then consent: still nothing answered
        text(client, message)
    text(client, "AR")
    assert state_locale(survey) == "ar"
    for message in ("3", "yes", "12"):  # Arabic again, yes, and an answer: the age
        text(client, message)
    text(client, "CY")
    assert state_locale(survey) == "ar"


def test_a_language_the_council_does_not_offer_is_an_ordinary_message(client, survey):
    offer(survey, "en", "cy")
    replies = texts(text(client, "FA"))
    assert "فارسی" not in " ".join(replies) and state_locale(survey) == "en"


def test_the_offer_of_every_language_fits_the_segment_limit():
    tenant = Tenant(name="Testshire", country="england", locales=list(CODES), branding={})
    every = language_offer(tenant, list(CODES), "en")
    assert segments(every) <= OFFER_SEGMENTS and "AR العربية" in every and "DARI دری" in every
    three = language_offer(tenant, ["en", "ar", "fa"], "en")
    assert three == "أرسل AR لـالعربية\nبرای فارسی، FA بفرست" and segments(three) <= OFFER_SEGMENTS


@pytest.mark.parametrize(("typed", "locale"), [
    ("dừng", "vi"), ("DỪNG", "vi"), ("dung", "vi"), ("Huy", "vi"), ("hủy", "vi"),
    ("dừng lại", "vi"), ("توقف", "ar"), ("تَوَقَّف", "ar"), ("Tavaghof", "fa"),
    ("ودریږه", "ps"), ("ndal", "sq"), ("NDALO!", "sq"), ("وەستان", "ckb"), ("ኣቋርጽ", "ti"),
    ("stopio", "cy"), ("STOP", "en"), ("sguir", "gd")])
def test_stop_works_in_every_language_however_it_is_typed(typed, locale):
    assert keyword(typed) == ("stop", locale)


@pytest.mark.parametrize("typed", ["đúng", "dùng", "dung lai roi", "stop it now", "نه", "بله"])
def test_words_that_only_look_like_stop_do_not_delete_answers(typed):
    assert keyword(typed)[0] != "stop"


def test_a_stop_word_of_several_languages_is_taken_in_the_council_s(app):
    assert keyword("بس") == ("stop", "fa")
    assert keyword("بس", ["en", "ps"]) == ("stop", "ps")
    assert keyword("بس", lambda: ["prs"]) == ("stop", "prs")
    assert keyword("شروع", ["prs"]) == ("start", "prs") and keyword("rahnama") == ("help", "fa")


def test_stop_in_vietnamese_without_accents_deletes_and_confirms(client, survey):
    offer(survey, "en", "vi")
    text(client, "hello")
    assert sessions().find(pointer(tenant_id=survey.tenant_id)) is not None
    replies = texts(text(client, "DUNG"))
    assert replies and "START" in replies[0]
    assert sessions().find(pointer(tenant_id=survey.tenant_id)) is None
    assert db.session.query(OptOut).count() == 1
