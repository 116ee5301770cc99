"""Every kind of question, on a small phone, a phone and a desktop, left-to-right and right-to-left.

axe-core checks names and contrast; it does not look at layout. This test does: for each
question type of the `layout` fixture flow (long answers on purpose), at 320, 390 and 1280
px wide, in English and Arabic, it fails if

- the page scrolls sideways,
- any words of a control (an answer, a tick box's label, Send, Skip, Delete) spill out of it,
  are cut off, sit under the tick box, or have a word broken across two lines,
- an answer's picture did not load or spills out of its answer,
- any control sits partly off the screen (also with "Delete all your answers?" open), or
- a question lacks Skip, Go back, Talk to someone, Delete my answers (and Send where it
  needs one), or Tab does not reach every control of the question and those around it.

Full-page screenshots of each go to test-output/screenshots/layout-*.png, for a person to look at.
"""

from __future__ import annotations

import pytest

from chatsurvey.extensions import db
from tests.browser import screenshot, serve
from tests.helpers import PROJECT, open_round, publish_fixture_flows, seed_tenant

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

WIDTHS = (320, 390, 1280)
LOCALES = {"ltr": "en", "rtl": "ar"}
# How each question type shows itself on the page (the order of the `layout` flow).
QUESTIONS = {
    "faces": "#answer .options.faces",
    "choice": "#answer .options.choice",
    "pick-several": "#answer input[type=checkbox]",
    "scale": "#answer .options.scale",
    "number": "#answer input[inputmode=numeric]",
    "text": "#answer textarea",
}

# What a reader would see wrong with each control of the current question.
LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const width = window.innerWidth;
  const page = document.documentElement;
  if (page.scrollWidth > width) {
    problems.push(`the page scrolls sideways: ${page.scrollWidth}px wide in a ${width}px window`);
  }
  const inside = (r, box) => r.left >= box.left - 1 && r.right <= box.right + 1
    && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
    && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const shown = (el) => el.getClientRects().length > 0;
  const name = (el) => (el.textContent.trim() || el.getAttribute('aria-label') || el.tagName)
    .replace(/\\s+/g, ' ').slice(0, 50);
  const words = (node) => {
    const found = [];
    const pattern = /\\S+/g;
    for (let m = pattern.exec(node.data); m; m = pattern.exec(node.data)) {
      found.push([m.index, m.index + m[0].length, m[0]]);
    }
    return found;
  };
  const controls = document.querySelectorAll(
    '#answer button, #answer label, #answer input, #answer textarea, #quick-exit');
  for (const control of controls) {
    if (!shown(control)) continue;
    const box = control.getBoundingClientRect();
    const what = `${control.tagName.toLowerCase()} "${name(control)}"`;
    if (box.left < -1 || box.right > width + 1) {
      problems.push(`${what} is partly off the screen (${Math.round(box.left)} to ${Math.round(box.right)})`);
    }
    const tick = control.tagName === 'LABEL' && control.querySelector('input[type=checkbox]');
    if (tick) {
      const t = tick.getBoundingClientRect();
      if (t.width > 48) problems.push(`the tick box of ${what} is ${Math.round(t.width)}px wide`);
      if (!inside(t, box)) problems.push(`the tick box of ${what} is outside its label`);
    }
    for (const img of control.querySelectorAll('img')) {
      const p = img.getBoundingClientRect();
      if (!img.complete || !img.naturalWidth) problems.push(`the picture of ${what} did not load`);
      if (!inside(p, box)) problems.push(`the picture of ${what} spills out of it`);
    }
    const walker = document.createTreeWalker(control, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.data.trim();
      if (!text || node.parentElement.closest('.visually-hidden')) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (!r.width) continue;
        if (!inside(r, box)) problems.push(`"${text}" spills out of ${what}`);
        if (tick && overlap(r, tick.getBoundingClientRect())) {
          problems.push(`"${text}" is under the tick box of ${what}`);
        }
      }
      for (const [start, end, word] of words(node)) {
        range.setStart(node, start);
        range.setEnd(node, end);
        const lines = new Set(Array.from(range.getClientRects()).filter((r) => r.width)
          .map((r) => Math.round(r.top)));
        if (lines.size > 1) problems.push(`the word "${word}" of ${what} is broken across lines`);
      }
      for (let el = node.parentElement; el && el !== control.parentElement; el = el.parentElement) {
        const style = getComputedStyle(el);
        const clips = style.overflowX !== 'visible' || style.textOverflow === 'ellipsis';
        if (clips && el.scrollWidth > el.clientWidth + 1) {
          problems.push(`"${text}" is cut off in ${what}`);
        }
      }
    }
  }
  return problems;
}"""

# Mark every control Tab should reach; returns their names, by mark.
MARK_CONTROLS = """() => {
  const names = {};
  const controls = document.querySelectorAll(
    '#quick-exit, #answer button, #answer input, #answer textarea, #answer a[href]');
  controls.forEach((el, i) => {
    if (!el.getClientRects().length) return;
    el.dataset.probe = String(i);
    names[i] = (el.textContent.trim() || el.closest('label')?.textContent.trim()
      || el.getAttribute('aria-labelledby') || el.tagName).replace(/\\s+/g, ' ').slice(0, 50);
  });
  return names;
}"""

# The focused control's mark, and whether it can be seen (not under the bar, on screen).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || !el.dataset.probe) return null;
  const r = el.getBoundingClientRect();
  const x = Math.min(Math.max(r.left + r.width / 2, 0), window.innerWidth - 1);
  const y = Math.min(Math.max(r.top + r.height / 2, 0), window.innerHeight - 1);
  const top = document.elementFromPoint(x, y);
  const seen = !!top && (top === el || el.contains(top) || top.contains(el)
    || (el.labels && Array.from(el.labels).some((l) => l.contains(top))));
  return {probe: el.dataset.probe, seen: seen};
}"""


@pytest.fixture
def layout_round(app):
    """A council offering English and Arabic, with a round on the `layout` fixture flow."""
    with app.app_context():
        tenant = seed_tenant()
        tenant.locales = ["en", "ar"]
        db.session.commit()
        yield open_round(tenant, publish_fixture_flows()["layout"])


@pytest.fixture
def live(app, layout_round):
    with serve(app) as base:
        app.config["QUICK_EXIT_URL"] = f"{base}/healthz"
        yield base


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="en-GB",
                                  reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# Controls every question has (besides its answers); typed and pick-several ones also Send.
AROUND = ("Quick exit", "Skip", "Go back", "Talk to someone", "Delete my answers")
SENDS = ("pick-several", "number", "text")


def said(lang: str, words: str) -> str:
    """``words`` as the chat page says them in ``lang`` (its web.po)."""
    if lang == "en":
        return words
    from babel.messages.pofile import read_po

    with (PROJECT / "chatsurvey" / "locales" / lang / "LC_MESSAGES" / "web.po").open("rb") as f:
        found = read_po(f).get(words)
    return found.string if found is not None and found.string else words


def unreachable_by_tab(page, kind: str, lang: str = "en") -> list[str]:
    """Controls Tab never reaches (or reaches where they cannot be seen), going round twice."""
    names = page.evaluate(MARK_CONTROLS)
    wanted = [said(lang, name) for name in AROUND]
    missing = [f"there is no {name!r}" for name in wanted if name not in names.values()]
    # Send: the page's word, or (pick-several) the flow's own (the test flows' Arabic has none)
    if kind in SENDS and not {said(lang, "Send"), "Send"} & set(names.values()):
        missing.append("there is no Send")
    reached, hidden = set(), set()
    for _ in range(2 * len(names) + 6):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused:
            reached.add(focused["probe"])
            if not focused["seen"]:
                hidden.add(focused["probe"])
    return (missing + [f"Tab never reaches {names[p]!r}" for p in sorted(set(names) - reached)]
            + [f"{names[p]!r} is hidden when it has focus" for p in sorted(hidden)])


def problems_at(page, width: int, kind: str, name: str, lang: str = "en") -> list[str]:
    page.set_viewport_size({"width": width, "height": 800})
    page.wait_for_function(f"() => window.innerWidth === {width}")
    page.wait_for_function("() => Array.from(document.images).every((img) => img.complete)")
    page.evaluate("window.scrollTo(0, 0)")  # the sticky bar at the top of the picture
    screenshot(page, name, full_page=True)
    found = page.evaluate(LAYOUT_PROBLEMS) + unreachable_by_tab(page, kind, lang)
    return [f"{name}: {problem}" for problem in found]


def confirm_problems(page, group: str) -> list[str]:
    """The question 'Delete all your answers?', open under the current question."""
    page.get_by_role("button", name=DELETE[group]).click()
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_function(f"() => window.innerWidth === {width}")
        name = f"layout-{group}-delete-confirm-{width}"
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, name, full_page=True)
        problems += [f"{name}: {problem}" for problem in page.evaluate(LAYOUT_PROBLEMS)]
    page.get_by_role("button", name=KEEP[group]).click()
    return problems


START = {"ltr": "Start", "rtl": "ابدأ"}
DELETE = {"ltr": "Delete my answers", "rtl": "احذف إجاباتي"}
KEEP = {"ltr": "No, keep them", "rtl": "لا، احتفظ بها"}
FINISHED = {"ltr": "The chat has finished", "rtl": "انتهت المحادثة"}
"""The buttons, in the page's own words (web.po)."""


@pytest.mark.parametrize("group", sorted(LOCALES))
def test_every_question_type_fits_every_screen(page, live, layout_round, group):
    page.goto(f"{live}/s/{layout_round.link}?lang={LOCALES[group]}")
    assert page.evaluate("document.documentElement.dir") == group
    page.get_by_role("button", name=START[group]).click()
    problems = []
    for kind, shows in QUESTIONS.items():
        page.locator(shows).first.wait_for()
        assert page.evaluate("document.documentElement.dir") == group
        for width in WIDTHS:
            problems += problems_at(page, width, kind, f"layout-{group}-{kind}-{width}",
                                    LOCALES[group])
        if kind == "pick-several":
            problems += confirm_problems(page, group)
        page.set_viewport_size({"width": 390, "height": 800})
        page.locator("#answer .skip").click()
        page.locator(shows).first.wait_for(state="detached")
    page.get_by_text(FINISHED[group]).wait_for()
    assert not problems, "\n".join(problems)


# The pick-several bug this test was written for, put back into the page: the form also had
# the class "typed", and `.typed input {width: 100%}` beat `.choice-box input`, so each tick
# box took the whole width and pushed its words out of sight ("Volu", "Loo for wor").
OLD_PICK_SEVERAL_BUG = """() => {
  document.querySelector('#answer form.several').classList.add('typed');
  const sheet = Array.from(document.styleSheets).find((s) => s.href && s.href.endsWith('chat.css'));
  sheet.insertRule('.typed input { width: 100%; }', sheet.cssRules.length);
}"""


def test_the_layout_test_fails_on_the_old_pick_several_bug(page, live, layout_round):
    page.goto(f"{live}/s/{layout_round.link}?lang=en")
    page.get_by_role("button", name="Start").click()
    for kind in ("faces", "choice"):
        page.locator(QUESTIONS[kind]).first.wait_for()
        page.locator("#answer .skip").click()
        page.locator(QUESTIONS[kind]).first.wait_for(state="detached")
    page.locator(QUESTIONS["pick-several"]).first.wait_for()
    assert not problems_at(page, 390, "pick-several", "layout-ltr-pick-several-390-fixed")
    page.evaluate(OLD_PICK_SEVERAL_BUG)
    for width in WIDTHS:
        found = "\n".join(problems_at(page, width, "pick-several", f"layout-old-bug-{width}"))
        assert "the tick box of label" in found and "px wide" in found, found
        assert "spills out of label" in found or "cut off in label" in found, found
