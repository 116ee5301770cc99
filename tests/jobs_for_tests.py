"""Job functions used only by the tests (importable by worker processes)."""

import time
from pathlib import Path


def sleepy(seconds: float, marker: str) -> str:
    """Sleep, then leave a mark: a job that is easy to kill halfway through."""
    time.sleep(seconds)
    Path(marker).write_text("done")
    return "done"
