"""Copy the OpenMoji pictures the surveys use into chatsurvey/static/openmoji/.

OpenMoji (https://openmoji.org) is CC BY-SA 4.0. Only the pictures named in ICONS are
kept, under names a flow writer can read (``icon: face-crying``); the service never
fetches them from anywhere at run time. To add one: add its name and OpenMoji hexcode
here, then

    npm pack openmoji@17.0.0 && python scripts/vendor_openmoji.py openmoji-17.0.0.tgz
"""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

VERSION = "17.0.0"
TARGET = Path(__file__).resolve().parents[1] / "chatsurvey" / "static" / "openmoji"

# name: (OpenMoji hexcode, what it shows)
ICONS = {
    "face-crying": ("1F622", "crying face"),
    "face-frowning": ("1F641", "slightly frowning face"),
    "face-neutral": ("1F610", "neutral face"),
    "face-smiling": ("1F642", "slightly smiling face"),
    "face-grinning": ("1F600", "grinning face"),
    "thumbs-up": ("1F44D", "thumbs up"),
    "thumbs-down": ("1F44E", "thumbs down"),
    "a-bit": ("1F90F", "pinching hand"),
    "alone": ("1F9CD", "person standing"),
    "hug": ("1FAC2", "people hugging"),
    "friends": ("1F9D1-200D-1F91D-200D-1F9D1", "people holding hands"),
    "worker": ("1F9D1-200D-1F4BC", "office worker"),
    "someone": ("1F464", "bust in silhouette"),
    "house": ("1F3E0", "house"),
    "houses": ("1F3D8", "houses"),
    "family": ("1F9D1-200D-1F9D1-200D-1F9D2", "family: adult, adult, child"),
    "parent-and-child": ("1F9D1-200D-1F9D2", "family: adult, child"),
    "key": ("1F511", "key"),
    "question": ("2753", "red question mark"),
}

README = """# OpenMoji pictures

The pictures beside some answers in the web chat (a flow option's `icon:`), drawn the
same on every phone whatever its emoji font. Each file is `<name>.svg`; the name is what
a flow writes. `scripts/vendor_openmoji.py` copies them from the `openmoji` npm package
(version {version}) and rewrites this file.

All emojis designed by [OpenMoji](https://openmoji.org/) – the open-source emoji and
icon project. License: [CC BY-SA 4.0](https://creativecommons.org/licenses/by-sa/4.0/)
(LICENSE.txt). The files are unchanged.

| name | OpenMoji | shows |
|---|---|---|
{rows}
"""


def main(tarball: str) -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as archive:
        def read(path: str) -> bytes:
            member = archive.extractfile(f"package/{path}")
            if member is None:
                raise SystemExit(f"{path} is not in {tarball}")
            return member.read()

        for name, (code, _) in ICONS.items():
            (TARGET / f"{name}.svg").write_bytes(read(f"color/svg/{code}.svg"))
        (TARGET / "LICENSE.txt").write_bytes(read("LICENSE.txt"))
    rows = "\n".join(f"| `{n}` | {c} | {what} |" for n, (c, what) in ICONS.items())
    (TARGET / "README.md").write_text(README.format(version=VERSION, rows=rows))


if __name__ == "__main__":
    main(sys.argv[1])
