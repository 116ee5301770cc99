"""A council's logo: uploaded in the admin (or given to `chatsurvey tenants add`), checked
and re-drawn by chatsurvey, stored in the database, and shown from chatsurvey's own site.

The attacker's tests: a file that only claims to be a picture, an SVG (it can carry
script), a picture that decodes to gigabytes, a PNG with something hidden after it or in
its metadata, and a web address (never fetched, never shown).
"""

from __future__ import annotations

import io
import os
import re

import pytest
from PIL import Image

from chatsurvey.cli import main
from chatsurvey.councils.logo import LOGO_MAX_SIDE, LogoRefused, council_logo, redraw
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from tests.admin_helpers import make_user, post, sign_in
from tests.helpers import open_round, publish_fixture_flows, seed_tenant


def picture(fmt="PNG", size=(120, 60), colour=(0, 94, 165), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt, **save)
    return out.getvalue()


def noisy() -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (120, 60), os.urandom(120 * 60 * 3)).save(out, format="PNG")
    return out.getvalue()


def test_a_png_or_jpeg_is_redrawn_as_a_small_png():
    for fmt in ("PNG", "JPEG"):
        logo = redraw(picture(fmt, size=(2000, 1000)))
        with Image.open(io.BytesIO(logo.png)) as drawn:
            assert drawn.format == "PNG" and drawn.size == (LOGO_MAX_SIDE, LOGO_MAX_SIDE // 2)
        assert (logo.width, logo.height) == (LOGO_MAX_SIDE, LOGO_MAX_SIDE // 2)
        assert logo.data_uri.startswith("data:image/png;base64,")


@pytest.mark.parametrize(("data", "words"), [
    (b"", "Choose a logo file"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "PNG or JPEG"),
    (picture("GIF"), "PNG or JPEG"),
    (b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10, "PNG or JPEG"),
    (noisy()[:2000], "PNG or JPEG"),  # cut short
    (b"x" * (1024 * 1024 + 1), "up to 1 MB"),
])
def test_what_is_not_a_png_or_jpeg_is_refused(data, words):
    with pytest.raises(LogoRefused, match=words):
        redraw(data)


def test_a_picture_that_decodes_to_gigabytes_is_refused():
    bomb = picture("PNG", size=(6000, 6000), colour=(255, 255, 255))  # 36 Mpx, ~100 kB
    assert len(bomb) < 1024 * 1024
    with pytest.raises(LogoRefused, match="too many pixels"):
        redraw(bomb)


def test_nothing_of_the_uploaded_file_is_kept_but_the_picture():
    hidden = b"<script>alert(document.cookie)</script>"
    exif = Image.Exif()
    exif[0x010E] = "GPS near the children's home"  # ImageDescription
    jpeg = picture("JPEG", exif=exif.tobytes()) + hidden
    png = picture() + hidden
    for data in (jpeg, png):
        drawn = redraw(data).png
        assert hidden not in drawn and b"children's home" not in drawn


@pytest.fixture
def council(app):
    with app.app_context():
        tenant = seed_tenant("aford")
        survey_round = open_round(tenant, publish_fixture_flows()["router"])
        admin = make_user("council-admin", tenant, email="admin@aford.example")
        return {"id": tenant.id, "link": survey_round.link, "admin": admin.email,
                "round_id": survey_round.id}


def upload(client, tenant_id, data, name="logo.png"):
    return post(client, f"/admin/councils/{tenant_id}/logo",
                {"logo": (io.BytesIO(data), name)}, token_from=f"/admin/councils/{tenant_id}",
                content_type="multipart/form-data")


def test_a_council_admin_uploads_a_logo_and_young_people_see_it(app, client, council):
    page = client.get(f"/s/{council['link']}").get_data(as_text=True)
    assert 'class="logo"' not in page
    sign_in(client, council["admin"])
    response = upload(client, council["id"], picture("JPEG"), "logo.jpg")
    assert response.status_code == 302
    settings = client.get(f"/admin/councils/{council['id']}").get_data(as_text=True)
    assert 'class="council-logo"' in settings and 'alt="The logo of ' in settings
    assert "Remove the logo" in settings
    poster = client.get(f"/admin/rounds/{council['round_id']}/print").get_data(as_text=True)
    assert 'class="council-logo"' in poster  # the printable page with QR codes
    page = client.get(f"/s/{council['link']}").get_data(as_text=True)
    [src] = re.findall(r'<img class="logo" src="([^"]+)"', page)
    assert src.startswith(f"/s/{council['link']}/logo.png?v=")
    with client.get(src) as served:
        assert served.status_code == 200 and served.mimetype == "image/png"
        assert served.headers["Content-Security-Policy"] == "default-src 'none'"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        with app.app_context():
            logo = council_logo(council["id"])
            assert logo is not None and served.data == logo.png
    post(client, f"/admin/councils/{council['id']}/logo/remove",
         token_from=f"/admin/councils/{council['id']}")
    assert client.get(src).status_code == 404
    assert 'class="logo"' not in client.get(f"/s/{council['link']}").get_data(as_text=True)


def test_a_bad_upload_says_why_and_keeps_the_logo_before(app, client, council):
    sign_in(client, council["admin"])
    upload(client, council["id"], picture())
    response = upload(client, council["id"], b"<svg/>", "logo.svg")
    assert response.status_code == 400
    assert "The logo must be a PNG or JPEG picture." in response.get_data(as_text=True)
    with app.app_context():
        assert council_logo(council["id"]) is not None


def test_the_command_line_takes_a_file_and_refuses_a_web_address(app, tmp_path):
    runner = app.test_cli_runner()
    remote = runner.invoke(main, args=["tenants", "add", "powys", "--name", "Powys",
                                       "--country", "wales", "--logo",
                                       "https://www.powys.gov.uk/logo.png"])
    assert remote.exit_code == 2 and "never shows a logo from another site" in remote.output
    (tmp_path / "logo.svg").write_text("<svg/>")
    svg = runner.invoke(main, args=["tenants", "add", "powys", "--name", "Powys",
                                    "--country", "wales", "--logo", str(tmp_path / "logo.svg")])
    assert svg.exit_code == 2 and "PNG or JPEG" in svg.output
    with app.app_context():
        assert db.session.query(Tenant).count() == 0  # nothing written
    (tmp_path / "logo.png").write_bytes(picture())
    added = runner.invoke(main, args=["tenants", "add", "powys", "--name", "Powys",
                                      "--country", "wales", "--logo", str(tmp_path / "logo.png")])
    assert added.exit_code == 0, added.output
    with app.app_context():
        tenant = db.session.query(Tenant).one()
        assert council_logo(tenant.id) is not None and "logo_url" not in tenant.branding
