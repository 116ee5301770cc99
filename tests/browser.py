"""Helpers for the browser tests: real HTTP servers on loopback, Debian's Chromium, axe-core.

The chat runs in a real server thread (not the test client) so the browser sees exactly
what a phone would: headers, CSP, frame-ancestors, keepalive requests. Chromium is the
system one (`make browser-deps`); Playwright never downloads a browser here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

from tests.helpers import PROJECT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
OUTPUT = PROJECT / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
AXE_REPORTS = OUTPUT / "axe"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SERIOUS = ("serious", "critical")
PHONE = {"width": 360, "height": 740}


@contextmanager
def serve(wsgi_app) -> Iterator[str]:
    """Serve ``wsgi_app`` on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def static_site(pages: dict[str, str]):
    """A tiny WSGI app serving fixed HTML pages: a council's site that embeds the widget."""

    def app(environ, start_response):
        body = pages.get(environ.get("PATH_INFO", ""))
        if body is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                  ("Cache-Control", "no-store")])
        return [body.encode("utf-8")]

    return app


def speech_spy(*voices: str) -> str:
    """A page script that stands in for the browser's speech: voices for the given language
    tags (e.g. "en-GB"), and window.__spoken listing what would be read aloud, in what
    language and voice. Headless Chromium has no voices of its own."""
    return SPEECH_SPY.replace("VOICES", json.dumps(list(voices)))


SPEECH_SPY = """
window.__spoken = [];
window.__voices = VOICES.map(function (lang) { return {lang: lang, name: 'Test ' + lang}; });
window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ''; this.voice = null; };
if (window.speechSynthesis) {
  window.speechSynthesis.getVoices = function () { return window.__voices.slice(); };
  window.speechSynthesis.cancel = function () {};
  window.speechSynthesis.speak = function (u) {
    window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.name});
  };
}
"""


def screenshot(page, name: str, full_page: bool = False) -> Path:
    """Save what the screen shows (or the whole page), for a person to look at
    (test-output/screenshots/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def axe_scan(target, name: str) -> list[dict]:
    """Run axe-core (WCAG 2.2 A/AA and best practice) on a page or frame.

    Every finding is written to test-output/axe/<name>.json; the serious and critical
    ones are returned for the test to fail on. Frames are scanned separately (axe is
    injected into one document at a time), so ``iframes`` is off.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(target, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                         "iframes": False, "resultTypes": ["violations"]})
    violations = results.response["violations"]
    AXE_REPORTS.mkdir(parents=True, exist_ok=True)
    (AXE_REPORTS / f"{name}.json").write_text(json.dumps(
        [{k: v[k] for k in ("id", "impact", "help", "helpUrl")}
         | {"targets": [n["target"] for n in v["nodes"]]} for v in violations], indent=2))
    return [v for v in violations if v["impact"] in SERIOUS]


def describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} at "
                     f"{[n['target'] for n in v['nodes']][:5]}" for v in violations)
