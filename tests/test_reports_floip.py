"""Raw-data exports hold every answer, with its question's words, in Flow Results 1.0 form."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest
from sqlalchemy import select, update

from tests.floip_check import floip_problems

pytestmark = [pytest.mark.slow, pytest.mark.redis]

@pytest.fixture
def exported(app):
    """A sealed round whose responses name the entry flow, as the chat and SMS store them."""
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db
    from chatsurvey.reports import rules
    from chatsurvey.reports.exports import raw_export
    from chatsurvey.responses.models import Response
    from chatsurvey.rounds.models import SurveyRound
    from devtools.demo_data import generate

    with app.app_context():
        truth = generate(councils=3, seed=3, responses=1200)
        council = truth.councils[0]
        round_id = council.rounds["current"]
        db.session.execute(update(Response).where(Response.round_id == round_id)
                           .values(flow_id="your-life"))
        db.session.commit()
        tenant = db.session.scalars(select(Tenant).where(Tenant.slug == council.slug)).one()
        survey_round = db.session.get(SurveyRound, round_id)
        yield tenant, survey_round, raw_export(tenant, survey_round, rules())


def test_the_package_is_flow_results_1_0_and_frictionless_agrees(exported, tmp_path):
    from chatsurvey.reports.exports import floip_package

    _, _, export = exported
    package, data = floip_package(export)
    rows = json.loads(data)
    assert floip_problems(package, rows, tmp_path) == []
    assert package["profile"] == "flow-results-package"
    assert package["flow_results_specification_version"] == "1.0.0-rc1"
    assert uuid.UUID(package["id"]).version == 4


def test_every_answer_of_every_age_band_is_exported_with_its_words(exported):
    from chatsurvey.reports.exports import floip_package, to_csv

    _, _, export = exported
    package, data = floip_package(export)
    questions = package["resources"][0]["schema"]["questions"]
    bands = {r["age_band"] for r in export.rows}
    assert {"4-7", "8-11", "11-18", "16-25"} <= bands
    # Questions of the age-band flows, not only the entry flow's one question.
    for key in ("feels_safe", "has_good_friend", "life_satisfaction", "trusts_personal_adviser"):
        assert key in questions, key
        assert questions[key]["label"] != key.replace("_", " ") and "?" in questions[key]["label"]
    assert "helped_by" not in questions  # never exported (docs/reports.md)
    rows = json.loads(data)
    by_contact: dict[str, dict] = {}
    for _, _, contact, session, key, response, _ in rows:
        assert contact == session
        by_contact.setdefault(contact, {})[key] = response
        q = questions[key]
        if q["type"] == "select_one":
            assert isinstance(response, str) and response in q["type_options"]["choices"]
        elif q["type"] == "select_many":
            assert isinstance(response, list) and set(response) <= set(
                q["type_options"]["choices"])
        else:
            assert isinstance(response, int | float)
    assert any(isinstance(r[5], list) for r in rows)  # multiple choice as arrays
    # The package holds every answer the CSV holds.
    released = list(csv.DictReader(io.StringIO(to_csv(export))))
    assert len(released) == len(by_contact)
    for line in released:
        mine = by_contact[line["row"]]
        for column, text in line.items():
            if column == "row" or text == "":
                continue
            value = mine[column]
            shown = ";".join(value) if isinstance(value, list) else str(value)
            assert shown == text, (column, text, value)


def test_the_most_skipped_questions_are_named_in_words(exported):
    from chatsurvey.reports import council_report

    tenant, survey_round, _ = exported
    pub = council_report(tenant, survey_round)
    assert pub.missing
    for m in pub.missing:
        assert m.label != m.key.replace("_", " "), m
        assert m.rate is None or m.rate < 100, m


def test_an_export_too_small_to_release_lists_no_questions(app):
    from chatsurvey.reports.exports import Question, RawExport, k_anonymise, to_csv

    with app.app_context():
        rows = [{"survey": "s", "age_band": "16-25", "status": "complete", "feels_safe": "yes"}]
        kept, _ = k_anonymise(rows, ["gender"], 10, {})
        assert rows == []
    from chatsurvey.reports import exports

    columns = ["row", "survey", "age_band", "status"]
    assert to_csv(RawExport("t", "r", None, columns, [], {}, [])).strip() == ",".join(columns)
    assert Question and {"helped_by"} == exports.NEVER_EXPORTED
