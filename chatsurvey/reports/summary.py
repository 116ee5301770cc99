"""The summaries for young people: what they told us, and what the council will do about it.

One summary per age band, because a 6-year-old and a care leaver of 22 read
different things. Written for a reading age of 7: each indicator has a short
"you" sentence (``summary.yaml``, translated through the ``summary`` gettext
catalogue in ``chatsurvey/locales``), "about 8 in 10 of you" rather than
"78%", and a picture (OpenMoji, vendored in ``static/openmoji``: `engine.icons`).

What it shows, and how:

- the council's pledges ("You said, we will") first: they are why the summary exists;
- good things: the results the staff report may show, highest first;
- things to work on: only results flagged for improvement;
- family time apart, framed as the programme frames it: some things the council
  cannot change on its own. Seeing family is never listed as a council's failing;
- help: a trusted grown-up and Childline, on every page.

Only results the staff report may show appear (it renders from a
:class:`~.model.Published`). :func:`render_summary` gives the page (a phone
reads it as one column; it prints on A4), :func:`render_poster` an A4 poster
PDF, one page per age band.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from babel.messages.pofile import read_po
from flask import current_app
from markupsafe import Markup

from chatsurvey.engine.icons import ICON_DIR, picture
from chatsurvey.reports import flags
from chatsurvey.reports.model import PBand, PRow, Published

HERE = Path(__file__).resolve().parent
CSS = HERE.parent / "static" / "reports" / "report.css"
ICONS = ICON_DIR
LABELS = HERE / "summary.yaml"
DOMAIN = "summary"
MOST_GOOD, MOST_WORK = 4, 3
GOOD_FROM = 60
"""A result is a good thing to tell young people from this share (and not flagged worse)."""
ATTRIBUTION = "Pictures: OpenMoji, openmoji.org (CC BY-SA 4.0)."
HEADINGS = {"4-7": "For children aged 4 to 7", "8-11": "For children aged 8 to 11",
            "11-18": "For young people aged 11 to 18", "16-25": "For care leavers"}
CHILDLINE = ("Worried about something? Talk to a grown-up you trust. You can call Childline on"
             " 0800 1111. It is free.")
HELP = {"16-25": "Worried about something? Talk to someone you trust. You can call Samaritans on"
                 " 116 123, day or night. It is free."}
"""Where to turn, on every page: Childline is for under-19s, so care leavers get Samaritans."""


@dataclass(frozen=True)
class PledgeText:
    you_said: str
    we_will: str
    age_band: str | None = None


@dataclass(frozen=True)
class Item:
    """One result as a young person reads it."""

    key: str
    label: str
    many: str
    icon: str


@dataclass(frozen=True)
class BandSummary:
    band: str
    heading: str
    answered: str | None
    good: tuple[Item, ...]
    work: tuple[Item, ...]
    family: tuple[Item, ...]
    pledges: tuple[PledgeText, ...]
    nothing_shown: bool
    help: str


@functools.cache
def _labels(path: Path = LABELS) -> dict[str, dict]:
    return yaml.safe_load(path.read_text()) or {}


@functools.lru_cache(maxsize=16)
def _catalogue(locales_dir: str, locale: str) -> dict[str, str]:
    path = Path(locales_dir) / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {m.id: m.string for m in catalog if isinstance(m.id, str) and m.id
            and isinstance(m.string, str) and m.string and not m.fuzzy}


class Words:
    """``_`` for the summary in one language, English where a sentence is not translated."""

    def __init__(self, locale: str = "en") -> None:
        found = _catalogue(current_app.config["TEXTS_DIR"], locale) if locale != "en" else {}
        self.lang = locale if found else "en"
        self._found = found

    def __call__(self, text: str, **values: object) -> str:
        shown = self._found.get(text, text)
        return shown % values if values else shown


def in_ten(percent: int, _: Callable[..., str] | None = None) -> str:
    """78 -> "About 8 in 10 of you." (whole tens are easier to read than percentages)."""
    _ = _ or (lambda text, **v: text % v if v else text)
    tens = (percent + 5) // 10
    if tens >= 10:
        return _("Almost all of you.")
    if tens <= 0:
        return _("Hardly any of you.")
    return _("About %(n)s in 10 of you.", n=tens)


def _item(row: PRow, _: Words) -> Item | None:
    about = _labels().get(row.key)
    if about is None or not row.council.percent.shown or row.council.percent.value is None:
        return None
    return Item(row.key, _(about["label"]), in_ten(row.council.percent.value, _),
                str(about.get("icon", "2B50")))


def _is_family(row: PRow) -> bool:
    return bool(_labels().get(row.key, {}).get("family"))


def _flagged(row: PRow, verdict: str) -> bool:
    return verdict in (row.flag_others, row.flag_general)


def band_summary(band: PBand, pledges: Sequence[PledgeText], _: Words) -> BandSummary:
    """What one age band's summary says."""
    good, work, family = [], [], []
    ranked = sorted(band.rows, key=lambda r: (not _flagged(r, flags.BRIGHT),
                                              -(r.council.percent.value or 0)))
    for row in ranked:
        item = _item(row, _)
        if item is None:
            continue
        if _is_family(row):
            family.append(item)
        elif _flagged(row, flags.IMPROVE):
            work.append(item)
        elif (row.council.percent.value or 0) >= GOOD_FROM and \
                item.label not in {i.label for i in good}:
            good.append(item)
    answered = None if band.responses is None else _(
        "About %(n)s of you answered.", n=band.responses)
    heading = _(HEADINGS[band.band]) if band.band in HEADINGS else _(
        "For young people aged %(band)s", band=band.band)
    return BandSummary(
        band.band, heading, answered, tuple(good[:MOST_GOOD]), tuple(work[:MOST_WORK]),
        tuple(family),
        tuple(p for p in pledges if p.age_band in (None, "", band.band)), band.nothing_shown,
        _(HELP.get(band.band, CHILDLINE)))


def summaries(pub: Published, pledges: Sequence, band: str | None = None,
              locale: str = "en") -> tuple[Words, list[BandSummary]]:
    """The words to use, and the summary of each age band (or of ``band`` only)."""
    _ = Words(locale)
    items = [PledgeText(p.you_said, p.we_will, getattr(p, "age_band", None)) for p in pledges]
    bands = [b for b in pub.bands if band in (None, b.band)]
    return _, [band_summary(b, items, _) for b in bands]


@functools.cache
def icon_svg(code: str) -> Markup:
    """An OpenMoji picture, inline (decorative: the words beside it say everything)."""
    path = picture(code)
    if path is None:
        return Markup("")
    svg = path.read_text().replace("<svg ", '<svg aria-hidden="true" focusable="false" '
                                   'class="icon" ', 1)
    return Markup(svg)  # noqa: S704 (our own vendored files)


def render_summary(pub: Published, pledges: Sequence, standalone: bool = True,
                   band: str | None = None, locale: str = "en") -> str:
    """The young people's summary as an HTML page: every age band, or ``band`` only."""
    css = Markup(CSS.read_text()) if standalone else None  # noqa: S704 (our own file)
    _, found = summaries(pub, pledges, band, locale)
    return current_app.jinja_env.get_template("reports/summary.html").render(
        pub=pub, css=css, bands=found, _=_, lang=_.lang, icon=icon_svg, childline=CHILDLINE,
        attribution=ATTRIBUTION)


def render_poster(pub: Published, pledges: Sequence, band: str | None = None,
                  locale: str = "en") -> bytes:
    """The summary as an A4 poster PDF: one page per age band."""
    from chatsurvey.reports.poster import poster_pdf

    _, found = summaries(pub, pledges, band, locale)
    out = io.BytesIO()
    poster_pdf(out, pub, found, _, ICONS, ATTRIBUTION)
    return out.getvalue()
