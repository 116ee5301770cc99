"""Reports end to end on synthetic data: true rates recovered, planted councils found, outputs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

pytestmark = [pytest.mark.slow, pytest.mark.redis]

OUTPUT = Path(__file__).resolve().parent.parent / "test-output" / "reports"


@pytest.fixture
def demo(app):
    from devtools.demo_data import generate

    with app.app_context():
        truth = generate(councils=8, seed=3, open_rounds=1)
        yield truth


def _tenant(slug):
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db

    return db.session.scalars(select(Tenant).where(Tenant.slug == slug)).one()


def test_reports_recover_true_rates_and_flag_the_planted_councils(demo):
    from chatsurvey.extensions import db
    from chatsurvey.reports import council_report, flags
    from chatsurvey.rounds.models import SurveyRound

    inside = outside = 0
    found, missed, wrong_way = [], [], []
    planted = {(s, b, k): d for s, b, k, d in demo.planted()}
    for council in demo.councils:
        pub = council_report(_tenant(council.slug),
                             db.session.get(SurveyRound, council.rounds["current"]))
        assert not pub.is_open
        for band in pub.bands:
            for row in band.rows:
                p = row.council.percent
                if not p.shown or row.key not in demo.base.get(band.band, {}):
                    continue
                true = 100 * demo.rate(council.slug, band.band, row.key)
                if p.low - 0.5 <= true <= p.high + 0.5:
                    inside += 1
                else:
                    outside += 1
                delta = planted.get((council.slug, band.band, row.key))
                if delta is None:
                    continue
                want = flags.BRIGHT if delta > 0 else flags.IMPROVE
                if row.flag_others == want:
                    found.append(row.key)
                elif row.flag_others in (flags.BRIGHT, flags.IMPROVE):
                    wrong_way.append(row.key)
                elif (row.council.answered or 0) >= 80:
                    missed.append(row.key)
    # 95% intervals: about 1 in 20 true rates may fall outside by chance.
    assert inside > 300
    assert outside / (inside + outside) < 0.1, (inside, outside)
    assert found, "no planted difference was flagged"
    assert not wrong_way
    assert len(missed) <= len(found) // 2, (found, missed)


def test_open_round_shows_totals_only(demo):
    from chatsurvey.extensions import db
    from chatsurvey.reports import council_report
    from chatsurvey.rounds.models import SurveyRound

    council = demo.councils[0]
    pub = council_report(_tenant(council.slug), db.session.get(SurveyRound,
                                                               council.rounds["open"]))
    assert pub.is_open and pub.total > 0
    assert all(b.rows == () for b in pub.bands)
    assert not pub.quotes and not pub.missing and not pub.bright_spots


def test_cli_writes_every_format(app, demo, tmp_path):
    from chatsurvey.cli.reports import report_command
    from chatsurvey.extensions import db
    from chatsurvey.reports.models import Pledge
    from tests.floip_check import floip_problems

    council = demo.councils[1]
    tenant = _tenant(council.slug)
    db.session.add(Pledge(tenant_id=tenant.id, round_id=council.rounds["current"],
                          you_said="You want to see your brothers and sisters more.",
                          we_will="We will plan family time with you, not for you.",
                          position=1))
    db.session.commit()
    runner = app.test_cli_runner()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    outputs = {}
    for fmt, name in (("html", "report.html"), ("pdf", "report.pdf"),
                      ("summary", "summary.html"), ("csv", "responses.csv"),
                      ("floip", "floip")):
        out = tmp_path / name
        result = runner.invoke(report_command, [council.slug, str(council.rounds["current"]),
                                                "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        outputs[fmt] = out

    html = outputs["html"].read_text()
    assert "<script" not in html and html.count("<svg") >= 4
    assert html.count('role="img"') == html.count("<desc")  # every chart has its words
    assert "Bright Spot" in html and "How to read this report" in html

    summary = outputs["summary"].read_text()
    assert "We will plan family time with you" in summary and "What you told us" in summary
    # Written for young people: the page at a reading age of 8 or under (Flesch-Kincaid + 5)
    # and no long sentence above 9, the picture credit aside. tests/test_reports_summary.py
    # checks each age band's summary the same way.
    import html as html_lib
    import re

    from chatsurvey.engine.readability import reading_age

    text = re.sub(r"<(style|svg)\b.*?</\1>", "", summary, flags=re.S)
    lines = [ln.strip() for ln in html_lib.unescape(re.sub(r"<[^>]+>", "\n", text)).splitlines()
             if ln.strip() and "OpenMoji" not in ln]
    assert reading_age(" ".join(lines)) <= 8
    ages = [(reading_age(ln), ln) for ln in lines if len(ln.split()) >= 8]
    assert all(age is None or age <= 9 for age, _ in ages), ages

    rows = outputs["csv"].read_text().splitlines()
    assert rows[0].startswith("row,survey,age_band,status")
    assert not {"week", "channel", "locale", "helped"} & set(rows[0].split(","))

    package = json.loads((outputs["floip"] / "datapackage.json").read_text())
    rows = json.loads((outputs["floip"] / "flow-results-data.json").read_text())
    assert floip_problems(package, rows, tmp_path) == []
    assert package["flow_results_specification_version"] == "1.0.0-rc1"
    assert "feels_safe" in package["resources"][0]["schema"]["questions"]

    # The PDF, looked at as a person would: its pages kept as PNGs with the test output.
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(outputs["pdf"].read_bytes())
    try:
        assert len(pdf) >= 4
        for i in range(min(4, len(pdf))):
            page = pdf[i]
            page.render(scale=1.2).to_pil().save(OUTPUT / f"staff-report-page-{i + 1}.png")
            page.close()
    finally:
        pdf.close()
    (OUTPUT / "staff-report.html").write_text(html)
    (OUTPUT / "summary.html").write_text(summary)

    refused = runner.invoke(report_command, [council.slug, str(demo.councils[0].rounds["open"]),
                                             "--format", "csv", "--out",
                                             str(tmp_path / "x.csv")])
    assert refused.exit_code != 0


def test_demo_data_is_deterministic(app):
    from chatsurvey.extensions import db
    from chatsurvey.responses.models import Response
    from devtools.demo_data import generate

    with app.app_context():
        first = generate(councils=3, seed=11, now=datetime(2026, 6, 1, tzinfo=UTC))
        answers = [r.answers for r in db.session.scalars(select(Response).order_by(
            Response.round_id, Response.id))]
        again = generate(councils=3, seed=11, now=datetime(2026, 6, 1, tzinfo=UTC),
                         prefix="again")
        assert first.planted() == [(s.replace("again", "demo"), b, k, d)
                                   for s, b, k, d in again.planted()]
        assert first.responses == again.responses
        assert len(answers) == first.responses


def test_demo_data_command_refuses_to_add_the_same_set_twice(app, tmp_path):
    from devtools.cli import demo_data_command

    runner = app.test_cli_runner()
    truth = tmp_path / "truth.json"
    first = runner.invoke(demo_data_command, ["--councils", "2", "--seed", "1",
                                              "--truth", str(truth)])
    assert first.exit_code == 0, first.output
    assert "2 councils" in first.output
    assert json.loads(truth.read_text())["seed"] == 1
    again = runner.invoke(demo_data_command, ["--councils", "2"])
    assert again.exit_code != 0 and "another --prefix" in again.output


def test_programme_view_pools_every_council_and_keeps_the_rules(demo):
    from chatsurvey.reports import rules
    from chatsurvey.reports.programme import programme_view

    view = programme_view("your-life-your-care", rules())
    assert view.councils == len(demo.councils)
    assert dict(view.by_country) and sum(n for _, n in view.by_country) == view.councils
    assert [b.band for b in view.bands] == ["4-7", "8-11", "11-18"]
    for band in view.bands:
        assert band.responses is None or band.responses % 5 == 0
        for row in band.rows:
            assert row.all.answered is None or row.all.answered % 5 == 0
            assert row.bright + row.improve <= view.councils
            if row.councils:
                assert 0 <= row.lowest <= row.highest <= 100
            for _, percent in row.countries:
                assert percent.shown or percent.reason in ("few", "hidden", "pool")
    planted_up = {(b, k) for s, b, k, d in demo.planted() if d > 0 and b != "16-25"}
    flagged = {(band.band, row.key) for band in view.bands for row in band.rows if row.bright}
    assert planted_up & flagged, "the programme view finds no council planted better"
