"""Skip a notebook when nothing it depends on has changed since its last successful run.

A run depends on: the notebook file, its parameters, the code in lib/, the locked environment (the lock
file and the Python version) and every file the run actually read (traced through ``techduel.build.trace``:
tables, descriptors, executed notebooks read back, the rows of a robustness summary a verdict box read).
All are compared by content hash, never by time, so a ``touch`` changes nothing and an edit always counts.
The manifest also holds the hash of the output it vouches for; a missing or altered output is a miss.

Every path in a manifest is written relative to the repository root (files outside it stay absolute) and
read back against the current root: a checkout copied or moved together with its ``build/`` then checks
its own files, never the original's.

Within one process a file's hash is remembered (:func:`file_hash`), so that a command confirming hundreds of
runs hashes each file once, not once per run that read it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import files
from .. import paths


FORMAT = 2  # manifests of format 1 recorded absolute paths; they are not trusted (one rerun)


def entry(path: str | os.PathLike) -> str:
    """How a read is keyed: its path relative to the repository root (posix), or absolute when outside it;
    a traced listing ``glob:folder:pattern`` keys its folder the same way."""
    text = str(path)
    if text.startswith("glob:"):
        _, folder, pattern = text.split(":", 2)
        return f"glob:{entry(folder)}:{pattern}"
    if text.startswith("rows:"):
        _, selector, file = text.split(":", 2)
        return f"rows:{selector}:{entry(file)}"
    absolute = Path(os.path.abspath(text))
    for base in (paths.root(), Path(os.path.realpath(paths.root()))):
        for candidate in (absolute, Path(os.path.realpath(absolute))):
            try:
                return candidate.relative_to(base).as_posix() or "."
            except ValueError:
                continue
    return str(absolute)


def locate(key: str, root: Path | None = None) -> str:
    """The file a key names in the current checkout (the inverse of :func:`entry`); ``root`` saves resolving
    the root again for each of a manifest's reads."""
    if key.startswith("glob:"):
        _, folder, pattern = key.split(":", 2)
        return f"glob:{locate(folder, root)}:{pattern}"
    if key.startswith("rows:"):
        _, selector, file = key.split(":", 2)
        return f"rows:{selector}:{locate(file, root)}"
    return key if os.path.isabs(key) else os.path.join(root or paths.root(), key)


# path -> (stat signature, content hash); see file_hash. Per process: a new command starts empty.
_hashes: dict[str, tuple[tuple[int, ...], str]] = {}
RECENT_NS = 2_000_000_000  # a file changed this recently (ns) is hashed every time, never remembered


def file_hash(path: str | os.PathLike) -> str | None:
    """Content hash of a file; for a traced listing (``glob:folder:pattern``), hash of the matching names.

    The content is always the criterion. Within one process the hash is remembered and served again only
    while the file's stat signature (size, mtime_ns, ctime_ns, inode, device) is unchanged: any write
    through the file system moves mtime and ctime, and ``os.utime`` can put back mtime but not ctime; a
    replaced file (rename, delete and create) gets a new ctime and usually a new inode. What the signature
    cannot see is a second write within one tick of the file system's clock (the timestamps are coarse, a
    few ms), so a file whose mtime or ctime is younger than ``RECENT_NS`` at the moment it is hashed is
    hashed again every time ("racy" entries, as git calls them): a later write then lands in a later tick
    and shows. The remaining limit: a change that keeps all five, which takes setting the clock back, or a
    file system that keeps no timestamps; a command is short, and a new process starts with nothing
    remembered (:func:`forget_hashes` empties it too)."""
    if str(path).startswith("glob:"):
        _, folder, pattern = str(path).split(":", 2)
        names = sorted(p.name for p in Path(folder).glob(pattern))
        return hashlib.sha256("\n".join(names).encode()).hexdigest()
    if str(path).startswith("rows:"):
        _, selector, file = str(path).split(":", 2)
        return rows_hash(file, *selector.split("=", 1))
    name, started = os.path.abspath(path), _now_ns()
    try:
        st = os.stat(name)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISDIR(st.st_mode):
        return None
    signature = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    known = _hashes.get(name)
    if known is not None and known[0] == signature:
        return known[1]
    try:
        with open(name, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if max(st.st_mtime_ns, st.st_ctime_ns) < started - RECENT_NS:
        _hashes[name] = (signature, digest)
    else:
        _hashes.pop(name, None)
    return digest


def _now_ns() -> int:
    return time.time_ns()


def forget_hashes() -> None:
    """Empty the remembered hashes (tests; a long-lived process between commands)."""
    _hashes.clear()
    _code_hashes.clear()


PACKAGE = Path(__file__).resolve().parents[1]  # lib/techduel: all of it is the code a run depends on
_code_hashes: dict[tuple, str] = {}


def rows_hash(path: str | os.PathLike, column: str, value: str) -> str | None:
    """Hash of the header and the rows of a CSV whose ``column`` is ``value`` (a traced ``rows:`` read). No
    such row and no such file hash alike: a summary that gains rows for other claims changes nothing here."""
    import csv

    try:
        with open(path, encoding="utf-8", newline="") as f:
            table = list(csv.reader(f))
    except FileNotFoundError:
        table = []
    except (IsADirectoryError, UnicodeDecodeError, csv.Error):
        return None
    if not table or column not in table[0]:
        return hashlib.sha256(b"").hexdigest()
    i = table[0].index(column)
    rows = [r for r in table[1:] if len(r) > i and r[i] == value]
    text = json.dumps([table[0], *rows]) if rows else ""
    return hashlib.sha256(text.encode()).hexdigest()


def tree_hash(folder: Path, suffixes=(".py", ".j2", ".json")) -> str:
    """Hash of the names and contents of the code files below ``folder``.

    The package's own folder is hashed once per process: it is the code this command runs, and every run
    the command records is keyed with that hash, so an edit to lib/ while a command runs is seen by the next
    command, which reruns whatever was recorded under the old hash. Any other folder is listed every time
    (each file's hash remembered as :func:`file_hash` says)."""
    mine = Path(folder).resolve() == PACKAGE
    if mine and suffixes in _code_hashes:
        return _code_hashes[suffixes]
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.suffix in suffixes and "__pycache__" not in p.parts and p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + (file_hash(p) or "").encode() + b"\0")
    if mine:
        _code_hashes[suffixes] = h.hexdigest()
    return h.hexdigest()


def lib_hash() -> str:
    """Hash of the package's code (``lib/techduel``, every subpackage): what every recorded run is keyed with."""
    return tree_hash(PACKAGE)


def environment_hash() -> str:
    lock = paths.root() / "requirements.lock"
    return hashlib.sha256((file_hash(lock) or "no-lock").encode() + sys.version.encode()).hexdigest()


def static_key(notebook: Path, parameters: dict, lib_hash: str, env_hash: str, mode: str = "full") -> str:
    """Everything known before the run: the notebook, its parameters, the code, the environment, and the run
    mode (a ``verdicts`` run draws no figures, so it can never stand in for a full one)."""
    doc = {"notebook": source_hash(notebook), "parameters": parameters, "lib": lib_hash, "env": env_hash}
    if mode != "full":
        doc["mode"] = mode
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Manifest:
    key: str
    reads: dict[str, str | None]  # key (see entry) -> content hash when the run read it
    output: str  # content hash of the output this manifest vouches for

    def still_valid(self, key: str, output: Path) -> bool:
        if key != self.key or file_hash(output) != self.output:
            return False
        root = paths.root()
        return all(file_hash(locate(key, root)) == digest for key, digest in self.reads.items())


def manifest_path(output: Path) -> Path:
    return output.parent / ".cache" / f"{output.stem}.json"


def load(output: Path) -> Manifest | None:
    try:
        doc = json.loads(manifest_path(output).read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT:
            return None
        return Manifest(doc["key"], doc["reads"], doc["output"])
    except (FileNotFoundError, ValueError, KeyError):
        return None


def save(output: Path, key: str, reads: list[str]) -> None:
    """Record a successful run. Written to a temporary name and renamed, like every output."""
    doc = {"format": FORMAT, "key": key, "reads": {entry(p): file_hash(p) for p in reads},
           "output": file_hash(output)}
    files.write_atomic(manifest_path(output), json.dumps(doc, indent=1, sort_keys=True))


def hit(output: Path, key: str) -> bool:
    manifest = load(output)
    return manifest is not None and manifest.still_valid(key, output)


def forget(output: Path) -> None:
    manifest_path(output).unlink(missing_ok=True)


# Derived files (results.json, verdicts.csv, the site) are cached the same way: by the content of what they
# are made from and of what was made, so a warm run does no work at all.


def inputs_key(inputs: list[Path], *extra: str) -> str:
    h = hashlib.sha256("\0".join(extra).encode())
    for p in sorted(inputs, key=entry):
        h.update(entry(p).encode() + b"\0" + (file_hash(p) or "missing").encode())
    return h.hexdigest()


def _derived_path(name: str) -> Path:
    return paths.build_dir() / ".cache" / f"{name}.json"


def fresh(name: str, key: str, outputs: list[Path]) -> bool:
    try:
        doc = json.loads(_derived_path(name).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return False
    return doc.get("key") == key and doc.get("outputs") == {entry(p): file_hash(p) for p in outputs}


def record(name: str, key: str, outputs: list[Path]) -> None:
    doc = {"key": key, "outputs": {entry(p): file_hash(p) for p in outputs}}
    files.write_atomic(_derived_path(name), json.dumps(doc, indent=1, sort_keys=True))


def source_hash(notebook: Path) -> str | None:
    """Hash of what a notebook runs and how it is displayed, not of what an earlier run left in it: cells'
    types, sources and metadata, and the notebook's metadata, without outputs and execution counts. A refresh
    rewrites the committed notebooks' outputs; their runs must not miss the cache for that alone. Parsed once
    per content (:func:`file_hash` says when the content is the same)."""
    digest = file_hash(notebook)
    return None if digest is None else _source_hash(str(notebook), digest)


@lru_cache(maxsize=256)
def _source_hash(path: str, digest: str) -> str | None:
    from . import nbjson

    try:
        lean = nbjson.lean(path)  # the cells without outputs and execution counts
    except (OSError, ValueError):
        return digest  # not a notebook we can read: its bytes, and the runner reports the file
    if not isinstance(lean, dict) or not isinstance(lean.get("cells"), list):
        return digest
    return hashlib.sha256(json.dumps(lean, sort_keys=True).encode()).hexdigest()
