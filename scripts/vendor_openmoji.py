"""Copy the OpenMoji pictures chatsurvey uses into chatsurvey/static/openmoji/.

OpenMoji (https://openmoji.org) is CC BY-SA 4.0. Only the pictures listed in SHOWS are
kept, each under its OpenMoji hexcode (``1F622.svg``); the web chat and the young
people's summaries find them through `chatsurvey.engine.icons.picture`, and a flow
names its pictures by the words in `chatsurvey.engine.icons.NAMES`. The service never
fetches them from anywhere at run time. To add one: add its hexcode here (and, for a
flow, its name to NAMES), then

    npm pack openmoji@17.0.0 && python scripts/vendor_openmoji.py openmoji-17.0.0.tgz
"""

from __future__ import annotations

import sys
import tarfile

from chatsurvey.engine.icons import ICON_DIR, NAMES

VERSION = "17.0.0"
TARGET = ICON_DIR

SHOWS = {
    # the web chat's pictures beside answers (NAMES)
    "1F622": "crying face",
    "1F641": "slightly frowning face",
    "1F610": "neutral face",
    "1F642": "slightly smiling face",
    "1F600": "grinning face",
    "1F44D": "thumbs up",
    "1F44E": "thumbs down",
    "1F90F": "pinching hand",
    "1F9CD": "person standing",
    "1FAC2": "people hugging",
    "1F9D1-200D-1F91D-200D-1F9D1": "people holding hands",
    "1F9D1-200D-1F4BC": "office worker",
    "1F464": "bust in silhouette",
    "1F3E0": "house",
    "1F3D8": "houses",
    "1F9D1-200D-1F9D1-200D-1F9D2": "family: adult, adult, child",
    "1F9D1-200D-1F9D2": "family: adult, child",
    "1F511": "key",
    "2753": "red question mark",
    # the young people's summaries (chatsurvey/reports/summary.yaml, its page and poster)
    "1F308": "rainbow",
    "1F31F": "glowing star",
    "1F333": "deciduous tree",
    "1F373": "cooking",
    "1F3EB": "school",
    "1F46A": "family",
    "1F49B": "yellow heart",
    "1F4AC": "speech balloon",
    "1F4B7": "pound banknote",
    "1F4C8": "chart increasing",
    "1F4DA": "books",
    "1F4DD": "memo",
    "1F4DE": "telephone receiver",
    "1F4F1": "mobile phone",
    "1F60A": "smiling face with smiling eyes",
    "1F60C": "relieved face",
    "1F6CF": "bed",
    "1F6E0": "hammer and wrench",
    "1F91D": "handshake",
    "1F9D1": "person",
    "26BD": "soccer ball",
    "2B50": "star",
}
"""Every picture kept, by OpenMoji hexcode, and what it shows."""

README = """# OpenMoji pictures

The pictures in chatsurvey: beside some answers in the web chat (a flow option's
`icon:`), and in the young people's summaries (page and poster), drawn the same on every
phone whatever its emoji font. Each file is `<hexcode>.svg`, OpenMoji's own name for it;
a flow names a picture by the word in the table, the summaries
(`chatsurvey/reports/summary.yaml`) by its hexcode. `chatsurvey.engine.icons.picture`
finds the file for either. `scripts/vendor_openmoji.py` copies them from the `openmoji`
npm package (version {version}) and rewrites this file.

All emojis designed by [OpenMoji](https://openmoji.org/) – the open-source emoji and
icon project. License: [CC BY-SA 4.0](https://creativecommons.org/licenses/by-sa/4.0/)
(LICENSE.txt). The files are unchanged. The summaries credit OpenMoji at their foot.

| file | name in a flow | shows |
|---|---|---|
{rows}
"""


def main(tarball: str) -> None:
    missing = set(NAMES.values()) - set(SHOWS)
    if missing:
        raise SystemExit(f"add these flow pictures to SHOWS: {sorted(missing)}")
    TARGET.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as archive:
        def read(path: str) -> bytes:
            member = archive.extractfile(f"package/{path}")
            if member is None:
                raise SystemExit(f"{path} is not in {tarball}")
            return member.read()

        for code in SHOWS:
            (TARGET / f"{code}.svg").write_bytes(read(f"color/svg/{code}.svg"))
        (TARGET / "LICENSE.txt").write_bytes(read("LICENSE.txt"))
    (TARGET / "README.md").write_text(readme())


def readme() -> str:
    named = {code: name for name, code in NAMES.items()}
    rows = "\n".join(f"| `{code}.svg` | {f'`{named[code]}`' if code in named else ''} "
                     f"| {what} |" for code, what in SHOWS.items())
    return README.format(version=VERSION, rows=rows)


if __name__ == "__main__":
    main(sys.argv[1])
