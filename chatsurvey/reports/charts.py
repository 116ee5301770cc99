"""One chart per domain: the council's share against the comparisons, with its range.

A chart is laid out once as simple shapes (:func:`layout`), then drawn as
inline SVG for HTML (:func:`to_svg`) and as a ReportLab drawing for the PDF
(:mod:`.render_pdf`), so both outputs show exactly the same picture. Colour is
never the only signal: flags carry a symbol and a word, comparisons have
different marker shapes, and every chart has a title, a description and a
data table beside it.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from html import escape

from chatsurvey.reports.flags import BRIGHT, IMPROVE
from chatsurvey.reports.model import PBand, PRow

DOMAIN_NAMES = {"relationships": "Relationships", "resilience": "Resilience",
                "rights": "Rights", "recovery": "Recovery", "wellbeing": "Well-being"}

WIDTH = 860
LABEL_W = 300
PLOT_X0, PLOT_X1 = 312, 640
ROW_H = 42
TOP = 46
COUNCIL = "#1d5d90"
OTHERS = "#0b0c0c"
GENERAL = "#c35400"
GOOD = "#00703c"
BAD = "#b10e1e"
MUTED = "#505a5f"
TRACK = "#eef0f2"


def domain_name(domain: str) -> str:
    return DOMAIN_NAMES.get(domain, domain.capitalize())


@dataclass
class Shape:
    kind: str
    """rect, line, text or poly (coordinates with y growing downwards)."""
    args: dict = field(default_factory=dict)


@dataclass
class Chart:
    id: str
    title: str
    description: str
    height: int
    shapes: list[Shape]


def _x(percent: float) -> float:
    return PLOT_X0 + (PLOT_X1 - PLOT_X0) * percent / 100


def _flag_text(row: PRow) -> tuple[str, str] | None:
    """The chart's flag, saying against whom: other councils, or young people in general."""
    for verdict, mark, colour in ((BRIGHT, "\u2605 Bright Spot", GOOD),
                                  (IMPROVE, "\u25bc Improve", BAD)):
        against = [who for who, flag in (("other councils", row.flag_others),
                                          ("in general", row.flag_general)) if flag == verdict]
        if against:
            return f"{mark} vs {' and '.join(against)}", colour
    return None


def _describe_row(row: PRow) -> str:
    p = row.council.percent
    if not p.shown:
        reason = "not enough answers to show" if p.reason == "few" else "not shown, to protect"\
            " young people's privacy"
        return f"{row.label}: {reason}."
    parts = [f"{row.label}: {p.value}% (likely range {p.low} to {p.high}%)"]
    if row.others.percent.shown:
        parts.append(f"other councils {row.others.percent.value}%")
    if row.general is not None:
        parts.append(f"young people in general {row.general.percent}%")
    text = "; ".join(parts)
    flag = _flag_text(row)
    if flag:
        which = "other councils" if row.flag_others in (BRIGHT, IMPROVE) else \
            "young people in general"
        word = "a Bright Spot" if flag[1] == GOOD else "an area for improvement"
        text += f". {word.capitalize()} compared with {which}"
    return text + "."


def layout(band: PBand, domain: str, rows: list[PRow]) -> Chart:
    """The shapes of one domain's chart for one age band."""
    shapes: list[Shape] = []
    height = TOP + ROW_H * len(rows) + 34
    add = shapes.append
    # legend
    add(Shape("rect", {"x": 0, "y": 8, "w": 26, "h": 10, "fill": COUNCIL}))
    add(Shape("text", {"x": 32, "y": 17, "text": "Your council (line: likely range)",
                       "size": 11, "fill": OTHERS}))
    _diamond(shapes, 262, 13, OTHERS)
    add(Shape("text", {"x": 272, "y": 17, "text": "Other councils", "size": 11, "fill": OTHERS}))
    add(Shape("line", {"x1": 384, "y1": 5, "x2": 384, "y2": 21, "stroke": GENERAL, "width": 3}))
    add(Shape("text", {"x": 392, "y": 17, "text": "Young people in general", "size": 11,
                       "fill": OTHERS}))
    for tick in (0, 25, 50, 75, 100):
        x = _x(tick)
        add(Shape("line", {"x1": x, "y1": TOP - 6, "x2": x, "y2": height - 28,
                           "stroke": "#b1b4b6", "width": 0.5}))
        add(Shape("text", {"x": x, "y": height - 12, "text": f"{tick}%", "size": 10,
                           "fill": MUTED, "anchor": "middle"}))
    for i, row in enumerate(rows):
        top = TOP + i * ROW_H
        mid = top + ROW_H / 2
        lines = textwrap.wrap(row.label, 44)[:2]
        for j, line in enumerate(lines):
            add(Shape("text", {"x": 0, "y": mid + 4 + (j - (len(lines) - 1) / 2) * 14,
                               "text": line, "size": 11.5, "fill": OTHERS}))
        add(Shape("rect", {"x": PLOT_X0, "y": mid - 8, "w": PLOT_X1 - PLOT_X0, "h": 16,
                           "fill": TRACK}))
        p = row.council.percent
        if p.value is None or p.low is None or p.high is None:  # not shown
            words = "Not enough answers" if p.reason == "few" else "Not shown (privacy)"
            add(Shape("text", {"x": PLOT_X0 + 8, "y": mid + 4, "text": words, "size": 11,
                               "fill": MUTED}))
            continue
        add(Shape("rect", {"x": PLOT_X0, "y": mid - 6, "w": _x(p.value) - PLOT_X0, "h": 12,
                           "fill": COUNCIL}))
        add(Shape("line", {"x1": _x(p.low), "y1": mid, "x2": _x(p.high), "y2": mid,
                           "stroke": OTHERS, "width": 1.5}))
        for end in (p.low, p.high):
            add(Shape("line", {"x1": _x(end), "y1": mid - 5, "x2": _x(end), "y2": mid + 5,
                               "stroke": OTHERS, "width": 1.5}))
        others = row.others.percent.value
        if others is not None:
            _diamond(shapes, _x(others), mid - 12, OTHERS)
        if row.general is not None:
            gx = _x(row.general.percent)
            add(Shape("line", {"x1": gx, "y1": mid - 11, "x2": gx, "y2": mid + 11,
                               "stroke": GENERAL, "width": 3}))
        add(Shape("text", {"x": PLOT_X1 + 8, "y": mid + 4, "text": f"{p.value}%", "size": 11.5,
                           "fill": OTHERS, "bold": True}))
        flag = _flag_text(row)
        if flag:
            add(Shape("text", {"x": PLOT_X1 + 46, "y": mid + 4, "text": flag[0], "size": 11,
                               "fill": flag[1], "bold": True}))
    name = domain_name(domain)
    title = f"{name}, {band.title}: your council compared with others"
    description = " ".join(_describe_row(r) for r in rows)
    chart_id = f"chart-{band.band}-{domain}".replace(" ", "")
    return Chart(chart_id, title, description, int(height), shapes)


def _diamond(shapes: list[Shape], x: float, y: float, fill: str, r: float = 5.5) -> None:
    shapes.append(Shape("poly", {"points": [(x, y - r), (x + r, y), (x, y + r), (x - r, y)],
                                 "fill": fill}))


def to_svg(chart: Chart) -> str:
    """Inline SVG with role="img", a <title> and a <desc> (the text alternative)."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH}'
           f' {chart.height}" width="100%" aria-labelledby="{chart.id}-t {chart.id}-d"'
           f' class="chart" font-family="Arial, Helvetica, sans-serif">',
           f'<title id="{chart.id}-t">{escape(chart.title)}</title>',
           f'<desc id="{chart.id}-d">{escape(chart.description)}</desc>']
    for s in chart.shapes:
        a = s.args
        if s.kind == "rect":
            out.append(f'<rect x="{a["x"]:.1f}" y="{a["y"]:.1f}" width="{a["w"]:.1f}"'
                       f' height="{a["h"]:.1f}" fill="{a["fill"]}"/>')
        elif s.kind == "line":
            out.append(f'<line x1="{a["x1"]:.1f}" y1="{a["y1"]:.1f}" x2="{a["x2"]:.1f}"'
                       f' y2="{a["y2"]:.1f}" stroke="{a["stroke"]}"'
                       f' stroke-width="{a["width"]}"/>')
        elif s.kind == "poly":
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in a["points"])
            out.append(f'<polygon points="{points}" fill="{a["fill"]}"/>')
        elif s.kind == "text":
            anchor = f' text-anchor="{a["anchor"]}"' if a.get("anchor") else ""
            weight = ' font-weight="bold"' if a.get("bold") else ""
            out.append(f'<text x="{a["x"]:.1f}" y="{a["y"]:.1f}" font-size="{a["size"]}"'
                       f' fill="{a["fill"]}"{anchor}{weight} aria-hidden="true">'
                       f'{escape(a["text"])}</text>')
    out.append("</svg>")
    return "".join(out)


def band_charts(band: PBand) -> list[tuple[str, list[PRow], Chart]]:
    """(domain, rows, chart) for each domain of an age band."""
    return [(domain, rows, layout(band, domain, rows)) for domain, rows in band.domains()]
