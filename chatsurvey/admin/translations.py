"""Translation status per language, and gettext catalogues down and up.

The page shows every language chatsurvey can offer, with each of its three
catalogues (the flows, the chat page, the SMS texts): how much is translated and
how much still awaits a native speaker's review (chatsurvey/translation_status.py).

The words are part of each published flow version (chatsurvey/flows/publish.py):
the status and the download come from the latest versions, and an upload
(programme analysts) is checked and published as new versions of the flows it
changes, so every process says the new words to new rounds at once, and
conversations and rounds already going on keep the words of the version they
pinned. Nothing is written to files.
"""

from __future__ import annotations

import re

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for

from chatsurvey.admin.blueprint import analyst_only, bp
from chatsurvey.audit import record
from chatsurvey.engine import FlowError
from chatsurvey.extensions import db
from chatsurvey.flows import catalogues, publish
from chatsurvey.translation_status import languages

LOCALE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")


def _locale(locale: str) -> str:
    if not LOCALE.fullmatch(locale):
        abort(404)
    return locale


@bp.get("/translations")
def translations():
    rows = catalogues.status()
    locales = sorted({loc for row in rows for loc in row.by_locale})
    return render_template("admin/translations.html", rows=rows, locales=locales,
                           languages=languages(catalogues.latest_flows(),
                                               current_app.config["TEXTS_DIR"]))


@bp.get("/translations/<locale>/flows.po")
def translation_download(locale: str):
    po = catalogues.catalogue_po(_locale(locale))
    if po is None:
        abort(404)
    return Response(po, mimetype="text/x-gettext-translation; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="flows-{locale}.po"',
        "Cache-Control": "no-store"})


@bp.post("/translations/<locale>")
@analyst_only
def translation_upload(locale: str):
    locale = _locale(locale)
    upload = request.files.get("po")
    if upload is None or not upload.filename:
        flash("Choose a .po file to upload.", "error")
        return redirect(url_for("admin.translations"))
    raw = upload.read()
    checked = catalogues.check_upload(raw)
    if checked.problems:
        return render_template("admin/translation_problems.html", locale=locale,
                               problems=checked.problems[:100],
                               more=max(0, len(checked.problems) - 100)), 400
    try:
        published = publish.publish_translations(locale, raw)
    except (publish.CatalogueError, FlowError) as exc:
        db.session.rollback()
        return render_template("admin/translation_problems.html", locale=locale,
                               problems=[str(exc)[:300]], more=0), 400
    record("translations.uploaded", None, locale=locale, entries=checked.entries,
           translated=checked.translated,
           versions=[f"{r.flow_id} v{r.version}" for r in published])
    db.session.commit()
    if published:
        flash(f"The {locale} words are published: {checked.translated} of {checked.entries}"
              " messages translated, in " + ", ".join(f"{r.flow_id} version {r.version}"
                                                      for r in published)
              + ". New rounds use them; rounds already open keep their version.", "success")
    else:
        flash(f"Nothing changed: the latest versions already say these {locale} words.", "info")
    return redirect(url_for("admin.translations"))
