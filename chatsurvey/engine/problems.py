"""Problems found in a flow, worded for the analyst who wrote it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"
INFO = "info"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: where it is (file, line, state, field) and what to do about it."""

    level: str
    code: str
    message: str
    source: str = ""
    line: int | None = None
    state: str | None = None
    field: str | None = None
    locale: str | None = None

    def where(self) -> str:
        """``state 'x', field 'y'`` or ``message 'k'`` — the part of the flow at fault."""
        parts: list[str] = []
        if self.state:
            parts.append(f"state '{self.state}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        if self.locale:
            parts.append(f"locale {self.locale}")
        return ", ".join(parts)

    def __str__(self) -> str:
        location = self.source or "<flow>"
        if self.line:
            location += f":{self.line}"
        where = self.where()
        return f"{location}: {self.level}: " + (f"{where}: " if where else "") + self.message

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form for `flows check --json`."""
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


class FlowError(ValueError):
    """A flow that cannot be used; ``problems`` lists every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
