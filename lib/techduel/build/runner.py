"""Run the notebooks headless through papermill: in parallel, cached, and never leaving a broken file.

Thread notebooks run concurrently (one worker process each, ``jobs`` at a time); the overview runs after
them, since it reads their verdicts. A notebook is skipped when nothing it depends on has changed
(``techduel.build.cache``). Every output is first written to a scratch folder beside ``build/`` (not inside it)
and renamed into place only when complete, so an interrupted or failed run never leaves a half-written file
under ``build/`` or replaces the last good output: a failed execution is kept as ``<stem>.failed.ipynb``.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import cache, files, nbjson, params, trace
from .. import paths

# Heavy modules (papermill, nbformat, pandas) are imported where they are needed, so that a run the cache
# answers entirely costs a fraction of a second; papermill is imported in the parent before the worker
# processes fork, so they inherit it instead of importing it again.

KERNEL = "techduel"
OVERVIEW = "overview"
KERNEL_MODES = ("zygote", "fresh")


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
    mode: str = "full"  # "verdicts": a robustness run, figures and reader tables not drawn (paths.mode)

    @property
    def name(self) -> str:
        return self.label or self.notebook.stem


@dataclass(frozen=True)
class Limits:
    """How long one cell, and one notebook (from its first cell), may run before it is stopped and reported
    as failed; generous, so that only a notebook that hangs meets them."""
    cell: float = 1200.0
    notebook: float = 3600.0

    def backstop(self) -> float:
        """When the runner stops a worker itself, counted from its start (or its gate opening): a worker
        stuck where nbclient's limit does not reach (kernel start, a lost reply). A margin past the notebook
        limit leaves the worker time to record a timeout itself, with its cell, as it normally does."""
        return self.notebook + min(self.cell, 60.0)


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
            meta = nbjson.lean(path).get("metadata", {}).get("techduel", {})  # parsed once per content
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


_kernel_checked: dict[str, float] = {}  # kernelspec file -> its mtime, when it was found to be ours

# What the kernel's interpreter would import, asked once with -c (about 50 ms) from the notebooks' folder.
_PROBE = "import json, os, sys, techduel; print(json.dumps([sys.prefix, os.path.dirname(techduel.__file__)]))"


def require_kernel() -> None:
    """The notebooks run on the project kernel, and it must be this checkout's: a kernelspec named
    ``techduel`` left registered by another environment would run that environment's lib/ and read its data/.
    So the kernelspec's interpreter is asked, once per run, which prefix it is and which ``techduel`` it
    imports; both must be this runner's. Otherwise say how to register the right one."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    fix = f"`{sys.executable} -m ipykernel install --sys-prefix --name {KERNEL}`"
    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        raise params.ParameterError(f"the Jupyter kernel '{KERNEL}' is not registered for {sys.executable}; "
                                    f"run `make run` once, or {fix}") from None
    spec_file = Path(spec.resource_dir) / "kernel.json"
    stamp = spec_file.stat().st_mtime if spec_file.exists() else 0.0
    if _kernel_checked.get(str(spec_file)) == stamp:
        return
    argv = spec.argv or [""]
    options = argv[1:argv.index("-m")] if "-m" in argv else []  # interpreter options such as -X...
    here = (os.path.realpath(sys.prefix), os.path.realpath(cache.PACKAGE))
    try:
        probe = subprocess.run([argv[0], *options, "-c", _PROBE], capture_output=True, text=True, timeout=60,
                               env={**os.environ, **(spec.env or {})},
                               cwd=paths.notebooks_dir() if paths.notebooks_dir().is_dir() else None)
        prefix, package = json.loads(probe.stdout.strip().splitlines()[-1])
        there = (os.path.realpath(prefix), os.path.realpath(package))
        found = f"its interpreter {argv[0]} (prefix {prefix}) imports techduel from {package}"
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        there = None
        found = f"its interpreter {argv[0]} cannot import techduel"
    if there != here:
        raise params.ParameterError(
            f"the Jupyter kernel '{KERNEL}' ({spec.resource_dir}) does not belong to this checkout: {found}, "
            f"but this runner is {here[0]} with techduel from {here[1]}. "
            f"Register this checkout's kernel: {fix}"
            + ("" if Path(spec.resource_dir).resolve().is_relative_to(here[0]) else
               f", and remove {spec.resource_dir}, which is found before it"))
    _kernel_checked[str(spec_file)] = stamp


# ---------------------------------------------------------------------------------------------- execution


class NotebookFailed(Exception):
    """A cell raised; ``copy`` is the executed notebook with the error, ``where`` the failing cell."""

    def __init__(self, where: str, copy: Path | None):
        super().__init__(where)
        self.where, self.copy = where, copy


def papermill_engine(job: Job, into: Path, gate: Path | None, limits: Limits = Limits(),
                     sockets: Path | None = None, zygote: str | None = None, direct: bool | None = None) -> None:
    """Execute the notebook into ``into`` through papermill, on an IPC kernel, within ``limits``. Kernel
    sockets go in a folder of their own below ``sockets`` (the run's folder, which the runner removes
    whatever happens to this worker). With ``zygote`` (an address), the kernel is forked from a process that
    has already imported the notebooks' libraries (``techduel.build.zygote``) instead of started from scratch,
    and a verdicts-only run skips the kernel: the zygote's child runs its cells itself
    (``techduel.build.direct``), which records the same verdicts and results. ``direct=False``, or
    ``TECHDUEL_DIRECT=0`` in the environment, sends every run through a kernel."""
    import papermill as pm

    from . import kernels

    nb = job.notebook
    base = sockets or kernels.socket_folder()
    folder = Path(tempfile.mkdtemp(prefix="j", dir=base))
    try:
        if direct is None:
            direct = os.environ.get("TECHDUEL_DIRECT", "1") != "0"
        if direct and zygote is not None and gate is None and job.mode == "verdicts":
            from . import direct as direct_
            from .zygote import Unavailable

            try:
                return direct_.engine(job, into, limits, zygote, folder)
            except Unavailable:  # the zygote cannot serve: the kernel's way, which says why if it fails too
                pass
        source = runnable_copy(nb.path, job.mode, folder)
        pm.execute_notebook(str(source), str(into), parameters=job.parameters, kernel_name=KERNEL,
                            cwd=str(nb.path.parent), progress_bar=False, log_output=False,
                            engine_name=_engine(), timeout_func=_Clock(limits),
                            kernel_manager_class=kernels.ipc_manager_class(str(folder), gate, zygote))
    except kernels.GateClosed:
        raise
    except pm.PapermillExecutionError as exc:
        raise NotebookFailed(f"cell {_failed_cell(into, nb.path)} raised {exc.ename}: {exc.evalue}", into) from None
    finally:
        shutil.rmtree(folder if sockets else base, ignore_errors=True)
    clean(into, drop_varying=job.committed)


ILLUSTRATION = "illustration"  # tag: a cell no verdict or recorded result rests on (it times this machine, say)


def runnable_copy(source: Path, mode: str, folder: Path) -> Path:
    """What papermill is given: the notebook without its stored outputs (megabytes of figures and tables that
    execution replaces anyway, which papermill parsed and checked on every run) and, for a verdicts-only run,
    without its cells tagged ``illustration``, whose only product is what the reader sees (the bandwidth of
    this machine, measured for a minute's reading, was most of such a run). ``tests/test_mode.py`` checks
    that a verdicts-only run records what a full one does, and that no later cell uses a name such a cell
    sets."""
    copy = folder / source.name
    copy.write_text(json.dumps(runnable(source, mode), ensure_ascii=False), encoding="utf-8")
    return copy


def runnable(source: Path, mode: str) -> dict:
    """The notebook :func:`runnable_copy` writes, as a dict (a new one: the caller may change it)."""
    try:
        doc = nbjson.lean(source)  # parsed in the parent, before this worker was forked, as a rule
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise NotebookFailed(f"cannot read {source.name}: {exc}", None) from None  # no copy: nothing to keep
    cells = []
    for cell in doc.get("cells", []):
        if cell.get("cell_type") == "code":
            if mode == "verdicts" and ILLUSTRATION in cell.get("metadata", {}).get("tags", []):
                continue
            cell = dict(cell, outputs=[], execution_count=None)
        cells.append(dict(cell))
    return dict(doc, cells=cells)


class _Clock:
    """nbclient's time limit for the next cell: the cell limit or what is left of the notebook's, whichever
    is less. The notebook's clock starts at its first cell, so a kernel waiting at its gate is not counted."""

    def __init__(self, limits: Limits):
        self.limits, self.end, self.cell, self.by_notebook, self.seconds = limits, None, None, False, 0

    def __call__(self, cell) -> int:
        now = time.monotonic()
        self.end = self.end or now + self.limits.notebook
        left = self.end - now
        self.cell, self.by_notebook = cell, left < self.limits.cell
        self.seconds = max(1, math.ceil(min(self.limits.cell, left)))
        return self.seconds

    def reason(self) -> str:
        which = ("notebook time limit, --notebook-timeout" if self.by_notebook
                 else "cell time limit, --cell-timeout")
        limit = self.limits.notebook if self.by_notebook else self.limits.cell
        return f"did not finish within {limit:g} s (the {which}); the kernel was stopped"


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
    os.environ["TECHDUEL_MODE"] = job.mode
    start = time.monotonic()
    try:
        engine(job, tmp, gate)
    except GateClosed:
        return Outcome(job.name, "ok", 0.0, cache="hit")
    except NotebookFailed as failure:
        if failure.copy is None or not Path(failure.copy).exists():  # it failed before there was a copy
            return Outcome(job.name, "failed", time.monotonic() - start, failure.where)
        job.failed_dir.mkdir(parents=True, exist_ok=True)
        kept = job.failed_dir / f"{job.output.stem}.failed.ipynb"
        os.replace(failure.copy, kept)
        return Outcome(job.name, "failed", time.monotonic() - start, failure.where, kept=str(kept))
    finally:
        os.environ.pop("TECHDUEL_MODE", None)
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
    and only to a temporary name.

    A cell over its time limit (``_Clock``) is recorded as that cell's error, so that papermill's own failure
    path keeps the executed copy and names the cell, as for any failure; its kernel, still busy, is killed
    rather than asked to shut down."""
    import nbformat
    from nbclient.exceptions import CellTimeoutError
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class Client(PapermillNotebookClient):
        timed_out = None

        async def _async_handle_timeout(self, timeout, cell=None):  # nbclient's, without its error log line
            self.timed_out, self.shutdown_kernel = cell, "immediate"
            raise CellTimeoutError.error_from_timeout_and_cell("Cell execution timed out", timeout, cell)

    class WriteOnceEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, **kwargs):
            return super().execute_notebook(nb, kernel_name, output_path=None, **kwargs)

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, start_timeout=60,
                                     timeout_func=None, **kwargs):
            kwargs = {k: v for k, v in kwargs.items() if k not in ("input_path", "timeout", "startup_timeout",
                                                                    "execution_timeout", "stdout_file",
                                                                    "stderr_file")}
            from papermill.engines import logger

            client = Client(nb_man, kernel_name=kernel_name, log=logger, log_output=log_output,
                            startup_timeout=start_timeout, timeout_func=timeout_func, **kwargs)
            try:
                return client.execute()
            except CellTimeoutError:
                cell = client.timed_out
                if cell is None:  # not a time limit of ours (say, output that never arrived)
                    raise
                cell.outputs.append(nbformat.v4.new_output(
                    "error", ename="TimeoutError", evalue=f"this cell {timeout_func.reason()}", traceback=[]))
                return nb_man.nb

    papermill_engines.register("techduel-write-once", WriteOnceEngine)
    return "techduel-write-once"


def _failed_cell(executed: Path, source: Path) -> str:
    """Where it failed, counted as the reader sees the notebook (papermill adds banner cells to the copy)."""
    import nbformat

    ids = [c.get("id") for c in nbformat.read(source, as_version=4).cells]
    for cell in nbformat.read(executed, as_version=4).cells:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return cell_label(cell, ids)
    return "?"


def cell_label(cell: dict, ids: list) -> str:
    """An executed cell as failures name it: its place among the reader's cells (``ids``), its id and count."""
    where = ids.index(cell.get("id")) + 1 if cell.get("id") in ids else "?"
    return f"{where} (id {cell.get('id', '?')}, In [{cell.get('execution_count')}])"


def clean(path: Path, drop_varying: bool = False) -> None:
    """Drop volatile metadata (timings, papermill bookkeeping) so a rerun with the same inputs is byte-equal.
    With ``drop_varying`` (a committed copy), also empty the outputs of cells tagged ``nbval-ignore-output``
    (machine timings and the like), which a committed copy must not carry if rerunning it is to change
    nothing; and write what JupyterLab would save, so that opening it there changes nothing either: the
    kernel's ``language_info.version`` stays, and numbers are written as JavaScript writes them (100, not
    100.0)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    if not drop_varying:
        nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill draws a random id; same inputs must give the same bytes
        if drop_varying and "nbval-ignore-output" in cell.metadata.get("tags", []):
            cell.outputs, cell.execution_count = [], None
    if drop_varying:
        nb = nbformat.from_dict(json.loads(json.dumps(nb), parse_float=_js_number))
    files.write_atomic(path, nbformat.writes(nb) + "\n")


def _js_number(text: str) -> float | int:
    """A JSON number as it comes back from JavaScript, which has no separate integers: 21.0 is written 21."""
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 1e21 else value


def _import_papermill() -> None:
    """Import papermill once, in the parent, so the forked workers inherit it, with nbformat's schema
    validator already compiled: it is built on first use (a tenth of a second of generated code), which was
    in every worker, since a fork inherits only what the parent had.

    Most of papermill's import time is jsonschema compiling the grammars of ``rfc3987_syntax`` (about two
    seconds) for an "iri" string format that the notebook schema never uses; marking that optional module
    absent makes jsonschema skip the format, exactly as on an install without it."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import nbformat
    import papermill  # noqa: F401

    nbformat.validator.get_validator(version=4, version_minor=nbformat.v4.nbformat_minor)


def _worker_init(parent: int) -> None:
    # Ctrl-C goes to the whole process group; the parent decides what to stop and cleans up. A worker forked
    # after the parent installed its SIGTERM handler must not inherit it: when the parent stops a worker with
    # SIGTERM, the worker has to die on the spot, not unwind as if the notebook had finished.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with(parent)


def _die_with(parent: int) -> None:
    """A worker dies with the runner, even one killed with -9, instead of going on writing build/. On Linux
    the kernel sends the signal (PR_SET_PDEATHSIG); elsewhere a thread watches the parent's pid. The worker's
    own kernel follows within a second: ipykernel exits when its parent (JPY_PARENT_PID) is gone."""
    armed = False
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            prctl = ctypes.CDLL(None, use_errno=True).prctl
            armed = prctl(1, signal.SIGKILL, 0, 0, 0) == 0  # 1 is PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            armed = False
    if not armed:
        import threading

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the runner died before the signal was armed
        os._exit(1)


def _work(conn, parent: int, args: tuple) -> None:
    """A worker's whole life: one job, its outcome sent back to the runner."""
    _worker_init(parent)
    job = args[0]
    try:
        outcome = execute(*args)
    except Exception as exc:  # the worker itself broke (not the notebook)
        outcome = Outcome(job.name, "failed", 0.0, f"{type(exc).__name__}: {exc}")
    conn.send(outcome)
    conn.close()


class _Workers:
    """At most ``size`` notebooks at once, each in a worker process of its own, forked when its turn comes
    (papermill is already imported, so a fork costs milliseconds). A worker that dies, say to the
    out-of-memory killer, takes only its own notebook with it: the others go on in their own processes, the
    next job gets a fresh one, and the dead one is reported with what killed it."""

    def __init__(self, size: int, limit: float):
        self.size, self.limit, self.queue = size, limit, deque()
        self.active: dict = {}  # receiving end of the worker's pipe -> (job, process)
        self.started: dict[str, float] = {}  # job name -> when its clock started
        self.context = multiprocessing.get_context("fork")

    def submit(self, job: Job, args: tuple) -> None:
        self.queue.append((job, args))
        self._fill()

    def names(self) -> set[str]:
        return {job.name for job, _ in self.active.values()} | {job.name for job, _ in self.queue}

    def __len__(self) -> int:
        return len(self.active) + len(self.queue)

    def _fill(self) -> None:
        while self.queue and len(self.active) < self.size:
            job, args = self.queue.popleft()
            recv, send = self.context.Pipe(duplex=False)
            proc = self.context.Process(target=_work, args=(send, os.getpid(), args), daemon=True,
                                        name=f"techduel-{job.name}")
            proc.start()
            send.close()  # only the worker holds the sending end: its death reads as end of file
            self.active[recv] = (job, proc)
            self.started[job.name] = time.monotonic()

    def restart_clock(self, name: str) -> None:
        """A gated job's gate opened: its time starts now."""
        if name in self.started:
            self.started[name] = time.monotonic()

    def wait(self) -> list[Outcome]:
        """Block until at least one worker ends; the outcomes of those that did."""
        sentinels = {proc.sentinel: recv for recv, (_, proc) in self.active.items()}
        due = min(self.started[job.name] + self.limit for job, _ in self.active.values())
        ready = multiprocessing.connection.wait([*self.active, *sentinels], max(0.0, due - time.monotonic()))
        ended = {sentinels.get(r, r) for r in ready}
        outcomes = []
        for recv, (job, proc) in list(self.active.items()):
            if recv not in ended and time.monotonic() >= self.started[job.name] + self.limit:
                proc.kill()  # its kernel follows it
                proc.join(timeout=10)
                recv.close()
                del self.active[recv]
                outcomes.append(Outcome(job.name, "failed", time.monotonic() - self.started[job.name],
                                        f"its worker was stopped after {self.limit:g} s, past the notebook "
                                        f"time limit (--notebook-timeout); no executed copy was kept"))
        for recv in ended:
            job, proc = self.active.pop(recv)
            try:
                outcome = recv.recv()
            except (EOFError, OSError):  # it died without a word
                proc.join(timeout=10)
                outcome = Outcome(job.name, "failed", time.monotonic() - self.started[job.name],
                                  _death(proc.exitcode))
            recv.close()
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
            outcomes.append(outcome)
        self._fill()
        return outcomes

    def stop(self) -> None:
        """Stop every worker at once (each kernel follows its worker within a second) and drop the queue. Not
        SIGTERM: nbclient turns that into a kernel shutdown and the worker would go on."""
        self.queue.clear()
        for _, proc in self.active.values():
            proc.kill()
        for recv, (_, proc) in self.active.items():
            proc.join(timeout=10)
            recv.close()
        self.active.clear()


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        why = " (as the out-of-memory killer does)" if -code == signal.SIGKILL else ""
        how = f"was killed by {name}{why}"
    else:
        how = f"exited with status {code}"
    return (f"its worker process {how} before the notebook finished; no executed copy was kept; "
            f"the other notebooks ran on")


def run_stages(stages: list[list[Job]], jobs: int | None = None, force: bool = False, echo=print,
               progress: bool | None = None, engine=papermill_engine, limits: Limits | None = None,
               kernels: str | None = None, executor=None) -> list[Outcome]:
    """Run stages in order; the jobs within a stage run concurrently. A failure never stops the others, nor
    does a worker that dies (``_Workers``); every cell and notebook runs within ``limits``.

    Kernels are forked from a zygote that imported the notebooks' libraries once (``techduel.build.zygote``), or,
    with ``kernels="fresh"`` (or ``TECHDUEL_KERNELS=fresh``), started from scratch as jupyter_client does.
    While a stage runs, spare workers start the next stage's kernels behind a gate (``techduel.build.kernels``),
    so those kernels boot in parallel; the gate opens, or says skip when the cache can serve the job, once
    the stage they wait for is done.

    With an ``executor`` (``techduel.build.executors``: a Dask cluster, say), the misses of each stage run there
    instead, no kernel is started early, and the cache and outputs are the same."""
    from functools import partial

    from . import kernels as kernel_managers
    from . import zygote

    kernels = kernels or os.environ.get("TECHDUEL_KERNELS") or "zygote"
    if kernels not in KERNEL_MODES:
        raise params.ParameterError(f"kernels={kernels!r} (TECHDUEL_KERNELS): must be one of {', '.join(KERNEL_MODES)}")
    jobs = max(1, jobs or os.cpu_count() or 1)
    lib_hash = cache.lib_hash()
    env_hash = cache.environment_hash()
    files.clear_stale()
    kernel_managers.clear_stale_sockets()
    scratch = files.temp_path("run")
    bar = _bar(sum(len(s) for s in stages), progress)
    outcomes: list[Outcome] = []
    workers: _Workers | None = None
    sockets: Path | None = None
    gated: dict[str, tuple[Path, str]] = {}  # job name -> (gate file, key) for kernels started early
    remote: list[tuple[Job, Path, str]] = []  # a stage's misses for the executor

    def submit(job: Job, key: str, gate: Path | None = None) -> None:
        nonlocal workers, sockets, engine
        if workers is None:
            if engine is papermill_engine:
                address = None
                if kernels == "zygote":  # started first: it imports while the kernel is checked and papermill
                    notebooks = sorted({j.notebook.path for stage in stages for j in stage})  # is imported here
                    address = zygote.shared(notebooks, job.notebook.path.parent, lib_hash,
                                            zygote.kernel_options(KERNEL)).address
                require_kernel()  # before any kernel is asked for: a zygote alone runs no notebook
                _import_papermill()
                sockets = kernel_managers.socket_folder()
                engine = partial(papermill_engine, limits=limits or Limits(), sockets=sockets, zygote=address)
            workers = _Workers(jobs, (limits or Limits()).backstop())
        echo(f"  start  {job.name}" + (" (kernel warming up until its inputs are ready)" if gate else ""))
        workers.submit(job, (job, scratch, key, gate, engine))

    def settle(current: set[str]) -> None:
        """Wait for the jobs of the current stage; report each as it ends."""
        while workers is not None and workers.names() & current:
            for outcome in workers.wait():
                if outcome.cache != "hit":
                    outcome.cache = "off" if force else "miss"
                outcomes.append(outcome)
                _report(echo, bar, outcome)

    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        for index, stage in enumerate(stages):
            for job in stage:
                key = cache.static_key(job.notebook.path, job.parameters, lib_hash, env_hash, job.mode)
                hit = not force and cache.hit(job.output, key)
                if job.name in gated:
                    gate, _ = gated.pop(job.name)
                    files.write_atomic(gate, "skip" if hit else "go")
                    workers.restart_clock(job.name)
                elif hit:
                    outcomes.append(Outcome(job.name, "ok", 0.0, cache="hit"))
                    _report(echo, bar, outcomes[-1])
                elif executor is not None:
                    remote.append((job, scratch, key))
                else:
                    submit(job, key)
            if executor is not None:
                from . import executors

                for outcome in executors.run(executor, remote, engine, limits, echo):
                    outcome.cache = "off" if force else "miss"
                    outcomes.append(outcome)
                    _report(echo, bar, outcome)
                remote.clear()
                continue
            following = stages[index + 1] if index + 1 < len(stages) else []
            running = len(workers) if workers is not None else 0
            if running and following and running + len(following) <= jobs:
                for job in following:
                    gate = scratch / f"{job.output.stem}.gate"
                    key = cache.static_key(job.notebook.path, job.parameters, lib_hash, env_hash, job.mode)
                    gated[job.name] = (gate, key)
                    submit(job, key, gate)
            if workers is not None:
                _import_for_afterwards()
            settle({job.name for job in stage})
        settle(workers.names() if workers is not None else set())
    except KeyboardInterrupt:
        echo("  interrupted: stopping the running notebooks; nothing half-written is left under build/")
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        if workers is not None:
            workers.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        if sockets is not None:
            shutil.rmtree(sockets, ignore_errors=True)
        if bar is not None:
            bar.close()
    return outcomes


def _import_for_afterwards() -> None:
    """Import what every command that runs notebooks uses once they are done (pandas and the report, for the
    results and verdict tables, robustness summaries, sweep tables) while its first kernels start: the core
    that the zygote's imports leave free did nothing then, and the import was a second of the run's tail.
    In this thread, before any worker waits to be forked: a fork during an import in another thread could
    leave the child holding the import lock. A run the cache answers entirely never gets here."""
    import importlib

    for name in ("pandas", "techduel.build.report", "techduel.claims", "techduel.evidence"):
        importlib.import_module(name)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


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


def non_default(notebooks: list[Notebook], plans: dict[str, dict]) -> dict[str, dict]:
    """Per notebook, the parameters whose value differs from the declared default (empty: a canonical run)."""
    out = {}
    for nb in notebooks:
        defaults = {p.name: p.default for p in nb.parameters()}
        changed = {k: v for k, v in plans[nb.stem].items() if defaults.get(k) != v}
        if changed:
            out[nb.stem] = changed
    return out


def target(names: list[str], overrides: list[str]) -> Path:
    """Where a run writes: ``build/`` for canonical parameters (the published set); a run with any
    non-default value goes to ``build/overrides/<hash of the overrides>/``, so its verdicts can never pass
    for the published ones. The same overrides always get the same folder (and its cache)."""
    notebooks = select(names)
    changed = non_default(notebooks, plan(notebooks, overrides))
    if not changed:
        return paths.build_dir()
    digest = hashlib.sha256(json.dumps(changed, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return paths.build_dir() / "overrides" / digest


def run(names: list[str], overrides: list[str], out_dir: Path | None = None, jobs: int | None = None,
        force: bool = False, echo=print, limits: Limits | None = None,
        robustness_summary: Path | None = None, executor=None) -> list[Outcome]:
    """Check everything first (bad input raises before any kernel starts), then run threads, then overview.
    Unreadable notebook files are reported as failed; the others run. Without ``out_dir``, a run with overrides
    goes to its own folder (see :func:`target`). The verdict boxes read ``robustness_summary`` (a canonical run
    whose robustness pass just ran), else say "not assessed"; a run with overrides never reads one."""
    from ..robustness_shown import reading

    notebooks, unreadable = choose(names)
    plans = plan(notebooks, overrides)
    if non_default(notebooks, plans):
        robustness_summary = None
    if out_dir is None:
        build = target(names, overrides)
        out_dir = build / "notebooks"
        if build != paths.build_dir():
            files.write_atomic(build / "overrides.json", json.dumps(non_default(notebooks, plans), indent=1,
                                                                    sort_keys=True, default=str) + "\n")
    stages: list[list[Job]] = [[], []]
    for nb in notebooks:
        p = dict(plans[nb.stem])
        if nb.is_overview and "notebooks_dir" in {x.name for x in nb.parameters()}:
            p.setdefault("notebooks_dir", os.path.relpath(out_dir, paths.root()))  # no absolute path in outputs
        stages[nb.is_overview].append(Job(nb, p, out_dir / nb.path.name, out_dir))
    with reading(robustness_summary):
        return _unreadable_outcomes(unreadable, echo) + run_stages([s for s in stages if s], jobs=jobs,
                                                                   force=force, echo=echo, limits=limits,
                                                                   executor=executor)


def _unreadable_outcomes(unreadable: list[Unreadable], echo) -> list[Outcome]:
    out = [Outcome(u.stem, "failed", 0.0, u.message(), cache="off") for u in unreadable]
    for o in out:
        echo(f"  failed {o.notebook}: {o.error}")
    return out


def refresh(names: list[str] | None = None, jobs: int | None = None, echo=print,
            limits: Limits | None = None) -> list[Outcome]:
    """Re-execute the committed notebooks (all, or those named) in place with their defaults (threads first,
    overview last); their verdict boxes read the committed robustness summary, notebooks/robustness.csv."""
    from .robustness_committed import summary_path
    from ..robustness_shown import reading

    failed_dir = paths.build_dir() / "notebooks"
    stages: list[list[Job]] = [[], []]
    notebooks, unreadable = choose(names or [])
    for nb in notebooks:
        stages[nb.is_overview].append(Job(nb, {}, nb.path, failed_dir, committed=True))
    with reading(summary_path()):
        outcomes = _unreadable_outcomes(unreadable, echo) + run_stages([s for s in stages if s], jobs=jobs,
                                                                       force=True, echo=echo, limits=limits)
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


class MissingInput(params.ParameterError):
    """An input a command needs is absent; raised before anything is written (exit status 2)."""


def collect(nb_dir: Path | None = None, build: Path | None = None, claimreview: bool = True) -> dict[str, Path]:
    """Write results.json, verdicts.csv and claimreview.jsonld from the executed notebooks (skipped when
    neither the notebooks, the registries nor the code changed since they were last written).

    Everything is computed before anything is written, and a folder without executed notebooks is refused:
    a missing input never replaces good files with empty ones. ``claimreview=False`` (runs with overrides)
    writes no ClaimReview: that export is for the published, canonical verdicts only."""
    build = build or paths.build_dir()
    nb_dir = nb_dir or build / "notebooks"
    done = executed(nb_dir)
    if not done:
        raise MissingInput(f"no executed notebooks in {shown(nb_dir)}: run `python -m techduel run` first "
                           "(nothing was written)")
    written = {"results": build / "results.json", "verdicts": build / "verdicts.csv"}
    if claimreview:
        written["claimreview"] = build / "claimreview.jsonld"
    data_dir = paths.data_dir()
    key = cache.inputs_key([*done, data_dir / "article.csv", data_dir / "claims.csv", data_dir / "sources.csv",
                            data_dir / "datapackage.json"], cache.lib_hash(),
                           date.today().isoformat())
    book = "collect" if build == paths.build_dir() else f"collect-{build.name}"
    if cache.fresh(book, key, list(written.values())):
        return written
    from .. import claims, results

    kept = f"the executed notebooks in {nb_dir} are kept"
    try:  # everything is computed before anything is written, so a bad input replaces nothing
        all_results = {p.stem: results.read(p) for p in done}
        verdicts = claims.read_verdicts(done)
        claims.check_verdicts(verdicts)
        # robustness and robustness_note: what each verdict box showed, with the numbers of its run
        table_ = verdicts.assign(sources=verdicts["sources"].map(";".join),
                                 evidence=verdicts["evidence"].map(" | ".join))
        cols = ["claim_id", "verdict", "strength", "conclusion", "reason", "searched", "rule_label", "kind",
                "as_of", "depends_on", "notebook", "sources", "line", "thread", "claim", "evidence", "robustness",
                "robustness_note"]
        reviews = (claims.claimreview(verdicts, article(), {s: f"{s}.html" for s in verdicts["notebook"].unique()},
                                      date.today().isoformat()) if claimreview else None)
    except (ValueError, OSError) as exc:  # DataError is a ValueError: it names the file, line and rule
        raise PublishError(f"collecting the results failed: {exc}. Fix it and run `python -m techduel site`; "
                           f"{kept}, and nothing was replaced (results.json, verdicts.csv, claimreview.jsonld "
                           f"and the site keep their previous content)") from exc
    contents = {"results": json.dumps(all_results, indent=2, sort_keys=True),
                "verdicts": table_[cols].sort_values("claim_id").to_csv(index=False, lineterminator="\n")}
    if claimreview:
        contents["claimreview"] = json.dumps(reviews, indent=2, ensure_ascii=False)
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
        cache.record(book, key, list(written.values()))
    except OSError:
        pass  # without its record, the next run only collects again
    return written


class PublishError(Exception):
    """The collect step could not finish; the message names the file, what to do and what is kept."""


def shown(path: Path) -> str:
    """A path as messages show it: relative to the repository root when inside it."""
    try:
        return path.resolve().relative_to(paths.root()).as_posix()
    except ValueError:
        return str(path)


def article() -> dict:
    """The article's metadata as established in data/article.csv (field → value)."""
    import pandas as pd

    from .. import data

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
