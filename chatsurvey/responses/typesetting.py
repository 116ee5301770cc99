"""Words on a printed questionnaire, in each language's own script: a font that has its
letters, Arabic letters joined to each other, right-to-left lines read from the right.

Latin-script languages print in DejaVu Sans (the machine's; Helvetica where it has none).
Arabic, Farsi, Dari, Pashto and Kurdish print in Noto Naskh Arabic, Tigrinya in Noto Sans
Ethiopic: both are kept in ``chatsurvey/static/fonts`` (OFL), so printing needs nothing from
the machine or the network. What the language's font has no letters for takes the Latin
font: "Childline" or "(PA)" in Arabic text, the digits and "?" in Tigrinya.

reportlab joins the letters: with ``shaping=1`` in a paragraph's style it shapes each word
with HarfBuzz (``uharfbuzz``), so an Arabic word is drawn in its joined forms, right to
left. It can only order a right-to-left line with ``rlbidi``, which is not on PyPI, so
`RightToLeft` draws those paragraphs itself:

1. it breaks the text into lines in the order it is written, measuring each word as
   HarfBuzz shapes it (breaking first keeps the first words on the top line; ordering a
   whole paragraph and then breaking it would print its last words first);
2. it puts each line in the order the eye meets it from the left, by the Unicode
   bidirectional algorithm (python-bidi's reference implementation, which also mirrors
   brackets: "(PA)" stays "(PA)" in an Arabic line);
3. it draws the line right-aligned, piece by piece: each run of right-to-left letters turned
   back into written order for reportlab to shape (HarfBuzz draws it right to left), each
   other run (digits, Latin words, brackets) as seen, in a font that has it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from bidi.algorithm import get_display
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph
from uharfbuzz import Buffer, Font, shape
from uharfbuzz import Face as HarfBuzzFace

from chatsurvey.engine.languages import text_direction

FONT_DIR = Path(__file__).resolve().parents[1] / "static" / "fonts"
LATIN_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
SCRIPT_FONTS = {"arabic": "NotoNaskhArabic", "ethiopic": "NotoSansEthiopic"}
SHAPED_SCRIPTS = frozenset({"arabic"})
"""Scripts whose letters change shape with their neighbours. Ge'ez letters do not."""
LOCALE_SCRIPTS = {"ar": "arabic", "fa": "arabic", "prs": "arabic", "ps": "arabic",
                  "ckb": "arabic", "ur": "arabic", "ti": "ethiopic", "am": "ethiopic"}
FEATURES = {"kern": True, "liga": True, "dlig": True}
"""HarfBuzz features: the ones reportlab shapes with, so a word measures as it is drawn."""
SLACK = 1.0
"""Points a right-to-left line is kept short of its width (measuring rounds)."""

_RTL = "\u0590-\u065f\u066a-\u06ef\u06fa-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\u200c\u200d"
PIECES = re.compile(f"[{_RTL}]+| +|[^ {_RTL}]+")
"""A line in pieces: right-to-left letters (with the joiners between them; not Arabic-Indic
digits, which read left to right), spaces, and anything else."""
RTL_PIECE = re.compile(f"[{_RTL}]")
NUMBER_GROUPS = re.compile(r"\d+(?: \d+)+")
LEFT_TO_RIGHT_SPANS = re.compile(f"{NUMBER_GROUPS.pattern}|\\([^(){_RTL}]*\\)")
"""Embedded left to right in a right-to-left line: a number written in groups, so they keep
their order ("0800 1111"; the bidirectional algorithm alone prints "1111 0800"), and
brackets around no right-to-left letters, so both stay with their words ("Childline (PA)";
the reference implementation does not pair brackets)."""
LEFT_TO_RIGHT, END = "\u202a", "\u202c"
JOINERS = str.maketrans({"\u200c": "\u034f", "\u200d": "\ufe00"})
"""The reference implementation drops the zero-width (non-)joiners, which Farsi needs
(می‌خواهم): they go through it as marks that stay in place, and come back after."""
UNJOINERS = str.maketrans({"\u034f": "\u200c", "\ufe00": "\u200d"})


@cache
def _harfbuzz(path: Path) -> tuple[Font, int, frozenset[int]]:
    """(font, units per em, the characters it has) of a font file."""
    face = HarfBuzzFace(path.read_bytes())
    return Font(face), face.upem, frozenset(face.unicodes)


@dataclass(frozen=True)
class Face:
    """One font: its name as registered with reportlab, and its file (None: a PDF standard
    font, which reportlab measures itself)."""

    name: str
    path: Path | None

    def covers(self, word: str) -> bool:
        if self.path is None:
            return all(ord(c) < 0x100 for c in word)
        letters = _harfbuzz(self.path)[2]
        return all(ord(c) in letters for c in word)

    def width(self, word: str, size: float) -> float:
        """The width in points of ``word`` at ``size``, shaped as reportlab draws it."""
        if self.path is None:
            return pdfmetrics.stringWidth(word, self.name, size)
        font, upem, _ = _harfbuzz(self.path)
        buffer = Buffer()
        buffer.add_str(word)
        buffer.guess_segment_properties()
        shape(font, buffer, FEATURES)
        return sum(p.x_advance for p in buffer.glyph_positions) * size / upem


@dataclass(frozen=True)
class Family:
    regular: Face
    bold: Face


def _register(name: str, path: Path) -> Face:
    pdfmetrics.registerFont(TTFont(name, str(path)))
    return Face(name, path)


@cache
def latin() -> Family:
    """DejaVu Sans where installed (Welsh and Gaelic accents, ŵ ŷ; Vietnamese), else
    Helvetica."""
    for folder in LATIN_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return Family(_register("Paper-Regular", regular), _register("Paper-Bold", bold))
    return Family(Face("Helvetica", None), Face("Helvetica-Bold", None))


@cache
def script_family(script: str) -> Family:
    """The vendored font of a script ("arabic", "ethiopic"), regular and bold."""
    stem = SCRIPT_FONTS[script]
    return Family(_register(f"Paper-{script}-Regular", FONT_DIR / f"{stem}-Regular.ttf"),
                  _register(f"Paper-{script}-Bold", FONT_DIR / f"{stem}-Bold.ttf"))


def seen_from_left(line: str) -> str:
    """One right-to-left line as the eye meets it from the left (mirrored brackets too): the
    "1." that starts an Arabic question shows its full stop on the left of the 1, and
    "Childline 0800 1111" reads left to right."""
    embedded = LEFT_TO_RIGHT_SPANS.sub(lambda m: f"{LEFT_TO_RIGHT}{m.group()}{END}", line)
    shown = get_display(embedded.translate(JOINERS), base_dir="R")
    return (shown if isinstance(shown, str) else shown.decode()).translate(UNJOINERS)


def written(piece: str) -> str:
    """A piece of a line as seen, in the order it is written: right-to-left letters turned
    back (to be shaped and measured as written), anything else as it is."""
    return piece[::-1] if RTL_PIECE.match(piece) else piece


@dataclass(frozen=True)
class Typesetter:
    """How one language's paper sets its words."""

    family: Family
    rtl: bool
    shaping: bool
    """Whether reportlab shapes the words with HarfBuzz (joins their letters)."""

    def style(self, style: ParagraphStyle) -> ParagraphStyle:
        """``style`` in this language's font, shaped, and right-aligned if right to left."""
        bold = style.fontName == latin().bold.name
        alignment = TA_RIGHT if self.rtl and style.alignment == TA_LEFT else style.alignment
        return ParagraphStyle(style.name, parent=style, alignment=alignment,
                              fontName=(self.family.bold if bold else self.family.regular).name,
                              shaping=int(self.shaping))

    def pieces(self, text: str, style: ParagraphStyle) -> list[tuple[Face, str]]:
        """``text`` in pieces, each in a face that has its letters: a run of right-to-left
        letters whole (it is shaped as one), anything else letter by letter."""
        bold = style.fontName == self.family.bold.name
        own = self.family.bold if bold else self.family.regular
        other = latin().bold if bold else latin().regular
        def face(part: str) -> Face:
            return own if own.covers(part) or not other.covers(part) else other

        out: list[tuple[Face, str]] = []
        for piece in PIECES.findall(text):
            if piece.isspace() or RTL_PIECE.match(piece) or own.covers(piece):
                out.append((face(piece), piece))
                continue
            parts: list[tuple[Face, str]] = []
            for letter in piece:
                if parts and parts[-1][0] == face(letter):
                    parts[-1] = (parts[-1][0], parts[-1][1] + letter)
                else:
                    parts.append((face(letter), letter))
            out += parts
        return out

    def width(self, text: str, style: ParagraphStyle) -> float:
        return sum(face.width(part, style.fontSize) for face, part in self.pieces(text, style))

    def markup(self, text: str, style: ParagraphStyle) -> str:
        """``text`` as reportlab paragraph markup, each letter in a face that has it."""
        return "".join(escape(part) if face.name == style.fontName
                       else f'<font name="{face.name}">{escape(part)}</font>'
                       for face, part in self.pieces(text, style))

    def lines(self, text: str, style: ParagraphStyle, width: float) -> list[str]:
        """``text`` broken into lines no wider than ``width``, in written order."""
        space = self.width(" ", style)
        lines: list[str] = []
        line: list[str] = []
        used = 0.0
        for word in text.split(" "):
            wide = self.width(word, style)
            if line and used + space + wide > width - SLACK:
                lines.append(" ".join(line))
                line, used = [], 0.0
            used += (space if line else 0.0) + wide
            line.append(word)
        return [*lines, " ".join(line)] if line else lines

    def paragraph(self, text: str, style: ParagraphStyle) -> Flowable:
        """``text`` (plain, not markup) as a paragraph to print in ``style``."""
        if self.rtl:
            return RightToLeft(text, style, self)
        if self.family == latin():
            return Paragraph(escape(text), style)
        return Paragraph(self.markup(" ".join(text.split()), style), style)


def typesetter(locale: str) -> Typesetter:
    """The typesetter of ``locale``'s paper (``fa_IR`` is ``fa``'s)."""
    rtl = text_direction(locale) == "rtl"
    script = LOCALE_SCRIPTS.get(locale) or LOCALE_SCRIPTS.get(locale.split("_")[0])
    if script is None and rtl:
        script = "arabic"
    if script is None:
        return Typesetter(latin(), rtl, shaping=False)
    return Typesetter(script_family(script), rtl, shaping=script in SHAPED_SCRIPTS)


class RightToLeft(Flowable):
    """A paragraph of right-to-left text: broken into lines in written order, each line
    drawn as seen from the left, right-aligned (or centred)."""

    def __init__(self, text: str, style: ParagraphStyle, setter: Typesetter) -> None:
        super().__init__()
        # a number written in groups is kept on one line
        self.text = NUMBER_GROUPS.sub(lambda m: m.group().replace(" ", "\xa0"),
                                      " ".join(text.split()))
        self.style, self.setter = style, setter
        self.lines: list[str] = []

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:
        self.lines = self.setter.lines(self.text, self.style, aW)
        self.width, self.height = aW, len(self.lines) * self.style.leading
        return self.width, self.height

    def split(self, aW: float, aH: float) -> list[Flowable]:
        lines = self.setter.lines(self.text, self.style, aW)
        fit = int(aH // self.style.leading)
        if fit < 1 or fit >= len(lines):
            return []
        return [RightToLeft(" ".join(lines[:fit]), self.style, self.setter),
                RightToLeft(" ".join(lines[fit:]), self.style, self.setter)]

    def draw(self) -> None:
        style = self.style
        for number, line in enumerate(self.lines):
            pieces = [(face, written(part))
                      for face, part in self.setter.pieces(seen_from_left(line), style)]
            widths = [face.width(part, style.fontSize) for face, part in pieces]
            x = self.width - sum(widths)
            if style.alignment == TA_CENTER:
                x /= 2
            baseline = self.height - number * style.leading - style.fontSize
            for (face, part), wide in zip(pieces, widths, strict=True):
                self._draw_piece(face, part, x, baseline, wide)
                x += wide

    def _draw_piece(self, face: Face, part: str, x: float, baseline: float,
                    wide: float) -> None:
        """One piece: right-to-left letters as a one-line reportlab paragraph (which shapes
        them and draws them right to left); anything else (spaces too, so a PDF reader
        copies the words apart) as it is seen."""
        if not RTL_PIECE.match(part):
            self.canv.setFont(face.name, self.style.fontSize)
            self.canv.setFillColor(self.style.textColor)
            self.canv.drawString(x, baseline, part)
            return
        style = ParagraphStyle("piece", parent=self.style, fontName=face.name,
                               alignment=TA_LEFT, firstLineIndent=0, leftIndent=0,
                               rightIndent=0, spaceBefore=0, spaceAfter=0)
        piece = Paragraph(escape(part), style)
        _, height = piece.wrap(wide + self.style.fontSize * 4, self.style.leading * 2)
        piece.drawOn(self.canv, x, baseline + style.fontSize - height)

    def minWidth(self) -> float:  # noqa: N802 (reportlab's name)
        return max((self.setter.width(w, self.style) for w in self.text.split(" ")),
                   default=0.0)

    def getSpaceBefore(self) -> float:  # noqa: N802
        return self.style.spaceBefore

    def getSpaceAfter(self) -> float:  # noqa: N802
        return self.style.spaceAfter
