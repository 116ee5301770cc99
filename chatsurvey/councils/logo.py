"""A council's logo: checked and re-drawn on upload, then one helper for every renderer.

An upload must be a PNG or JPEG file (read by Pillow, not trusted by its name or type),
at most LOGO_MAX_BYTES, and at most LOGO_MAX_PIXELS when decoded (a small file can
decode to gigabytes). It is then drawn again as a PNG at most LOGO_MAX_SIDE pixels on its
longer side: what is stored and served is Pillow's own output, never the uploaded bytes.
SVG is refused: it can carry script, and nothing here needs it.

Renderers call `council_logo(tenant_id)`: the chat page (by its address,
``webchat.logo``), the printable questionnaire and the reports (its PNG bytes, or
`CouncilLogo` ``data_uri`` for an HTML page under a CSP that allows ``data:`` images).
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from chatsurvey.councils.models import CouncilLogo
from chatsurvey.extensions import db

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 25_000_000
LOGO_MAX_SIDE = 512
FORMATS = ("PNG", "JPEG")


class LogoRefused(ValueError):
    """The file cannot be a logo; the message says why, in words for the person uploading."""


@dataclass(frozen=True)
class Logo:
    """A logo ready to draw: PNG bytes and their size in pixels."""

    png: bytes
    width: int
    height: int
    digest: str

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def redraw(data: bytes) -> Logo:
    """The uploaded ``data`` drawn again as a small PNG; raises LogoRefused."""
    if not data:
        raise LogoRefused("Choose a logo file to upload.")
    if len(data) > LOGO_MAX_BYTES:
        raise LogoRefused("The logo file is too big. It can be up to 1 MB.")
    unreadable = LogoRefused("The logo must be a PNG or JPEG picture.")
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise unreadable from None
    with image:
        if image.width * image.height > LOGO_MAX_PIXELS:
            raise LogoRefused("The logo has too many pixels. Make it smaller first.")
        try:
            image.load()
            drawn = image.convert("RGBA")
        except (OSError, ValueError, Image.DecompressionBombError):
            raise unreadable from None
    drawn.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
    out = io.BytesIO()
    drawn.save(out, format="PNG", optimize=True)
    png = out.getvalue()
    return Logo(png, drawn.width, drawn.height, hashlib.sha256(png).hexdigest())


def council_logo(tenant_id: int) -> Logo | None:
    """The council's logo, or None: the one helper every renderer calls."""
    row = db.session.get(CouncilLogo, tenant_id)
    if row is None:
        return None
    return Logo(row.png, row.width, row.height, row.digest)


def logo_digest(tenant_id: int) -> str | None:
    """The stored logo's digest (for its address), without reading the picture."""
    row = db.session.get(CouncilLogo, tenant_id)
    return row.digest if row is not None else None
