"""Read flow YAML while remembering where every field was written.

Analysts fix errors by line, so the loader keeps a map from each value's path
(``("states", "safe_home", "ask")``) to its line and column. It also refuses
duplicate keys, which plain YAML loaders silently overwrite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false, so an option called `no` stays text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class FlowSyntaxError(ValueError):
    """The text is not a YAML document the flow language can read."""

    def __init__(self, message: str, line: int | None = None, source: str = "") -> None:
        self.message = message
        self.line = line
        self.source = source
        where = f"{source}:{line}: " if line else (f"{source}: " if source else "")
        super().__init__(where + message)


@dataclass
class SourceDoc:
    """A parsed flow document with the line of every path in it."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    source: str = ""

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its closest parent that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def _plain(node: yaml.Node, path: Path, lines: dict[Path, int], loader: _Loader,
           source: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _plain(key_node, path + ("<key>",), {}, loader, source)
            if not isinstance(key, str | int | bool | float) or key is None:
                raise FlowSyntaxError("a field name must be plain text",
                                      key_node.start_mark.line + 1, source)
            if isinstance(key, bool | float):
                key = str(key).lower()
            if key in out:
                raise FlowSyntaxError(
                    f"'{key}' is written twice here; keep one of them",
                    key_node.start_mark.line + 1,
                    source,
                )
            child = path + (key,)
            out[key] = _plain(value_node, child, lines, loader, source)
            lines[child] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, path + (i,), lines, loader, source)
                for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse_yaml(text: str, source: str = "") -> SourceDoc:
    """Parse one YAML document, keeping line numbers and rejecting duplicate keys."""
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "the YAML could not be read"
        raise FlowSyntaxError(f"YAML syntax: {problem}", line, source) from None
    except yaml.YAMLError as exc:
        raise FlowSyntaxError(f"YAML syntax: {exc}", None, source) from None
    if node is None:
        raise FlowSyntaxError("the file is empty", 1, source)
    lines: dict[Path, int] = {}
    try:
        data = _plain(node, (), lines, loader, source)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise FlowSyntaxError(f"YAML syntax: {exc.problem}", line, source) from None
    finally:
        loader.dispose()
    return SourceDoc(data=data, lines=lines, source=source)
