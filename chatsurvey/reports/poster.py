"""The young people's summary as an A4 poster PDF: one page per age band, with its pictures.

Drawn with ReportLab (as the staff PDF is); the OpenMoji pictures are the
vendored SVG files, turned into ReportLab drawings by svglib. Everything on
the page comes from :mod:`.summary` (the same words as the web page).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from chatsurvey.reports.model import Published
from chatsurvey.reports.render_pdf import fonts

BLUE, GREEN, ORANGE, PURPLE = "#1d5d90", "#00703c", "#c35400", "#6f2c91"


@functools.cache
def _picture(folder: str, code: str, size: float) -> Any:
    """An OpenMoji picture as a drawing ``size`` points square (None if it cannot be read)."""
    from svglib.svglib import svg2rlg

    path = Path(folder) / f"{code}.svg"
    drawing = svg2rlg(str(path)) if path.is_file() else None
    if drawing is None or not drawing.width:
        return None
    scale = size / drawing.width
    drawing.scale(scale, scale)
    drawing.width, drawing.height = size, size
    return drawing


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    return {
        "title": ParagraphStyle("t", fontName=bold, fontSize=26, leading=30,
                                textColor=colors.HexColor(BLUE)),
        "band": ParagraphStyle("b", fontName=bold, fontSize=16, leading=20,
                               textColor=colors.HexColor(BLUE), spaceAfter=4),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=15, leading=18, keepWithNext=1),
        "body": ParagraphStyle("p", fontName=regular, fontSize=11.5, leading=15, spaceAfter=2),
        "item": ParagraphStyle("i", fontName=regular, fontSize=11.5, leading=14),
        "small": ParagraphStyle("s", fontName=regular, fontSize=8, leading=10,
                                textColor=colors.HexColor("#505a5f")),
    }


class _Page:
    """Builds one band's page."""

    def __init__(self, icons: Path, styles: dict[str, ParagraphStyle], width: float) -> None:
        self.icons, self.styles, self.width = str(icons), styles, width

    def para(self, text: str, style: str = "body") -> Paragraph:
        return Paragraph(escape(text), self.styles[style])

    def heading(self, code: str, text: str) -> Table:
        return self._row(code, self.para(text, "h2"), 24)

    def _row(self, code: str, flowable: Any, size: float) -> Table:
        picture = _picture(self.icons, code, size) or ""
        table = Table([[picture, flowable]], colWidths=[size + 8, self.width - size - 34])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        return table

    def items(self, items: Sequence) -> list:
        return [self._row(i.icon, Paragraph(f"<b>{escape(i.label)}</b> {escape(i.many)}",
                                            self.styles["item"]), 22) for i in items]

    def card(self, colour: str, parts: list) -> KeepTogether:
        table = Table([[parts]], colWidths=[self.width])
        table.setStyle(TableStyle([
            ("BOX", (0, 0), (-1, -1), 2.5, colors.HexColor(colour)),
            ("ROUNDEDCORNERS", [8, 8, 8, 8]),
            ("LEFTPADDING", (0, 0), (-1, -1), 10), ("RIGHTPADDING", (0, 0), (-1, -1), 10),
            ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        return KeepTogether([table, Spacer(1, 3 * mm)])


def _band_story(page: _Page, pub: Published, b: Any, _: Callable[..., str]) -> list:
    p = page.para
    story: list = [p(_("What you told us"), "title"), p(b.heading, "band"),
                   p(_("Thank you for answering the survey about your life.") + " "
                     + _("No one can tell who said what."))]
    pledges: list[Flowable] = [page.heading("1F4DD", _("You said, we will"))]
    for pledge in b.pledges:
        pledges.append(Paragraph(f"<b>{escape(_('You said:'))}</b> {escape(pledge.you_said)}",
                                 page.styles["body"]))
        pledges.append(Paragraph(f"<b>{escape(_('We will:'))}</b> {escape(pledge.we_will)}",
                                 page.styles["body"]))
    if not b.pledges:
        pledges.append(p(_("We are making a plan with you. We will tell you about it soon.")))
    story.append(page.card(PURPLE, pledges))
    if b.nothing_shown:
        story.append(page.card(BLUE, [p(_(
            "Not many of you answered, so we cannot share the answers. That keeps you safe."
            " Thank you for telling us."))]))
        return story
    story.append(page.card(GREEN, [page.heading("1F31F", _("Good things")),
                                   *(page.items(b.good) or
                                     [p(_("We will keep listening to you."))])]))
    story.append(page.card(ORANGE, [page.heading("1F6E0", _("We need to do better")),
                                    *(page.items(b.work) or [p(_(
                                        "Nothing was worse than in other places. We will keep"
                                        " listening."))])]))
    if b.family:
        story.append(page.card(BLUE, [page.heading("1F46A", _("Seeing your family")), p(_(
            "Some of you want to see your family more. Some want less. The council cannot"
            " change this on its own. It will listen to you, and help where it can.")),
            *page.items(b.family)]))
    return story


def poster_pdf(out: IO[bytes], pub: Published, bands: Sequence, _: Callable[..., str],
               icons: Path, attribution: str) -> None:
    """Write the posters of ``bands`` (from summary.summaries) to ``out``."""
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm,
                            title=f"{_('What you told us')}: {pub.tenant_name}",
                            author=pub.tenant_name, lang=getattr(_, "lang", "en"))
    styles = _styles()
    page = _Page(icons, styles, doc.width)
    story: list = []
    for i, b in enumerate(bands):
        if i:
            story.append(PageBreak())
        if pub.final:
            story += _band_story(page, pub, b, _)
        else:
            story += [page.para(_("What you told us"), "title"), page.para(_(
                "The survey is not finished yet. Soon we will share what you told us here."))]
        story += [page._row("1F4DE", page.para(b.help), 26),
            page.para(f"{pub.tenant_name}. {attribution}", "small")]
    if not story:
        story.append(page.para(_("What you told us"), "title"))
    doc.build(story)
