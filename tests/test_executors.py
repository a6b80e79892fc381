"""Runs on a Dask cluster (--executor dask://HOST:PORT): the same outputs and cache as a local run, failures
reported per run, bad values refused before anything runs, and no process left behind."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import pickle
import shutil
import socket
import sys
import time

import psutil
import pytest

from conftest import REPO, cli, tiny
from techduel import paths
from techduel.build import executors, params, runner, sweep

distributed = pytest.importorskip("distributed")  # in requirements.lock, so CI always runs these

LIMITS = runner.Limits(cell=60.0, notebook=90.0)  # tiny notebooks: a hang fails the test, never stalls it


def quiet(*_args) -> None:
    pass


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A scratch checkout with two tiny notebooks; TECHDUEL_ROOT and TECHDUEL_BUILD point at it (set before
    any cluster starts, so that its workers inherit them)."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "data", root / "data")
    (root / "notebooks").mkdir()
    record = "from techduel import results\nresults.record"
    tiny(root / "notebooks" / "15_double.ipynb", f"{record}('y', x * 2, 'm')")
    tiny(root / "notebooks" / "15_broken.ipynb", f"{record}('y', 6 / (x - 2))")
    monkeypatch.setenv("TECHDUEL_ROOT", str(root))
    monkeypatch.setenv("TECHDUEL_BUILD", str(root / "build"))
    return root


@contextlib.contextmanager
def cluster(root, workers: int = 2):
    """A LocalCluster on the loopback (free ports, no dashboard port of its own); yields HOST:PORT. On the way
    out, every process it started (nannies, workers, the kernels they ran) must be gone."""
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    started: dict[int, psutil.Process] = {}
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as local:
        with distributed.Client(local, set_as_default=False) as client:
            seen = client.run(paths.root)  # the workers were spawned with this process's environment
            assert len(seen) == workers and set(seen.values()) == {root}, seen
        started |= {p.pid: p for p in me.children(recursive=True) if p.pid not in before}
        assert len(started) >= workers
        try:
            yield local.scheduler_address.removeprefix("tcp://")
        finally:
            started |= {p.pid: p for p in me.children(recursive=True) if p.pid not in before}
    from multiprocessing import resource_tracker

    tracker = resource_tracker._resource_tracker  # started by the first spawn; it would outlive the test
    if tracker._pid in started:
        tracker._stop()
    _, alive = psutil.wait_procs(list(started.values()), timeout=20)
    assert not alive, f"left running: {alive}"
    assert {p.pid for p in me.children(recursive=True)} <= before


class Counted(cf.Executor):
    """The cluster's executor, counting what is sent to it."""

    def __init__(self, inner: cf.Executor):
        self.inner, self.sent = inner, 0

    def submit(self, fn, /, *args, **kwargs):
        self.sent += 1
        return self.inner.submit(fn, *args, **kwargs)


def outputs(base) -> dict[str, bytes]:
    """What a sweep publishes: the executed copies and the table (cache books and figures aside)."""
    return {p.relative_to(base).as_posix(): p.read_bytes()
            for p in sorted([*base.glob("runs/*.ipynb"), *base.glob("*.csv")])}


def test_a_sweep_on_a_cluster_writes_what_a_local_sweep_writes_and_a_rerun_is_all_cache(root):
    base = root / "build" / "sweeps" / "15_double"
    local, _, _ = sweep.sweep("15_double", ["x=1,2"], jobs=2, echo=quiet, limits=LIMITS)
    assert [o.status for o in local] == ["ok", "ok"]
    expected = outputs(base)
    assert len(expected) == 3 and b'"y"' in expected[next(n for n in expected if n.startswith("runs/"))]
    shutil.rmtree(root / "build")  # the cluster starts from nothing: every run a miss
    with cluster(root) as address, executors.connect(f"dask://{address}") as dask:
        executor = Counted(dask)
        first, _, _ = sweep.sweep("15_double", ["x=1,2"], echo=quiet, limits=LIMITS, executor=executor)
        assert sorted((o.status, o.cache) for o in first) == [("ok", "miss")] * 2, first
        assert executor.sent == 2  # both ran on the cluster's workers
        assert outputs(base) == expected  # byte for byte: executed copies (their recorded results) and CSV
        again, _, _ = sweep.sweep("15_double", ["x=1,2"], echo=quiet, limits=LIMITS, executor=executor)
        assert [o.cache for o in again] == ["hit", "hit"] and executor.sent == 2  # what the workers wrote
    assert outputs(base) == expected


def test_a_run_failing_on_the_cluster_is_reported_with_its_cell_and_the_others_finish(root):
    with cluster(root) as address:
        done = cli("sweep", "15_broken", "x=1,2,3", "--executor", f"dask://{address}", "--cell-timeout", "60",
                   env_root=root, timeout=240)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.count("(on the executor)") == 3  # all three went to the cluster
    base = root / "build" / "sweeps" / "15_broken"
    rows = list(csv.DictReader(open(base / "x.csv", encoding="utf-8")))
    assert [(r["x"], r["status"]) for r in rows] == [("1", "ok"), ("2", "failed"), ("3", "ok")]
    assert [float(r["y"]) for r in rows if r["y"]] == [-6.0, 6.0]
    failed = params.slug({"x": 2})
    assert f"FAILED {failed}: cell 2 (id " in done.stderr and "raised ZeroDivisionError" in done.stderr
    assert (base / "runs" / f"{failed}.failed.ipynb").exists()
    assert not (base / "runs" / f"{failed}.ipynb").exists()


@pytest.mark.parametrize("value, message", [
    ("tcp://127.0.0.1:8786", "--executor tcp://127.0.0.1:8786: not an executor; give --executor local"),
    ("dask://127.0.0.1", "--executor dask://127.0.0.1: needs a host and a port"),
    ("dask://127.0.0.1:99999", "needs a host and a port (1-65535)"),
    ("dask://:8786", "needs a host and a port"),
    ("dask://127.0.0.1:8786/x", "and nothing else"),
])
def test_a_bad_executor_exits_2_naming_the_option_before_anything_runs(root, value, message):
    done = cli("sweep", "15_double", "x=1,2", "--executor", value, env_root=root, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert not (root / "build").exists()


def test_parse_names_the_scheduler_and_local_is_the_default():
    assert executors.parse("dask://127.0.0.1:8786") == "tcp://127.0.0.1:8786"
    assert executors.parse("dask://[::1]:8786") == "tcp://[::1]:8786"
    assert executors.parse("dask://cluster.example:8786") == "tcp://cluster.example:8786"
    assert executors.parse(None) is None and executors.parse("local") is None


def test_an_unreachable_scheduler_is_bad_input_naming_the_option():
    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(params.ParameterError, match=rf"--executor dask://127.0.0.1:{port}: no Dask scheduler "
                                                    rf"answers at tcp://127.0.0.1:{port} within 1 s"):
        with executors.connect(f"dask://127.0.0.1:{port}", timeout=1):
            pass


def test_without_distributed_the_error_says_to_install_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as on an install without the extra
    with pytest.raises(params.ParameterError,
                       match=r"install the dask extra: pip install 'techduel\[dask\]'"):
        with executors.connect("dask://127.0.0.1:8786"):
            pass


def test_a_worker_that_sees_another_checkout_refuses_the_run_and_what_is_sent_pickles(root, tmp_path):
    nb = runner.select(["15_double"])[0]
    job = runner.Job(nb, {"x": 1}, root / "build" / "out.ipynb", root / "build")
    from functools import partial

    engine = partial(runner.papermill_engine, limits=LIMITS)
    args = pickle.loads(pickle.dumps((job, tmp_path / "scratch", "key", None, engine)))  # plain pickle
    elsewhere = tmp_path / "elsewhere"
    expected = executors.fingerprint() | {"checkout": str(elsewhere),
                                          "build folder": str(elsewhere / "build")}
    out = executors._remote(args, expected)
    assert out.status == "failed" and out.notebook == "15_double"
    assert f"its checkout {root}, not {elsewhere}; its build folder {root / 'build'}, not" in out.error
    assert f"TECHDUEL_ROOT={elsewhere} and TECHDUEL_BUILD={elsewhere / 'build'}" in out.error
    other_code = executors.fingerprint() | {"code (lib/techduel)": "0123456789ab"}
    assert "its code (lib/techduel) " in executors._remote(args, other_code).error
    assert not (root / "build").exists()  # refused before writing anything


def test_a_robustness_pass_on_the_cluster_is_the_local_pass_served_from_the_cache(root):
    body = ("from techduel import outputs\n"
            "label = 'accurate' if x < 4.1 else 'mixed'\n"
            "outputs.emit(outputs.VERDICT, {'claim_id': 'T1', 'verdict': label}, label)\n")
    tiny(root / "notebooks" / "15_flip.ipynb", body,
         param="x: float = 2.0  # price (range: 0..10) (role: assumption)")
    args = ("robustness", "15_flip", "--points", "0", "--tolerance", "0.2")
    with cluster(root) as address:
        done = cli(*args, "--executor", f"dask://{address}", env_root=root, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    runs = done.stdout.count("(on the executor)")
    assert runs >= 4 and f"{runs} runs (0 from the cache, 0 failed)" in done.stdout  # bisection rounds too
    summary = root / "build" / "robustness_summary.csv"
    (t1,) = csv.DictReader(open(summary, encoding="utf-8"))
    assert t1["status"] == "sensitive" and float(t1["threshold_low"]) < 4.1 <= float(t1["threshold_high"])
    first = summary.read_bytes()
    local = cli(*args, env_root=root, timeout=120)  # the same pass on this machine: nothing left to run
    assert local.returncode == 0, local.stdout + local.stderr
    # the cluster's pass is confirmed here, not redone: every run current, every file as that pass wrote it
    assert "nothing to do" in local.stdout or f"{runs} runs ({runs} from the cache, 0 failed)" in local.stdout
    assert summary.read_bytes() == first


def test_a_scheduler_without_workers_is_bad_input_naming_the_option():
    with distributed.LocalCluster(n_workers=0, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as empty:
        address = empty.scheduler_address.removeprefix("tcp://")
        with pytest.raises(params.ParameterError, match=rf"--executor dask://{address}: the scheduler at "
                                                        rf"tcp://{address} has no worker; start some"):
            with executors.connect(f"dask://{address}", timeout=1):
                pass


def test_an_interrupted_pass_cancels_the_runs_still_queued(root, tmp_path):
    """Leaving the loop early (Ctrl-C while it waits) cancels what the executor has not started."""
    ran = []

    def engine(job, into, gate):
        ran.append(job.name)
        time.sleep(0.3)
        into.write_text(runner.Path(root / "notebooks" / "15_double.ipynb").read_text())

    nb = runner.select(["15_double"])[0]
    misses = [(runner.Job(nb, {"x": x}, root / "build" / f"{x}.ipynb", root / "build", label=f"x{x}"),
               tmp_path / "scratch", f"key{x}") for x in range(4)]
    with cf.ThreadPoolExecutor(max_workers=1) as pool:
        outcomes = executors.run(pool, misses, engine, LIMITS, echo=quiet)
        assert next(outcomes).status == "ok"
        outcomes.close()
    assert 1 <= len(ran) <= 2 and ran == ["x0", "x1"][:len(ran)]  # the last two never started
    assert not (root / "build" / "3.ipynb").exists()


def test_run_on_the_cluster_then_locally_is_served_from_the_cache(root):
    with cluster(root, workers=1) as address:
        done = cli("run", "15_double", "-p", "x=3", "--no-site", "--executor", f"dask://{address}",
                   env_root=root, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "start  15_double (on the executor)" in done.stdout and "15_double (" in done.stdout
    local = cli("run", "15_double", "-p", "x=3", "--no-site", env_root=root, timeout=120)
    assert local.returncode == 0, local.stdout + local.stderr
    assert "ok     15_double (0.0 s, cache hit)" in local.stdout
