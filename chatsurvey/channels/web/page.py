"""The chat page (/s/<link>), its theme stylesheet and the embeddable widget (/widget.js).

The page may be framed only by the council's own sites (CSP ``frame-ancestors``). It sets
no cookies and stores nothing: the conversation id is the young person's bearer token, held
in page memory and sent in an ``Authorization`` header, never in a URL, so a shared phone
keeps nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from chatsurvey.channels.web.api import (
    AGE_BAND,
    API,
    default_locale,
    find_round,
    offered_locales,
    unavailable,
)
from chatsurvey.channels.web.theme import theme_css
from chatsurvey.councils.logo import council_logo, logo_digest
from chatsurvey.councils.models import ORIGIN, Tenant, frame_origins
from chatsurvey.engine.catalogue import text_direction
from chatsurvey.engine.icons import ICON_DIR, known_icons
from chatsurvey.engine.icons import picture as picture_file
from chatsurvey.engine.languages import BY_CODE
from chatsurvey.i18n import page_text

STATIC = Path(__file__).resolve().parents[2] / "static" / "chat"

bp = Blueprint("webchat", __name__, static_folder=str(STATIC), static_url_path="/chat/static")


@bp.after_request
def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def page_csp(tenant: Tenant | None, ancestors: str = "") -> str:
    """No inline script or style, nothing from elsewhere; framed only by the council's sites."""
    ancestors = ancestors or (" ".join(frame_origins(tenant)) if tenant else "")
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors " + (ancestors or "'none'"))


def _page(template: str, status: int, tenant: Tenant | None, ancestors: str = "",
          **context: Any) -> Response:
    response = make_response(render_template(template, **context), status)
    response.headers["Content-Security-Policy"] = page_csp(tenant, ancestors)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/s/<link>")
def chat_page(link: str) -> Response:
    """The chat page for one survey link (also what the widget's iframe shows)."""
    survey_round = find_round(link)
    lang = (request.args.get("lang") or "").strip()
    if survey_round is None:
        return _unavailable_page(None, 404, "not_found", "en")
    tenant = survey_round.tenant
    lang = lang if lang in offered_locales(survey_round) else default_locale(survey_round)
    problem = unavailable(survey_round)
    if problem:
        return _unavailable_page(tenant, problem.status, problem.code, lang, link)
    age = request.args.get("age")
    age = age if age and AGE_BAND.fullmatch(age) else None
    embed = request.args.get("embed") == "1"
    parent = (request.args.get("parent") or "").rstrip("/").lower()
    if embed and ORIGIN.fullmatch(parent) and parent not in frame_origins(tenant):
        return _not_this_site(tenant, link, lang, parent)
    parent = parent if embed and parent in frame_origins(tenant) else None
    text = page_text(lang)
    config = {
        "api": f"{API}/surveys/{link}",
        "locale": lang if request.args.get("lang") == lang else None,
        "ageBand": age, "embed": embed, "parentOrigin": parent,
        "exitUrl": current_app.config["QUICK_EXIT_URL"], "uiLang": text.lang,
        "uiDir": text_direction(text.lang),
        "pictures": url_for("webchat.picture", name="x").removesuffix("x.svg"),
    }
    return _page("chat/page.html", 200, tenant, _=text, ui_lang=text.lang,
                 ui_dir=text_direction(text.lang), lang=lang,
                 dir=text_direction(lang), title=tenant.display_name, embed=embed,
                 logo=_logo_address(tenant, link), config=config,
                 theme=url_for("webchat.theme", link=link),
                 languages=language_choices(link, offered_locales(survey_round), lang))


def language_choices(link: str, offered: list[str], current: str) -> list[dict[str, Any]]:
    """The language picker: each offered language in its own name, a link to the page in it.

    The link keeps the page's other settings (age band, embedding) and changes only
    ``lang``, so the page's words and the conversation it starts are both in that language.
    """
    args: dict[str, Any] = {k: v for k, v in request.args.items()
                            if k in ("age", "embed", "parent")}
    choices = []
    for code in offered:
        language = BY_CODE.get(code)
        choices.append({
            "code": code, "name": language.native if language else code,
            "dir": text_direction(code), "current": code == current,
            "href": url_for("webchat.chat_page", link=link, **args, lang=code)})
    return choices if len(choices) > 1 else []


def _logo_address(tenant: Tenant, link: str) -> str | None:
    """Where the page finds the council's logo: on this site, named by its digest."""
    digest = logo_digest(tenant.id)
    return url_for("webchat.logo", link=link, v=digest[:16]) if digest else None


def _unavailable_page(tenant: Tenant | None, status: int, code: str, lang: str,
                      link: str | None = None) -> Response:
    text = page_text(lang)
    theme = url_for("webchat.theme", link=link) if link else None
    return _page("chat/unavailable.html", status, tenant, _=text, ui_lang=text.lang,
                 ui_dir=text_direction(text.lang), lang=lang,
                 dir=text_direction(lang), code=code,
                 title=tenant.display_name if tenant else None, theme=theme,
                 exit_url=current_app.config["QUICK_EXIT_URL"])


def _not_this_site(tenant: Tenant, link: str, lang: str, parent: str) -> Response:
    """The widget on a site the council has not listed: say so inside the panel.

    The browser would otherwise show its own "refused to connect". This page may be
    framed by that site (it holds no conversation, only words and a link that opens
    the survey in a new tab), and tells the site's owner which setting to change.
    """
    text = page_text(lang)
    return _page("chat/unavailable.html", 403, tenant, ancestors=parent, _=text,
                 ui_lang=text.lang, ui_dir=text_direction(text.lang), lang=lang,
                 dir=text_direction(lang), code="site_not_listed", site=parent,
                 survey_url=url_for("webchat.chat_page", link=link),
                 title=tenant.display_name, theme=url_for("webchat.theme", link=link),
                 exit_url=current_app.config["QUICK_EXIT_URL"])


@bp.get("/s/<link>/theme.css")
def theme(link: str) -> Response:
    """The council's colours as CSS custom properties (no inline styles under the CSP)."""
    survey_round = find_round(link)
    branding = (survey_round.tenant.branding or {}) if survey_round else {}
    response = Response(theme_css(branding), 200 if survey_round else 404, mimetype="text/css")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/s/<link>/logo.png")
def logo(link: str) -> Response:
    """The council's logo (uploaded in the admin, re-drawn as a PNG)."""
    survey_round = find_round(link)
    found = council_logo(survey_round.tenant_id) if survey_round else None
    if found is None:
        abort(404)
    response = Response(found.png, mimetype="image/png")
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@bp.get("/chat/pictures/<name>.svg")
def picture(name: str) -> Response:
    """A picture beside an answer (OpenMoji, CC BY-SA 4.0): served from here, never fetched."""
    path = picture_file(name) if name in known_icons() else None
    if path is None:
        abort(404)
    response = send_from_directory(ICON_DIR, path.name,
                                   max_age=current_app.config["WEB_WIDGET_MAX_AGE"])
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.get("/widget.js")
def widget() -> Response:
    """The one script a council's site includes to offer the chat in a floating panel."""
    response = send_from_directory(STATIC, "widget.js",
                                   max_age=current_app.config["WEB_WIDGET_MAX_AGE"])
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
