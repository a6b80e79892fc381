"""The committed robustness summary (notebooks/robustness.csv) and what it was computed from.

The committed notebooks are read on a git host and re-executed by nbval from a clean clone, where build/ does
not exist, so their verdict boxes read a committed summary of the canonical inputs. A robustness pass costs
tens of runs, so no test can afford to recompute it; instead notebooks/robustness.inputs.json records, per
notebook, what its pass rested on (the notebook's source, the code in lib/, the lock file, and every file its
runs read, by content hash), and :func:`stale` says what no longer matches: the committed summary is never
stale silently. `make refresh` (``python -m techduel refresh``) writes both before it refreshes the notebooks.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import cache, files
from .. import paths

FORMAT = 1
FIX = "run `make refresh` (python -m techduel refresh) and commit notebooks/robustness.csv with its inputs file"


WHAT = {"notebook": "its notebook's source", "lib": "the code in lib/techduel", "lock": "requirements.lock"}


def summary_path() -> Path:
    return paths.notebooks_dir() / "robustness.csv"


def inputs_path() -> Path:
    return paths.notebooks_dir() / "robustness.inputs.json"


def source_hash(notebook: Path) -> str | None:
    """The notebook as it runs: cell types, sources and tags, not its outputs (which a refresh rewrites)."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    cells = [(c.get("cell_type"), "".join(c.get("source", "")), c.get("metadata", {}).get("tags", []))
             for c in nb.get("cells", [])]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


def _common() -> dict:
    return {"lib": cache.lib_hash(),
            "lock": cache.file_hash(paths.root() / "requirements.lock")}


def inputs(stem: str) -> dict:
    """What build/robustness/<stem>/ rests on: its notebook's source, lib/, the lock, every file its runs read."""
    base = paths.build_dir() / "robustness" / stem
    doc = json.loads((base / "runs.json").read_text(encoding="utf-8"))
    reads: dict[str, str | None] = {}
    for run in doc["runs"]:
        manifest = cache.load(base / run["output"])
        if manifest is not None:
            reads.update(manifest.reads)
    return {"notebook": source_hash(paths.notebooks_dir() / f"{stem}.ipynb"), **_common(),
            "points": doc.get("points"), "tolerance": doc.get("tolerance"), "reads": dict(sorted(reads.items()))}


def write(stems: list[str]) -> list[Path]:
    """Copy the build's summary rows of ``stems`` into the committed summary (rows of other notebooks that still
    exist are kept) and record what each rests on."""
    import pandas as pd

    from . import robustness, runner

    existing = {nb.stem for nb in runner.discover()}
    old = _read_csv(summary_path())
    parts = [old[old["notebook"].isin(existing - set(stems))]] if old is not None else []
    for stem in stems:
        rows = _read_csv(paths.build_dir() / "robustness" / stem / "summary.csv")
        if rows is not None:
            parts.append(rows)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=robustness.SUMMARY_COLUMNS)
    table = table.reindex(columns=robustness.SUMMARY_COLUMNS).sort_values(["notebook", "claim"], kind="stable")
    csv_path = files.write_atomic(summary_path(), table.to_csv(index=False, lineterminator="\n"))
    try:
        recorded = json.loads(inputs_path().read_text(encoding="utf-8")).get("notebooks", {})
    except (OSError, ValueError):
        recorded = {}
    recorded = {s: v for s, v in recorded.items() if s in existing and s not in stems}
    recorded |= {s: inputs(s) for s in stems}
    doc = {"format": FORMAT, "summary": cache.file_hash(csv_path), "notebooks": dict(sorted(recorded.items()))}
    return [csv_path, files.write_atomic(inputs_path(), json.dumps(doc, indent=1, sort_keys=True) + "\n")]


def _read_csv(path: Path):
    import pandas as pd

    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError):
        return None


def stale() -> list[str]:
    """Every way the committed summary no longer answers for the current inputs, each saying what to do;
    empty when it does."""
    from . import runner

    where = "notebooks/robustness.csv"
    try:
        doc = json.loads(inputs_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [f"{where} or its inputs file notebooks/robustness.inputs.json is missing or unreadable: {FIX}"]
    if doc.get("format") != FORMAT or doc.get("summary") != cache.file_hash(summary_path()):
        return [f"{where} is not the summary its inputs file records (edited by hand, or missing): {FIX}"]
    recorded, common = doc.get("notebooks", {}), _common()
    problems = []
    threads = [nb.stem for nb in runner.discover() if not nb.is_overview]
    for stem in threads:
        got = recorded.get(stem)
        if got is None:
            problems.append(f"{where} has no robustness for {stem}: {FIX}")
            continue
        now = {"notebook": source_hash(paths.notebooks_dir() / f"{stem}.ipynb"), **common}
        changed = [what for k, what in WHAT.items() if got.get(k) != now[k]]
        changed += [key for key, digest in got.get("reads", {}).items() if cache.file_hash(cache.locate(key)) != digest]
        if changed:
            problems.append(f"{where} is stale for {stem}: changed since it was computed: {', '.join(changed)}; {FIX}")
    problems += [f"{where} holds {stem}, which is no longer a thread notebook: {FIX}"
                 for stem in sorted(set(recorded) - set(threads))]
    return problems
