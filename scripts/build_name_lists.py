"""Build the word lists the redactor uses (chatsurvey/responses/data/).

Run once when the lists should be refreshed, in a throwaway environment (the
source data needs about 2 GB of memory to load):

    python3 -m venv /tmp/names && /tmp/names/bin/pip install '.[names-data]'
    /tmp/names/bin/python scripts/build_name_lists.py

Sources: the names-dataset package (first and last names by country, from
public data), and Debian's British English word list (package wbritish) to
mark names that are also everyday words, such as "will", "grace" or "rose",
which the redactor only treats as names in context. The word list keeps case:
"grace" (a word) and "Adam" (only a name) are told apart.
"""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

from names_dataset import NameDataset

OUT = Path(__file__).resolve().parent.parent / "chatsurvey" / "responses" / "data"
WORDS = Path("/usr/share/dict/british-english")
# Where young people in care in the UK and their families most often come from.
COUNTRIES = {"GB": 2500, "IE": 400, "IN": 400, "PK": 400, "BD": 300, "NG": 300, "GH": 200,
             "PL": 300, "RO": 200, "LT": 150, "SO": 150, "ER": 100, "AF": 150, "IQ": 150,
             "SY": 150, "JM": 150, "CN": 150, "TR": 150, "PT": 150, "IT": 150, "FR": 150,
             "ZA": 200, "KE": 150, "ZW": 150, "SD": 100, "EG": 100, "MA": 100, "AL": 100,
             "VN": 100}


def top(nd: NameDataset, first: bool) -> set[str]:
    names: set[str] = set()
    for country, n in COUNTRIES.items():
        found = nd.get_top_names(n=n if first else 2 * n, use_first_names=first,
                                 country_alpha2=country)
        for value in found.get(country, {}).values() if first else [found.get(country, [])]:
            names.update(v.casefold() for v in value if v.isalpha() and len(v) > 1)
    return names


def write(name: str, words: set[str], about: str) -> None:
    header = (f"# {about}\n# Built {date.today().isoformat()} by scripts/build_name_lists.py "
              "from names-dataset and wbritish. One lower-case word per line.\n")
    (OUT / name).write_text(header + "\n".join(sorted(words)) + "\n", encoding="utf-8")


def main() -> None:
    nd = NameDataset()
    first, last = top(nd, True), top(nd, False)
    common = {w for w in WORDS.read_text("utf-8").split() if w.isalpha() and w.islower()}
    write("names_first.txt", first - common, "First names that are not everyday words.")
    write("names_last.txt", last - common - first, "Surnames that are not everyday words.")
    write("names_common_words.txt", (first | last) & common,
          "Names that are also everyday English words: names only in context.")
    with gzip.open(OUT / "english_words.txt.gz", "wt", encoding="utf-8") as out:
        out.write("# Everyday English words (lower case) from wbritish.\n")
        out.write("\n".join(sorted(common)) + "\n")


if __name__ == "__main__":
    main()
