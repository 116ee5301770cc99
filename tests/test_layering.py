"""The folder tree is the architecture: who may import whom (ARCHITECTURE.md, "Parts").

Read from the source with ``ast``, so an import inside a function counts as much as one
at the top of a file (a lazy import hides a circle, it does not remove it); imports
under ``if TYPE_CHECKING:`` are for the type checker only and do not count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("chatsurvey", "workers", "devtools")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool,
             modules: frozenset[str] = frozenset()) -> Iterator[str]:
    """Every module this module imports at run time, as absolute names.

    ``from package import submodule`` counts as importing the submodule (one of
    ``modules``), not everything the package's ``__init__`` would bring.
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (n for child in node.orelse
                        for n in _imports(child, module, is_package, modules))
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                name = f"{source}.{alias.name}"
                yield name if name in modules else source
        else:
            yield from _imports(node, module, is_package, modules)


def import_graph() -> dict[str, set[str]]:
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")
             if "migrations" not in p.parts]
    modules = {module_name(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text("utf-8"))
        found = set(_imports(tree, name, path.name == "__init__.py", frozenset(modules)))
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: groups of modules that import each other, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def importers(graph: dict[str, set[str]], prefix: str, of: str) -> list[str]:
    """Modules under ``prefix`` that import anything under ``of``."""
    return sorted(m for m, deps in graph.items() if m.startswith(prefix)
                  and any(d == of or d.startswith(of + ".") for d in deps))


def test_there_is_no_import_circle(graph):
    assert strongly_connected(graph) == []


def test_the_circle_finder_finds_a_circle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]]


def test_a_lazy_import_counts_and_a_type_checking_one_does_not():
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import x\n"
                     "def f():\n    from chatsurvey import jobs\n")
    found = set(_imports(tree, "chatsurvey.m", False, frozenset({"chatsurvey.jobs"})))
    assert found == {"typing", "chatsurvey.jobs"}


def test_nothing_imports_the_job_entry_points(graph):
    assert importers(graph, "chatsurvey", "workers") == []
    assert importers(graph, "devtools", "workers") == []


def test_the_admin_never_imports_a_channel(graph):
    assert importers(graph, "chatsurvey.admin", "chatsurvey.channels") == []


def test_the_service_never_imports_the_developer_tools(graph):
    # The one exception: the command line adds the developer tools' commands when the
    # source checkout is there (they are not in the wheel).
    assert importers(graph, "chatsurvey", "devtools") == ["chatsurvey.cli"]


def test_the_engine_imports_nothing_else_of_chatsurvey(graph):
    outside = {d for m, deps in graph.items() if m.startswith("chatsurvey.engine")
               for d in deps if not d.startswith("chatsurvey.engine")}
    assert outside == set()


DOMAINS = ("accounts", "councils", "rounds", "flows", "invitations", "responses", "reports")
"""Packages that own tables and their actions: the admin and the command line call them."""

def test_the_admin_and_the_command_line_never_import_each_other(graph):
    assert importers(graph, "chatsurvey.admin", "chatsurvey.cli") == []
    assert importers(graph, "chatsurvey.cli", "chatsurvey.admin") == []


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_domain_never_imports_the_doors_that_call_it(graph, domain):
    """Domains know nothing of the admin, the command line, the channels or the job entry points."""
    for door in ("chatsurvey.admin", "chatsurvey.cli", "chatsurvey.channels", "workers"):
        assert importers(graph, f"chatsurvey.{domain}", door) == [], door


def test_reports_never_read_redis_or_conversations_in_progress(graph):
    assert importers(graph, "chatsurvey.reports", "chatsurvey.conversations") == []
    assert importers(graph, "chatsurvey.reports", "chatsurvey.jobs") == []
    for path in (ROOT / "chatsurvey" / "reports").rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
            alias.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom | ast.Import)
            for alias in n.names}
        assert not names & {"redis", "redis_client", "Redis"}, path


def test_channels_reach_councils_through_conversations_not_the_admin_or_command_line(graph):
    for door in ("chatsurvey.admin", "chatsurvey.cli"):
        assert importers(graph, "chatsurvey.channels", door) == []


def test_every_package_says_what_it_may_import():
    """Each package's docstring names what lives there (its first line) and its neighbours."""
    for package in (ROOT / "chatsurvey").iterdir():
        init = package / "__init__.py"
        if not init.exists() or package.name in ("migrations", "engine"):
            continue
        doc = ast.get_docstring(ast.parse(init.read_text("utf-8"))) or ""
        assert doc, f"{init} has no docstring"
        if package.name in DOMAINS + ("conversations", "channels", "admin", "cli"):
            assert "import" in doc, f"{init}: say what the package may import"
