"""The printable blank questionnaire: it asks what the paper entry form takes back.

For every age band's survey of the real flows: the PDF and the admin's entry form ask the
same questions, with the same answers, in the same order (both come from one function,
and this test reads both back: the form's HTML, the PDF's text by pdftotext). Large print
for 4 to 7, the council's logo, and where the paper goes back to. Its pages are drawn to
PNG (pdftoppm) in test-output/screenshots/paper-*.png for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape

import pytest
from PIL import Image

from chatsurvey.councils.actions import set_logo
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.flows.publish import publish_directory
from chatsurvey.responses.paper import paper_fields, surveys
from chatsurvey.responses.questionnaire import (
    LARGE,
    NORMAL,
    NotPrintable,
    print_size,
    questionnaire_pdf,
)
from chatsurvey.rounds.models import SurveyRound
from tests.admin_helpers import make_user, sign_in
from tests.browser import SCREENSHOTS
from tests.helpers import PROJECT, open_round, seed_tenant

POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="LOUD SKIP: poppler-utils (pdftotext, "
                                   "pdftoppm) is not installed: make browser-deps installs it")


@pytest.fixture
def council(app):
    """A Welsh council with a logo and a return address, and a round on the real entry flow."""
    with app.app_context():
        tenant = seed_tenant("powys")
        tenant.country, tenant.locales = "wales", ["en", "cy"]
        tenant.branding = {**tenant.branding, "display_name": "Powys",
                           "paper_return": "Participation Team\nCounty Hall\nLD1 5LG"}
        versions = {v.flow_id: v for v in publish_directory(PROJECT / "flows")}
        survey_round = open_round(tenant, versions["your-life"])
        logo = Image.new("RGB", (300, 120), (0, 94, 165))
        logo.paste((255, 221, 0), (20, 20, 100, 100))
        from io import BytesIO

        out = BytesIO()
        logo.save(out, format="PNG")
        set_logo(tenant, out.getvalue())
        admin = make_user("council-admin", tenant, email="admin@powys.example")
        return {"round_id": survey_round.id, "tenant_id": tenant.id, "admin": admin.email}


def pdf_text(pdf: bytes, tmp_path) -> str:
    (tmp_path / "q.pdf").write_bytes(pdf)
    subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "q.pdf"), str(tmp_path / "q.txt")],
                   check=True, timeout=60)
    return " ".join((tmp_path / "q.txt").read_text().split())


def in_order(text: str, parts: list[str]) -> list[str]:
    """The parts not found in ``text`` one after another (empty when all are, in order)."""
    missing, at = [], 0
    for part in parts:
        found = text.find(" ".join(part.split()), at)
        if found < 0:
            missing.append(part)
        else:
            at = found + len(part)
    return missing


def form_fields_from_html(html: str) -> list[tuple[str, list[str]]]:
    """(field name, [values]) of the entry form, in the order it shows them."""
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<(?:input|textarea)[^>]*?name="(q_[^"]+)"(?:[^>]*?value="'
                                  r'([^"]*)")?', html):
        fields.setdefault(name, [])
        if value:
            fields[name].append(unescape(value))
    return list(fields.items())


def test_the_youngest_get_large_print():
    assert print_size("4-7") is LARGE and print_size("16-25") is NORMAL
    assert LARGE.body >= 18 and LARGE.box > NORMAL.box


@needs_poppler
def test_every_paper_asks_what_the_entry_form_takes_back(app, client, council, tmp_path):
    sign_in(client, council["admin"])
    round_page = client.get(f"/admin/rounds/{council['round_id']}").get_data(as_text=True)
    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        flows = surveys(survey_round)
        assert {"ylyc-4-7", "ylyc-8-11", "ylyc-11-18", "ylbc-16-25"} <= set(flows)
        for flow_id, flow in flows.items():
            fields = paper_fields(flow)
            form = client.get(f"/admin/rounds/{council['round_id']}/paper?flow={flow_id}")
            shown = form_fields_from_html(form.get_data(as_text=True))
            assert [name for name, _ in shown] == [f.name for f in fields], flow_id
            for (_, values), field in zip(shown, fields, strict=True):
                if field.ask not in ("text", "number", "scale"):
                    assert values == [o.value for o in field.options], field.key
            url = f"/admin/rounds/{council['round_id']}/paper/{flow_id}/en.pdf"
            assert url in round_page
            with client.get(url) as response:
                assert response.status_code == 200 and response.mimetype == "application/pdf"
                text = pdf_text(response.data, tmp_path)
            expected = []
            for number, field in enumerate(fields, start=1):
                expected.append(f"{number}. {field.prompt}")
                expected += [o.label for o in field.options]
            assert not in_order(text, expected), (flow_id, in_order(text, expected)[:5])
            assert "Participation Team County Hall LD1 5LG" in text
            assert "Do not write your name" in text


@needs_poppler
def test_the_paper_has_the_logo_and_is_drawn_for_a_person_to_look_at(app, council, tmp_path):
    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        flows = surveys(survey_round)
        tenant = db.session.get(Tenant, council["tenant_id"])
        for flow_id, locale in (("ylyc-4-7", "en"), ("ylyc-4-7", "cy"), ("ylbc-16-25", "en")):
            pdf = questionnaire_pdf(survey_round, flows[flow_id], locale,
                                    tenant.branding["paper_return"])
            assert b"/Subtype /Image" in pdf  # the logo
            (tmp_path / "q.pdf").write_bytes(pdf)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            subprocess.run(["pdftoppm", "-png", "-r", "60", str(tmp_path / "q.pdf"),
                            str(SCREENSHOTS / f"paper-{flow_id}-{locale}")], check=True,
                           timeout=120)
        assert (SCREENSHOTS / "paper-ylyc-4-7-en-01.png").exists() or (
            SCREENSHOTS / "paper-ylyc-4-7-en-1.png").exists()


def test_a_right_to_left_paper_is_refused_rather_than_printed_wrong(app, council):
    with app.app_context():
        survey_round = db.session.get(SurveyRound, council["round_id"])
        flow = surveys(survey_round)["ylyc-11-18"]
        assert "ar" in flow.locales
        with pytest.raises(NotPrintable, match="right-to-left"):
            questionnaire_pdf(survey_round, flow, "ar")
