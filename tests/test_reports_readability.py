"""The staff report reads plainly: against whom a flag is, weeks as dates, "not enough" once."""

from __future__ import annotations

import re

import pytest

from chatsurvey.reports import flags
from chatsurvey.reports.publish import publish
from chatsurvey.reports.rules import Rules
from tests.test_reports_properties import build, html_text, pdf_text

RULES = Rules()


def _data(council_n: int, bands=("4-7", "8-11", "11-18")) -> dict:
    return {"bands": list(bands), "council": {b: {"n": council_n, "p": 0.5, "skip": 0.0}
                                              for b in bands},
            "others": {b: {"n": 45, "p": 0.5, "skip": 0.0} for b in bands}, "previous": None,
            "open": False, "pool": 3, "seed": 7, "comments": []}


@pytest.fixture
def report_app(make_app):
    app = make_app()
    with app.test_request_context():
        yield app


def test_weeks_are_dates():
    from chatsurvey.reports.response_rates import week_label

    assert week_label("2026-W49") == "Week of 30 Nov 2026"
    assert week_label("2027-W01") == "Week of 4 Jan 2027"


def test_a_flag_says_against_whom():
    from chatsurvey.reports.charts import _flag_text

    pub = publish(build(_data(40)), RULES)
    rows = [r for b in pub.bands for r in b.rows]
    row = rows[0]
    import dataclasses

    mine = dataclasses.replace(row, flag_others=flags.IMPROVE, flag_general=flags.SIMILAR)
    assert _flag_text(mine)[0] == "\u25bc Improve vs other councils"
    mine = dataclasses.replace(row, flag_others=flags.SIMILAR, flag_general=flags.BRIGHT)
    assert _flag_text(mine)[0] == "\u2605 Bright Spot vs in general"


def test_a_tiny_councils_report_says_not_enough_once_per_band(report_app):
    from chatsurvey.reports.render_html import NOT_ENOUGH, render_staff
    from chatsurvey.reports.render_pdf import render_pdf

    pub = publish(build(_data(6)), RULES)
    assert all(b.nothing_shown for b in pub.bands)
    html = html_text(render_staff(pub))
    assert html.count(NOT_ENOUGH[:40]) == 3
    assert html.lower().count("not enough answers") <= 1  # the skipped-questions section
    pdf = render_pdf(pub)
    text = pdf_text(pdf)
    assert " ".join(text.split()).count(" ".join(NOT_ENOUGH[:40].split())) == 3


ALL = ("4-7", "8-11", "11-18", "16-25")


@pytest.mark.parametrize(("bands", "n"), [  # each left a heading at a page's foot before
    (ALL, 12), (ALL, 20), (ALL, 35), (("11-18", "16-25"), 25), (("11-18", "16-25"), 40),
    (("8-11",), 25)])
def test_no_heading_is_left_at_the_foot_of_a_pdf_page(report_app, bands, n):
    import pypdfium2 as pdfium

    from chatsurvey.reports.render_pdf import render_pdf

    pub = publish(build(_data(n, bands=bands)), RULES)
    headings = {"Who took part", "How to read this report", "At a glance", "Bright Spots",
                "Areas for improvement", "Questions young people skipped most",
                "In their own words", "Keeping young people anonymous",
                "Relationships", "Resilience", "Rights", "Recovery", "Well-being"}
    headings |= {b.title for b in pub.bands}
    doc = pdfium.PdfDocument(render_pdf(pub))
    try:
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            lines = [ln.strip() for ln in textpage.get_text_range().splitlines() if ln.strip()]
            textpage.close()
            page.close()
            last = [ln for ln in lines if not re.fullmatch(r"\d+", ln)][-1:]
            assert not (last and last[0] in headings), (i + 1, last)
    finally:
        doc.close()


def test_the_same_or_higher_reading_is_shown_beside_the_test_and_the_method_says_which():
    report = build(_data(40, bands=("8-11", "11-18", "16-25")))
    pub = publish(report, RULES)
    compared = 0
    for band, exact in zip(pub.bands, report.bands, strict=True):
        for row, result in zip(band.rows, exact.indicators, strict=True):
            if row.general is None or not row.council.percent.shown:
                assert row.general_reading in ("", flags.NOT_COMPARED)
                continue
            compared += 1
            share = result.council.positive / result.council.answered
            assert row.general_reading == (flags.AT_OR_ABOVE if share >= result.comparator.value
                                           else flags.BELOW)
            if row.flag_general == flags.BRIGHT:
                assert row.general_reading == flags.AT_OR_ABOVE  # the test is the stricter
    assert compared
    assert "calls a Bright Spot only what the test supports" in pub.method


def test_each_general_figure_says_where_it_comes_from_and_when(report_app):
    """Beside each figure for young people in general: its source and the year its data were
    collected, and a list of sources; where no figure covers the age band, the report says so."""
    from chatsurvey.reports.render_html import NO_GENERAL, render_staff
    from chatsurvey.reports.render_pdf import render_pdf

    pub = publish(build(_data(40, bands=("8-11", "11-18", "16-25"))), RULES)
    rows = {(b.band, r.key): r for b in pub.bands for r in b.rows}
    assert rows[("8-11", "has_good_friend")].general is None  # a 16-24 figure: not for 8-10s
    assert rows[("11-18", "has_good_friend")].general is None
    lonely = rows[("16-25", "lonely")].general
    assert lonely is not None and "data collected in 2016-17" in lonely.short
    young = rows[("11-18", "life_satisfaction")].general
    assert young is not None and young.percent == 91
    refs = {s.ref: s for s in pub.general_sources}
    assert sorted(refs) == list(range(1, len(refs) + 1))
    for row in rows.values():
        if row.general is not None:
            assert row.general.ref in refs
    assert "10,000 Voices" in refs[young.ref].citation
    assert "The year the data were collected is not given." in refs[young.ref].citation
    assert "collection year not given" in young.short
    assert refs[lonely.ref].urls[0].startswith("https://")
    assert len(refs[young.ref].urls) == 2  # the report, and the news story quoting the figure

    html = html_text(render_staff(pub))
    assert NO_GENERAL in html
    assert "Office for National Statistics (ONS); data collected in 2016-17" in html
    assert "Where the figures for young people in general come from" in html
    assert refs[lonely.ref].urls[0] in html
    raw = pdf_text(render_pdf(pub))
    for source in pub.general_sources:  # whole, broken only after a "/", never in a number
        for url in source.urls:
            assert re.search(r"/\s*".join(map(re.escape, url.split("/"))), raw), url
    pdf = re.sub(r"\ufffe\s*", "-", raw)  # a hyphen at a line's end
    pdf = " ".join(pdf.split())
    assert NO_GENERAL in pdf
    assert "Where the figures for young people in general come from" in pdf
    assert "data collected in 2016-17" in pdf
    assert "10,000 Voices" in pdf


def test_the_docs_say_which_reading_of_the_general_figure_the_report_uses():
    from tests.helpers import PROJECT

    docs = " ".join((PROJECT / "docs" / "reports.md").read_text().split())
    assert "at or above the general figure" in docs
    assert "calls a Bright Spot only" in docs


def test_the_staff_report_fits_a_phone_its_wide_tables_scroll_in_their_own_box(report_app,
                                                                                browser):
    """At 390 px the page never scrolls sideways: each wide table scrolls inside a labelled box
    a keyboard can reach, and its rows keep their height (no cell squeezed to a word a line)."""
    from chatsurvey.reports.render_html import render_staff
    from tests.browser import axe_scan, describe, screenshot, serve, static_site

    pub = publish(build(_data(40, bands=("8-11", "11-18", "16-25"))), RULES)
    with serve(static_site({"/staff": render_staff(pub)})) as base:
        for width in (390, 1280):
            context = browser.new_context(viewport={"width": width, "height": 844})
            page = context.new_page()
            page.goto(base + "/staff")
            screenshot(page, f"report-staff-{width}", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            boxes = page.locator(".table-scroll")
            assert boxes.count() >= 3
            for i in range(boxes.count()):
                box = boxes.nth(i)
                assert box.get_attribute("tabindex") == "0" and box.get_attribute("aria-label")
            tallest = page.evaluate("Math.max(...[...document.querySelectorAll("
                                    "'table.results tbody tr')].map(r => r.offsetHeight))")
            assert tallest < 200, tallest
            serious = axe_scan(page, f"report-staff-{width}")
            assert not serious, describe(serious)
            context.close()
