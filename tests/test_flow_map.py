"""The flow map: every state a box, transitions labelled with their conditions, core and
sensitive questions marked, each age band's path, a council's local questions in place.

The maps of `your-life` (with the surveys it enters), `ylyc-11-18` and a council's local
questions are drawn in Chromium and saved to test-output/screenshots/map-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from chatsurvey.flows.map import band_decides, band_path, condition_text, flow_map
from tests.admin_helpers import PASSWORD, make_user
from tests.browser import axe_scan, describe, screenshot, serve
from tests.helpers import fixture_library, seed_tenant
from tests.test_local_recipe import recipe

PROJECT = Path(__file__).resolve().parent.parent


def test_conditions_are_decided_by_age_band_only_where_they_test_nothing_else():
    assert band_decides({"age_band": "4-7"}, "4-7") is True
    assert band_decides({"age_band": ["11-18", "11-17"]}, "4-7") is False
    assert band_decides({"not": {"age_band": ["4-7", "8-11"]}}, "11-18") is True
    assert band_decides({"all": [{"country": "scotland"}, {"age_band": "4-7"}]}, "8-11") is False
    assert band_decides({"all": [{"country": "scotland"}, {"age_band": "4-7"}]}, "4-7") is None
    assert band_decides({"any": [{"channel": "sms"}, {"age_band": "4-7"}]}, "4-7") is True
    assert band_decides({"any": [{"age_band": "8-11"}, {"age_band": "4-7"}]}, "11-18") is False
    assert band_decides({"answer": "has_pet", "equals": "yes"}, "4-7") is None
    assert band_decides("nonsense", "4-7") is None
    assert condition_text({"age_band": ["11-18", "11-17"]}) == "{age_band: [11-18, 11-17]}"


def test_the_map_has_every_state_and_transition_and_each_band_s_path():
    router = fixture_library().get("router")
    data = flow_map(router, lambda flow, node: f"/{flow.id}/{node.name}")
    ids = [g["id"] for g in data["flows"]]
    assert ids[0] == "router" and set(ids) == set(router.bundle)
    first = data["flows"][0]
    assert {n["id"] for n in first["nodes"]} == set(router.nodes)
    labels = {(e["from"], e["to"]): e["label"] for e in first["edges"]}
    assert labels[("known_band", "go_kids")] == "{age_band: [4-7]}"
    assert labels[("known_band", "age")] == "otherwise"
    assert data["bands"] == ["4-7", "11-17"]
    kids = band_path(router, "4-7")
    assert "kids" in kids and "teens" not in kids
    assert "go_kids" in kids["router"] and "go_teens" not in kids["router"]
    pets = next(g for g in flow_map(fixture_library().get("pets"), lambda f, n: None)["flows"])
    has_pet = next(n for n in pets["nodes"] if n["id"] == "has_pet")
    family = next(n for n in pets["nodes"] if n["id"] == "family")
    assert has_pet["core"] and not has_pet["sensitive"] and family["sensitive"]


# -- in a browser ---------------------------------------------------------------------------


@pytest.fixture
def programme(app):
    """The programme's own flows, and a council with the documented local questions."""
    from chatsurvey.extensions import db
    from chatsurvey.flows.local import publish_local
    from chatsurvey.flows.publish import publish_directory

    with app.app_context():
        versions = {r.flow_id: r.version for r in publish_directory(PROJECT / "flows")}
        tenant = seed_tenant("mapshire")
        publish_local(recipe(), tenant.id)
        db.session.commit()
        admin = make_user("council-admin", tenant, name="Cara Council")
        return {"versions": versions, "tenant": tenant.id, "email": admin.email}


@pytest.mark.browser
@pytest.mark.redis
@pytest.mark.slow
def test_maps_of_the_entry_flow_a_survey_and_a_council_s_questions(app, browser, programme):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                  reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not m.text
            .startswith("Failed to load resource") else None)  # the favicon
    with serve(app) as live:
        page.goto(f"{live}/admin/login")
        page.get_by_label("E-mail address").fill(programme["email"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")

        entry = programme["versions"]["your-life"]
        page.goto(f"{live}/admin/flows/your-life/versions/{entry}/map")
        expect(page.locator(".flow-map svg")).to_have_count(8)  # entry, 4 surveys, 3 shared
        boxes = page.locator('.flow-map[data-flow="ylyc-11-18"] .map-node')
        assert boxes.count() == page.locator("#map-ylyc-11-18 .map-list li").count()
        assert page.locator('.flow-map[data-flow="ylyc-11-18"] .map-node.core').count() >= 20
        assert page.locator('.flow-map[data-flow="ylyc-11-18"] .map-node.sensitive').count() >= 1
        assert page.locator(".map-edge-label", has_text="otherwise").count() > 10
        serious = axe_scan(page, "map-your-life")
        assert not serious, describe(serious)
        screenshot(page, "map-your-life", full_page=True)
        page.get_by_role("radio", name="11-18", exact=True).check()
        on = page.locator('.flow-map[data-flow="ylyc-11-18"] .map-node.on-path').count()
        assert on > 40
        assert page.locator('.flow-map[data-flow="ylyc-4-7"] .map-node.on-path').count() == 0
        screenshot(page, "map-your-life-11-18", full_page=True)

        survey = programme["versions"]["ylyc-11-18"]
        page.goto(f"{live}/admin/flows/ylyc-11-18/versions/{survey}/map?band=11-18")
        expect(page.locator(".flow-map svg")).to_have_count(4)  # with support, contacts, closing
        screenshot(page, "map-ylyc-11-18", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, "map-ylyc-11-18-390")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.locator('.flow-map[data-flow="ylyc-11-18"] a.map-link').filter(
            has=page.locator('[data-state="life_satisfaction"]')).click()
        expect(page).to_have_url(f"{live}/admin/flows/ylyc-11-18/versions/{survey}"
                                 + "#L" + page.url.split("#L")[-1])
        assert "#L" in page.url

        page.goto(f"{live}/admin/councils/{programme['tenant']}/local-questions/map")
        mine = page.locator(".map-node.local")
        assert mine.count() >= 4 * 3  # its questions, in each survey with the slot
        assert page.locator(".map-node.local", has_text="local_youth_club").count() == 4
        serious = axe_scan(page, "map-local")
        assert not serious, describe(serious)
        screenshot(page, "map-local-questions", full_page=True)
    context.close()
    assert not errors, errors
