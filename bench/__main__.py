"""`python -m bench [NAME ...]`: run the benchmarks (all by default)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["engine", "redaction", "store", "http", "reports"]


def main(names: list[str]) -> None:
    for name in names or BENCHMARKS:
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}")
        print(module.run())


if __name__ == "__main__":
    main(sys.argv[1:])
