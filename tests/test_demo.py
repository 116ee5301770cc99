"""`make demo` seeds a council a newcomer can talk to straight away, and keeps it between runs."""

from __future__ import annotations

from sqlalchemy import func, select

from chatsurvey.config import FLOWS_DIR, PROJECT_DIR
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.rounds.models import SurveyRound
from devtools.demo import DEMO_NUMBER, demo_secret_key, seed_demo_council


def test_the_demo_council_has_an_open_round_on_the_entry_flow(make_app):
    app = make_app(FLOWS_DIR=FLOWS_DIR, LOCALES_DIR=str(PROJECT_DIR / "locales"))
    with app.app_context():
        db.create_all()
        try:
            first = seed_demo_council(app)
            again = seed_demo_council(app)
            assert (again.round_id, again.link) == (first.round_id, first.link)
            assert db.session.scalar(select(func.count()).select_from(Tenant)) == 1
            survey_round = db.session.get(SurveyRound, first.round_id)
            assert survey_round.is_open() and survey_round.flow_version.flow_id == "your-life"
            assert set(survey_round.channels) == {"web", "sms"}
            assert [n.number for n in survey_round.tenant.numbers] == [DEMO_NUMBER]
            assert survey_round.tenant.twilio_auth_token  # `make phone` signs with it
        finally:
            db.session.remove()
            db.drop_all()


def test_the_demo_secret_key_is_kept_and_private(tmp_path):
    key = demo_secret_key(tmp_path)
    assert len(key) >= 48 and demo_secret_key(tmp_path) == key
    assert (tmp_path / "demo-secret-key").stat().st_mode & 0o077 == 0


def test_the_web_chat_link_answers(make_app):
    app = make_app(FLOWS_DIR=FLOWS_DIR, LOCALES_DIR=str(PROJECT_DIR / "locales"))
    with app.app_context():
        db.create_all()
        try:
            council = seed_demo_council(app)
            page = app.test_client().get(f"/s/{council.link}")
            assert page.status_code == 200 and "Demo Council" in page.text
        finally:
            db.session.remove()
            db.drop_all()


def test_the_demo_prints_a_council_admin_login_that_stays_the_same(make_app, tmp_path):
    from chatsurvey.accounts.models import User
    from chatsurvey.accounts.passwords import check_password
    from devtools.demo import DEMO_ADMIN, DEMO_ANALYST, demo_admin_login

    app = make_app(FLOWS_DIR=FLOWS_DIR, LOCALES_DIR=str(PROJECT_DIR / "locales"))
    with app.app_context():
        db.create_all()
        try:
            seed_demo_council(app)
            lines = demo_admin_login(app, tmp_path)
            assert demo_admin_login(app, tmp_path) == lines
            password = (tmp_path / "demo-admin-password").read_text().strip()
            assert f"{DEMO_ADMIN} / {password}" in lines[0]
            admin = db.session.scalars(select(User).where(User.email == DEMO_ADMIN)).one()
            assert admin.tenant.slug == "demo" and check_password(admin, password)
            analyst = db.session.scalars(select(User).where(User.email == DEMO_ANALYST)).one()
            assert analyst.tenant is None and analyst.totp_enabled
            assert (tmp_path / "demo-analyst-totp").read_text().strip() == analyst.totp_secret
        finally:
            db.session.remove()
            db.drop_all()


def test_sample_councils_are_made_once(make_app):
    from chatsurvey.responses.models import Response
    from devtools.demo import seed_sample_councils

    app = make_app(FLOWS_DIR=FLOWS_DIR, LOCALES_DIR=str(PROJECT_DIR / "locales"))
    with app.app_context():
        db.create_all()
        try:
            line = seed_sample_councils(app)
            responses = db.session.scalar(select(func.count()).select_from(Response))
            assert line and f"{responses:,} responses" in line and responses > 1000
            assert seed_sample_councils(app) is None
            assert db.session.scalar(select(func.count()).select_from(Response)) == responses
        finally:
            db.session.remove()
            db.drop_all()
