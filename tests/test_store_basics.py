"""Councils, published flow versions and secrets at rest."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from chatsurvey.councils.models import Tenant
from chatsurvey.crypto import Crypto, crypto, normalise_number
from chatsurvey.engine import FlowError
from chatsurvey.extensions import db
from chatsurvey.flows.models import FlowVersion
from chatsurvey.flows.publish import publish_directory, publish_version
from chatsurvey.flows.store import FlowStore, flow_store
from chatsurvey.rounds.models import SurveyRound
from tests.helpers import FIXTURE_FLOWS, MINIMAL, publish_fixture_flows, seed_tenant


def test_twilio_tokens_are_encrypted_at_rest(app):
    with app.app_context():
        tenant = seed_tenant(auth_token="super-secret-token")
        raw = db.session.execute(text("SELECT twilio_auth_token FROM tenants")).scalar_one()
        assert "super-secret-token" not in raw
        db.session.expire_all()
        assert db.session.get(Tenant, tenant.id).twilio_auth_token == "super-secret-token"


def test_keys_rotate_and_a_wrong_key_is_explained():
    old, new = Fernet.generate_key(), Fernet.generate_key()
    token = Crypto([old], b"k").encrypt("secret")
    assert Crypto([new, old], b"k").decrypt(token) == "secret"
    with pytest.raises(ValueError, match="encryption keys have changed"):
        Crypto([new], b"k").decrypt(token)


def test_configured_keys_and_phone_hashes(make_app):
    key = Fernet.generate_key().decode()
    app = make_app(ENCRYPTION_KEYS=key, PHONE_HASH_KEY="pepper")
    with app.app_context():
        assert Crypto([key.encode()], b"x").decrypt(crypto().encrypt("hi")) == "hi"
        digest = crypto().phone_hash("+447700900123")
        assert len(digest) == 32 and "7700900123" not in digest
        assert digest == crypto().phone_hash("+447700900123")
        assert digest != crypto().phone_hash("+447700900124")


@pytest.mark.parametrize("raw, e164", [
    ("07700 900123", "+447700900123"), ("+44 7700 900123", "+447700900123"),
    ("(0)7700-900-123", "+447700900123"),
])
def test_numbers_are_normalised(raw, e164):
    assert normalise_number(raw) == e164


@pytest.mark.parametrize("raw", ["hello", "123", ""])
def test_bad_numbers_are_refused_without_echoing_them(raw):
    with pytest.raises(ValueError) as info:
        normalise_number(raw)
    assert str(info.value) == "not a phone number"


def test_tenant_defaults(app):
    with app.app_context():
        tenant = seed_tenant(country="wales")
        assert tenant.offered_locales() == ["cy", "en"] and tenant.display_name.endswith("Council")
        tenant.branding = {"display_name": "Powys"}
        tenant.locales = ["en"]
        assert tenant.display_name == "Powys" and tenant.offered_locales() == ["en"]


def test_round_dates(app):
    with app.app_context():
        tenant = seed_tenant()
        now = datetime.now(UTC)
        published = publish_fixture_flows()
        survey_round = SurveyRound(tenant=tenant, name="R", flow_version=published["router"],
                                   opens_at=now, closes_at=now + timedelta(days=1))
        db.session.add(survey_round)
        db.session.commit()
        assert survey_round.is_open(now) and not survey_round.is_open(now - timedelta(seconds=1))
        assert not survey_round.is_open(now + timedelta(days=2))
        assert len(survey_round.link) >= 12
        db.session.expire_all()
        assert db.session.get(SurveyRound, survey_round.id).opens_at.tzinfo is not None
        survey_round.opens_at = datetime(2026, 1, 1)  # noqa: DTZ001 - naive on purpose
        with pytest.raises(Exception, match="timezone-aware"):
            db.session.commit()
        db.session.rollback()


def test_publishing_pins_entered_flows_and_skips_unchanged(app):
    with app.app_context():
        published = publish_fixture_flows()
        assert published["router"].bundle == {"kids": 1, "support": 1, "teens": 1}
        again = publish_fixture_flows()
        assert again["router"].id == published["router"].id  # unchanged: same version
        store = flow_store()
        router = store.get("router", 1)
        assert router.version == 1 and set(router.bundle) == {"router", "kids", "teens", "support"}
        assert store.get("router", 1) is router  # compiled once
        changed = (FIXTURE_FLOWS / "support.yaml").read_text().replace("Take care.", "Bye.")
        support2 = publish_version(changed)
        assert support2.version == 2
        publish_directory(FIXTURE_FLOWS)  # support on disk is v1 again -> v3
        db.session.commit()
        assert FlowVersion.latest("support").version == 3
        assert FlowVersion.latest("router").bundle["support"] == 3
        assert FlowVersion.latest("router").version == 2
        with pytest.raises(KeyError, match="flow router version 9 is not published"):
            store.get("router", 9)


def test_publishing_needs_entered_flows_first(app):
    with app.app_context():
        source = MINIMAL.replace("start: q", "start: q\nsignpost: help")
        with pytest.raises(FlowError, match="enters flow 'help', which is not published"):
            publish_version(source)
        with pytest.raises(FlowError):
            publish_version("spec_version: '1.0'\n")


def test_a_directory_with_a_broken_flow_is_not_published(app, tmp_path):
    (tmp_path / "ok.yaml").write_text(MINIMAL)
    (tmp_path / "bad.yaml").write_text("id: [\n")
    with app.app_context(), pytest.raises(FlowError):
        publish_directory(tmp_path)


def test_compiled_flows_are_evicted_beyond_the_cache_size(app):
    with app.app_context():
        publish_fixture_flows()
        store = FlowStore(size=2)
        store.get("pets", 1)
        store.get("kids", 1)
        store.get("teens", 1)
        assert list(store._compiled) == [("kids", 1), ("teens", 1)]
        store.get("kids", 1)
        assert list(store._compiled) == [("teens", 1), ("kids", 1)]


def test_a_number_possible_only_as_a_local_number_is_refused():
    with pytest.raises(ValueError):
        normalise_number("07700")


def test_a_failed_job_leaves_the_session_usable_for_the_next(app):
    """Workers keep one app context for every job: a failed transaction must not outlive its job."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from chatsurvey.extensions import db
    from workers.app import job_context

    with app.app_context():
        with pytest.raises(SQLAlchemyError), job_context():
            db.session.execute(text("SELECT 1 FROM no_such_table"))
        with job_context():
            assert db.session.execute(text("SELECT 1")).scalar() == 1
