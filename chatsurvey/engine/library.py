"""A set of flows read from files, compiled and linked to each other.

Every ``*.yaml`` file under the given paths is a flow, except files whose
name starts with ``_`` and data catalogues kept beside the flows (a document
with a top-level ``indicators`` list and no ``states``). Translations come
from the ``locales`` directory next to (or inside) the flows directory unless
another is given. A broken flow does not stop the others from loading; its
problems are kept for `flows check`.

A flow checked on its own may enter flows it does not bring (``support``,
``contacts``): ``shared`` names directories they are read from. Flows read
from there only resolve what the named ones enter; they are not checked
(``FlowLibrary.shared`` lists them).
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
    shared: set[str] = field(default_factory=set[str])
    """Ids of flows read from the ``shared`` directories only to resolve the others."""

    @classmethod
    def load(cls, paths: Iterable[str | Path], locales: str | Path | None = None,
             shared: Iterable[str | Path] = ()) -> FlowLibrary:
        """Read, compile and link every flow under ``paths`` (and ``shared``, to resolve)."""
        paths = list(paths)
        locales_dir = Path(locales) if locales else find_locales(paths)
        catalogue = Catalogue.from_directory(locales_dir) if locales_dir else EMPTY
        library = cls(catalogue=catalogue)
        library._read(flow_files(paths))
        named = {p.resolve() for p in library.files.values()} | {
            Path(p.source).resolve() for p in library.problems if p.source}
        extra = [p for p in flow_files(shared) if p.resolve() not in named]
        library._read(extra, shared=True)
        library._link()
        return library

    def _read(self, files: list[Path], shared: bool = False) -> None:
        """Compile each file into ``flows`` (a shared one only if its id is not taken)."""
        for path in files:
            source = str(path)
            try:
                doc = load_document(path.read_text("utf-8"), source)
                if is_catalogue(doc.data):
                    continue
                flow = compile_document(doc, self.catalogue)
            except (FlowError, OSError, UnicodeDecodeError) as exc:
                if not shared:
                    self.problems.extend(exc.problems if isinstance(exc, FlowError) else [
                        Problem(ERROR, "unreadable", f"cannot read: {exc}", source)])
                continue
            if shared:
                if flow.id not in self.flows:
                    self.flows[flow.id], self.files[flow.id] = flow, path
                    self.shared.add(flow.id)
                continue
            if flow.id in self.flows:
                self.problems.append(Problem(
                    ERROR, "duplicate-flow", f"flow id '{flow.id}' is also used by "
                    f"{self.files[flow.id]}", source, doc.line_of(("id",)), None, "id"))
                continue
            self.flows[flow.id] = flow
            self.files[flow.id] = path

    def _link(self) -> None:
        # A flow that enters a missing flow is dropped, which may break the flows
        # that enter it in turn: link until nothing more fails.
        failed = True
        while failed:
            failed = False
            for flow in list(self.flows.values()):
                try:
                    link(flow, self.flows.get)
                except FlowError as exc:
                    if flow.id not in self.shared:
                        self.problems.extend(exc.problems)
                    self.shared.discard(flow.id)
                    del self.flows[flow.id]
                    failed = True

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
