"""Adding and changing councils: one validation behind the admin's form and `chatsurvey tenants`.

The same bad settings are refused with the same words from both doors, because both
call `chatsurvey.councils.actions`; a refused change writes nothing; and no council
can take the name another council's young people see (a flow may branch on it).
"""

from __future__ import annotations

import pytest

from chatsurvey.cli import main
from tests.admin_helpers import make_user, post, sign_in
from tests.helpers import seed_tenant

GOOD_SID = "AC" + "1" * 32


@pytest.fixture
def councils(app):
    """Two councils (Aford, Bchester), Aford's admin and a programme analyst."""
    with app.app_context():
        a = seed_tenant("aford", number="+447700900001")
        b = seed_tenant("bchester", number="+447700900002")
        b.branding = {"display_name": "Bchester Children's Services"}
        from chatsurvey.extensions import db

        db.session.commit()
        admin = make_user("council-admin", a, email="admin@aford.example")
        analyst = make_user("programme-analyst", email="analyst@example.org", totp=True)
        return {"a": a.id, "b": b.id, "admin": admin.email, "analyst": analyst.email,
                "totp": analyst.totp_secret}


def _tenant(app, tenant_id):
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db

    with app.app_context():
        tenant = db.session.get(Tenant, tenant_id)
        return {"name": tenant.name, "display_name": tenant.display_name,
                "origins": list(tenant.web_origins), "numbers": [n.number for n in tenant.numbers],
                "branding": dict(tenant.branding)}


# -- one validation, two doors ------------------------------------------------------------

REFUSED = [
    # (CLI arguments, admin form fields, words both must say)
    (["--origin", "https://x.example/path"], {"origins": "https://x.example/path"},
     "is not a site address"),
    (["--origin", "http://www.council.gov.uk"], {"origins": "http://www.council.gov.uk"},
     "is not a site address"),
    (["--twilio-sid", "AC123", "--twilio-token", "t"], {"twilio_sid": "AC123"},
     "starts with AC and has 34 characters"),
    (["--number", "not-a-number"], {"numbers": "not-a-number"}, "is not a phone number"),
    (["--number", "+447700900002"], {"numbers": "+447700900002"},
     "belongs to another council"),
    (["--colour", "blue"], {"colour": "blue"}, "Write the colour like #005ea5"),
    (["--display-name", "BCHESTER children's   services!"],
     {"display_name": "BCHESTER children's   services!"},
     "is the name young people see for another council"),
    (["--locale", "fr"], {"first_locale": "en", "locales": ["en", "fr"]},
     "fr is not a language chatsurvey offers"),
    (["--locale", "ar_EG"], {"first_locale": "ar_EG", "locales": ["ar"]},
     "ar_EG is not a language chatsurvey offers"),
]


@pytest.mark.parametrize(("args", "form", "words"), REFUSED,
                         ids=[r[2][:30] for r in REFUSED])
def test_the_form_and_the_command_refuse_the_same_settings_in_the_same_words(
        app, client, councils, args, form, words):
    result = app.test_cli_runner().invoke(main, args=[
        "tenants", "add", "cford", "--name", "Cford Council", "--country", "england", *args])
    assert result.exit_code != 0 and words in result.output, result.output

    sign_in(client, councils["analyst"], totp_secret=councils["totp"])
    fields = {"slug": "cford", "name": "Cford Council", "country": "england", **form}
    page = post(client, "/admin/councils/new", fields)
    assert page.status_code == 400 and words in page.get_data(as_text=True)

    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db

    with app.app_context():
        assert db.session.query(Tenant).filter_by(slug="cford").first() is None


@pytest.mark.parametrize("slug", ["Cford", "c", "cford!", "c_ford"])
def test_a_short_name_is_checked_from_both_doors(app, client, councils, slug):
    result = app.test_cli_runner().invoke(main, args=[
        "tenants", "add", slug, "--name", "Cford Council", "--country", "england"])
    words = "Use lower-case letters, digits and dashes"
    if slug == "Cford":  # a capital is lowered, as the form does
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code != 0 and words in result.output
    sign_in(client, councils["analyst"], totp_secret=councils["totp"])
    page = post(client, "/admin/councils/new", {"slug": slug, "name": "C", "country": "england"})
    assert page.status_code == 400 and words in page.get_data(as_text=True)


def test_every_problem_is_named_at_once(app, councils):
    result = app.test_cli_runner().invoke(main, args=[
        "tenants", "add", "aford", "--name", " ", "--country", "england", "--colour", "red",
        "--origin", "ftp://x"])
    assert result.exit_code == 2
    for words in ("SLUG: Another council already has the short name aford",
                  "--name: Enter the council's name", "--colour: Write the colour",
                  "--origin: ftp://x is not a site address"):
        assert words in result.output, result.output


# -- a refused change writes nothing ----------------------------------------------------------


def test_a_refused_change_leaves_the_council_as_it_was(app, client, councils):
    before = _tenant(app, councils["a"])
    sign_in(client, councils["admin"])
    page = post(client, f"/admin/councils/{councils['a']}", {
        "name": "Renamed", "display_name": "New name", "origins": "https://ok.example not-a-site",
        "colour": "#000000"})
    assert page.status_code == 400
    assert "not-a-site is not a site address" in page.get_data(as_text=True)
    assert _tenant(app, councils["a"]) == before


def test_a_change_is_audited_with_what_changed(app, client, councils):
    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db

    sign_in(client, councils["admin"])
    page = post(client, f"/admin/councils/{councils['a']}", {
        "name": "Aford Council", "display_name": "Aford", "colour": "#005ea5",
        "help_text": "Aford survey. Text STOP to leave.",
        "origins": "https://www.aford.gov.uk https://www.aford.gov.uk/"})
    assert page.status_code == 302
    tenant = _tenant(app, councils["a"])
    assert tenant["display_name"] == "Aford"
    assert tenant["origins"] == ["https://www.aford.gov.uk"]
    assert tenant["numbers"] == ["+447700900001"]  # a council admin cannot change numbers
    with app.app_context():
        entry = db.session.query(AuditEntry).filter_by(action="council.changed").one()
        assert entry.details == {"fields": ["branding", "origins"]}
        assert entry.actor == councils["admin"]


def test_a_council_offers_the_languages_ticked_the_first_language_first(app, client, councils):
    from chatsurvey.councils.models import Tenant
    from chatsurvey.extensions import db

    sign_in(client, councils["admin"])
    page = client.get(f"/admin/councils/{councils['a']}").get_data(as_text=True)
    assert 'lang="prs" dir="rtl">دری</span>' in page and 'value="ckb"' in page
    page = post(client, f"/admin/councils/{councils['a']}", {
        "name": "Aford Council", "first_locale": "ar", "locales": ["en", "fa", "ar", "prs"]})
    assert page.status_code == 302
    with app.app_context():
        assert db.session.get(Tenant, councils["a"]).offered_locales() == ["ar", "en", "fa", "prs"]
    post(client, f"/admin/councils/{councils['a']}", {"name": "Aford Council",
                                                     "first_locale": "en"})
    with app.app_context():  # none ticked: the country's own again
        assert db.session.get(Tenant, councils["a"]).offered_locales() == ["en"]


def test_the_command_line_offers_a_registry_language_once(app, councils):
    result = app.test_cli_runner().invoke(main, args=[
        "tenants", "add", "cford", "--name", "Cford Council", "--country", "england",
        "--locale", "ar", "--locale", "ar"])
    assert result.exit_code == 2 and "Each language can be offered once" in result.output
    result = app.test_cli_runner().invoke(main, args=[
        "tenants", "add", "cford", "--name", "Cford Council", "--country", "england",
        "--locale", "prs", "--locale", "en"])
    assert result.exit_code == 0, result.output


def test_the_command_line_audits_an_added_council(app, councils):
    from chatsurvey.audit import AuditEntry
    from chatsurvey.extensions import db

    result = app.test_cli_runner().invoke(main, args=[
        "tenants", "add", "cford", "--name", "Cford Council", "--country", "wales",
        "--number", "07700 900123", "--twilio-sid", GOOD_SID, "--twilio-token", "tok"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        entry = db.session.query(AuditEntry).filter_by(action="council.created").one()
        assert entry.actor == "cli" and entry.details == {"slug": "cford"}


# -- display names: the attacker's test -------------------------------------------------------

BORROWED = ["Bchester Children's Services", "bchester children's services",
            "  BCHESTER   CHILDREN'S SERVICES ", "Bchester Children’s Services.",
            "Bchéster Children's Services", "Ｂｃｈｅｓｔｅｒ Children's Services",
            "Bchester-Children's-Services"]


@pytest.mark.parametrize("borrowed", BORROWED)
def test_a_council_cannot_borrow_the_name_another_councils_young_people_see(
        app, client, councils, borrowed):
    before = _tenant(app, councils["a"])
    sign_in(client, councils["admin"])
    for fields in ({"name": "Aford Council", "display_name": borrowed},
                   {"name": borrowed, "display_name": ""}):
        page = post(client, f"/admin/councils/{councils['a']}", fields)
        assert page.status_code == 400, fields
        assert "is the name young people see for another council" in page.get_data(as_text=True)
    assert _tenant(app, councils["a"]) == before


@pytest.mark.parametrize("borrowed", ["bchester council", "AFORD COUNCIL"])
def test_nor_another_councils_name_from_the_command_line(app, councils, borrowed):
    result = app.test_cli_runner().invoke(main, args=[
        "tenants", "add", "eford", "--name", "Eford", "--country", "england",
        "--display-name", borrowed])
    assert result.exit_code == 2 and "is the name young people see" in result.output
    result = app.test_cli_runner().invoke(main, args=[
        "tenants", "add", "eford", "--name", borrowed, "--country", "england"])
    assert result.exit_code == 2 and "is the name young people see" in result.output


def test_a_council_keeps_its_own_name_in_another_case(app, client, councils):
    sign_in(client, councils["admin"])
    page = post(client, f"/admin/councils/{councils['a']}", {"name": "AFORD COUNCIL"})
    assert page.status_code == 302
    assert _tenant(app, councils["a"])["name"] == "AFORD COUNCIL"
