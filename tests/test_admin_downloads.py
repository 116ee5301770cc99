"""Downloads with a Welsh name, and paper questionnaires after a round has closed.

A council in Wales names its round in Welsh (ŵ is outside Latin-1); every file the
admin hands out must still download, under a name that keeps the Welsh letters for
browsers that read RFC 5987 and an ASCII one for those that do not. A closed round's
report is final: typing in a paper questionnaire afterwards must not change it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest

from tests.admin_helpers import add_response, make_user, post, sign_in
from tests.helpers import open_round, publish_fixture_flows, seed_tenant

WELSH_NAME = "Arolwg Ŵyr a Wyresau – Hydref"
"""A round name with letters Latin-1 does not have (Ŵ and the dash)."""


@pytest.fixture
def welsh(app):
    """A Welsh council's sealed round with a few responses, and its admin."""
    with app.app_context():
        tenant = seed_tenant("sirgar", country="wales")
        published = publish_fixture_flows()
        now = datetime.now(UTC)
        survey_round = open_round(tenant, published["router"], name=WELSH_NAME,
                                  opens_at=now - timedelta(days=40),
                                  closes_at=now - timedelta(days=5))  # sealed: final
        for _ in range(3):
            add_response(survey_round)
        admin = make_user("council-admin", tenant, email="admin@sirgar.example")
        return {"round_id": survey_round.id, "email": admin.email}


DOWNLOADS = {
    "staff report (PDF)": ("/admin/rounds/{round_id}/report.pdf", ".pdf", True),
    "raw data (CSV)": ("/admin/rounds/{round_id}/export.csv", ".csv", True),
    "raw data (FLOIP zip)": ("/admin/rounds/{round_id}/export-floip.zip", "-floip.zip", True),
    "QR code (SVG)": ("/admin/rounds/{round_id}/qr/all.svg", ".svg", False),
}


@pytest.mark.parametrize("what", list(DOWNLOADS), ids=list(DOWNLOADS))
def test_every_download_works_under_a_welsh_name(client, welsh, what):
    path, suffix, named_after_round = DOWNLOADS[what]
    sign_in(client, welsh["email"])
    response = client.get(path.format(**welsh))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    header = response.headers["Content-Disposition"]
    assert header.startswith("attachment;")
    header.encode("latin-1")  # a header must be Latin-1 on the wire
    fallback = re.search(r'filename=(?:"([^"]*)"|([^";\s]+))', header)
    assert fallback, header
    plain = fallback.group(1) or fallback.group(2)
    assert plain.isascii() and plain.endswith(suffix), header
    if named_after_round:
        encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
        assert encoded, header
        assert "ŵyr-a-wyresau" in unquote(encoded.group(1)), "the Welsh name is kept"
        assert unquote(encoded.group(1)).endswith(suffix)
    assert response.headers["Cache-Control"] == "no-store", "children's data is never cached"


# -- paper questionnaires on a closed round --


@pytest.fixture
def closing(app):
    """An open round with paper surveys, and its admin."""
    with app.app_context():
        tenant = seed_tenant()
        published = publish_fixture_flows()
        survey_round = open_round(tenant, published["router"], name="Autumn 2026")
        admin = make_user("council-admin", tenant)
        return {"round_id": survey_round.id, "email": admin.email}


def _close(app, round_id, when):
    from chatsurvey.extensions import db
    from chatsurvey.rounds.models import SurveyRound

    with app.app_context():
        db.session.get(SurveyRound, round_id).closes_at = when
        db.session.commit()


def _stored(app) -> int:
    from chatsurvey.extensions import db
    from chatsurvey.responses.models import Response

    with app.app_context():
        return db.session.query(Response).count()


ANSWERS = {"consent": "1", "q_good_friends": "3", "q_happy_yesterday_10": "7"}


@pytest.mark.parametrize("role", ["council-admin", "programme-analyst"])
def test_paper_cannot_be_entered_once_the_round_has_closed(app, client, closing, role):
    if role == "council-admin":
        sign_in(client, closing["email"])
    else:
        with app.app_context():
            analyst = make_user(role, None, email="analyst@example.org", totp=True)
            email, secret = analyst.email, analyst.totp_secret
        sign_in(client, email, totp_secret=secret)
    url = f"/admin/rounds/{closing['round_id']}/paper?flow=teens"
    assert client.get(url).status_code == 200
    _close(app, closing["round_id"], datetime.now(UTC) - timedelta(seconds=1))
    refused = post(client, url, ANSWERS)
    assert refused.status_code == 409
    assert "closed" in refused.get_data(as_text=True)
    assert _stored(app) == 0, "a closed round's final report never changes"
    page = client.get(f"/admin/rounds/{closing['round_id']}/paper")
    assert page.status_code == 409 and "closed" in page.get_data(as_text=True)


def test_paper_is_still_entered_while_the_round_is_open(app, client, closing):
    sign_in(client, closing["email"])
    _close(app, closing["round_id"], datetime.now(UTC) + timedelta(minutes=5))
    stored = post(client, f"/admin/rounds/{closing['round_id']}/paper?flow=teens", ANSWERS)
    assert stored.status_code == 302 and _stored(app) == 1
