"""The printable blank questionnaire: it asks what the paper entry form takes back.

For every age band's survey of the real flows: the PDF and the admin's entry form ask the
same questions, with the same answers, in the same order (both come from one function,
and this test reads both back: the form's HTML, the PDF's text by pdftotext). Large print
for 4 to 7, the council's logo, and where the paper goes back to. Its pages are drawn to
PNG (pdftoppm) in test-output/screenshots/paper-*.png for a person to look at.

Every language prints, each in its own script: Arabic, Farsi, Dari, Pashto and Kurdish
right to left, letters joined, the page mirrored; Tigrinya in a font with Ge'ez letters.
Those are read back with pdfium (a dev dependency, so they never skip), and their first
pages drawn to test-output/screenshots/paper-<flow>-<locale>-1.png.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image
from reportlab.lib.styles import ParagraphStyle

from chatsurvey.councils.actions import set_logo
from chatsurvey.councils.models import Tenant
from chatsurvey.engine.languages import same_letters
from chatsurvey.extensions import db
from chatsurvey.flows.publish import publish_directory
from chatsurvey.responses.paper import paper_fields, surveys
from chatsurvey.responses.questionnaire import (
    LARGE,
    NORMAL,
    print_size,
    questionnaire_pdf,
)
from chatsurvey.responses.typesetting import latin, seen_from_left, typesetter
from chatsurvey.rounds.models import SurveyRound
from tests.admin_helpers import make_user, sign_in
from tests.browser import SCREENSHOTS
from tests.helpers import PROJECT, open_round, seed_tenant

POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="LOUD SKIP: poppler-utils (pdftotext, "
                                   "pdftoppm) is not installed: make browser-deps installs it")


@pytest.fixture
def council(app):
    """A Welsh council with a logo and a return address, and a round on the real entry flow."""
    with app.app_context():
        tenant = seed_tenant("powys")
        tenant.country, tenant.locales = "wales", ["en", "cy"]
        tenant.branding = {**tenant.branding, "display_name": "Powys",
                           "paper_return": "Participation Team\nCounty Hall\nLD1 5LG"}
        versions = {v.flow_id: v for v in publish_directory(PROJECT / "flows")}
        survey_round = open_round(tenant, versions["your-life"])
        logo = Image.new("RGB", (300, 120), (0, 94, 165))
        logo.paste((255, 221, 0), (20, 20, 100, 100))
        from io import BytesIO

        out = BytesIO()
        logo.save(out, format="PNG")
        set_logo(tenant, out.getvalue())
        admin = make_user("council-admin", tenant, email="admin@powys.example")
        return {"round_id": survey_round.id, "tenant_id": tenant.id, "admin": admin.email}


def pdf_text(pdf: bytes, tmp_path) -> str:
    (tmp_path / "q.pdf").write_bytes(pdf)
    subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "q.pdf"), str(tmp_path / "q.txt")],
                   check=True, timeout=60)
    return " ".join((tmp_path / "q.txt").read_text().split())


def in_order(text: str, parts: list[str]) -> list[str]:
    """The parts not found in ``text`` one after another (empty when all are, in order)."""
    missing, at = [], 0
    for part in parts:
        found = text.find(" ".join(part.split()), at)
        if found < 0:
            missing.append(part)
        else:
            at = found + len(part)
    return missing


def form_fields_from_html(html: str) -> list[tuple[str, list[str]]]:
    """(field name, [values]) of the entry form, in the order it shows them."""
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<(?:input|textarea)[^>]*?name="(q_[^"]+)"(?:[^>]*?value="'
                                  r'([^"]*)")?', html):
        fields.setdefault(name, [])
        if value:
            fields[name].append(unescape(value))
    return list(fields.items())


def test_the_youngest_get_large_print():
    assert print_size("4-7") is LARGE and print_size("16-25") is NORMAL
    assert LARGE.body >= 18 and LARGE.box > NORMAL.box


@needs_poppler
def test_every_paper_asks_what_the_entry_form_takes_back(app, client, council, tmp_path):
    sign_in(client, council["admin"])
    round_page = client.get(f"/admin/rounds/{council['round_id']}").get_data(as_text=True)
    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        flows = surveys(survey_round)
        assert {"ylyc-4-7", "ylyc-8-11", "ylyc-11-18", "ylbc-16-25"} <= set(flows)
        for flow_id, flow in flows.items():
            fields = paper_fields(flow)
            form = client.get(f"/admin/rounds/{council['round_id']}/paper?flow={flow_id}")
            shown = form_fields_from_html(form.get_data(as_text=True))
            assert [name for name, _ in shown] == [f.name for f in fields], flow_id
            for (_, values), field in zip(shown, fields, strict=True):
                if field.ask not in ("text", "number", "scale"):
                    assert values == [o.value for o in field.options], field.key
            url = f"/admin/rounds/{council['round_id']}/paper/{flow_id}/en.pdf"
            assert url in round_page
            with client.get(url) as response:
                assert response.status_code == 200 and response.mimetype == "application/pdf"
                text = pdf_text(response.data, tmp_path)
            expected = []
            for number, field in enumerate(fields, start=1):
                expected.append(f"{number}. {field.prompt}")
                expected += [o.label for o in field.options]
            assert not in_order(text, expected), (flow_id, in_order(text, expected)[:5])
            assert "Participation Team County Hall LD1 5LG" in text
            assert "Do not write your name" in text


@needs_poppler
def test_the_paper_has_the_logo_and_is_drawn_for_a_person_to_look_at(app, council, tmp_path):
    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        flows = surveys(survey_round)
        tenant = db.session.get(Tenant, council["tenant_id"])
        for flow_id, locale in (("ylyc-4-7", "en"), ("ylyc-4-7", "cy"), ("ylbc-16-25", "en")):
            pdf = questionnaire_pdf(survey_round, flows[flow_id], locale,
                                    tenant.branding["paper_return"])
            assert b"/Subtype /Image" in pdf  # the logo
            (tmp_path / "q.pdf").write_bytes(pdf)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            subprocess.run(["pdftoppm", "-png", "-r", "60", str(tmp_path / "q.pdf"),
                            str(SCREENSHOTS / f"paper-{flow_id}-{locale}")], check=True,
                           timeout=120)
        assert (SCREENSHOTS / "paper-ylyc-4-7-en-01.png").exists() or (
            SCREENSHOTS / "paper-ylyc-4-7-en-1.png").exists()


SCRIPTS = {"ar": "NotoNaskhArabic", "fa": "NotoNaskhArabic", "ps": "NotoNaskhArabic",
           "prs": "NotoNaskhArabic", "ckb": "NotoNaskhArabic", "ti": "NotoSansEthiopic"}


LAM_ALEF = re.compile("ل[اأإآ]")
RELIABLE = re.compile("[^\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc0-9]")


def read_back(text: str, printed: bool) -> str:
    """The letters of ``text`` that pdfium reads back faithfully, in order. A joined form
    that has no character of its own in the font reads back as a private-use character
    (reportlab's): lam-alef, and the letters of Pashto and Kurdish that have no joined forms
    in Unicode (ټ ښ ڕ ێ ...); pdfium places brackets, spaces and Latin words ("(plan
    pathway(") in a right-to-left line as it guesses. So only the letters of Arabic and
    Farsi (folded as chatsurvey compares them: ە is ه) and digits count: the order of
    those still shows whether the words and lines came out as written."""
    if not printed:
        text = LAM_ALEF.sub("", text)
    return RELIABLE.sub("", same_letters(text))


def in_order_read_back(text: str, parts: list[str]) -> list[str]:
    """The parts not read back from the PDF's ``text`` one after another (empty when all
    are)."""
    letters = read_back(text, printed=True)
    return in_order(letters, [read_back(part, printed=False) for part in parts])


def pdfium_text(pdf: bytes) -> str:
    """The PDF's words as pdfium reads them back (right-to-left runs in written order)."""
    document = pdfium.PdfDocument(pdf)
    pages = [page.get_textpage().get_text_range() for page in document]
    return " ".join(" ".join(pages).split())


def tick_boxes(pdf: bytes, size: float) -> list[tuple[float, float]]:
    """(left, right) of each tick box drawn on the PDF's first page."""
    page = pdfium.PdfDocument(pdf)[0]
    boxes = []
    for drawn in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=4):
        left, bottom, right, top = drawn.get_bounds()
        if abs((right - left) - size) < 2 and abs((top - bottom) - size) < 2:
            boxes.append((left, right))
    return boxes


@pytest.mark.parametrize("locale", sorted(SCRIPTS))
def test_every_language_prints_in_its_own_script_in_the_order_it_is_written(app, council,
                                                                           locale):
    """Right-to-left and Ge'ez-script papers print (they were refused, or printed Tigrinya
    in a font without its letters), and read back word for word in written order."""
    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        for flow_id, flow in surveys(survey_round).items():
            pdf = questionnaire_pdf(survey_round, flow, locale, "Participation Team")
            assert SCRIPTS[locale].encode() in pdf  # the font with the language's letters
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            pdfium.PdfDocument(pdf)[0].render(scale=1.2).to_pil().save(
                SCREENSHOTS / f"paper-{flow_id}-{locale}-1.png")  # for a person to look at
            text = pdfium_text(pdf)
            parts = []
            for number, field in enumerate(paper_fields(flow, locale), start=1):
                parts.append(f"{number}. {field.prompt}")
                if field.ask != "faces":  # side by side, a label on two lines reads back
                    parts += [option.label for option in field.options]  # line by line
            if locale == "ti":
                assert not in_order(text, parts), (flow_id, in_order(text, parts)[:5])
            else:
                # pdfium guesses a few pieces' places wrong (a word it reads back on the next
                # line); words or lines out of order would miss far more than one in ten
                missing = in_order_read_back(text, parts)
                assert len(missing) <= len(parts) // 10, (flow_id, len(missing), missing[:5])
            if locale == "ar":
                assert "Participation Team" in text


@pytest.mark.parametrize("locale", ["ar", "fa", "ckb"])
def test_right_to_left_the_page_is_mirrored(app, council, locale):
    """Every tick box stands where the English paper's would in a mirror: on the right of
    its answer, the scales starting from the right margin."""
    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        flow = surveys(survey_round)["ylyc-11-18"]
        english = questionnaire_pdf(survey_round, flow, "en")
        pdf = questionnaire_pdf(survey_round, flow, locale)
    width = pdfium.PdfDocument(pdf)[0].get_width()
    lefts = {round(left) for left, _ in tick_boxes(english, NORMAL.box)}
    mirrored = {round(width - right) for _, right in tick_boxes(pdf, NORMAL.box)}
    assert len(lefts) > 10 and mirrored == lefts, (sorted(mirrored), sorted(lefts))


def test_a_right_to_left_line_reads_from_the_right():
    """A line as the eye meets it from the left: the question's number on the right, a
    phone number and a name in Latin letters reading left to right, brackets the right way
    round, Farsi's zero-width non-joiner kept; lines broken in written order."""
    line = "1. يمكنك أن تتصل بـ Childline (PA) مجانا على 0800 1111."
    seen = seen_from_left(line).split(" ")
    assert seen[-1] == ".1"  # the number on the right, its full stop after it (to its left)
    assert seen[-2] == "يمكنك"[::-1]  # the first word next to it
    # the sentence ends on the left with its full stop; the phone number keeps its order
    assert seen[:3] == [".0800", "1111", "على"[::-1]]
    assert seen.index("(PA)") == seen.index("Childline") + 1  # "Childline (PA)"
    assert seen_from_left("می\u200cخواهم") == "می\u200cخواهم"[::-1]
    style = typesetter("ar").style(ParagraphStyle("x", fontName=latin().regular.name,
                                                  fontSize=12))
    lines = typesetter("ar").lines(" ".join(["كلمة"] * 40 + ["آخر"]), style, 200)
    assert len(lines) > 2 and lines[-1].endswith("آخر")  # broken as written, then ordered


def test_a_long_right_to_left_paragraph_reads_top_line_first():
    """Broken into lines before each is ordered: its first words on the top line, read from
    the right (ordering first would print the last words on top)."""
    from io import BytesIO

    from reportlab.lib.pagesizes import A6
    from reportlab.platypus import SimpleDocTemplate

    setter = typesetter("ar")
    style = setter.style(ParagraphStyle("x", fontName=latin().regular.name, fontSize=12,
                                        leading=16))
    out = BytesIO()
    text = " ".join(f"كلمة {n}" for n in range(1, 31))
    SimpleDocTemplate(out, pagesize=A6).build([setter.paragraph(text, style)])
    read = pdfium_text(out.getvalue())
    assert read.count("كلمة") == 30
    assert [int(n) for n in re.findall(r"\d+", read)] == list(range(1, 31)), read


def ink_runs(png: Image.Image) -> int:
    """How many separate stretches of ink a line of writing has, from left to right."""
    grey = png.convert("L")
    columns = [any(grey.getpixel((x, y)) < 128 for y in range(grey.height))
               for x in range(grey.width)]
    return sum(1 for x, inked in enumerate(columns) if inked and (x == 0 or not columns[x - 1]))


@pytest.mark.parametrize(("name", "word"), [("ar", "تتكلم"), ("fa", "بفهمیم"), ("ps", "پښتنې")])
def test_arabic_letters_are_joined(name, word):
    """A word's letters print joined, as one stroke: unjoined, each letter stands apart."""
    from io import BytesIO

    from reportlab.lib.pagesizes import A6
    from reportlab.platypus import SimpleDocTemplate

    setter = typesetter("ar")
    style = setter.style(ParagraphStyle("x", fontName=latin().regular.name, fontSize=40,
                                        leading=60))
    out = BytesIO()
    SimpleDocTemplate(out, pagesize=A6).build([setter.paragraph(word, style)])
    page = pdfium.PdfDocument(out.getvalue())[0].render(scale=2).to_pil()
    ink = page.crop(page.convert("L").point(lambda v: 255 - v).getbbox())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ink.save(SCREENSHOTS / f"paper-joined-{name}.png")
    assert ink_runs(ink) == 1



def test_the_round_page_offers_the_right_to_left_papers(app, client, council):
    """The admin lists and serves every offered language's paper (it left out right-to-left
    ones)."""
    with app.app_context():
        tenant = db.session.get(Tenant, council["tenant_id"])
        tenant.locales = ["en", "ar", "fa", "ti"]
        db.session.commit()
    sign_in(client, council["admin"])
    round_page = client.get(f"/admin/rounds/{council['round_id']}").get_data(as_text=True)
    for locale in ("ar", "fa", "ti"):
        url = f"/admin/rounds/{council['round_id']}/paper/ylyc-8-11/{locale}.pdf"
        assert url in round_page
        with client.get(url) as response:
            assert response.status_code == 200 and response.mimetype == "application/pdf"
