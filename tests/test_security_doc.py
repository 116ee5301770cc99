"""docs/security.md names the test behind each promise: every test it names exists.

A row reads `file.py::test_name`, and may add more tests of the same file as
`::other_test`. Renaming or deleting a test without fixing the page fails here.
"""

from __future__ import annotations

import ast
import re

from tests.helpers import PROJECT, TESTS

PAGE = PROJECT / "docs" / "security.md"
CELL = re.compile(r"`(test_[a-z_]+\.py)::(test_\w+)`((?:,\s*`::test_\w+`)*)")


def named_tests() -> list[tuple[str, str]]:
    found = []
    for file, first, more in CELL.findall(PAGE.read_text("utf-8")):
        found.append((file, first))
        found += [(file, name) for name in re.findall(r"`::(test_\w+)`", more)]
    return found


def test_every_test_the_security_page_names_exists():
    named = named_tests()
    assert len(named) > 30, "the page names its tests"
    missing = []
    for file, name in named:
        path = TESTS / file
        tests = {node.name for node in ast.walk(ast.parse(path.read_text("utf-8")))
                 if isinstance(node, ast.FunctionDef)} if path.exists() else set()
        if name not in tests:
            missing.append(f"{file}::{name}")
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"


def test_the_reference_pattern_reads_a_row():
    assert CELL.findall("`test_x.py::test_a`, `::test_b`") == [
        ("test_x.py", "test_a", ", `::test_b`")]
