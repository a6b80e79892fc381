"""Which files a notebook read, so the runner's cache knows exactly what a result depends on.

The runner points ``TECHDUEL_TRACE`` at a file before a kernel starts; every read through
``techduel.data`` (tables and descriptors) and every executed notebook read back by ``techduel.outputs``
appends its path there (a verdict box that reads its claim's rows of a robustness summary appends those
rows, ``rows:claim=ID:path``). Outside a run the variable is unset and nothing is written.
"""

from __future__ import annotations

import os
from os import PathLike


def note(path: str | PathLike) -> None:
    target = os.environ.get("TECHDUEL_TRACE")
    if target:
        entry = str(path) if str(path).startswith(("glob:", "rows:")) else os.path.abspath(path)
        if (target, entry) in _written and os.path.exists(target):  # a trace is a set (see read), and a
            return  # notebook looks a table up hundreds of times: each entry is written once
        with open(target, "a", encoding="utf-8") as f:
            f.write(entry + "\n")
        _written.add((target, entry))


_written: set[tuple[str, str]] = set()  # (trace file, entry) appended by this process


def note_listing(folder: str | PathLike, pattern: str) -> None:
    """Record that a run looked at which files match ``pattern`` in ``folder`` (a new file is a change)."""
    note(f"glob:{os.path.abspath(folder)}:{pattern}")


def note_rows(path: str | PathLike, column: str, value: str) -> None:
    """Record that a run read the rows of the CSV at ``path`` whose ``column`` is ``value``: only a change to
    those rows is a change (a robustness summary holds every claim; a verdict box reads its own claim's)."""
    note(f"rows:{column}={value}:{os.path.abspath(path)}")


def read(target: str | PathLike) -> list[str]:
    try:
        with open(target, encoding="utf-8") as f:
            return sorted({line.strip() for line in f if line.strip()})
    except FileNotFoundError:
        return []
