"""The young people's summaries: one per age band, in their words and languages, on paper too."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser import OUTPUT, axe_scan, describe, screenshot, serve, static_site

pytestmark = [pytest.mark.slow, pytest.mark.redis]

SHOTS = OUTPUT / "reports"


@pytest.fixture
def sealed(app):
    """A council's sealed round (synthetic answers in every age band) and two pledges."""
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db
    from chatsurvey.reports import council_report
    from chatsurvey.reports.models import Pledge
    from chatsurvey.rounds.models import SurveyRound
    from devtools.demo_data import generate

    with app.test_request_context():
        truth = generate(councils=5, seed=21, responses=5000)
        council = truth.councils[0]
        tenant = db.session.scalars(select(Tenant).where(Tenant.slug == council.slug)).one()
        survey_round = db.session.get(SurveyRound, council.rounds["current"])
        pledges = [
            Pledge(tenant_id=tenant.id, round_id=survey_round.id, position=1,
                   you_said="You want to see your brothers and sisters more.",
                   we_will="We will plan family time with you, not for you."),
            Pledge(tenant_id=tenant.id, round_id=survey_round.id, position=2, age_band="16-25",
                   you_said="Money is hard.", we_will="We will help you make a budget.")]
        db.session.add_all(pledges)
        db.session.commit()
        yield council_report(tenant, survey_round), pledges


def _text(page: str) -> list[str]:
    page = re.sub(r"<(style|svg)\b.*?</\1>", "", page, flags=re.S)
    return [ln.strip() for ln in html_lib.unescape(re.sub(r"<[^>]+>", "\n", page)).splitlines()
            if ln.strip()]


def test_one_summary_per_age_band_in_childrens_words(sealed):
    from chatsurvey.engine.readability import reading_age
    from chatsurvey.reports.summary import _labels, render_summary

    pub, pledges = sealed
    staff_labels = {row.label for b in pub.bands for row in b.rows}
    child = {v["label"] for v in _labels().values()}
    assert [b.band for b in pub.bands] == ["4-7", "8-11", "11-18", "16-25"]
    for band in pub.bands:
        page = render_summary(pub, pledges, band=band.band)
        lines = _text(page)
        assert page.count('class="report summary poster"') == 1
        assert not staff_labels & set(lines), staff_labels & set(lines)   # no staff words
        assert child & set(lines)                                         # children's words
        assert "%" not in " ".join(lines[1:])
        assert "We will plan family time with you, not for you." in lines  # pledges, all bands
        assert ("We will help you make a budget." in lines) == (band.band == "16-25")
        work = page.split("We need to do better", 1)[1].split("</section>", 1)[0]
        assert "family" not in work and "mum" not in work and "dad" not in work
        # The page as a whole at a reading age of 8 or under (Flesch-Kincaid + 5), and no
        # long sentence above 9 (short lines are left to the whole: the formula reads "You
        # trust your personal adviser." as 12). The picture credit is not for children.
        words = [ln for ln in lines if "OpenMoji" not in ln]
        assert reading_age(" ".join(words)) <= 8, reading_age(" ".join(words))
        long = [(reading_age(ln), ln) for ln in words if len(ln.split()) >= 8]
        assert all(age is None or age <= 9 for age, _ in long), long


@pytest.mark.parametrize(("lang", "words"), [("cy", "Beth ddywedoch chi wrthon ni"),
                                             ("gd", "Na dh'innis sibh dhuinn")])
def test_the_summary_speaks_welsh_and_gaelic(sealed, lang, words):
    from chatsurvey.reports.summary import render_summary

    pub, pledges = sealed
    page = render_summary(pub, pledges, band="8-11", locale=lang)
    assert f'<html lang="{lang}">' in page and words in html_lib.unescape(page)
    assert "You feel safe where you live." not in page  # translated, not English


def test_care_leavers_are_sent_to_a_line_that_is_for_them(sealed):
    """Childline is for under-19s: a care leaver of 22 is given Samaritans, a child Childline,
    on the phone page and on the poster."""
    import pypdfium2 as pdfium

    from chatsurvey.reports.summary import render_poster, render_summary

    pub, pledges = sealed
    leavers = " ".join(_text(render_summary(pub, pledges, band="16-25")))
    children = " ".join(_text(render_summary(pub, pledges, band="8-11")))
    assert "Samaritans on 116 123" in leavers and "Childline" not in leavers
    assert "Childline on 0800 1111" in children
    welsh = " ".join(_text(render_summary(pub, pledges, band="16-25", locale="cy")))
    assert "Samariaid ar 116 123" in welsh and "Childline" not in welsh
    pdf = pdfium.PdfDocument(render_poster(pub, pledges, band="16-25"))
    try:
        words = " ".join(pdf[0].get_textpage().get_text_range().split())
    finally:
        pdf.close()
    assert "116 123" in words and "Childline" not in words


def test_every_sentence_of_the_summary_is_in_the_catalogues():
    import yaml

    from chatsurvey.reports import summary

    labels = {v["label"] for v in yaml.safe_load(summary.LABELS.read_text()).values()}
    with_words = set(labels) | set(summary.HEADINGS.values()) | set(summary.HELP.values()) | {
        summary.CHILDLINE}
    for lang in ("cy", "gd"):
        found = summary._catalogue(str(Path(summary.__file__).parent.parent / "locales"), lang)
        assert with_words <= set(found), sorted(with_words - set(found))[:5]


def test_posters_and_phone_pages_rendered_and_kept_to_look_at(sealed, browser):
    import pypdfium2 as pdfium

    from chatsurvey.reports.summary import render_poster, render_summary

    pub, pledges = sealed
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf = pdfium.PdfDocument(render_poster(pub, pledges))
    try:
        assert len(pdf) == len(pub.bands)  # one A4 page per age band
        for i, band in enumerate(pub.bands):
            page = pdf[i]
            assert round(page.get_width()) == 595 and round(page.get_height()) == 842  # A4
            page.render(scale=1.4).to_pil().save(SHOTS / f"summary-poster-{band.band}.png")
            page.close()
    finally:
        pdf.close()
    pages = {f"/{b.band}": render_summary(pub, pledges, band=b.band) for b in pub.bands}
    pages["/cy"] = render_summary(pub, pledges, band="11-18", locale="cy")
    with serve(static_site(pages)) as base:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        for path in pages:
            page.goto(base + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways
            screenshot(page, f"summary-phone{path.replace('/', '-')}", full_page=True)
            serious = axe_scan(page, f"summary{path.replace('/', '-')}")
            assert not serious, describe(serious)
        context.close()
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(base + "/8-11")
        screenshot(page, "summary-desktop-8-11", full_page=True)
        context.close()
