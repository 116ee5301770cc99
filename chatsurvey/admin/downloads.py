"""Files the admin hands out: named so any language survives, and never cached.

A council names its rounds in its own language (Welsh ŵ, Gaelic à, a community
language's script), and a header must be Latin-1 on the wire. Werkzeug's
``send_file`` writes ``Content-Disposition`` as RFC 6266 asks: an ASCII
``filename`` for old browsers and a UTF-8 ``filename*`` (RFC 5987) for the rest.
Reports and raw data are about children, so no browser or proxy keeps a copy
(``Cache-Control: no-store``).
"""

from __future__ import annotations

import io

from flask import Response, send_file


def attachment(body: bytes | str, mimetype: str, filename: str) -> Response:
    """``body`` as a download called ``filename`` (any script), never cached."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=filename, conditional=False, etag=False)
    response.headers["Cache-Control"] = "no-store"
    return response
