"""Report generation time for 1,000, 10,000 and 100,000 stored responses.

Synthetic councils (``chatsurvey.demo_data``) fill a fresh database; then one
council's report is made end to end, as the admin and ``chatsurvey report`` make
it: read and count every response it is compared with (each other council's
latest round and its own previous round), disclosure control, then the HTML and
the PDF. Best of three runs. Target: under 5 s at 100,000 responses.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time

from .report import write_section

SIZES = (1_000, 10_000, 100_000)
COUNCILS = 30


def _measure(size: int, tmp: str) -> dict[str, float]:
    from chatsurvey import create_app
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db
    from chatsurvey.reports import rules
    from chatsurvey.reports.compute import build_report
    from chatsurvey.reports.publish import publish
    from chatsurvey.reports.render_html import render_staff
    from chatsurvey.reports.render_pdf import render_pdf
    from chatsurvey.rounds.models import SurveyRound
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
        tenant = db.session.query(Tenant).filter_by(slug=council.slug).one()
        survey_round = db.session.get(SurveyRound, council.rounds["current"])
        best: dict[str, float] = {}
        for _ in range(3):
            db.session.expire_all()
            t0 = time.perf_counter()
            report = build_report(tenant, survey_round)
            t1 = time.perf_counter()
            pub = publish(report, rules())
            t2 = time.perf_counter()
            render_staff(pub)
            t3 = time.perf_counter()
            render_pdf(pub)
            t4 = time.perf_counter()
            for name, value in (("compute", t1 - t0), ("publish", t2 - t1), ("html", t3 - t2),
                                ("pdf", t4 - t3), ("total", t4 - t0)):
                best[name] = min(best.get(name, value), value)
        best["stored"] = truth.responses
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return best


def run() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        results = [(size, _measure(size, tmp)) for size in SIZES]
    engine = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL", "").startswith("postgres") \
        else "SQLite"
    lines = [
        "## Reports (target: under 5 s at 100,000 responses)",
        "",
        f"`python -m bench reports`, {engine} (set BENCH_DATABASE_URL for another database). "
        f"{COUNCILS} synthetic councils, two closed rounds each; the largest council's report, "
        "compared with every other council's latest round and its own previous one. Best of 3.",
        "",
        "| responses stored | read and count | disclosure control | HTML | PDF | total |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for _, r in results:
        lines.append(f"| {int(r['stored']):,} | {r['compute']:.2f} s | {r['publish']:.2f} s | "
                     f"{r['html']:.2f} s | {r['pdf']:.2f} s | **{r['total']:.2f} s** |")
    (small, a), (_, b), (_, c) = results
    lines += ["", f"Growth: x{b['total'] / a['total']:.1f} from 1,000 to 10,000 responses, "
              f"x{c['total'] / b['total']:.1f} from 10,000 to 100,000. Reading and counting "
              "grows with the responses stored; disclosure control and drawing depend only on "
              "the number of indicators and age bands, so they stay flat."]
    body = "\n".join(lines)
    write_section("reports", body)
    return body


__all__ = ["run", "SIZES"]
