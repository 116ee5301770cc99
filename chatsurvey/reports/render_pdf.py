"""The staff report as a PDF (ReportLab): the same sections, charts and tables as the HTML.

Charts are drawn from the same :func:`~.charts.layout` shapes as the SVG, so
both outputs show the same picture. Each chart is followed by its words (the
text alternative) and its table. Renders from a :class:`~.model.Published`.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from chatsurvey.reports import flags
from chatsurvey.reports.charts import WIDTH, Chart, band_charts, domain_name
from chatsurvey.reports.model import Published
from chatsurvey.reports.render_html import (
    NO_GENERAL,
    NOT_ENOUGH,
    SOURCES_INTRO,
    SOURCES_TITLE,
    count_text,
    flag_text,
    percent_text,
)

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


@cache
def fonts() -> tuple[str, str]:
    """(regular, bold) font names: DejaVu Sans where installed (it has ★ and ▼), else Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans",
                                          bold="DejaVuSans-Bold")  # <b> in paragraphs
            return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _plain(text: str) -> str:
    """Text safe for the font in use (Helvetica has no star or triangle)."""
    if fonts()[0] == "Helvetica":
        text = text.replace("\u2605", "*").replace("\u25bc", "v").replace("\u25b2", "^")
    return text


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", base["Title"], fontName=bold, fontSize=20, leading=24,
                                alignment=0),
        # keepWithNext: a heading never stands alone at the foot of a page
        "h2": ParagraphStyle("h2", base["Heading2"], fontName=bold, fontSize=15, leading=19,
                             spaceBefore=10, textColor=colors.HexColor("#1d5d90"),
                             keepWithNext=1),
        "h3": ParagraphStyle("h3", base["Heading3"], fontName=bold, fontSize=12, leading=15,
                             keepWithNext=1),
        "body": ParagraphStyle("b", base["BodyText"], fontName=regular, fontSize=9.5,
                               leading=13),
        "small": ParagraphStyle("s", base["BodyText"], fontName=regular, fontSize=8,
                                leading=10, textColor=colors.HexColor("#505a5f")),
        "cell": ParagraphStyle("c", base["BodyText"], fontName=regular, fontSize=7.5,
                               leading=9),
    }


def drawing(chart: Chart, width: float) -> Drawing:
    """A chart's shapes as a ReportLab drawing ``width`` points wide (y flipped)."""
    regular, bold = fonts()
    scale = width / WIDTH
    d = Drawing(width, chart.height * scale)
    height = chart.height

    def y(value: float) -> float:
        return (height - value) * scale

    for s in chart.shapes:
        a = s.args
        if s.kind == "rect":
            # The stub types Rect's **kw as the whole keyword dict, not Unpack[...] of it.
            d.add(Rect(a["x"] * scale, y(a["y"] + a["h"]), a["w"] * scale, a["h"] * scale,
                       fillColor=colors.HexColor(a["fill"]),  # pyright: ignore[reportArgumentType]
                       strokeColor=None))  # pyright: ignore[reportArgumentType]
        elif s.kind == "line":
            d.add(Line(a["x1"] * scale, y(a["y1"]), a["x2"] * scale, y(a["y2"]),
                       strokeColor=colors.HexColor(a["stroke"]),
                       strokeWidth=a["width"] * scale))
        elif s.kind == "poly":
            points = [v for x, yy in a["points"] for v in (x * scale, y(yy))]
            d.add(Polygon(points, fillColor=colors.HexColor(a["fill"]), strokeColor=None))
        elif s.kind == "text":
            anchor: Literal["start", "middle", "end"] = \
                "middle" if a.get("anchor") == "middle" else "end" if a.get("anchor") == "end" \
                else "start"
            d.add(String(a["x"] * scale, y(a["y"]), _plain(a["text"]),
                         fontName=bold if a.get("bold") else regular,
                         fontSize=a["size"] * scale, fillColor=colors.HexColor(a["fill"]),
                         textAnchor=anchor))
    return d


def _address(url: str, width: float, style: ParagraphStyle) -> str:
    """A web address as paragraph markup for a link, broken only after a "/" where a line is
    full (never inside a word or a number, as a paragraph breaks an address longer than a
    line)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, line = [], ""
    room = 0.95 * width  # a little spare: the paragraph's own measure differs slightly
    for part in re.findall(r"[^/]*/*", url):
        if line and stringWidth(line + part, style.fontName, style.fontSize) > room:
            lines.append(line)
            line = ""
        line += part
    lines.append(line)
    href = escape(url, {'"': "&quot;"})
    return "<br/>".join(f'<link href="{href}">{escape(line)}</link>' for line in lines if line)


def _table(rows: list[list], widths: list[float], styles, header: bool = True) -> Table:
    cells = [[Paragraph(escape(_plain(str(v))), styles["cell"]) for v in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
    table.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#b1b4b6")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef0f2")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
    return table


def render_pdf(pub: Published) -> bytes:
    """The staff report as PDF bytes."""
    styles = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm,
                            title=f"{pub.tenant_name}: {pub.round_name}",
                            author="chatsurvey", subject="Bright Spots well-being report",
                            lang="en-GB")
    width = doc.width
    story: list = []

    def p(text: str, style: str = "body") -> None:
        story.append(Paragraph(escape(_plain(text)), styles[style]))

    p(f"{pub.tenant_name}: {pub.round_name}", "title")
    p(f"Bright Spots well-being report for staff. Survey open {pub.opens_at:%-d %B %Y} to"
      f" {pub.closes_at:%-d %B %Y}; report made {pub.generated_at:%-d %B %Y}.")
    p("Who took part", "h2")
    line = f"{pub.total:,} young people answered"
    if pub.eligible_total:
        line += f" out of {pub.eligible_total:,} eligible"
        if pub.rate is not None:
            line += f": a response rate of {pub.rate}%"
    p(line + ".")
    for warning in pub.warnings:
        p("Warning: " + warning)
    if pub.is_open:
        p("This survey round is still open. Only the number of young people who have answered"
          " is shown until it closes.")
    elif not pub.final and pub.seals_at is not None:
        p("This survey round has closed. Young people who started before it closed can still"
          f" finish until {pub.seals_at:%-d %B %Y}; the results appear then, all at once, and"
          " do not change afterwards.")
    for t in pub.tables:
        p(t.title, "h3")
        head = ["Week" if t.id == "by-week" else "Age band", *t.col_labels]
        if t.row_totals:
            head.append("All")
        rows = [head]
        for i, label in enumerate(t.row_labels):
            row = [label, *map(count_text, t.cells[i])]
            if t.row_totals:
                row.append(count_text(t.row_totals[i]))
            rows.append(row)
        foot = ["All", *(map(count_text, t.col_totals) if t.col_totals else
                        [""] * (len(t.col_labels) - 1)), f"{t.total:,}"]
        rows.append(foot)
        story.append(_table(rows, [width / len(head)] * len(head), styles))
    p("\"c\": hidden to protect young people's privacy. Counts other than the total are rounded"
      " to the nearest 5, so they are \"about\" that many and may not add up to the total"
      " exactly.", "small")
    if pub.final:
        p("How to read this report", "h2")
        p(pub.method)
        for pool in pub.pools:
            p("Compared with: " + pool, "small")
        p("At a glance", "h2")
        p("Bright Spots", "h3")
        for h in pub.bright_spots or ():
            p(f"\u2605 {h.title}: {h.label}, {h.council}% compared with {h.comparison}% of"
              f" {h.against}.")
        if not pub.bright_spots:
            p("No result is clearly better than the comparison this time.")
        p("Areas for improvement", "h3")
        for h in pub.improvements or ():
            p(f"\u25bc {h.title}: {h.label}, {h.council}% compared with {h.comparison}% of"
              f" {h.against}.")
        if not pub.improvements:
            p("No result is clearly worse than the comparison this time.")
        widths = [w * width for w in (0.24, 0.09, 0.08, 0.13, 0.09, 0.17, 0.2)]
        for band in pub.bands:
            p(band.title, "h2")
            p(f"{count_text(band.responses)} young people in this age band answered"
              + (f" ({band.rate}% of those eligible)." if band.rate is not None else "."))
            if band.nothing_shown:
                p(NOT_ENOUGH)
                continue
            for domain, rows, chart in band_charts(band):
                story.append(KeepTogether([
                    Paragraph(escape(domain_name(domain)), styles["h3"]),
                    drawing(chart, width),
                    Paragraph(escape(_plain("In words: " + chart.description)),
                              styles["small"])]))
                table = [["Question", "Answered", "Skipped", "Your council (range)",
                          "Other councils", "In general", "Compared"]]
                for row in rows:
                    compared = "Other councils: " + flag_text(row.flag_others)
                    if row.general is not None:
                        compared += f"; in general: {flag_text(row.flag_general)}"
                        if row.general_reading in (flags.AT_OR_ABOVE, flags.BELOW):
                            compared += f" ({row.general_reading} the general figure)"
                    if row.change is not None:
                        compared += (f"; since {row.change.previous_round}"
                                     f" ({percent_text(row.change.percent)}):"
                                     f" {flag_text(row.change.verdict)}")
                    table.append([row.label, count_text(row.council.answered),
                                  count_text(row.council.skipped),
                                  percent_text(row.council.percent, True),
                                  percent_text(row.others.percent),
                                  f"{row.general.percent}% ({row.general.short};"
                                  f" source {row.general.ref})" if row.general else NO_GENERAL,
                                  compared])
                story.append(_table(table, widths, styles))
                story.append(Spacer(1, 4 * mm))
        if pub.general_sources:
            p(SOURCES_TITLE, "h2")
            p(SOURCES_INTRO)
            for s in pub.general_sources:
                text = escape(_plain(f"{s.ref}. {s.population}: \u201c{s.published}\u201d."
                                     f" {s.citation}"))
                story.append(Paragraph(text + "".join(
                    "<br/>" + _address(url, width, styles["small"]) for url in s.urls),
                    styles["small"]))
        p("Questions young people skipped most", "h2")
        rows = [["Question", "Age bands", "Asked", "Skipped", "Skip rate"]]
        rows += [[m.label, m.band, count_text(m.asked), count_text(m.skipped),
                  f"{m.rate}%" if m.rate is not None else "c"] for m in pub.missing]
        if pub.missing:
            story.append(_table(rows, [w * width for w in (0.46, 0.18, 0.12, 0.12, 0.12)],
                                styles))
        else:
            p("Not enough answers yet.")
        p("In their own words", "h2")
        for q in pub.quotes:
            p(f"\u201c{q.text}\u201d  A young person aged {q.band}, asked: {q.question}")
        if not pub.quotes:
            p("No comments have been checked and approved for this report yet.")
    p("Keeping young people anonymous", "h2")
    p(pub.rules_text)
    doc.build(story)
    return out.getvalue()
