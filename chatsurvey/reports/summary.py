"""The summary for young people: what they told us, and what the council will do about it.

Written for a reading age of about 7 to 11: short sentences, everyday words,
"about 8 in 10" rather than "78%", and the council's own pledges ("You said,
we will"). Only results the staff report may show appear, and no Bright Spot
jargon: good things and things to work on. Renders from a
:class:`~.model.Published` and the council's pledges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from markupsafe import Markup

from chatsurvey.reports.model import Highlight, Published

CSS = Path(__file__).resolve().parent.parent / "static" / "reports" / "report.css"
MOST = 4
"""Good things and things to work on shown per list."""


@dataclass(frozen=True)
class PledgeText:
    you_said: str
    we_will: str
    age_band: str | None = None


def in_ten(percent: int) -> str:
    """78 -> "about 8 in 10" (whole tens are easier to read than percentages)."""
    tens = (percent + 5) // 10
    if tens >= 10:
        return "almost all"
    if tens <= 0:
        return "hardly any"
    return f"about {tens} in 10"


def _good_things(pub: Published) -> list[tuple[str, str]]:
    """(what, how many) of the Bright Spots first, then the highest results shown."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for h in pub.bright_spots:
        if h.label not in seen:
            seen.add(h.label)
            out.append((h.label, in_ten(h.council)))
    ranked = sorted(((row.council.percent.value, row.label) for band in pub.bands
                     for row in band.rows if row.council.percent.shown), reverse=True)
    for value, label in ranked:
        if label not in seen and value is not None and value >= 75:
            seen.add(label)
            out.append((label, in_ten(value)))
    return out[:MOST]


def _work_on(pub: Published) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for h in pub.improvements:
        if h.label not in seen:
            seen.add(h.label)
            out.append((h.label, in_ten(h.council)))
    return out[:MOST]


def render_summary(pub: Published, pledges: Sequence, standalone: bool = True) -> str:
    """The young people's summary as an HTML page."""
    css = Markup(CSS.read_text()) if standalone else None  # noqa: S704 (our own file)
    items = [PledgeText(p.you_said, p.we_will, getattr(p, "age_band", None)) for p in pledges]
    return current_app.jinja_env.get_template("reports/summary.html").render(
        pub=pub, css=css,
                           good=_good_things(pub), work=_work_on(pub), pledges=items,
                           Highlight=Highlight)
