"""Property: whatever the responses, no published cell breaks a disclosure rule, in any format.

Hypothesis draws random response sets (councils, age bands, answers, skips,
channels, weeks, comments and their review status, open or closed rounds).
They are counted with the real tally code and catalogue, published, and
rendered as HTML, PDF and the young people's summary. The published report is
checked against the exact counts (§6.4 of the domain reference); each output
is checked to show no number the published report does not hold, so no
renderer can add one the rules did not let through. Raw-data exports (CSV and
FLOIP) are checked for k-anonymity on random rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatsurvey.reports import flags
from chatsurvey.reports.disclosure import grid_layout, pool_allowed, recoverable
from chatsurvey.reports.model import BandResult, IndicatorResult, Pool, RawQuote, Report
from chatsurvey.reports.publish import publish
from chatsurvey.reports.response_rates import ALL_CHANNELS
from chatsurvey.reports.rules import Rules
from chatsurvey.reports.tally import Judge, tally_group

FLOWS = Path(__file__).resolve().parent.parent / "flows"
RULES = Rules()
BANDS = {"4-7": "your-life-your-care", "8-11": "your-life-your-care",
         "11-18": "your-life-your-care", "16-25": "your-life-beyond-care"}
WEEKS = ["2026-W10", "2026-W11", "2026-W12"]


@cache
def _setup():
    from chatsurvey.engine import FlowLibrary
    from chatsurvey.reports.indicators import load_catalogue
    from devtools.demo_data import _questions

    catalogue = load_catalogue(FLOWS / "indicators.yaml")
    library = FlowLibrary.load([FLOWS])
    flows = {f.age_band: f for f in library.flows.values() if f.age_band}
    by_key = {i.key: i for i in catalogue}
    questions = {b: [q for q in _questions(flows[b], by_key) if q.positive and q.negative]
                 for b in BANDS}
    return catalogue, questions


group = st.fixed_dictionaries({
    "n": st.integers(0, 45),
    "p": st.sampled_from([0.0, 0.05, 0.5, 0.9, 1.0]),
    "skip": st.sampled_from([0.0, 0.1, 0.6]),
})


@st.composite
def response_sets(draw):
    bands = draw(st.lists(st.sampled_from(list(BANDS)), min_size=1, max_size=4, unique=True))
    return {
        "bands": bands,
        "council": {b: draw(group) for b in bands},
        "others": {b: draw(group) for b in bands},
        "previous": {b: draw(group) for b in bands} if draw(st.booleans()) else None,
        "open": draw(st.booleans()),
        "pool": draw(st.sampled_from([1, 2, 3, 5])),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "comments": draw(st.lists(st.tuples(st.sampled_from(["approved", "pending",
                                                               "rejected"]), st.booleans()),
                                  max_size=15)),
    }


def _answers(rng, band, spec):
    _, questions = _setup()
    rows, skipped = [], []
    for _ in range(spec["n"]):
        answers, skips = {}, []
        for q in questions[band]:
            if rng.random() < spec["skip"]:
                skips.append(q.key)
            else:
                value = rng.choice(q.positive if rng.random() < spec["p"] else q.negative)
                answers[q.key] = [value] if q.ask == "multi" else value
        rows.append(answers)
        skipped.append(skips)
    return rows, skipped


def _split(n: int, councils: int) -> tuple[int, ...]:
    """``n`` answers as if from ``councils`` councils of nearly equal size."""
    return tuple(n // councils + (1 if i < n % councils else 0) for i in range(councils))


def build(data) -> Report:
    """A computed report from a drawn response set (the real tally, no database)."""
    import random

    catalogue, _ = _setup()
    rng = random.Random(data["seed"])
    judge = Judge(catalogue)
    bands, by_channel, by_week, total = [], {}, {}, 0
    for band in sorted(data["bands"], key=list(BANDS).index):
        survey = BANDS[band]
        tallies = {}
        for side in ("council", "others", "previous"):
            if data[side] is None:
                continue
            rows, skipped = _answers(rng, band, data[side][band])
            tallies[side] = tally_group(rows, skipped, judge.applying(survey, band))
        mine = tallies["council"]
        total += mine.responses
        for _ in range(mine.responses):
            key = (band, rng.choice(ALL_CHANNELS))
            by_channel[key] = by_channel.get(key, 0) + 1
            week = rng.choice(WEEKS)
            by_week[week] = by_week.get(week, 0) + 1
        results = [IndicatorResult(
            indicator=i, council=mine.counts(i.key), others=tallies["others"].counts(i.key),
            others_parts=_split(tallies["others"].counts(i.key).answered, data["pool"]),
            previous=tallies["previous"].counts(i.key) if "previous" in tallies else None,
            comparator=i.comparator_for(band)) for i in judge.for_keys(survey, band)]
        asked = {k: (mine.present[k], mine.skipped[k])
                 for k in set(mine.present) | set(mine.skipped)}
        bands.append(BandResult(survey, band, f"Survey {band}", mine.responses,
                                rng.choice([None, 0, 40, 400]), results, asked))
    quotes, cells = [], {}
    for i, (status, flagged) in enumerate(data["comments"]):
        band = rng.choice(data["bands"])
        cells[(band, "better_things")] = rng.choice([3, 9, 10, 40])
        if status == "approved" and not flagged:
            quotes.append(RawQuote(band, "better_things", f"Quote number {i} here", f"{i:04d}"))
    opens = datetime(2026, 3, 2, tzinfo=UTC)
    return Report(
        tenant_slug="prop", tenant_name="Property Council", country="england", round_id=1,
        round_name="Spring 2026", opens_at=opens, closes_at=opens + timedelta(days=20),
        is_open=data["open"], final=not data["open"],
        generated_at=opens + timedelta(days=30), total=total,
        eligible={b.band: b.eligible for b in bands if b.eligible},
        surveys=sorted({b.survey for b in bands}), by_band_channel=by_channel, by_week=by_week,
        weeks=WEEKS, bands=bands, previous={"your-life-your-care": "Autumn 2025",
                                            "your-life-beyond-care": "Autumn 2025"},
        pools={"your-life-your-care": Pool(3, 3, "Other councils: 3.")},
        quotes=quotes, quote_cells=cells, labels={})


# -- the rules, checked against exact counts --------------------------------------------------


def _count_ok(shown, exact, *, exact_allowed=False):
    if shown is None:
        return True
    if 1 <= shown <= RULES.small_count or 1 <= exact <= RULES.small_count:
        return False
    return shown == exact if exact_allowed else shown % RULES.round_to == 0 and \
        abs(shown - exact) <= RULES.round_to // 2


def _percent_ok(p, positive, n):
    if not p.shown:
        return True
    if n < RULES.min_cell:
        return False
    if positive in (0, n) and n < RULES.extreme_min:
        return False
    return p.value == int(100 * positive / n + 0.5)


def check_published(report: Report, pub) -> None:
    """Every rule of §6.4 that a published report can break."""
    exact_tables = {
        "by-band-channel": [[report.by_band_channel.get((b.band, c), 0) for c in ALL_CHANNELS]
                            for b in report.bands],
        "by-week": [[report.by_week.get(w, 0)] for w in report.weeks],
        "by-band": [[b.responses] for b in report.bands]}
    for table in pub.tables:
        counts = exact_tables[table.id]
        margins = table.row_totals is not None
        layout = grid_layout(counts, row_totals=margins, col_totals=margins)
        hidden = set()
        for i, row in enumerate(table.cells):
            for j, shown in enumerate(row):
                assert _count_ok(shown, counts[i][j]), (table.id, i, j, shown, counts[i][j])
                if shown is None:
                    hidden.add(("c", i, j))
        for i, shown in enumerate(table.row_totals or ()):
            assert _count_ok(shown, sum(counts[i]))
            if shown is None:
                hidden.add(("r", i))
        for j, shown in enumerate(table.col_totals or ()):
            assert _count_ok(shown, sum(r[j] for r in counts))
            if shown is None:
                hidden.add(("k", j))
        assert table.total == report.total
        assert not recoverable(layout, hidden), table.id
    if not report.final:  # the total only; no band that only its own responses reveal
        assert [b.band for b in pub.bands] == [b.band for b in report.bands if b.eligible]
        assert all(b.rows == () and b.responses is None for b in pub.bands)
    assert report.final or not (pub.missing or pub.quotes or pub.bright_spots
                                or pub.improvements or pub.tables)
    for band, exact in zip(pub.bands, report.bands, strict=True) if report.final else ():
        assert _count_ok(band.responses, exact.responses)
        if band.rate is not None:  # worked out from the published (rounded) count
            assert band.rate == min(100, int(100 * band.responses / band.eligible + 0.5))
        if not report.final:
            assert band.rows == () and band.responses is None  # the total only while open
            continue
        for row, result in zip(band.rows, exact.indicators, strict=True):
            c, o = result.council, result.others
            assert _count_ok(row.council.answered, c.answered)
            assert _count_ok(row.council.skipped, c.skipped)
            assert _count_ok(row.others.answered, o.answered)
            assert _percent_ok(row.council.percent, c.positive, c.answered)
            assert _percent_ok(row.others.percent, o.positive, o.answered)
            if row.others.percent.shown or row.others.answered is not None:
                assert pool_allowed(result.others_parts, RULES)  # the dominance rule
            if row.flag_others != flags.NOT_COMPARED:
                assert c.answered >= RULES.min_flag and o.answered >= RULES.min_flag
                assert row.council.percent.shown and row.others.percent.shown
            if row.flag_general not in ("", flags.NOT_COMPARED):
                assert c.answered >= RULES.min_flag and row.council.percent.shown
            if row.change is not None:
                assert result.previous is not None
                assert _percent_ok(row.change.percent, result.previous.positive,
                                   result.previous.answered)
                if row.change.verdict != flags.NOT_COMPARED:
                    assert min(c.answered, result.previous.answered) >= RULES.min_flag
    if not report.final:
        assert not (pub.missing or pub.quotes or pub.bright_spots or pub.improvements)
        assert pub.tables == ()
    for m in pub.missing:
        asked = sum(sum(b.asked.get(m.key, (0, 0))) for b in report.bands)
        skipped = sum(b.asked.get(m.key, (0, 0))[1] for b in report.bands)
        assert _count_ok(m.asked, asked) and _count_ok(m.skipped, skipped)
        if m.rate is not None:
            assert asked >= RULES.min_cell and m.skipped is not None
    allowed = {q.text for q in report.quotes}
    for q in pub.quotes:
        assert q.text in allowed                       # approved and not flagged only
        assert report.quote_cells[(q.band, "better_things")] >= RULES.min_cell
        assert q.band in BANDS                         # attributed to an age band, nothing else


# -- every output shows only numbers the published report holds ------------------------------

NUMBER = re.compile(r"\d+(?:,\d{3})*")


def _numbers(text: str) -> set[int]:
    return {int(n.replace(",", "")) for n in NUMBER.findall(text)}


def _allowed(pub) -> set[int]:
    found: set[int] = {0, 25, 50, 75, 100}  # chart axis ticks

    def walk(value):
        if is_dataclass(value):
            for f in fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, (tuple, list)):
            for v in value:
                walk(v)
        elif isinstance(value, bool):
            return
        elif isinstance(value, int):
            found.update({value, (value + 5) // 10})  # the summary's "about 8 in 10"
        elif isinstance(value, str):
            found.update(_numbers(value))
        elif isinstance(value, datetime):
            found.update(_numbers(value.strftime("%-d %B %Y")))
    walk(pub)
    return found


def html_text(html: str) -> str:
    from html.parser import HTMLParser

    parts: list[str] = []

    class Text(HTMLParser):
        skip = False

        def handle_starttag(self, tag, attrs):
            self.skip = tag == "style"

        def handle_endtag(self, tag):
            self.skip = False

        def handle_data(self, data):
            if not self.skip:
                parts.append(data)

    Text().feed(html)
    return " ".join(parts)


def pdf_text(pdf: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        out = []
        for page in doc:
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(out)
    finally:
        doc.close()


@pytest.fixture
def report_app(make_app):
    app = make_app()
    with app.test_request_context():
        yield app


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=response_sets())
def test_no_published_cell_breaks_a_rule_in_any_format(report_app, data):
    from chatsurvey.reports.render_html import render_staff
    from chatsurvey.reports.render_pdf import render_pdf
    from chatsurvey.reports.summary import ATTRIBUTION, render_summary

    report = build(data)
    pub = publish(report, RULES)
    check_published(report, pub)
    allowed = _allowed(pub)
    for name, text in (("html", html_text(render_staff(pub))),
                       ("summary", html_text(render_summary(pub, pledges=[]))),
                       ("pdf", pdf_text(render_pdf(pub)))):
        # Childline's and Samaritans' numbers, and the pictures' licence (CC BY-SA 4.0)
        extra = _numbers(text.replace("0800 1111", "").replace("116 123", "")
                         .replace(ATTRIBUTION, "")) - allowed
        assert not extra, (name, sorted(extra))


# -- raw-data exports ---------------------------------------------------------------------------

ROW = st.fixed_dictionaries({
    "age_band": st.sampled_from(["4-7", "8-11", "11-18", "16-25", ""]),
    "gender": st.sampled_from(["female", "male", "another_way", ""]),
    "placement_type": st.sampled_from(["foster_care", "kinship_care", "residential",
                                       "somewhere_else", ""]),
    "disability": st.sampled_from(["yes", "no", ""]),
    "feels_safe": st.sampled_from(["always", "sometimes", "never", ""]),
})


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(ROW, max_size=120))
def test_raw_exports_are_k_anonymous_in_csv_and_floip(rows):
    from chatsurvey.config import REPORT_GENERALISE, REPORT_QUASI_IDENTIFIERS
    from chatsurvey.reports.exports import Question, RawExport, floip_package, k_anonymise, to_csv

    rows = [{**r, "survey": "s", "status": "complete", "row": f"r{i}"}
            for i, r in enumerate(rows)]
    quasi = list(REPORT_QUASI_IDENTIFIERS)
    kept, _ = k_anonymise(rows, quasi, RULES.k, REPORT_GENERALISE)
    export = RawExport("prop", "Spring", datetime(2026, 3, 20, tzinfo=UTC),
                       ["row", "survey", "age_band", "status", *kept, "feels_safe"], rows,
                       {k: Question(k, k, "select_one") for k in (*kept, "feels_safe")}, [])
    released = list(csv.DictReader(io.StringIO(to_csv(export))))
    assert not released or len(released) >= RULES.k
    qi = ["age_band", *[c for c in quasi if c in kept]]
    combos: dict[tuple, int] = {}
    for r in released:
        key = tuple(r.get(c, "") for c in qi)
        combos[key] = combos.get(key, 0) + 1
    assert all(n >= RULES.k for n in combos.values()), combos
    # FLOIP: the same rows, one line per answer; background answers the same classes.
    _, data = floip_package(export)
    per_contact: dict[str, dict] = {}
    for _, _, contact, _, question, response, _ in json.loads(data):
        per_contact.setdefault(contact, {})[question] = response
    assert len(per_contact) <= len(released)
    classes: dict[tuple, int] = {}
    for answers in per_contact.values():
        key = tuple(answers.get(c, "") for c in qi)
        classes[key] = classes.get(key, 0) + 1
    assert all(n >= RULES.k for key, n in classes.items() if any(key)), classes
