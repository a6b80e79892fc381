"""Run the notebooks the cache cannot serve somewhere other than this machine: on an existing Dask cluster.

``--executor dask://HOST:PORT`` sends each such notebook to a Dask worker through distributed's
concurrent.futures interface (``Client(address).get_executor()``); any other ``concurrent.futures`` executor
works the same way. The runner still computes every cache key and serves every hit here; a worker runs
``runner.execute`` on the same paths, so the executed copies, the cache manifests and the tables built from
them are those of a local run. That needs workers that share this checkout (same path, or the same
``TECHDUEL_ROOT`` and ``TECHDUEL_BUILD``), its environment and its registered kernel: a worker that does not
is refused per notebook, with what differs, before it writes anything.

The default stays the runner's own worker processes (``local``); distributed is an optional extra.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from . import cache, params, runner
from .. import paths

OPTION = "--executor"
INSTALL = "install the dask extra: pip install 'techduel[dask]'"


def parse(text: str | None) -> str | None:
    """The scheduler address ``tcp://HOST:PORT`` that ``dask://HOST:PORT`` names; None for the local pool."""
    if text is None or text.strip() in ("", "local"):
        return None
    shape = f"give {OPTION} local (the default) or {OPTION} dask://HOST:PORT (a Dask scheduler)"
    parts = urlsplit(text.strip())
    if parts.scheme != "dask":
        raise params.ParameterError(f"{OPTION} {text}: not an executor; {shape}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None or port == 0 or parts.path or parts.query or parts.fragment:
        raise params.ParameterError(f"{OPTION} {text}: needs a host and a port (1-65535) and nothing else; "
                                    f"{shape}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"tcp://{host}:{port}"


@contextlib.contextmanager
def connect(text: str | None, timeout: float = 10.0) -> Iterator[cf.Executor | None]:
    """The executor ``--executor`` names, open for the length of the command (None: the local pool). Bad
    input, distributed missing, a scheduler that does not answer or has no worker: ParameterError (exit 2,
    nothing run). On the way out the client is closed; notebooks still queued on the cluster are cancelled."""
    address = parse(text)
    if address is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise params.ParameterError(f"{OPTION} {text}: the Dask client (distributed) is not installed; "
                                    f"{INSTALL}") from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise params.ParameterError(f"{OPTION} {text}: no Dask scheduler answers at {address} within "
                                    f"{timeout:g} s ({exc}); start one (`dask scheduler`) or fix the address"
                                    ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError):
            raise params.ParameterError(f"{OPTION} {text}: the scheduler at {address} has no worker; start "
                                        f"some from this checkout: `dask worker {address} --nthreads 1`"
                                        ) from None
        executor = client.get_executor(pure=False)  # a rerun (--force) is a new task, never a remembered one
        try:
            yield executor
        finally:
            executor.shutdown(wait=False)
    finally:
        client.close()


def run(executor: cf.Executor, misses: list[tuple[runner.Job, Path, str]], engine=runner.papermill_engine,
        limits: runner.Limits | None = None, echo=print) -> Iterator[runner.Outcome]:
    """Execute each (job, scratch folder, cache key) on ``executor``; yield each Outcome as it ends. A job
    that cannot run there (a worker died, a different checkout) is a failed Outcome naming it; the others
    go on. Kernels are not started early behind gates: a remote kernel cannot watch a local gate."""
    if engine is runner.papermill_engine:  # module-level function and its limits: it pickles
        engine = partial(runner.papermill_engine, limits=limits or runner.Limits())
    here = fingerprint()
    futures = {}
    try:
        for job, scratch, key in misses:
            echo(f"  start  {job.name} (on the executor)")
            futures[executor.submit(_remote, (job, scratch, key, None, engine), here, _settings())] = job
        for future in cf.as_completed(futures):
            job = futures[future]
            try:
                yield future.result()
            except Exception as exc:  # it never returned: a worker lost, cancelled, the client closed
                why = f"on the executor: {type(exc).__name__}: {exc}; no executed copy was kept"
                yield runner.Outcome(job.name, "failed", 0.0, why)
    finally:
        for future in futures:
            future.cancel()  # an interrupted run leaves nothing queued; a notebook already running finishes


# execute() sets the kernel's environment in os.environ, so a worker process runs one job at a time
_one_at_a_time = threading.Lock()


def fingerprint() -> dict[str, str]:
    """What a cache key computed in one process assumes of the process that runs the job: the same checkout
    and build folder, the same code in lib/, the same locked environment and Python."""
    return {"checkout": str(paths.root()), "build folder": str(paths.build_dir()),
            "code (lib/techduel)": cache.lib_hash()[:12],
            "environment (lock and Python)": cache.environment_hash()[:12]}


def _settings() -> dict[str, str | None]:
    """What the runner tells its kernels through its own environment (which robustness summary a verdict box
    reads): a worker elsewhere has to be told."""
    return {paths.ROBUSTNESS_ENV: os.environ.get(paths.ROBUSTNESS_ENV)}


def _set_env(values: dict[str, str | None]) -> dict[str, str | None]:
    """Set (or, for None, unset) these variables; return what they were."""
    before = {k: os.environ.get(k) for k in values}
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    return before


def _remote(args: tuple, expected: dict[str, str], settings: dict[str, str | None] | None = None
            ) -> runner.Outcome:
    """One job, in a worker of the executor: refused unless the worker is where the runner computed the
    cache key (``fingerprint``), otherwise executed as a local worker would."""
    job = args[0]
    theirs = fingerprint()
    differ = [f"{what} {theirs[what]}, not {want}" for what, want in expected.items()
              if theirs.get(what) != want]
    if differ:
        return runner.Outcome(job.name, "failed", 0.0, (
            f"the worker on {socket.gethostname()} does not share this checkout: "
            f"its {'; its '.join(differ)}. "
            f"Start it from the same checkout at the same path (or with TECHDUEL_ROOT={expected['checkout']} "
            f"and TECHDUEL_BUILD={expected['build folder']}), in the same environment"))
    try:
        runner.require_kernel()
        runner._import_papermill()
        with _one_at_a_time:
            before = _set_env(settings or {})
            try:
                return runner.execute(*args)
            finally:
                _set_env(before)
    except Exception as exc:
        return runner.Outcome(job.name, "failed", 0.0, f"on the worker on {socket.gethostname()}: "
                                                       f"{type(exc).__name__}: {exc}")
