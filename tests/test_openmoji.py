"""One vendored OpenMoji folder, one lookup: every picture the chat or a summary names is there.

The web chat names its pictures by a word (a flow's ``icon: face-crying``), the young
people's summaries by OpenMoji hexcode (``icon: 1F600`` in summary.yaml, and the headings
of its page and poster). Both find the file through `chatsurvey.engine.icons.picture`, in
chatsurvey/static/openmoji/, with one licence and one README beside them.
"""

from __future__ import annotations

import re

import yaml

from chatsurvey.engine.icons import ICON_DIR, NAMES, known_icons, picture
from chatsurvey.engine.scales import FACES
from tests.helpers import PROJECT

CHATSURVEY = PROJECT / "chatsurvey"
HEXCODE = re.compile(r'"([0-9A-F]{4,5}(?:-[0-9A-F]{4,5})*)"')


def flow_pictures() -> set[str]:
    """Every ``icon:`` the programme's flows (and the test flows) name, and the faces of
    the named ``faces`` scale."""
    written = {name for path in [*(PROJECT / "flows").rglob("*.yaml"),
                                 *(PROJECT / "tests" / "flows").rglob("*.yaml")]
               for name in re.findall(r"\bicon: *([a-z][a-z-]*)", path.read_text())}
    return written | {option.icon for option in FACES if option.icon}


def summary_pictures() -> set[str]:
    """Every hexcode the summaries draw: the indicators' pictures, and the headings of the
    page (its template) and of the poster."""
    labels = yaml.safe_load((CHATSURVEY / "reports" / "summary.yaml").read_text())
    found = {str(about["icon"]) for about in labels.values() if "icon" in about}
    for path in (CHATSURVEY / "templates" / "reports" / "summary.html",
                 CHATSURVEY / "reports" / "poster.py", CHATSURVEY / "reports" / "summary.py"):
        found |= set(HEXCODE.findall(path.read_text()))
    return found


def test_every_picture_the_flows_name_is_there():
    used = flow_pictures()
    assert {"face-crying", "face-grinning", "house"} <= used  # the 4 to 7 survey's faces
    for name in used:
        assert name in known_icons(), name
        assert picture(name) is not None, name


def test_every_picture_the_summaries_name_is_there():
    used = summary_pictures()
    assert {"1F600", "2B50", "1F4DD", "1F4DE", "1F91D"} <= used
    for code in used:
        found = picture(code)
        assert found is not None, code
        assert found.read_text().startswith("<svg"), code


def test_one_folder_one_licence_one_name_for_each_file():
    svgs = {path.stem for path in ICON_DIR.glob("*.svg")}
    # Every file is one the chat or a summary uses, named by its hexcode.
    assert svgs == set(NAMES.values()) | summary_pictures()
    assert all(re.fullmatch(r"[0-9A-F]{4,5}(-[0-9A-F]{4,5})*", code) for code in svgs)
    assert sorted(p.name for p in ICON_DIR.iterdir() if p.suffix != ".svg") == [
        "LICENSE.txt", "README.md"]
    assert [p for p in (CHATSURVEY / "static").rglob("*") if "openmoji" in p.name.lower()
            and p != ICON_DIR] == []
    readme = (ICON_DIR / "README.md").read_text()
    for name, code in NAMES.items():
        assert f"| `{code}.svg` | `{name}` |" in readme, name


def test_a_face_in_the_chat_and_in_a_summary_is_the_same_file():
    assert picture("face-grinning") == picture("1F600") == ICON_DIR / "1F600.svg"
    assert picture("house") == picture("1F3E0")


def test_the_lookup_finds_nothing_outside_the_folder():
    for key in ("../../app", "castle", "1F600/../x", "", "1f600", "LICENSE"):
        assert picture(key) is None, key


def test_the_chat_serves_a_picture_by_its_name_from_the_one_folder(client):
    with client.get("/chat/pictures/face-grinning.svg") as served:
        assert served.status_code == 200 and served.mimetype == "image/svg+xml"
        assert served.get_data() == (ICON_DIR / "1F600.svg").read_bytes()
        assert served.headers["Content-Security-Policy"] == "default-src 'none'"
    for missing in ("castle", "1F600", "LICENSE", "README"):  # names only, as flows write
        assert client.get(f"/chat/pictures/{missing}.svg").status_code == 404, missing
