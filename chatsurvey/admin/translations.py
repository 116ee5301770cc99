"""Translation status per language, and gettext catalogues down and up.

Status comes from the engine's own `translation_status` over the latest
published version of every flow. A download is the catalogue as it is on disk
(``LOCALES_DIR/<locale>/LC_MESSAGES/flows.po``), for Poedit or Weblate. An
upload (programme analysts) is read with Babel and checked the way `flows
check` checks translations (every ``{placeholder}`` kept, no phone number
lost) before it replaces the file; this process then reloads its catalogues.
Other processes (workers, other web processes) read catalogues when they start:
restart them after an upload. Translations are outside flow versions, so an
upload reaches conversations already going on.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path

from babel.messages.pofile import PoFileError, read_po
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from chatsurvey.admin.blueprint import analyst_only, bp
from chatsurvey.audit import record
from chatsurvey.engine.catalogue import Catalogue
from chatsurvey.engine.lint import translation_status
from chatsurvey.engine.render import placeholders
from chatsurvey.flows import editing
from chatsurvey.flows.store import EXTENSION, FlowStore, flow_store

LOCALE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")
DIGITS = re.compile(r"\d[\d ]{2,}\d")


def _locale(locale: str) -> str:
    if not LOCALE.fullmatch(locale):
        abort(404)
    return locale


def po_path(locale: str) -> Path:
    return Path(current_app.config["LOCALES_DIR"]) / locale / "LC_MESSAGES" / "flows.po"


@bp.get("/translations")
def translations():
    store = flow_store()
    rows = []
    locales: set[str] = set()
    for flow_id, row in editing.latest_versions().items():
        flow = store.get(flow_id, row.version)
        wanted = [loc for loc in flow.locales if loc != flow.source_locale]
        locales.update(wanted)
        rows.append((flow_id, row.version,
                     translation_status(flow.id, flow.messages, wanted, store.catalogue)))
    on_disk = {p.parent.parent.name for p in Path(current_app.config["LOCALES_DIR"]).glob(
        "*/LC_MESSAGES/flows.po")}
    return render_template("admin/translations.html", rows=rows,
                           locales=sorted(locales | on_disk), on_disk=on_disk)


@bp.get("/translations/<locale>/flows.po")
def translation_download(locale: str):
    path = po_path(_locale(locale))
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="text/x-gettext-translation; charset=utf-8",
                     as_attachment=True, download_name=f"flows-{locale}.po", max_age=0)


def problems_in(raw: bytes) -> tuple[list[str], int, int]:
    """(problems, entries, translated) for an uploaded catalogue."""
    try:
        catalogue = read_po(io.BytesIO(raw), abort_invalid=True)
    except (PoFileError, ValueError, UnicodeDecodeError) as exc:
        return [f"This is not a gettext .po file Babel can read: {str(exc)[:200]}"], 0, 0
    problems, entries, translated = [], 0, 0
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple):
            continue
        entries += 1
        string = message.string if isinstance(message.string, str) else ""
        if not string:
            continue
        translated += 1
        where = f"line {message.lineno}" + (f" ({message.context})" if message.context else "")
        if (message.context or "").endswith("#synonyms"):
            continue
        if sorted(placeholders(string)) != sorted(placeholders(message.id)):
            problems.append(f"{where}: keep the same {{placeholders}} as the English: "
                            f"{', '.join(placeholders(message.id)) or 'none'}")
        kept = string.replace(" ", "")
        lost = [n for n in (d.replace(" ", "") for d in DIGITS.findall(message.id))
                if n not in kept]
        if lost:
            problems.append(f"{where}: the number(s) {', '.join(lost)} are missing")
    if entries == 0:
        problems.append("The file has no messages.")
    return problems, entries, translated


@bp.post("/translations/<locale>")
@analyst_only
def translation_upload(locale: str):
    locale = _locale(locale)
    upload = request.files.get("po")
    if upload is None or not upload.filename:
        flash("Choose a .po file to upload.", "error")
        return redirect(url_for("admin.translations"))
    raw = upload.read()
    problems, entries, translated = problems_in(raw)
    if problems:
        return render_template("admin/translation_problems.html", locale=locale,
                               problems=problems[:100], more=max(0, len(problems) - 100)), 400
    path = po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".po")
    with os.fdopen(handle, "wb") as fh:
        fh.write(raw)
    os.replace(tmp, path)
    current_app.extensions[EXTENSION] = FlowStore(
        Catalogue.from_directory(current_app.config["LOCALES_DIR"]))
    record("translations.uploaded", None, locale=locale, entries=entries,
           translated=translated)
    from chatsurvey.extensions import db

    db.session.commit()
    flash(f"The {locale} catalogue is updated: {translated} of {entries} messages translated."
          " Restart the workers so they read it too.", "success")
    return redirect(url_for("admin.translations"))
