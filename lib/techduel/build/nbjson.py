"""A notebook's JSON without its outputs, parsed once per content and shared by everyone who reads one.

A command reads each notebook several times before any kernel starts: its metadata (thread, title), its
parameters cell, the hash of its cells for the cache key, its imports for the zygote, and each run's copy
for papermill. With their outputs the notebooks are megabytes of JSON each, and parsing them once per use
was a second of every cold run. The lean copy keeps everything but the code cells' outputs and execution
counts; :func:`techduel.build.cache.file_hash` says when the content is the same (a rewritten file is parsed
again). Shared between callers: read it, never change it.
"""

from __future__ import annotations

import json
import os

_memo: dict[str, tuple[str, dict]] = {}  # absolute path -> (content hash, lean notebook)


def lean(path: str | os.PathLike) -> dict:
    """The notebook at ``path`` without outputs. Raises what reading and parsing it raise (OSError,
    UnicodeDecodeError, ValueError), so that each caller reports a bad file as it always has."""
    from . import cache

    name = os.path.abspath(path)
    digest = cache.file_hash(name)
    known = _memo.get(name)
    if digest is not None and known is not None and known[0] == digest:
        return known[1]
    doc = _parse(name)
    if digest is not None and digest == cache.file_hash(name):  # not rewritten while it was read
        _memo[name] = (digest, doc)
    return doc


def _parse(name: str) -> dict:
    with open(name, encoding="utf-8") as f:
        doc = json.load(f)
    if isinstance(doc, dict) and isinstance(doc.get("cells"), list):
        doc["cells"] = [{k: v for k, v in c.items() if k not in ("outputs", "execution_count")}
                        if isinstance(c, dict) else c for c in doc["cells"]]
    return doc
