"""Run the notebooks headless through papermill: in parallel, cached, and never leaving a broken file.

Thread notebooks run concurrently (one worker process each, ``jobs`` at a time); the overview runs after
them, since it reads their verdicts. A notebook is skipped when nothing it depends on has changed
(``techduel.cache``). Every output is first written to a scratch folder beside ``build/`` (not inside it)
and renamed into place only when complete, so an interrupted or failed run never leaves a half-written file
under ``build/`` or replaces the last good output: a failed execution is kept as ``<stem>.failed.ipynb``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import cache, files, params, paths, trace

# Heavy modules (papermill, nbformat, pandas) are imported where they are needed, so that a run the cache
# answers entirely costs a fraction of a second; papermill is imported in the parent before the worker
# processes fork, so they inherit it instead of importing it again.

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


@dataclass(frozen=True)
class Job:
    """One execution: a notebook, its parameters, where the result goes."""
    notebook: Notebook
    parameters: dict
    output: Path
    failed_dir: Path
    label: str = ""
    committed: bool = False  # a canonical copy for the repository: outputs that vary by machine are dropped

    @property
    def name(self) -> str:
        return self.label or self.notebook.stem


@dataclass
class Outcome:
    notebook: str
    status: str  # "ok", "failed" or "cached"
    seconds: float
    error: str = ""
    cache: str = "miss"  # "hit" when skipped, "miss" when run, "off" when the cache was bypassed
    reads: list[str] = field(default_factory=list)
    kept: str = ""  # path of the executed copy kept aside after a failure, when one was written


@dataclass(frozen=True)
class Unreadable:
    """A file in notebooks/ that is not a notebook the runner can use (bad JSON, no parameters cell...).
    It is reported by name; it never stops the commands or the other notebooks."""
    path: Path
    problem: str

    @property
    def stem(self) -> str:
        return self.path.stem

    def message(self) -> str:
        try:
            rel = self.path.relative_to(paths.root()).as_posix()
        except ValueError:
            rel = str(self.path)
        return (f"{rel}: not a readable notebook ({self.problem}); fix the file, or restore it with "
                f"`git checkout -- {rel}`")


def scan(folder: Path | None = None) -> tuple[list[Notebook], list[Unreadable]]:
    """The notebooks of ``folder`` that can be run, and those that cannot (with why)."""
    folder = folder or paths.notebooks_dir()
    good, bad = [], []
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        try:
            with open(path, encoding="utf-8") as f:
                meta = json.load(f).get("metadata", {}).get("techduel", {})
            nb = Notebook(path, meta.get("thread", ""), meta.get("title", path.stem), meta.get("question", ""))
            nb.parameters()  # a notebook whose parameters cannot be read cannot be checked, so cannot run
        except params.ParameterError as exc:
            bad.append(Unreadable(path, str(exc).removeprefix(f"{path}: ").removeprefix(f"{path}")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            bad.append(Unreadable(path, f"{type(exc).__name__}: {exc}"))
        else:
            good.append(nb)
    return good, bad


def discover(folder: Path | None = None) -> list[Notebook]:
    return scan(folder)[0]


def choose(names: list[str]) -> tuple[list[Notebook], list[Unreadable]]:
    """Notebooks named by path or stem (all when none is named), thread notebooks first, overview last; and
    the unreadable files among those named (all of them when none is named), to be reported.

    A bare stem names the repository notebook; a path (with a folder or a suffix, relative to the working
    directory) names exactly that file, which must be one of notebooks/: a file elsewhere is refused, never
    mapped to the repository notebook that happens to share its stem."""
    good, bad = scan()
    chosen: list = good + bad
    if names:
        by_stem = {nb.stem: nb for nb in chosen}
        chosen = list(dict.fromkeys(_named(name, by_stem) for name in names))
    notebooks = [nb for nb in chosen if isinstance(nb, Notebook)]
    return (sorted(notebooks, key=lambda nb: (nb.is_overview, nb.stem)),
            [u for u in chosen if isinstance(u, Unreadable)])


def select(names: list[str]) -> list[Notebook]:
    """Like :func:`choose`, for commands that need every named notebook: an unreadable one named is bad input
    (ParameterError); with no names, the readable notebooks."""
    notebooks, bad = choose(names)
    if names and bad:
        raise params.ParameterError(bad[0].message())
    return notebooks


def _named(name: str, by_stem: dict):
    if "/" not in name and os.sep not in name and not Path(name).suffix:
        if name not in by_stem:
            raise params.ParameterError(f"unknown notebook '{name}'; known: {', '.join(by_stem)}")
        return by_stem[name]
    path = Path(name).expanduser()
    if not path.is_file():
        raise params.ParameterError(f"no file {name}; name a notebook by its stem (known: {', '.join(by_stem)}) "
                                    f"or by the path of its file in {paths.notebooks_dir()}")
    for nb in by_stem.values():
        if nb.path.resolve() == path.resolve():
            return nb
    raise params.ParameterError(
        f"{name} is not a notebook of this repository: only the notebooks in {paths.notebooks_dir()} run. "
        f"To run this file, copy it into that folder; to run the repository's notebook of that name, give "
        f"its stem ({path.stem})")


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


def require_kernel() -> None:
    """The notebooks run on the project kernel; say how to register it rather than fail inside papermill."""
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL not in KernelSpecManager().find_kernel_specs():
        raise params.ParameterError(
            f"the Jupyter kernel '{KERNEL}' is not registered for {sys.executable}; run `make run` once, or "
            f"`{sys.executable} -m ipykernel install --sys-prefix --name {KERNEL}`")


# ---------------------------------------------------------------------------------------------- execution


class NotebookFailed(Exception):
    """A cell raised; ``copy`` is the executed notebook with the error, ``where`` the failing cell."""

    def __init__(self, where: str, copy: Path):
        super().__init__(where)
        self.where, self.copy = where, copy


def papermill_engine(job: Job, into: Path, gate: Path | None) -> None:
    """Execute the notebook into ``into`` through papermill, on an IPC kernel."""
    import papermill as pm

    from . import kernels

    nb = job.notebook
    # kernel sockets need a short path (a Unix socket path is limited to 107 bytes): the system temp dir
    sockets = Path(tempfile.mkdtemp(prefix="techduel-"))
    try:
        pm.execute_notebook(str(nb.path), str(into), parameters=job.parameters, kernel_name=KERNEL,
                            cwd=str(nb.path.parent), progress_bar=False, log_output=False,
                            engine_name=_engine(),
                            kernel_manager_class=kernels.ipc_manager_class(str(sockets), gate))
    except kernels.GateClosed:
        raise
    except pm.PapermillExecutionError as exc:
        raise NotebookFailed(f"cell {_failed_cell(into, nb.path)} raised {exc.ename}: {exc.evalue}", into) from None
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    clean(into, drop_varying=job.committed)


def execute(job: Job, scratch: Path, key: str, gate: Path | None = None, engine=papermill_engine) -> Outcome:
    """Execute one job (in a worker process) and keep the cache's books. Only complete files are renamed
    into place; a failed run is kept aside as ``<stem>.failed.ipynb``. With a ``gate``, the kernel starts
    at once but the notebook waits until the gate says go (or skip)."""
    from .kernels import GateClosed

    scratch.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    tmp = scratch / f"{job.output.stem}.{token}.ipynb"
    traced = scratch / f"{job.output.stem}.{token}.trace"
    os.environ["TECHDUEL_TRACE"] = str(traced)
    start = time.monotonic()
    try:
        engine(job, tmp, gate)
    except GateClosed:
        return Outcome(job.name, "ok", 0.0, cache="hit")
    except NotebookFailed as failure:
        job.failed_dir.mkdir(parents=True, exist_ok=True)
        kept = job.failed_dir / f"{job.output.stem}.failed.ipynb"
        os.replace(failure.copy, kept)
        return Outcome(job.name, "failed", time.monotonic() - start, failure.where, kept=str(kept))
    finally:
        os.environ.pop("TECHDUEL_TRACE", None)  # leftovers stay in the scratch folder, which is removed
    job.output.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, job.output)
    (job.failed_dir / f"{job.output.stem}.failed.ipynb").unlink(missing_ok=True)
    reads = trace.read(traced)
    cache.save(job.output, key, reads)
    return Outcome(job.name, "ok", time.monotonic() - start, reads=reads)


def _engine() -> str:
    """papermill's engine, minus its saves of the whole notebook before and after every cell (each one a
    full serialisation and schema validation). The output is written once, when the run ends or fails,
    and only to a temporary name."""
    from papermill.engines import NBClientEngine, papermill_engines

    class WriteOnceEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, **kwargs):
            return super().execute_notebook(nb, kernel_name, output_path=None, **kwargs)

    papermill_engines.register("techduel-write-once", WriteOnceEngine)
    return "techduel-write-once"


def _failed_cell(executed: Path, source: Path) -> str:
    """Where it failed, counted as the reader sees the notebook (papermill adds banner cells to the copy)."""
    import nbformat

    ids = [c.get("id") for c in nbformat.read(source, as_version=4).cells]
    for cell in nbformat.read(executed, as_version=4).cells:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            where = ids.index(cell.get("id")) + 1 if cell.get("id") in ids else "?"
            return f"{where} (id {cell.get('id', '?')}, In [{cell.get('execution_count')}])"
    return "?"


def clean(path: Path, drop_varying: bool = False) -> None:
    """Drop volatile metadata (timings, papermill bookkeeping) so a rerun with the same inputs is byte-equal.
    With ``drop_varying``, also empty the outputs of cells tagged ``nbval-ignore-output`` (machine timings and
    the like), which a committed copy must not carry if rerunning it is to change nothing."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
        if drop_varying and "nbval-ignore-output" in cell.metadata.get("tags", []):
            cell.outputs, cell.execution_count = [], None
    files.write_atomic(path, nbformat.writes(nb) + "\n")


def _import_papermill() -> None:
    """Import papermill once, in the parent, so the forked workers inherit it.

    Most of its import time is jsonschema compiling the grammars of ``rfc3987_syntax`` (about two seconds)
    for an "iri" string format that the notebook schema never uses; marking that optional module absent
    makes jsonschema skip the format, exactly as on an install without it."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import papermill  # noqa: F401


def _worker_init() -> None:
    # Ctrl-C goes to the whole process group; the parent decides what to stop and cleans up. A worker forked
    # after the parent installed its SIGTERM handler must not inherit it: when the parent stops a worker with
    # SIGTERM, the worker has to die on the spot, not unwind as if the notebook had finished.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_stages(stages: list[list[Job]], jobs: int | None = None, force: bool = False, echo=print,
               progress: bool | None = None, engine=papermill_engine) -> list[Outcome]:
    """Run stages in order; the jobs within a stage run concurrently. A failure never stops the others.

    While a stage runs, spare workers start the next stage's kernels behind a gate (``techduel.kernels``),
    so those kernels boot and import their libraries in parallel; the gate opens, or says skip when the
    cache can serve the job, once the stage they wait for is done."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    lib_hash = cache.tree_hash(Path(__file__).parent)
    env_hash = cache.environment_hash()
    files.clear_stale()
    scratch = files.temp_path("run")
    bar = _bar(sum(len(s) for s in stages), progress)
    outcomes: list[Outcome] = []
    pool: ProcessPoolExecutor | None = None
    running: dict[Future, Job] = {}
    gated: dict[str, tuple[Path, str]] = {}  # job name -> (gate file, key) for kernels started early

    def submit(job: Job, key: str, gate: Path | None = None) -> None:
        nonlocal pool
        if pool is None:
            if engine is papermill_engine:
                require_kernel()
                _import_papermill()

            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_worker_init)
        echo(f"  start  {job.name}" + (" (kernel warming up until its inputs are ready)" if gate else ""))
        running[pool.submit(execute, job, scratch, key, gate, engine)] = job

    def settle(current: set[str]) -> None:
        """Wait for the jobs of the current stage; report each as it ends."""
        while any(job.name in current for job in running.values()):
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                job = running.pop(fut)
                try:
                    outcome = fut.result()
                except Exception as exc:  # the worker itself broke (not the notebook)
                    outcome = Outcome(job.name, "failed", 0.0, f"{type(exc).__name__}: {exc}")
                if outcome.cache != "hit":
                    outcome.cache = "off" if force else "miss"
                outcomes.append(outcome)
                _report(echo, bar, outcome)

    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        for index, stage in enumerate(stages):
            for job in stage:
                key = cache.static_key(job.notebook.path, job.parameters, lib_hash, env_hash)
                hit = not force and cache.hit(job.output, key)
                if job.name in gated:
                    gate, _ = gated.pop(job.name)
                    files.write_atomic(gate, "skip" if hit else "go")
                elif hit:
                    outcomes.append(Outcome(job.name, "ok", 0.0, cache="hit"))
                    _report(echo, bar, outcomes[-1])
                else:
                    submit(job, key)
            following = stages[index + 1] if index + 1 < len(stages) else []
            if running and following and len(running) + len(following) <= jobs:
                for job in following:
                    gate = scratch / f"{job.output.stem}.gate"
                    key = cache.static_key(job.notebook.path, job.parameters, lib_hash, env_hash)
                    gated[job.name] = (gate, key)
                    submit(job, key, gate)
            settle({job.name for job in stage})
        settle({job.name for job in running.values()})
    except KeyboardInterrupt:
        echo("  interrupted: stopping the running notebooks; nothing half-written is left under build/")
        if pool is not None:
            _stop(pool)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(scratch, ignore_errors=True)
        if bar is not None:
            bar.close()
    return outcomes


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _stop(pool: ProcessPoolExecutor) -> None:
    for proc in list(getattr(pool, "_processes", {}).values()):
        proc.terminate()


def _bar(total: int, progress: bool | None):
    if progress is None:
        progress = sys.stderr.isatty() and total >= 4
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="notebook", file=sys.stderr, leave=False)


def _report(echo, bar, o: Outcome) -> None:
    echo(f"  {o.status:6} {o.notebook} ({o.seconds:.1f} s, cache {o.cache})"
         + (f"  {o.error}" if o.error else ""))
    if bar is not None:
        bar.update(1)


def run(names: list[str], overrides: list[str], out_dir: Path | None = None, jobs: int | None = None,
        force: bool = False, echo=print) -> list[Outcome]:
    """Check everything first (bad input raises before any kernel starts), then run threads, then overview.
    Unreadable notebook files are reported as failed; the others run."""
    notebooks, unreadable = choose(names)
    plans = plan(notebooks, overrides)
    out_dir = out_dir or paths.build_dir() / "notebooks"
    stages: list[list[Job]] = [[], []]
    for nb in notebooks:
        p = dict(plans[nb.stem])
        if nb.is_overview and "notebooks_dir" in {x.name for x in nb.parameters()}:
            p.setdefault("notebooks_dir", str(out_dir))
        stages[nb.is_overview].append(Job(nb, p, out_dir / nb.path.name, out_dir))
    return _unreadable_outcomes(unreadable, echo) + run_stages([s for s in stages if s], jobs=jobs, force=force,
                                                               echo=echo)


def _unreadable_outcomes(unreadable: list[Unreadable], echo) -> list[Outcome]:
    out = [Outcome(u.stem, "failed", 0.0, u.message(), cache="off") for u in unreadable]
    for o in out:
        echo(f"  failed {o.notebook}: {o.error}")
    return out


def refresh(names: list[str] | None = None, jobs: int | None = None, echo=print) -> list[Outcome]:
    """Re-execute the committed notebooks (all, or those named) in place with their defaults (threads first,
    overview last)."""
    failed_dir = paths.build_dir() / "notebooks"
    stages: list[list[Job]] = [[], []]
    notebooks, unreadable = choose(names or [])
    for nb in notebooks:
        stages[nb.is_overview].append(Job(nb, {}, nb.path, failed_dir, committed=True))
    outcomes = _unreadable_outcomes(unreadable, echo) + run_stages([s for s in stages if s], jobs=jobs,
                                                                   force=True, echo=echo)
    for nb in select([]):  # a refresh is not a build: leave no cache manifests among the committed files
        cache.forget(nb.path)
    shutil.rmtree(paths.notebooks_dir() / ".cache", ignore_errors=True)
    return outcomes


def table(outcomes: list[Outcome]) -> str:
    """The closing table: each notebook's status, duration and cache hit or miss."""
    width = max([len(o.notebook) for o in outcomes] + [8])
    lines = [f"{'notebook':{width}}  status  seconds  cache", f"{'-' * width}  ------  -------  -----"]
    for o in outcomes:
        lines.append(f"{o.notebook:{width}}  {o.status:6}  {o.seconds:7.1f}  {o.cache}")
    return "\n".join(lines)


def executed(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if not p.name.endswith(".failed.ipynb"))


def collect(nb_dir: Path | None = None, build: Path | None = None) -> dict[str, Path]:
    """Write results.json, verdicts.csv and claimreview.jsonld from the executed notebooks (skipped when
    neither the notebooks, the registries nor the code changed since they were last written)."""
    build = build or paths.build_dir()
    nb_dir = nb_dir or build / "notebooks"
    done = executed(nb_dir)
    written = {"results": build / "results.json", "verdicts": build / "verdicts.csv",
               "claimreview": build / "claimreview.jsonld"}
    data_dir = paths.data_dir()
    from . import robustness

    key = cache.inputs_key([*done, data_dir / "article.csv", data_dir / "claims.csv", data_dir / "sources.csv",
                            data_dir / "datapackage.json"], cache.tree_hash(Path(__file__).parent),
                           date.today().isoformat(), robustness.state_key())
    if cache.fresh("collect", key, list(written.values())):
        return written
    from . import claims, results

    kept = f"the executed notebooks in {nb_dir} are kept"
    try:  # everything is computed before anything is written, so a bad input replaces nothing
        all_results = {p.stem: results.read(p) for p in done}
        verdicts = claims.read_verdicts(done)
        claims.check_verdicts(verdicts)
        table_ = robustness.annotate(verdicts.assign(sources=verdicts["sources"].map(";".join),
                                                     evidence=verdicts["evidence"].map(" | ".join)))
        cols = ["claim_id", "verdict", "strength", "conclusion", "reason", "searched", "rule_label", "kind",
                "as_of", "depends_on", "notebook", "sources", "line", "thread", "claim", "evidence", "robustness",
                "robustness_note"]
        reviews = claims.claimreview(verdicts, article(), {s: f"{s}.html" for s in verdicts["notebook"].unique()},
                                     date.today().isoformat())
    except (ValueError, OSError) as exc:  # DataError is a ValueError: it names the file, line and rule
        raise PublishError(f"collecting the results failed: {exc}. Fix it and run `python -m techduel site`; "
                           f"{kept}, and nothing was replaced (results.json, verdicts.csv, claimreview.jsonld "
                           f"and the site keep their previous content)") from exc
    contents = {"results": json.dumps(all_results, indent=2, sort_keys=True),
                "verdicts": table_[cols].sort_values("claim_id").to_csv(index=False, lineterminator="\n"),
                "claimreview": json.dumps(reviews, indent=2, ensure_ascii=False)}
    done_writing: list[str] = []
    for name, content in contents.items():
        try:
            files.write_atomic(written[name], content)
        except OSError as exc:
            replaced = ", ".join(done_writing) or "nothing"
            target = written[name]
            raise PublishError(f"cannot write {target}: {exc.strerror or exc}; make {target.parent} writable (and "
                               f"{target.name} a file it may replace), then run `python -m techduel site`. "
                               f"{kept.capitalize()}; already replaced: {replaced}; the site was not rebuilt") from exc
        done_writing.append(written[name].name)
    try:
        cache.record("collect", key, list(written.values()))
    except OSError:
        pass  # without its record, the next run only collects again
    return written


class PublishError(Exception):
    """The collect step could not finish; the message names the file, what to do and what is kept."""


def article() -> dict:
    """The article's metadata as established in data/article.csv (field → value)."""
    import pandas as pd

    from . import data

    table_ = data.load("article")
    meta = dict(zip(table_["field"], table_["value"]))
    return {k: (None if pd.isna(v) or v == "not found" else v) for k, v in meta.items()}


def report(outcomes: list[Outcome]) -> int:
    """One line per failure, saying only what is really kept."""
    failed = [o for o in outcomes if o.status == "failed"]
    for o in failed:
        kept = (f"the failed copy is kept as {o.kept}" if o.kept and Path(o.kept).exists()
                else "no executed copy was kept")
        print(f"FAILED {o.notebook}: {o.error} ({kept}; the last good output, if any, is untouched)",
              file=sys.stderr)
    return 1 if failed else 0
