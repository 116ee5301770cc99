"""Read flow YAML while remembering where every field was written.

Analysts fix errors by line, so the loader keeps a map from each value's path
(``("states", "safe_home", "ask")``) to its line and column. It also refuses
duplicate keys, which plain YAML loaders silently overwrite.

Flow YAML comes from people (an editor, an upload), so reading it is bounded:
at most MAX_CHARS characters, MAX_DEPTH levels of nesting and MAX_VALUES values,
and no anchors or aliases (``&name`` / ``*name``). An alias repeats a value
without writing it out, so a few hundred bytes of aliases of aliases can stand
for billions of values; a flow never needs one. With those bounds a document is
read in time and memory proportional to its length. libyaml (PyYAML's C
parser) reads it; it refuses nesting past 1000 levels itself, before Python's
own recursion limit could be reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import yaml

Path = tuple[str | int, ...]

MAX_CHARS = 100_000
"""The longest flow document read (the longest survey is about 18,000)."""
MAX_DEPTH = 32
"""The deepest nesting read (a survey nests about 11 deep)."""
MAX_VALUES = 15_000
"""The most keys and values read (the longest survey has about 1,500)."""


class _Loader(yaml.CSafeLoader):
    """YAML 1.2 booleans: only true/false, so an option called `no` stays text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(  # pyright: ignore[reportUnknownMemberType] (stub: untyped)
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
    lines: dict[Path, int] = field(default_factory=dict[Path, int])
    source: str = ""

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its closest parent that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


class _Reader:
    """Turns composed YAML nodes into plain values, within the bounds above."""

    def __init__(self, loader: _Loader, source: str) -> None:
        self.loader = loader
        self.source = source
        self.lines: dict[Path, int] = {}
        self.seen: set[int] = set()

    def refuse(self, message: str, node: yaml.Node) -> FlowSyntaxError:
        return FlowSyntaxError(message, node.start_mark.line + 1, self.source)

    def value(self, node: yaml.Node, path: Path, depth: int, lines: dict[Path, int],
              near: yaml.Node) -> Any:
        """The plain value of ``node``; ``near`` is the node whose line an alias is reported on."""
        if id(node) in self.seen:
            # The composer hands back the very node an anchor named for each alias.
            raise self.refuse("anchors and aliases (&name, *name) are not allowed in flows;"
                              " write it out where it is needed", near)
        self.seen.add(id(node))
        if len(self.seen) > MAX_VALUES:
            raise self.refuse(f"the document has more than {MAX_VALUES} values", node)
        if depth > MAX_DEPTH:
            raise self.refuse(f"the document is nested more than {MAX_DEPTH} levels deep", node)
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, path + (i,), depth + 1, lines, node)
                    for i, item in enumerate(node.value)]
        # The stub leaves construct_object untyped: a scalar's plain value.
        return self.loader.construct_object(  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            node, deep=True)

    def mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.refuse("anchors and aliases (&name, *name, <<) are not allowed in"
                                  " flows; write it out where it is needed", key_node)
            key = self.value(key_node, path + ("<key>",), depth + 1, {}, key_node)
            if not isinstance(key, str | int | bool | float):
                raise self.refuse("a field name must be plain text", key_node)
            if isinstance(key, bool | float):
                key = str(key).lower()
            if key in out:
                raise self.refuse(f"'{key}' is written twice here; keep one of them", key_node)
            child = path + (key,)
            out[key] = self.value(value_node, child, depth + 1, self.lines, key_node)
            self.lines[child] = key_node.start_mark.line + 1
        return out


def is_mapping(value: object) -> TypeGuard[dict[str, Any]]:
    """Whether a value read from a document is a mapping (its keys are text, or numbers that
    the schema refuses)."""
    return isinstance(value, dict)


def _syntax_error(exc: yaml.YAMLError, source: str) -> FlowSyntaxError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "the YAML could not be read"
        return FlowSyntaxError(f"YAML syntax: {problem}", mark.line + 1 if mark else None, source)
    return FlowSyntaxError(f"YAML syntax: {exc}", None, source)


def parse_yaml(text: str, source: str = "") -> SourceDoc:
    """Parse one YAML document, keeping line numbers and rejecting duplicate keys."""
    if len(text) > MAX_CHARS:
        raise FlowSyntaxError(f"the document is too long: {len(text)} characters, and at most"
                              f" {MAX_CHARS} are read", None, source)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise FlowSyntaxError("the file is empty", 1, source)
        reader = _Reader(loader, source)
        data = reader.value(node, (), 1, reader.lines, node)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, source) from None
    finally:
        loader.dispose()
    return SourceDoc(data=data, lines=reader.lines, source=source)
