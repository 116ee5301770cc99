"""The documented local-questions recipe, followed as written against the programme's flows.

docs/admin.md gives the block a council writes; flows/README.md names the
slots the programme's flows keep for it. Both must say the same thing, the
block must publish against the real flows, and a young person of the
council's round must be asked it (and see the contact after the helplines).
Following the recipe changes nothing in flows/, so the product's own tests
stay as they are.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import open_round, resume, seed_tenant

PROJECT = Path(__file__).resolve().parent.parent
ADMIN = (PROJECT / "docs/admin.md").read_text("utf-8")
FLOWS_README = (PROJECT / "flows/README.md").read_text("utf-8")

pytestmark = pytest.mark.redis


def recipe() -> str:
    section = ADMIN.split("## Local questions (council admins)", 1)[1].split("\n## ", 1)[0]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_the_two_documents_give_one_recipe():
    import yaml

    block = yaml.safe_load(recipe())
    local_section = FLOWS_README.split("## Local questions", 1)[1].split("\n## ", 1)[0]
    for slot in block["slots"]:
        assert f"`{slot}`" in local_section, slot
    assert "docs/admin.md" in local_section  # the block is written where admin.md says
    for text in (ADMIN, FLOWS_README):  # no recipe tests who the council is
        assert not re.search(r"equals: *\"?[A-Z]", text)
        assert "local-<council>" not in text and "param: council" not in text.replace(
            "never branches on `param: council`", "")


def _walk(flow, **start_kwargs) -> list[str]:
    """Play a conversation answering yes, then skipping everything; every text said."""
    from chatsurvey.engine import advance, start

    state, replies, _ = start(flow, **start_kwargs)
    said = [r.text for r in replies]
    for answer in ["English", "yes", *["skip"] * 200]:
        if state.status != "active":
            break
        state, replies, _ = advance(flow, state, resume(answer))
        said += [r.text for r in replies]
    return said


def test_the_recipe_publishes_and_a_young_person_of_the_council_is_asked_it(app):
    from chatsurvey.extensions import db
    from chatsurvey.flows.local import check_local, flow_for, pin_latest, publish_local
    from chatsurvey.flows.models import FlowVersion
    from chatsurvey.flows.publish import publish_directory

    with app.app_context():
        publish_directory(PROJECT / "flows")
        tenant = seed_tenant("recipeshire")
        checked = check_local(recipe())
        assert not checked.errors, checked.errors
        publish_local(recipe(), tenant.id)
        survey_round = open_round(tenant, FlowVersion.latest("your-life"), name="Recipe")
        pin_latest(survey_round)
        db.session.commit()
        version = survey_round.flow_version
        flow = flow_for(version.flow_id, version.version, survey_round.local_questions_id)
        said = _walk(flow, age_band="11-18", locale="en", channel="web")
        plain = _walk(flow_for(version.flow_id, version.version, None), age_band="11-18",
                      locale="en", channel="web")
    assert "Do you go to a youth club near you?" in said
    assert said.index("Do you go to a youth club near you?") + 1 == said.index(
        "What would make your life better?")  # just before the open question
    assert "Our advice line: call 01234 567 890." in said
    assert "youth club" not in " ".join(plain)
