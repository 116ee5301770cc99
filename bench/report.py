"""Write one benchmark's figures into its own section of docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import date
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Figures written by `make bench` (each section by its own benchmark; run one with
`python -m bench NAME`). Compare figures only between runs on the same kind of
machine: these are small shared VMs, and the load generator shares their cores.
"""


def machine() -> str:
    """One line describing where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True,
                               timeout=5).stdout.split()[2]
    except (OSError, IndexError, subprocess.SubprocessError):
        redis = "unknown"
    return (f"{date.today().isoformat()}, {os.cpu_count()} CPUs ({cpu}), "
            f"Python {platform.python_version()}, Redis {redis}")


def write_section(name: str, body: str) -> None:
    """Replace (or add) the section between the markers for ``name``."""
    text = DOC.read_text() if DOC.exists() else HEADER
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.strip()}\n\n_Measured {machine()}._\n{end}"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else \
        text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) of already sorted values."""
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[index]
