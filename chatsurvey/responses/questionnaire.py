"""A blank paper questionnaire to print and post: one age band's survey, in one language.

It asks exactly what the admin's paper-entry form takes back, in the same order, with the
same answers (both come from `chatsurvey.responses.paper.paper_fields`), so the staff who
type it in find each tick where they expect it. A tick box beside every answer; faces
drawn as faces; lines to write on. Large print for 4 to 7 year olds. The council's logo at
the top (`chatsurvey.councils.logo.council_logo`), and at the end where the paper goes
back to. The paper's own words come from web.po, like the chat page's.

Every language chatsurvey speaks prints, each in its own script
(`chatsurvey.responses.typesetting`): Arabic-script languages with their letters joined,
and right to left the whole page is mirrored: words right-aligned, each tick box on the
right of its answer, the faces and numbers of a scale starting from the right, the logo on
the right.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

from reportlab.graphics.shapes import Circle, Drawing, PolyLine, Rect
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from chatsurvey.councils.logo import council_logo
from chatsurvey.engine import Flow
from chatsurvey.i18n import page_text
from chatsurvey.responses.paper import PaperField, paper_fields
from chatsurvey.responses.typesetting import Typesetter, latin, typesetter
from chatsurvey.rounds.models import SurveyRound

INK = colors.HexColor("#0b0c0c")
LARGE_PRINT_BANDS = ("4-7",)


class NotPrintable(ValueError):
    """This survey cannot be printed in this language (the message says why, for staff)."""


@dataclass(frozen=True)
class Print:
    """Sizes for one paper: normal, or large print for the youngest."""

    body: float
    box: float
    face: float

    @property
    def leading(self) -> float:
        return self.body * 1.3


NORMAL = Print(body=12, box=5 * mm, face=13 * mm)
LARGE = Print(body=18, box=8 * mm, face=20 * mm)


def print_size(age_band: str | None) -> Print:
    """Large print for the youngest band, normal for the others."""
    return LARGE if age_band in LARGE_PRINT_BANDS else NORMAL


@dataclass(frozen=True)
class Setting:
    """One paper's print size and its language's typesetting."""

    size: Print
    words: Typesetter
    styles: dict[str, ParagraphStyle]

    @property
    def rtl(self) -> bool:
        return self.words.rtl

    def para(self, text: str, style: str) -> Flowable:
        return self.words.paragraph(text, self.styles[style])

    def row(self, cells: list) -> list:
        """A table row's cells from the left: as given, or mirrored right to left."""
        return cells[::-1] if self.rtl else cells

    @property
    def side(self) -> Literal["LEFT", "RIGHT"]:
        """Where a table sits on the page: the side the language starts from."""
        return "RIGHT" if self.rtl else "LEFT"


def _styles(size: Print, words: Typesetter) -> dict[str, ParagraphStyle]:
    regular, bold = latin().regular.name, latin().bold.name
    styles = {
        "title": ParagraphStyle("title", fontName=bold, fontSize=size.body * 1.6,
                                leading=size.body * 2, textColor=INK, spaceAfter=size.body / 2),
        "body": ParagraphStyle("body", fontName=regular, fontSize=size.body,
                               leading=size.leading, textColor=INK, spaceAfter=size.body / 2),
        "question": ParagraphStyle("question", fontName=bold, fontSize=size.body,
                                   leading=size.leading, textColor=INK,
                                   spaceBefore=size.body, spaceAfter=size.body / 2),
        "answer": ParagraphStyle("answer", fontName=regular, fontSize=size.body,
                                 leading=size.leading, textColor=INK),
        "centred": ParagraphStyle("centred", fontName=regular, fontSize=size.body * 0.85,
                                  leading=size.leading * 0.85, textColor=INK, alignment=1),
    }
    return {name: words.style(style) for name, style in styles.items()}


def tick_box(size: Print) -> Drawing:
    box = Drawing(size.box, size.box)
    square = Rect(0.5, 0.5, size.box - 1, size.box - 1)
    square.strokeColor, square.strokeWidth, square.fillColor = INK, 1.2, colors.white
    box.add(square)
    return box


def face(value: int, width: float) -> Drawing:
    """Face 1 (very sad) to 5 (very happy): a circle, two eyes, a mouth that bends."""
    drawing = Drawing(width, width)
    r = width / 2 - 1
    drawing.add(Circle(width / 2, width / 2, r, strokeColor=INK, strokeWidth=1.2,
                       fillColor=colors.HexColor("#fcea2b")))
    for x in (width * 0.36, width * 0.64):
        drawing.add(Circle(x, width * 0.6, width * 0.05, fillColor=INK, strokeColor=INK))
    bend = (value - 3) / 2  # -1 sad .. 1 happy
    points: list[float] = []
    for i in range(9):
        t = i / 8 * 2 - 1
        points += [width / 2 + t * width * 0.22, width * 0.32 - bend * (1 - t * t) * width * 0.1]
    drawing.add(PolyLine(points, strokeColor=INK, strokeWidth=1.5))
    return drawing


def _faces(field: PaperField, s: Setting) -> Table:
    size = s.size
    row_faces = [face(int(o.value), size.face) for o in field.options]
    row_words = [s.para(o.label, "centred") for o in field.options]
    row_boxes = [tick_box(size) for _ in field.options]
    table = Table([s.row(row_faces), s.row(row_words), s.row(row_boxes)], hAlign=s.side,
                  colWidths=[size.face + 6 * mm] * len(field.options))
    table.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER"),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def _scale(field: PaperField, s: Setting) -> list:
    size = s.size
    low, high = field.min or 0, field.max if field.max is not None else 10
    numbers = list(range(low, high + 1))
    table = Table([s.row([s.para(str(n), "centred") for n in numbers]),
                   [tick_box(size) for _ in numbers]], hAlign=s.side,
                  colWidths=[max(size.box + 3 * mm, size.body * 1.8)] * len(numbers))
    table.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 1),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 1)]))
    out: list = [table]
    if field.min_label and field.max_label:
        out.insert(0, s.para(f"{low} = {field.min_label} · {high} = {field.max_label}",
                             "answer"))
    return out


def _tick_rows(labels: list[str], s: Setting) -> Table:
    """A tick box beside each label: on its left, or on its right right to left."""
    rows = [s.row([tick_box(s.size), s.para(label, "answer")]) for label in labels]
    table = Table(rows, hAlign=s.side, colWidths=s.row([s.size.box + 4 * mm, None]))
    boxes = -1 if s.rtl else 0
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("ALIGN", (boxes, 0), (boxes, -1), s.side),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), s.size.body / 3),
                               (f"{s.side}PADDING", (0, 0), (-1, -1), 0)]))
    return table


def _write_here(lines: int, s: Setting, width: float) -> Table:
    table = Table([[""] for _ in range(lines)], colWidths=[width],
                  rowHeights=[s.size.leading * 1.6] * lines, hAlign=s.side)
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.8, INK)]))
    return table


def _answer_space(field: PaperField, s: Setting, _) -> list:
    if field.ask == "faces":
        return [_faces(field, s)]
    if field.ask == "scale":
        return _scale(field, s)
    if field.ask == "number":
        return [_write_here(1, s, 40 * mm)]
    if field.ask == "text":
        return [_write_here(5, s, 160 * mm)]
    hint = [s.para(_("Tick all that fit."), "answer")] if field.ask == "multi" else []
    return [*hint, _tick_rows([o.label for o in field.options], s)]


def _header(survey_round: SurveyRound, s: Setting) -> list:
    tenant = survey_round.tenant
    logo = council_logo(tenant.id)
    name = s.para(tenant.display_name, "question")
    if logo is None:
        return [name]
    height = 18 * mm
    width = min(60 * mm, height * logo.width / logo.height)
    picture = Image(io.BytesIO(logo.png), width=width, height=width * logo.height / logo.width)
    table = Table([s.row([picture, name])], hAlign=s.side,
                  colWidths=s.row([width + 5 * mm, None]))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               (f"{s.side}PADDING", (0, 0), (-1, -1), 0)]))
    return [table]


def questionnaire_pdf(survey_round: SurveyRound, flow: Flow, locale: str,
                      send_to: str = "") -> bytes:
    """The blank questionnaire of ``flow`` in ``locale`` for ``survey_round``, as a PDF.
    ``send_to`` is where the paper goes back to (the round's return address, if set)."""
    if locale not in flow.locales:
        raise NotPrintable(f"{flow.title} is not written in {locale}.")
    _ = page_text(locale)
    size = print_size(flow.age_band)
    words = typesetter(locale)
    s = Setting(size, words, _styles(size, words))
    tenant = survey_round.tenant
    story: list = [*_header(survey_round, s),
                   s.para(_("A survey about how things are for you"), "title"),
                   s.para(_("Do not write your name. Nobody will know these answers are yours."),
                          "body"),
                   s.para(_("Tick a box for each question. You can leave out any question."),
                          "body")]
    if size is LARGE:
        story.append(s.para(_("A grown-up you trust can read this with you."), "body"))
    story.append(_tick_rows([_("I want to fill this in.")], s))
    for number, field in enumerate(paper_fields(flow, locale), start=1):
        question = [s.para(f"{number}. {field.prompt}", "question"),
                    *_answer_space(field, s, _)]
        story += [CondPageBreak(size.face * 2), KeepTogether(question)]
    thanks = _("Thank you! When you have finished, give this back to the person who gave it "
               "to you. They will send it to %(council)s.", council=tenant.display_name)
    ending: list[Flowable] = [s.para(thanks, "question")]
    ending += [s.para(line, "body") for line in send_to.strip().splitlines()]
    story += [Spacer(1, size.body), KeepTogether(ending)]
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                                 topMargin=15 * mm, bottomMargin=15 * mm, lang=locale,
                                 title=f"{flow.title} – {tenant.display_name}",
                                 author=tenant.display_name, creator="chatsurvey")
    document.build(story)
    return out.getvalue()
