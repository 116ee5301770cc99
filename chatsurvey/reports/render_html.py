"""The staff report as HTML: server-drawn inline SVG charts, a table and words beside each.

Renders from a :class:`~.model.Published` only. The page carries no script;
as a file (``chatsurvey report --format html``) its stylesheet is inlined so
it can be emailed, in the admin it is linked (the admin's CSP allows no
inline style).
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from markupsafe import Markup

from chatsurvey.reports import flags
from chatsurvey.reports.charts import band_charts, domain_name, to_svg
from chatsurvey.reports.disclosure import Percent
from chatsurvey.reports.model import PRow, Published

CSS = Path(__file__).resolve().parent.parent / "static" / "reports" / "report.css"

FLAG_WORDS = {flags.BRIGHT: "\u2605 Bright Spot", flags.IMPROVE: "\u25bc Area for improvement",
              flags.SIMILAR: "Similar", flags.NOT_COMPARED: "Not compared", "": "",
              flags.BETTER: "\u25b2 Better", flags.WORSE: "\u25bc Worse"}


NOT_ENOUGH = ("Not enough young people in this age band answered for any result to be shown:"
              " with so few, a result could tell someone what one young person said. Their"
              " answers still count in the council's totals and in the programme's figures.")
"""Said once for an age band with no result to show, instead of every question saying it."""

NO_GENERAL = "no general-population figure for this age"
"""Said where no figure for young people in general covers the age band (or none is held)."""

SOURCES_TITLE = "Where the figures for young people in general come from"
SOURCES_INTRO = ("Each figure for young people in general comes from another survey, asked in"
                 " its own words and year. The number beside a figure in the tables is its"
                 " number in this list. A figure is only used for an age band its ages cover.")


def count_text(value: int | None) -> str:
    """A published count: the number, or "c" (hidden to protect young people)."""
    return "c" if value is None else f"{value:,}"


def percent_text(p: Percent, interval: bool = False) -> str:
    """A published percentage in words a table cell can hold."""
    if p.reason == "few":
        return "not enough answers"
    if p.reason == "pool":
        return "not compared"
    if not p.shown:
        return "c"
    if interval and p.low is not None:
        return f"{p.value}% ({p.low}\u2013{p.high}%)"
    return f"{p.value}%"


def flag_text(verdict: str) -> str:
    return FLAG_WORDS.get(verdict, verdict)


def row_flag(row: PRow) -> str:
    """The one flag a row is known by (other councils first)."""
    for verdict in (row.flag_others, row.flag_general):
        if verdict in (flags.BRIGHT, flags.IMPROVE):
            return verdict
    return row.flag_others


def context(pub: Published) -> dict:
    """What the templates need: the published report and its charts as SVG."""
    bands = []
    for band in pub.bands:
        charts = [(domain_name(d), rows, chart, Markup(to_svg(chart)))  # noqa: S704 (built from escaped parts)
                  for d, rows, chart in band_charts(band)]
        bands.append((band, charts))
    return {"pub": pub, "bands": bands, "count_text": count_text, "percent_text": percent_text,
            "flag_text": flag_text, "row_flag": row_flag, "flags": flags,
            "not_enough": NOT_ENOUGH, "no_general": NO_GENERAL,
            "sources_title": SOURCES_TITLE, "sources_intro": SOURCES_INTRO}


def render_staff(pub: Published, standalone: bool = True) -> str:
    """The whole staff report as one HTML document (standalone: stylesheet inlined)."""
    css = Markup(CSS.read_text()) if standalone else None  # noqa: S704 (our own file)
    return current_app.jinja_env.get_template("reports/staff.html").render(
        css=css, **context(pub))
