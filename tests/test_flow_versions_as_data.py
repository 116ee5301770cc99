"""A published flow version and its translations are one unit in the database.

Two app instances stand for two processes (two web workers, or a web worker and
a job worker) sharing one database and one Redis. The second is given flow and
catalogue directories that do not exist: it can only say what the database holds.
"""

from __future__ import annotations

import pytest

from tests.helpers import FIXTURE_FLOWS, open_round, publish_fixture_flows, seed_tenant

pytestmark = pytest.mark.redis

CONSENT_BEFORE = "Ydych chi eisiau cymryd rhan?"
CONSENT_AFTER = "Wyt ti eisiau cymryd rhan?"


@pytest.fixture
def two_apps(make_app, tmp_path):
    """(publisher, other): the first publishes from the fixture flows; the second has no files."""
    from chatsurvey.extensions import db, redis_client

    publisher = make_app()
    redis_client(publisher).flushdb()
    with publisher.app_context():
        db.create_all()
    other = make_app(FLOWS_DIR=str(tmp_path / "no-flows"), LOCALES_DIR=str(tmp_path / "no-po"))
    yield publisher, other
    with publisher.app_context():
        db.session.remove()
        db.drop_all()


def _welsh_consent(app, round_id):
    """Start a Welsh conversation on a round, in ``app``; (conversation id, consent words)."""
    from chatsurvey import conversations
    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        survey_round = db.session.get(SurveyRound, round_id)
        started = conversations.begin(survey_round, "web", locale="cy")
        outcome = conversations.reply(started.conversation, survey_round.tenant_id,
                                      f"{started.conversation}-1", "Cymraeg")
        return started.conversation, outcome.replies[-1]["text"]


def _catalogue_with(text: str) -> bytes:
    po = (FIXTURE_FLOWS / "locales/cy/LC_MESSAGES/flows.po").read_text("utf-8")
    assert f'msgstr "{CONSENT_BEFORE}"' in po
    return po.replace(f'msgstr "{CONSENT_BEFORE}"', f'msgstr "{text}"').encode()


def test_a_translation_published_in_one_process_is_said_by_another_without_restart(two_apps):
    from chatsurvey import conversations
    from chatsurvey.extensions import db
    from chatsurvey.flows.models import FlowVersion
    from chatsurvey.flows.publish import publish_translations
    from chatsurvey.rounds.models import SurveyRound

    publisher, other = two_apps
    with publisher.app_context():
        tenant = seed_tenant()
        first = open_round(tenant, publish_fixture_flows()["router"], name="Autumn").id
    old_conversation, said = _welsh_consent(other, first)
    assert said == CONSENT_BEFORE  # the other process has no catalogue files: it read the row

    with publisher.app_context():
        published = publish_translations("cy", _catalogue_with(CONSENT_AFTER))
        db.session.commit()
        assert "router" in {row.flow_id for row in published}
        second = open_round(db.session.get(SurveyRound, first).tenant,
                            FlowVersion.latest("router"), name="Spring").id

    # The other process, not restarted, says the new words on a round that pins the new version,
    _, said = _welsh_consent(other, second)
    assert said == CONSENT_AFTER
    # and the old ones on a round, and in a conversation, pinned to the old version.
    assert _welsh_consent(other, first)[1] == CONSENT_BEFORE
    with other.app_context():
        survey_round = db.session.get(SurveyRound, first)
        outcome = conversations.reply(old_conversation, survey_round.tenant_id, "old-2",
                                      {"command": "back"})
    assert outcome.replies[-1]["text"] == CONSENT_BEFORE


def test_both_processes_render_every_pinned_version_identically(two_apps):
    """Every message of every published version, in every locale and channel, word for word."""
    from chatsurvey.flows.models import FlowVersion
    from chatsurvey.flows.publish import publish_translations
    from chatsurvey.flows.store import flow_store

    publisher, other = two_apps
    with publisher.app_context():
        from chatsurvey.extensions import db

        publish_fixture_flows()
        publish_translations("cy", _catalogue_with(CONSENT_AFTER))
        db.session.commit()
        versions = [(r.flow_id, r.version) for r in db.session.query(FlowVersion)]

    def words(app):
        with app.app_context():
            said = {}
            for flow_id, version in versions:
                flow = flow_store().get(flow_id, version)
                for key in flow.messages:
                    for locale in flow.locales:
                        for channel in ("sms", "web"):
                            said[(flow_id, version, key, locale, channel)] = flow.texts.text(
                                f"{flow_id}:{key}", locale, channel)
            return said

    mine, theirs = words(publisher), words(other)
    assert mine == theirs
    assert mine[("router", 1, "consent", "cy", "web")] == CONSENT_BEFORE
    assert mine[("router", 2, "consent", "cy", "web")] == CONSENT_AFTER


def test_the_service_reads_no_flow_files_at_run_time(two_apps, monkeypatch):
    """Compiling a published version opens no file under flows/ or locales/."""
    import builtins
    from pathlib import Path

    from chatsurvey.flows.store import flow_store

    publisher, other = two_apps
    with publisher.app_context():
        from chatsurvey.extensions import db

        publish_fixture_flows()
        db.session.commit()
    opened = []
    real_open, real_read = builtins.open, Path.read_bytes

    def spy(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(Path, "read_bytes", lambda self: (opened.append(str(self)),
                                                           real_read(self))[1])
    with other.app_context():
        flow = flow_store().get("router", 1)
        assert flow.bundle["kids"].texts.text("kids:happy", "cy", "web") == \
            "Sut oeddet ti'n teimlo ddoe?"
    assert not [p for p in opened if "/flows/" in p or "locales" in p], opened


def test_flows_publish_stores_each_version_with_its_catalogues(app, tmp_path):
    """The seed: `chatsurvey flows publish DIR --locales DIR`; changed words make a new version."""
    import shutil

    from chatsurvey.cli import main
    from chatsurvey.extensions import db
    from chatsurvey.flows.models import FlowVersion

    runner = app.test_cli_runner()
    published = runner.invoke(main, args=["flows", "publish", str(FIXTURE_FLOWS)])
    assert published.exit_code == 0, published.output
    with app.app_context():
        pets = FlowVersion.latest("pets")
        assert pets.translations["cy"]["pets:has_pet"]["str"] == "Oes gennych chi anifail anwes?"
        assert "ar" not in pets.translations  # pets is not offered in Arabic
        assert "router:consent" not in pets.translations["cy"]
    words = tmp_path / "words"
    shutil.copytree(FIXTURE_FLOWS / "locales", words)
    po = words / "cy/LC_MESSAGES/flows.po"
    po.write_text(po.read_text("utf-8").replace("Oes gennych chi anifail anwes?",
                                                "Oes gen ti anifail anwes?"), "utf-8")
    again = runner.invoke(main, args=["flows", "publish", str(FIXTURE_FLOWS),
                                      "--locales", str(words)])
    assert again.exit_code == 0, again.output
    assert "pets v2" in again.output
    with app.app_context():
        rows = db.session.query(FlowVersion).filter_by(flow_id="pets").order_by(
            FlowVersion.version).all()
        assert [r.translations["cy"]["pets:has_pet"]["str"] for r in rows] == [
            "Oes gennych chi anifail anwes?", "Oes gen ti anifail anwes?"]
        assert rows[0].source == rows[1].source
