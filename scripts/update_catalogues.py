"""`make locales`: merge a freshly extracted template into each language's catalogue.

Used instead of `pybabel update` because its guesses come from unrelated text:
Babel's fuzzy matching looks for the closest English anywhere in the catalogue,
so a new "Sport" was offered the Welsh for "support". Here:

* a new message gets no guess at all (it stays untranslated, and English is
  shown until a translator fills it in);
* a message whose English changed keeps its old translation marked fuzzy with
  the previous English (``#| msgid``): the service does not show it until a
  translator has looked (chatsurvey/engine/catalogue.py), and the translator
  sees what changed;
* with ``--flows DIR``, a language's catalogue holds the messages of the flows
  that declare that language only (and the engine's own, if any flow does); a
  catalogue of a language no flow declares is not touched. Translations already
  written for a flow that does not declare the language are kept as they are.

    python scripts/update_catalogues.py TEMPLATE.pot LOCALES_DIR DOMAIN [--flows DIR]
"""

from __future__ import annotations

import argparse
import copy
import io
import sys
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from chatsurvey.engine.catalogue import previous_msgids

SYSTEM = "system"


def declared_locales(flows_dir: Path) -> dict[str, set[str]]:
    """{owner: locales}: each flow's declared locales; the engine's own are every flow's."""
    owners: dict[str, set[str]] = {}
    for path in sorted(flows_dir.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        if isinstance(data, dict) and isinstance(data.get("id"), str) and "states" in data:
            owners[data["id"]] = set(data.get("locales") or [])
    owners[SYSTEM] = set().union(*owners.values()) if owners else set()
    return owners


def _owner(message: Message) -> str:
    return (message.context or "").partition(":")[0]


def _for_locale(template: Catalog, locale: str, owners: dict[str, set[str]] | None) -> Catalog:
    kept = Catalog(locale=None, domain=template.domain)
    for message in template:
        if message.id and (owners is None or locale in owners.get(_owner(message), set())):
            kept[message.id] = copy.deepcopy(message)
    return kept


def merge(template: Catalog, catalog: Catalog, owners: dict[str, set[str]] | None,
          locale: str) -> Catalog:
    """``catalog`` (of ``locale``) brought up to ``template`` without guessing from unrelated text.

    The locale is the catalogue's folder name, not ``catalog.locale``: Babel has no data for
    some of our languages (Dari, ``prs``) and reads their locale as None.
    """
    before = {m.context: m for m in catalog if m.id and m.context}
    wanted = _for_locale(template, locale, owners)
    catalog.update(wanted, no_fuzzy_matching=True, update_header_comment=False,
                   update_creation_date=True)
    for message in catalog:
        old = before.get(message.context)
        if old is not None and old.id == message.id and old.previous_id and message.fuzzy:
            message.previous_id = old.previous_id  # still waiting for its review
        if message.id and not message.string and old is not None and old.string \
                and old.id != message.id:
            message.string = old.string
            message.flags.add("fuzzy")
            message.previous_id = [old.id] if isinstance(old.id, str) else list(old.id)
    if owners is not None:  # another flow's translations stay as they were
        for context, old in before.items():
            if old.string and locale not in owners.get(_owner(old), set()) \
                    and catalog.get(old.id, context) is None:
                catalog[old.id] = old
    return catalog


def update(template_path: Path, locales_dir: Path, domain: str,
           flows_dir: Path | None = None) -> list[Path]:
    """Merge the template into every catalogue of ``domain``; the files written."""
    with template_path.open("rb") as f:
        template = read_po(f)
    owners = declared_locales(flows_dir) if flows_dir is not None else None
    written = []
    for po in sorted(locales_dir.glob(f"*/LC_MESSAGES/{domain}.po")):
        locale = po.parent.parent.name
        if owners is not None and not any(locale in found for found in owners.values()):
            continue
        raw = po.read_bytes()
        catalog = read_po(io.BytesIO(raw), locale=locale, domain=domain)
        previous = previous_msgids(raw.decode("utf-8", "replace"))
        for message in catalog:  # Babel's reader keeps "#| msgid" as a comment: put it back
            message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
            if message.context in previous:
                message.previous_id = [previous[message.context]]
        merge(template, catalog, owners, locale)
        out = io.BytesIO()
        write_po(out, catalog, width=None, include_previous=True, ignore_obsolete=True)
        if out.getvalue() != raw:
            po.write_bytes(out.getvalue())
            written.append(po)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("template", type=Path)
    parser.add_argument("locales", type=Path)
    parser.add_argument("domain")
    parser.add_argument("--flows", type=Path, help="Only the languages each flow declares.")
    args = parser.parse_args(argv)
    for path in update(args.template, args.locales, args.domain, args.flows):
        print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
