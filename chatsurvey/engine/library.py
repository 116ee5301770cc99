"""A set of flows read from files, compiled and linked to each other.

Every ``*.yaml`` file under the given paths is a flow, except files whose
name starts with ``_`` and data catalogues kept beside the flows (a document
with a top-level ``indicators`` list and no ``states``). Translations come
from the ``locales`` directory next to (or inside) the flows directory unless
another is given. A broken flow does not stop the others from loading; its
problems are kept for `flows check`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .catalogue import EMPTY, Catalogue
from .compile import compile_document, link, load_document
from .model import Flow
from .problems import ERROR, FlowError, Problem


def flow_files(paths: Iterable[str | Path]) -> list[Path]:
    """The flow files named by ``paths`` (files, or directories searched recursively)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(
                p for p in path.rglob("*.y*ml")
                if p.suffix in (".yaml", ".yml") and not p.name.startswith("_")
                and "locales" not in p.relative_to(path).parts))
        else:
            found.append(path)
    return found


def find_locales(paths: Iterable[str | Path]) -> Path | None:
    """The ``locales`` directory that belongs to the first path, if there is one."""
    for raw in paths:
        path = Path(raw)
        base = path if path.is_dir() else path.parent
        for candidate in (base / "locales", base.parent / "locales"):
            if candidate.is_dir():
                return candidate
    return None


def is_catalogue(data: object) -> bool:
    """True for a data catalogue (such as the indicator catalogue) rather than a flow."""
    return isinstance(data, dict) and "indicators" in data and "states" not in data


@dataclass
class FlowLibrary:
    """Compiled flows by id, and the problems of those that could not be compiled."""

    flows: dict[str, Flow] = field(default_factory=dict[str, Flow])
    problems: list[Problem] = field(default_factory=list[Problem])
    files: dict[str, Path] = field(default_factory=dict[str, Path])
    catalogue: Catalogue = EMPTY

    @classmethod
    def load(cls, paths: Iterable[str | Path], locales: str | Path | None = None) -> FlowLibrary:
        """Read, compile and link every flow under ``paths``."""
        paths = list(paths)
        locales_dir = Path(locales) if locales else find_locales(paths)
        catalogue = Catalogue.from_directory(locales_dir) if locales_dir else EMPTY
        library = cls(catalogue=catalogue)
        for path in flow_files(paths):
            source = str(path)
            try:
                doc = load_document(path.read_text("utf-8"), source)
                if is_catalogue(doc.data):
                    continue
                flow = compile_document(doc, catalogue)
            except FlowError as exc:
                library.problems.extend(exc.problems)
                continue
            except (OSError, UnicodeDecodeError) as exc:
                library.problems.append(Problem(ERROR, "unreadable", f"cannot read: {exc}",
                                                source))
                continue
            if flow.id in library.flows:
                library.problems.append(Problem(
                    ERROR, "duplicate-flow", f"flow id '{flow.id}' is also used by "
                    f"{library.files[flow.id]}", source, doc.line_of(("id",)), None, "id"))
                continue
            library.flows[flow.id] = flow
            library.files[flow.id] = path
        # A flow that enters a missing flow is dropped, which may break the flows
        # that enter it in turn: link until nothing more fails.
        failed = True
        while failed:
            failed = False
            for flow in list(library.flows.values()):
                try:
                    link(flow, library.flows.get)
                except FlowError as exc:
                    library.problems.extend(exc.problems)
                    del library.flows[flow.id]
                    failed = True
        return library

    def get(self, flow_id: str) -> Flow:
        """A linked flow by id; raises KeyError if there is no such working flow."""
        return self.flows[flow_id]

    def find(self, name: str) -> Flow:
        """A flow by id or by file path; raises KeyError with a helpful message."""
        if name in self.flows:
            return self.flows[name]
        wanted = Path(name).resolve()
        for flow_id, path in self.files.items():
            if path.resolve() == wanted:
                return self.flows[flow_id]
        raise KeyError(f"no working flow called {name!r}; known: {', '.join(sorted(self.flows))}")
