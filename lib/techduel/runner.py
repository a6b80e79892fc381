"""Run the notebooks headless through papermill, collect what they recorded, refresh the committed copies.

Thread notebooks run first, the overview last (it reads their verdicts). Every output is written to a
temporary name in the same folder and renamed into place only when complete, so an interrupted or failed
run never leaves a half-written file or replaces the last good output: a failed execution is kept beside
it as ``<stem>.failed.ipynb``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import nbformat
import pandas as pd

from . import claims, data, kernels, params, paths, results

KERNEL = "techduel"
OVERVIEW = "overview"


@dataclass(frozen=True)
class Notebook:
    path: Path
    thread: str
    title: str
    question: str

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def is_overview(self) -> bool:
        return self.thread == OVERVIEW

    def parameters(self) -> list[params.Parameter]:
        return params.read(self.path)


@dataclass
class Outcome:
    notebook: str
    status: str  # "ok" or "failed"
    seconds: float
    error: str = ""


def discover(folder: Path | None = None) -> list[Notebook]:
    folder = folder or paths.notebooks_dir()
    out = []
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        meta = nbformat.read(path, as_version=4).metadata.get("techduel", {})
        out.append(Notebook(path, meta.get("thread", ""), meta.get("title", path.stem), meta.get("question", "")))
    return out


def select(names: list[str]) -> list[Notebook]:
    """Notebooks named by path or stem (all when none is named), thread notebooks first, overview last."""
    every = discover()
    if names:
        by_stem = {nb.stem: nb for nb in every}
        chosen = []
        for name in names:
            stem = Path(name).stem if name.endswith(".ipynb") or "/" in name else name
            if stem not in by_stem:
                raise params.ParameterError(f"unknown notebook '{name}'; known: {', '.join(by_stem)}")
            chosen.append(by_stem[stem])
        every = list(dict.fromkeys(chosen))
    return sorted(every, key=lambda nb: (nb.is_overview, nb.stem))


def plan(notebooks: list[Notebook], overrides: list[str]) -> dict[str, dict]:
    """The parameters each notebook will get; every override must fit at least one chosen notebook."""
    parsed = dict(params.parse_override(o) for o in overrides)
    plans: dict[str, dict] = {}
    used: set[str] = set()
    for nb in notebooks:
        declared = nb.parameters()
        mine = {k: v for k, v in parsed.items() if k in {p.name for p in declared}}
        plans[nb.stem] = params.resolve(declared, mine, nb.stem)
        used |= set(mine)
    unknown = [k for k in parsed if k not in used]
    if unknown:
        names = ", ".join(nb.stem for nb in notebooks)
        allowed = sorted({p.name for nb in notebooks for p in nb.parameters()})
        raise params.ParameterError(f"no chosen notebook ({names}) has parameter '{unknown[0]}'; "
                                    f"parameters they declare: {', '.join(allowed) or 'none'}")
    return plans


def execute(nb: Notebook, parameters: dict, out_dir: Path, failed_dir: Path | None = None) -> Outcome:
    """Execute one notebook into ``out_dir/<stem>.ipynb`` (atomically); keep a failed run in ``failed_dir``
    (default: beside it) as ``<stem>.failed.ipynb``."""
    import papermill as pm

    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{nb.stem}.ipynb"
    tmp = out_dir / f".{nb.stem}.{os.getpid()}.partial.ipynb"
    failed_dir = failed_dir or out_dir
    failed_dir.mkdir(parents=True, exist_ok=True)
    failed = failed_dir / f"{nb.stem}.failed.ipynb"
    start = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="techduel-kernel-") as sockets:
            pm.execute_notebook(str(nb.path), str(tmp), parameters=parameters, kernel_name=KERNEL,
                                cwd=str(nb.path.parent), progress_bar=False, log_output=False,
                                kernel_manager_class=kernels.ipc_manager_class(sockets))
    except pm.PapermillExecutionError as exc:
        os.replace(tmp, failed)
        cell = _failed_cell(failed, nb.path)
        return Outcome(nb.stem, "failed", time.monotonic() - start,
                       f"cell {cell} raised {exc.ename}: {exc.evalue}")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    clean(tmp)
    os.replace(tmp, final)
    failed.unlink(missing_ok=True)
    return Outcome(nb.stem, "ok", time.monotonic() - start)


def _failed_cell(executed: Path, source: Path) -> str:
    """Where it failed, counted as the reader sees the notebook (papermill adds banner cells to the copy)."""
    ids = [c.get("id") for c in nbformat.read(source, as_version=4).cells]
    for cell in nbformat.read(executed, as_version=4).cells:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            where = ids.index(cell.get("id")) + 1 if cell.get("id") in ids else "?"
            return f"{where} (id {cell.get('id', '?')}, In [{cell.get('execution_count')}])"
    return "?"


def clean(path: Path) -> None:
    """Drop volatile metadata (timings, papermill bookkeeping) so a rerun with the same inputs is byte-equal."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
    tmp = path.with_name(path.name + ".tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, path)


def require_kernel() -> None:
    """The notebooks run on the project kernel; say how to register it rather than fail inside papermill."""
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL not in KernelSpecManager().find_kernel_specs():
        raise params.ParameterError(
            f"the Jupyter kernel '{KERNEL}' is not registered for {sys.executable}; run `make run` once, or "
            f"`{sys.executable} -m ipykernel install --sys-prefix --name {KERNEL}`")


def run(names: list[str], overrides: list[str], out_dir: Path | None = None, echo=print) -> list[Outcome]:
    """Check everything first, then run; a failing notebook never stops the others."""
    notebooks = select(names)
    plans = plan(notebooks, overrides)  # raises ParameterError before any kernel starts
    require_kernel()
    out_dir = out_dir or paths.build_dir() / "notebooks"
    outcomes = []
    for nb in notebooks:
        p = dict(plans[nb.stem])
        if nb.is_overview and "notebooks_dir" in {x.name for x in nb.parameters()}:
            p.setdefault("notebooks_dir", str(out_dir))
        echo(f"  running {nb.stem} ...")
        outcome = execute(nb, p, out_dir)
        echo(f"  {outcome.status:6} {nb.stem} ({outcome.seconds:.1f} s){'  ' + outcome.error if outcome.error else ''}")
        outcomes.append(outcome)
    return outcomes


def refresh(echo=print) -> list[Outcome]:
    """Re-execute the committed notebooks in place with their defaults (threads first, overview last)."""
    require_kernel()
    outcomes = []
    for nb in select([]):
        out = execute(nb, {}, nb.path.parent, failed_dir=paths.build_dir() / "notebooks")
        echo(f"  {out.status:6} {nb.stem} ({out.seconds:.1f} s){'  ' + out.error if out.error else ''}")
        outcomes.append(out)
    return outcomes


def executed(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if not p.name.endswith(".failed.ipynb"))


def collect(nb_dir: Path | None = None, build: Path | None = None) -> dict[str, Path]:
    """Write results.json, verdicts.csv and claimreview.jsonld from the executed notebooks."""
    build = build or paths.build_dir()
    nb_dir = nb_dir or build / "notebooks"
    done = executed(nb_dir)
    all_results = {p.stem: results.read(p) for p in done}
    verdicts = claims.read_verdicts(done)
    claims.check_verdicts(verdicts)
    written = {}
    written["results"] = _write_text(build / "results.json", json.dumps(all_results, indent=2, sort_keys=True))
    table = verdicts.assign(sources=verdicts["sources"].map(";".join),
                            evidence=verdicts["evidence"].map(" | ".join))
    cols = ["claim_id", "verdict", "conclusion", "reason", "notebook", "sources", "line", "thread", "claim",
            "evidence"]
    written["verdicts"] = _write_text(build / "verdicts.csv",
                                      table[cols].sort_values("claim_id").to_csv(index=False, lineterminator="\n"))
    reviews = claims.claimreview(verdicts, article(), {s: f"{s}.html" for s in verdicts["notebook"].unique()},
                                 date.today().isoformat())
    written["claimreview"] = _write_text(build / "claimreview.jsonld",
                                         json.dumps(reviews, indent=2, ensure_ascii=False))
    return written


def article() -> dict:
    """The article's metadata as established in data/article.csv (field → value)."""
    table = data.load("article")
    meta = dict(zip(table["field"], table["value"]))
    return {k: (None if pd.isna(v) or v == "not found" else v) for k, v in meta.items()}


def _write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def report(outcomes: list[Outcome]) -> int:
    failed = [o for o in outcomes if o.status != "ok"]
    for o in failed:
        print(f"FAILED {o.notebook}: {o.error} (kept as build/notebooks/{o.notebook}.failed.ipynb)",
              file=sys.stderr)
    return 1 if failed else 0
