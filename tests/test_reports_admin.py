"""Reports in the admin: who sees what, pledges, exports, and the programme view."""

from __future__ import annotations

import pytest

from tests.admin_helpers import make_user, post, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.redis]


@pytest.fixture
def councils(app):
    """Synthetic councils (one with a round still open) and staff of two of them."""
    from sqlalchemy import select

    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db
    from devtools.demo_data import generate

    with app.app_context():
        truth = generate(councils=4, seed=5, open_rounds=1)
        first, second = (db.session.scalars(select(Tenant).where(Tenant.slug == c.slug)).one()
                         for c in truth.councils[:2])
        make_user("council-admin", first, email="admin@first.example")
        make_user("council-viewer", first, email="viewer@first.example")
        make_user("council-admin", second, email="admin@second.example")
        analyst = make_user("programme-analyst", None, email="analyst@example.org", totp=True)
        return {"truth": truth, "first": truth.councils[0], "second": truth.councils[1],
                "analyst_secret": analyst.totp_secret}


def test_council_staff_read_their_report_and_not_another_councils(client, councils):
    first, second = councils["first"], councils["second"]
    assert sign_in(client, "viewer@first.example").status_code == 302
    page = client.get(f"/admin/rounds/{first.rounds['current']}/report")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "How to read this report" in body and "<svg" in body and "<script>" not in body
    assert "Anonymised data" not in body           # viewers do not download raw data
    assert client.get(f"/admin/rounds/{first.rounds['current']}/report.pdf").data[:4] == b"%PDF"
    assert client.get(f"/admin/rounds/{first.rounds['current']}/export.csv").status_code == 403
    for path in ("report", "report.pdf", "summary", "pledges", "export.csv", "programme"):
        response = client.get(f"/admin/rounds/{second.rounds['current']}/{path}")
        assert response.status_code in (403, 404), path
        assert second.name not in response.get_data(as_text=True)


def test_open_round_report_shows_totals_and_exports_wait(client, councils):
    first = councils["first"]
    sign_in(client, "admin@first.example")
    body = client.get(f"/admin/rounds/{first.rounds['open']}/report").get_data(as_text=True)
    assert "still open" in body and "Bright Spots" not in body.split("still open", 1)[1]
    assert client.get(f"/admin/rounds/{first.rounds['open']}/export.csv").status_code == 409


def test_pledges_appear_in_the_young_peoples_summary(client, councils):
    first = councils["first"]
    round_id = first.rounds["current"]
    sign_in(client, "admin@first.example")
    response = post(client, f"/admin/rounds/{round_id}/pledges",
                    {"you_said": "You want more say in your plans.",
                     "we_will": "We will ask you before every review meeting."},
                    token_from=f"/admin/rounds/{round_id}/pledges")
    assert response.status_code == 302
    summary = client.get(f"/admin/rounds/{round_id}/summary").get_data(as_text=True)
    assert "We will ask you before every review meeting." in summary
    assert "You said" in summary and "%" not in summary.split("What you told us", 1)[1]
    welsh = client.get(f"/admin/rounds/{round_id}/summary?band=8-11&lang=cy")
    assert '<html lang="cy">' in welsh.get_data(as_text=True)
    assert welsh.get_data(as_text=True).count('class="report summary poster"') == 1
    poster = client.get(f"/admin/rounds/{round_id}/summary.pdf?band=16-25&lang=gd")
    assert poster.status_code == 200 and poster.data[:4] == b"%PDF"
    csv_text = client.get(f"/admin/rounds/{round_id}/export.csv").get_data(as_text=True)
    assert csv_text.startswith("row,survey,age_band,status")
    zipped = client.get(f"/admin/rounds/{round_id}/export-floip.zip")
    assert zipped.status_code == 200 and zipped.data[:2] == b"PK"


def test_programme_view_is_for_analysts(client, councils):
    round_id = councils["first"].rounds["current"]
    sign_in(client, "admin@first.example")
    assert client.get(f"/admin/rounds/{round_id}/programme").status_code == 403
    post(client, "/admin/logout")
    sign_in(client, "analyst@example.org", totp_secret=councils["analyst_secret"])
    page = client.get(f"/admin/rounds/{round_id}/programme")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "the programme across councils" in body and "Range across councils" in body
    for council in councils["truth"].councils:
        assert council.name not in body.split("<main", 1)[1].split("Report:", 1)[1]
