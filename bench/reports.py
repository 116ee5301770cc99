"""Report generation time for 1,000 to 1,000,000 stored responses, in each case a user meets.

Synthetic councils (``chatsurvey.demo_data``) fill a fresh database; then the
largest council's report is made end to end, as the admin and ``chatsurvey
report`` make it: count what it needs, disclosure control, then the HTML and
the PDF. In the order a round lives through them:

- **seal**: the sweeper counts each round once after its seal and keeps the
  figures, one round at a time. Timed for every round but the council's own,
  as the first sweep after upgrading onto a full store would do it; the
  slowest round and the whole lot are shown.
- **open**: its round still open (the report asked for the day before it
  closes; every other round sealed and kept). Only how many answered is shown,
  so only that is counted.
- **first after the seal**: the council asks for its report between its
  round's seal and the next sweep (at most SWEEP_INTERVAL, 30 s): the report
  counts its own round itself; everything it is compared with is kept.
- **later**: every figure kept (best of 3).

Targets: 1 s at 100,000 responses and 5 s at 1,000,000 (PostgreSQL).
BENCH_REPORT_SIZES picks the sizes, e.g. "100000,1000000".
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta

from .report import write_section

SIZES = tuple(int(n) for n in os.environ.get("BENCH_REPORT_SIZES", "1000,10000,100000,1000000")
              .split(","))
COUNCILS = 30


def _report(tenant, survey_round, now: datetime) -> tuple[float, float]:
    """(whole report, of it counting) in seconds."""
    from chatsurvey.extensions import db
    from chatsurvey.reports import rules
    from chatsurvey.reports.compute import build_report
    from chatsurvey.reports.publish import publish
    from chatsurvey.reports.render_html import render_staff
    from chatsurvey.reports.render_pdf import render_pdf

    db.session.expire_all()
    t0 = time.perf_counter()
    report = build_report(tenant, survey_round, now=now)
    t1 = time.perf_counter()
    pub = publish(report, rules())
    render_staff(pub)
    render_pdf(pub)
    return time.perf_counter() - t0, t1 - t0


def _measure(size: int, tmp: str) -> dict[str, float]:
    from chatsurvey import create_app
    from chatsurvey.extensions import db
    from devtools.demo_data import generate

    db_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/reports-{size}.db"
    app = create_app({"SECRET_KEY": "bench-" + secrets.token_hex(16), "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": db_url,
                      "REDIS_URL": f"unix://{tmp}/none.sock"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        truth = generate(councils=COUNCILS, seed=1, responses=size)
        council = max(truth.councils, key=lambda c: sum(c.eligible.values()))
        out = _cases(council.slug, council.rounds["current"])
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return out


def _cases(slug: str, round_id: int) -> dict[str, float]:
    """Each case (call in an app context): the other rounds sealed, then the council's round
    open, just sealed, and sealed and kept."""
    from sqlalchemy import func, select

    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db
    from chatsurvey.reports.snapshot import round_figures
    from chatsurvey.responses.models import Response
    from chatsurvey.rounds.models import SurveyRound

    tenant = db.session.query(Tenant).filter_by(slug=slug).one()
    mine = db.session.get(SurveyRound, round_id)
    assert mine is not None
    sizes = dict(db.session.execute(select(Response.round_id, func.count())
                                    .group_by(Response.round_id)).all())
    out: dict[str, float] = {"stored": sum(sizes.values()), "mine": sizes[mine.id]}

    now = datetime.now(UTC)
    out["seal_all"] = out["seal_max"] = 0.0
    others = db.session.scalars(select(SurveyRound).where(SurveyRound.id != mine.id)).all()
    for survey_round in others:
        t0 = time.perf_counter()
        round_figures([survey_round], now)
        took = time.perf_counter() - t0
        out["seal_all"] += took
        if took > out["seal_max"]:
            out["seal_max"], out["seal_max_n"] = took, sizes.get(survey_round.id, 0)
    out["seal_rounds"] = len(others)

    before_close = mine.closes_at - timedelta(days=1)
    runs = [_report(tenant, mine, before_close) for _ in range(3)]
    out["open"], out["open_count"] = min(runs)

    out["first"], out["first_count"] = _report(tenant, mine, now)
    runs = [_report(tenant, mine, now) for _ in range(3)]
    out["later"], out["later_count"] = min(runs)
    return out


def _rows(r: dict[str, float]) -> list[str]:
    stored, mine = f"{int(r['stored']):,}", f"{int(r['mine']):,}"
    return [
        f"| {stored} | sealing the largest round ({int(r['seal_max_n']):,} responses), "
        f"by the sweeper | every answer of that round | {r['seal_max']:.2f} s | "
        f"{r['seal_max']:.2f} s |",
        f"| {stored} | sealing {int(r['seal_rounds'])} rounds one after another (the sweeper, "
        f"once, after upgrading onto a full store) | every answer stored | "
        f"{r['seal_all']:.2f} s | {r['seal_all']:.2f} s |",
        f"| {stored} | report of the round while open ({mine} answered so far) | its total "
        f"| **{r['open']:.2f} s** | {r['open_count']:.2f} s |",
        f"| {stored} | first report after its round's seal, before the next sweep | its own "
        f"round ({mine}) | **{r['first']:.2f} s** | {r['first_count']:.2f} s |",
        f"| {stored} | report after the seal, figures kept (best of 3) | nothing "
        f"| **{r['later']:.2f} s** | {r['later_count']:.2f} s |",
    ]


def run() -> str:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        results = [(size, _measure(size, tmp)) for size in SIZES]
    engine = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL", "").startswith("postgres") \
        else "SQLite"
    lines = [
        "## Reports (targets: 1 s at 100,000 responses, 5 s at 1,000,000, PostgreSQL)",
        "",
        f"`python -m bench reports`, {engine} (set BENCH_DATABASE_URL for another database). "
        f"{COUNCILS} synthetic councils, two rounds each; the largest council's report of its "
        "latest round, compared (once sealed) with every other council's latest round and its "
        "own previous one, made end to end: counting, disclosure control, HTML and PDF. "
        "Each case as a user meets it: while the round is open only its total is counted; the "
        "sweeper counts each round once after its seal and keeps its figures (timed here for "
        "every round but the council's own); a report asked for between the seal and the next "
        "sweep (30 s) counts its own round; every later report reads kept figures only. "
        "Wall-clock times.",
        "",
        "| responses stored | case | what is counted | time | of it counting |",
        "|---:|---|---|---:|---:|",
    ]
    for _, r in results:
        lines += _rows(r)
    lines += ["", f"_Load average when the run began: {load:.1f} (other work on the machine "
                  "slows every figure)._"]
    body = "\n".join(lines)
    write_section("reports", body)
    return body


__all__ = ["run", "SIZES"]
