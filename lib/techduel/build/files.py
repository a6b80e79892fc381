"""Writing files so that a reader never sees half of one.

Everything is written under a temporary name in a scratch folder beside ``build/`` (never inside it) and
renamed into place, which is atomic on one filesystem. A run killed mid-write leaves at most a stray file
in the scratch folder, which the next run removes.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from .. import paths


def scratch_dir() -> Path:
    build = paths.build_dir()
    return build.parent / f".{build.name}-tmp"


def temp_path(name: str) -> Path:
    """A fresh name in the scratch folder, prefixed with our process id so leftovers can be traced."""
    folder = scratch_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{os.getpid()}-{uuid.uuid4().hex[:8]}-{name}"


def clear_stale() -> None:
    """Remove what killed processes left in the scratch folder (their process id is no longer alive)."""
    folder = scratch_dir()
    for entry in folder.iterdir() if folder.exists() else []:
        pid = entry.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_atomic(path: Path, content: str | bytes) -> Path:
    tmp = temp_path(path.name)
    if isinstance(content, str):
        tmp.write_text(content, encoding="utf-8")
    else:
        tmp.write_bytes(content)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, path)
    return path
