"""Publishing the programme's flows: each version is its YAML and its words, as one unit.

A published version (FlowVersion) holds the flow's YAML, the translations of
every locale it declares (its own messages' gettext entries and the engine's,
``Catalogue.as_data``) and the versions of the flows it enters. Nothing about a
version is read from files at run time, so every process renders the same words
for it, and a conversation pinned to it keeps them.

Every way to publish is here, for the admin and the CLI alike, each recording
its audit rows (programme flows belong to no council, so the rows name none):

* ``publish_directory`` — the seed: ``flows/`` and ``locales/`` of a checkout
  (``chatsurvey flows publish``);
* ``publish_flow`` — an analyst's edited YAML, keeping the latest translations;
* ``roll_back`` — an earlier version's YAML and words published again;
* ``publish_translations`` — an uploaded catalogue: every flow it changes gets a
  new version with the same YAML.

A new version of a flow that others enter would reach nobody until they were
published again, so after each of these every flow whose latest version enters
a changed one (directly or not) is published again with the same YAML and
words, pinning the new versions. Conversations in progress and rounds already
open keep the versions they pinned; new rounds get the new ones.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from babel.messages.pofile import PoFileError

from chatsurvey.audit import record
from chatsurvey.engine import Catalogue, Flow, FlowError, FlowLibrary, compile_flow
from chatsurvey.engine.catalogue import EMPTY, SYSTEM
from chatsurvey.engine.compile import referenced_flows
from chatsurvey.engine.problems import ERROR, Problem
from chatsurvey.extensions import db
from chatsurvey.flows.models import FlowVersion, latest_versions
from chatsurvey.flows.store import compile_version


def words_of(flow: Flow, catalogue: Catalogue) -> dict:
    """The translations a version of ``flow`` keeps: its own and the engine's, in its locales."""
    locales = [loc for loc in flow.locales if loc != flow.source_locale]
    return catalogue.as_data({flow.id, SYSTEM}, locales)


def publish_version(source: str, name: str = "", translations: dict | None = None
                    ) -> FlowVersion:
    """A new version of one flow, or its latest if nothing about it changed.

    ``translations`` (``Catalogue.as_data``) default to the words of the flow's
    latest version. The flows it enters must be published; their latest versions
    are pinned. Nothing else is published again and nothing is audited: the
    actions below do both. Raises FlowError if the flow or its links are broken.
    """
    flow = compile_flow(source, EMPTY, name)
    latest = FlowVersion.latest(flow.id)
    if translations is None:
        translations = words_of(flow, Catalogue.from_data(latest.translations or {})) \
            if latest else {}
    bundle = _bundle(flow)
    if latest is not None and (latest.source, latest.bundle, latest.translations or {}) == (
            source, bundle, translations):
        return latest
    row = FlowVersion(flow_id=flow.id, version=(latest.version + 1) if latest else 1,
                      title=flow.title, survey=flow.survey, source=source, bundle=bundle,
                      translations=translations)
    db.session.add(row)
    db.session.flush()
    return row


def _bundle(flow: Flow) -> dict[str, int]:
    """{flow id: latest published version} for every flow ``flow`` can enter."""
    bundle: dict[str, int] = {}
    pending = [flow]
    while pending:
        current = pending.pop()
        for sub_id, _node in referenced_flows(current):
            if sub_id in bundle or sub_id == flow.id:
                continue
            latest = FlowVersion.latest(sub_id)
            if latest is None:
                raise FlowError([Problem(
                    ERROR, "missing-flow", f"enters flow '{sub_id}', which is not published"
                    " yet; publish it first", flow.doc.source if flow.doc else "")])
            bundle[sub_id] = latest.version
            pending.append(compile_version(latest))
    return bundle


def _repin(changed: set[str]) -> list[FlowVersion]:
    """Publish again every flow that enters a changed one, so it pins the new versions."""
    published = []
    while changed:
        newly: set[str] = set()
        for parent_id, parent in latest_versions().items():
            if parent_id in changed or not set(parent.bundle) & changed:
                continue
            again = publish_version(parent.source, f"{parent_id}.yaml",
                                    parent.translations or {})
            if again.id != parent.id:
                published.append(again)
                newly.add(parent_id)
        changed = newly
    return published


def _audit(rows: Iterable[FlowVersion], action: str, cause: str, **details) -> None:
    for row in rows:
        record(action if row.flow_id == cause else "flow.published", row, tenant_id=None,
               flow=row.flow_id, version=row.version, pinned=row.bundle,
               repinned=row.flow_id != cause, **details)


def publish_flow(source: str, flow_id: str) -> list[FlowVersion]:
    """Publish an analyst's YAML for ``flow_id`` with its latest translations; the new versions.

    The caller has checked the draft (chatsurvey.flows.editing.check_draft).
    Raises FlowError if it does not compile or enters a flow that is not published.
    """
    before = FlowVersion.latest(flow_id)
    row = publish_version(source, f"{flow_id}.yaml")
    published = [row] + _repin({flow_id}) if row is not before else []
    _audit(published, "flow.published", flow_id)
    return published


def roll_back(row: FlowVersion) -> list[FlowVersion]:
    """Publish an earlier version (its YAML and its words) again as the latest."""
    before = FlowVersion.latest(row.flow_id)
    again = publish_version(row.source, f"{row.flow_id}.yaml", row.translations or {})
    published = [again] + _repin({row.flow_id}) if again is not before else []
    _audit(published, "flow.rolled_back", row.flow_id, source_version=row.version)
    return published


def publish_directory(path: str | Path, locales: str | Path | None = None
                      ) -> list[FlowVersion]:
    """Publish every flow in a directory with its catalogues, entered flows first.

    Translations come from ``locales`` (default: the ``locales`` directory beside
    the flows). Unchanged flows keep their latest version; the versions returned
    are each flow's latest.
    """
    library = FlowLibrary.load([path], locales)
    if library.problems:
        raise FlowError(library.problems)
    order: list[str] = []

    def visit(flow_id: str) -> None:
        if flow_id in order:
            return
        for sub_id, _node in referenced_flows(library.flows[flow_id]):
            if sub_id != flow_id:
                visit(sub_id)
        order.append(flow_id)

    for flow_id in sorted(library.flows):
        visit(flow_id)
    rows = []
    changed = []
    for flow_id in order:
        before = FlowVersion.latest(flow_id)
        row = publish_version(library.files[flow_id].read_text("utf-8"),
                              str(library.files[flow_id]),
                              words_of(library.flows[flow_id], library.catalogue))
        if row is not before:
            changed.append(row)
        rows.append(row)
    repinned = _repin({r.flow_id for r in changed})
    for row in changed + repinned:
        record("flow.published", row, tenant_id=None, flow=row.flow_id, version=row.version,
               pinned=row.bundle, repinned=row in repinned, seed=True)
    return rows


class CatalogueError(ValueError):
    """An uploaded catalogue that cannot be read."""


def read_catalogue(locale: str, raw: bytes) -> Catalogue:
    """An uploaded .po as the catalogue of ``locale``; CatalogueError if it cannot be read."""
    try:
        return Catalogue({locale: Catalogue.read(io.BytesIO(raw))})
    except (PoFileError, ValueError, UnicodeDecodeError) as exc:
        raise CatalogueError(str(exc)[:200]) from None


def publish_translations(locale: str, raw: bytes) -> list[FlowVersion]:
    """Publish a new version of every flow whose ``locale`` words the upload changes.

    The upload replaces the locale's entries of each flow that declares the
    locale (its own messages and the engine's); the YAML stays as it is. The
    caller has checked the catalogue (placeholders, phone numbers).
    """
    uploaded = read_catalogue(locale, raw)
    changed: list[FlowVersion] = []
    # Entered flows first (a flow's bundle holds every flow it can reach), so a
    # flow published here pins the new versions of the flows it enters.
    for flow_id, row in sorted(latest_versions().items(), key=lambda i: len(i[1].bundle)):
        flow = compile_version(row)
        if locale not in flow.locales or locale == flow.source_locale:
            continue
        words = {loc: table for loc, table in (row.translations or {}).items() if loc != locale}
        words.update(uploaded.as_data({flow.id, SYSTEM}, [locale]))
        if words != (row.translations or {}):
            changed.append(publish_version(row.source, f"{flow_id}.yaml", words))
    published = changed + _repin({r.flow_id for r in changed})
    for row in published:
        record("flow.published", row, tenant_id=None, flow=row.flow_id, version=row.version,
               pinned=row.bundle, locale=locale, repinned=row not in changed)
    return published
