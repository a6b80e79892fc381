"""The runner when things go wrong around the notebooks: a kernel of another checkout, a killed runner, a
killed worker, a cell that never returns; and a normal run that prints nothing that looks like an error.

Every test runs small notebooks written here (plus the thread notebooks that run on this branch, where named),
each in a scratch copy, with a short temp dir of its own so the kernels' socket folders can be counted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from conftest import REPO
from techduel.build import runner


RECORD = "from techduel import results\nresults.record('ran', 1)"


def tiny(path: Path, *cells: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x: int = 1  # a number (range: 0..30)", metadata={"tags": ["parameters"]}),
        *(nbformat.v4.new_code_cell(c) for c in cells)])
    nb.metadata["kernelspec"] = {"name": "techduel", "display_name": "techduel", "language": "python"}
    nb.metadata["techduel"] = {"thread": "test", "title": path.stem, "question": "?"}
    nbformat.write(nb, path)


@pytest.fixture
def temp():
    """A short temp dir (socket paths are limited to 107 bytes) that the runner and its kernels use."""
    folder = Path(tempfile.mkdtemp(prefix="tdf", dir="/tmp"))
    yield folder
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _env(scratch: Path, temp: Path, **extra) -> dict:
    return dict(os.environ, TECHDUEL_ROOT=str(scratch), TECHDUEL_BUILD=str(scratch / "build"),
                TMPDIR=str(temp), **extra)


def techduel(*args, env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "techduel", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=REPO)


def marked(mark: str) -> list[int]:
    """Live processes (runner, workers, kernels) whose environment carries ``mark``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"TECHDUEL_TEST_MARK={mark}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                    state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":
                        found.append(int(entry.name))
            except OSError:
                pass
    return found


def wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def socket_folders(temp: Path) -> list[Path]:
    return sorted(temp.glob("techduel-*"))


# ---------------------------------------------------------------------------------- 2: the kernel's checkout


def _kernelspec(folder: Path, argv0: str, env: dict | None = None) -> Path:
    spec = folder / "kernels" / "techduel"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [argv0, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "other",
        "language": "python", **({"env": env} if env else {})}))
    return folder


@pytest.mark.parametrize("case", ["other package", "other interpreter"])
def test_a_kernel_of_another_checkout_is_refused_before_any_notebook_runs(scratch, temp, tmp_path, case):
    if case == "other package":  # same interpreter, but the kernel would import another checkout's lib/
        other = tmp_path / "other" / "lib" / "techduel"
        other.mkdir(parents=True)
        (other / "__init__.py").write_text("")
        jupyter = _kernelspec(tmp_path / "jupyter", sys.executable, {"PYTHONPATH": str(other.parent)})
    else:  # another environment's interpreter
        jupyter = _kernelspec(tmp_path / "jupyter", str(Path(sys.base_prefix) / "bin" / "python3"))
    done = techduel("run", "06_sanctions_timeline", "--no-site", "--no-robustness", "--jobs", "1",
                    env=_env(scratch, temp, JUPYTER_PATH=str(jupyter)))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "-m ipykernel install --sys-prefix --name techduel" in done.stderr
    assert str(jupyter / "kernels" / "techduel") in done.stderr  # which kernelspec is wrong
    assert "does not belong to this checkout" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (scratch / "build").exists()  # no notebook ran


def test_the_kernel_check_accepts_this_checkout_and_is_made_once(monkeypatch):
    calls = []
    real = subprocess.run
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a) or real(*a, **k))
    runner._kernel_checked.clear()
    runner.require_kernel()
    runner.require_kernel()
    assert len(calls) == 1


# ------------------------------------------------------------------------------ 10: a runner killed with -9


def test_killing_the_runner_stops_its_workers_and_kernels_and_the_next_run_cleans_up(scratch, temp):
    flag = scratch / "started"
    tiny(scratch / "notebooks" / "15_slow.ipynb",
         f"import pathlib, time\npathlib.Path({str(flag)!r}).touch()\ntime.sleep(4)")
    tiny(scratch / "notebooks" / "16_next.ipynb", RECORD)
    mark = uuid.uuid4().hex
    env = _env(scratch, temp, TECHDUEL_TEST_MARK=mark)
    proc = subprocess.Popen([sys.executable, "-m", "techduel", "run", "15_slow", "16_next", "--no-site", "--no-robustness",
                             "--jobs", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(flag.exists, 60), "15_slow never started"
        assert len(marked(mark)) >= 3  # runner, worker, kernel
        proc.kill()
        proc.wait(timeout=10)
        assert wait_until(lambda: not marked(mark), 10), f"alive after the runner died: {marked(mark)}"
        time.sleep(5)  # long enough for 15_slow to have finished and 16_next to have run, had they gone on
        notebooks = scratch / "build" / "notebooks"
        assert not (notebooks / "15_slow.ipynb").exists() and not (notebooks / "16_next.ipynb").exists()
    finally:
        for pid in marked(mark):
            os.kill(pid, signal.SIGKILL)
    left = socket_folders(temp)
    again = techduel("run", "16_next", "--no-site", "--no-robustness", "--jobs", "1", env=env)
    assert again.returncode == 0, again.stderr
    assert not [p for p in left if p.exists()]  # what the killed run left in the temp dir is gone
    assert socket_folders(temp) == []  # and the normal run removed its own
    assert not (scratch / ".build-tmp").exists() or list((scratch / ".build-tmp").iterdir()) == []


def test_an_interrupted_run_removes_its_socket_folders(scratch, temp):
    flag = scratch / "started"
    tiny(scratch / "notebooks" / "15_slow.ipynb",
         f"import pathlib, time\npathlib.Path({str(flag)!r}).touch()\ntime.sleep(30)")
    proc = subprocess.Popen([sys.executable, "-m", "techduel", "run", "15_slow", "--no-site", "--no-robustness", "--jobs", "1"],
                            env=_env(scratch, temp), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        assert wait_until(flag.exists, 60)
        assert socket_folders(temp)
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    assert socket_folders(temp) == []


# ---------------------------------------------------------------------------------- 11: a worker killed


def test_a_killed_worker_fails_only_its_notebook_and_the_run_goes_on(scratch, temp):
    # the kernel's manager is the worker (JPY_PARENT_PID: its parent, or the zygote's client when the zygote
    # forked the kernel): SIGKILL it, as the out-of-memory killer would
    tiny(scratch / "notebooks" / "15_victim.ipynb",
         "import os, signal, time\nos.kill(int(os.environ['JPY_PARENT_PID']), signal.SIGKILL)\ntime.sleep(10)")
    for stem in ("16_a", "17_b", "18_c"):
        tiny(scratch / "notebooks" / f"{stem}.ipynb", RECORD)
    done = techduel("run", "15_victim", "16_a", "17_b", "18_c", "00_overview", "--no-site", "--no-robustness", "--jobs", "2",
                    env=_env(scratch, temp))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    rows = {ln.split()[0]: ln.split()[1] for ln in done.stdout.splitlines()  # the closing table's rows
            if ln[:2].isdigit() and not ln.split()[0].endswith(":")}
    assert rows == {"15_victim": "failed", "16_a": "ok", "17_b": "ok", "18_c": "ok", "00_overview": "ok"}
    assert "FAILED 15_victim" in done.stderr and "SIGKILL" in done.stderr
    assert "15_victim.failed.ipynb" not in done.stderr  # no executed copy exists; the report claims none
    results = json.loads((scratch / "build" / "results.json").read_text())  # collect ran
    assert {"16_a", "17_b", "18_c", "00_overview"} <= set(results)
    assert socket_folders(temp) == []


# ---------------------------------------------------------------------------------------- 12: time limits


def test_a_cell_that_never_returns_is_stopped_reported_and_kept(scratch, temp):
    tiny(scratch / "notebooks" / "15_hang.ipynb", "y = 2",
         "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(1)")
    tiny(scratch / "notebooks" / "16_fine.ipynb", RECORD)
    mark = uuid.uuid4().hex
    start = time.monotonic()
    done = techduel("run", "15_hang", "16_fine", "--no-site", "--no-robustness", "--jobs", "2", "--cell-timeout", "3",
                    env=_env(scratch, temp, TECHDUEL_TEST_MARK=mark), timeout=120)
    assert time.monotonic() - start < 60
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED 15_hang: cell 3 (id " in done.stderr
    assert "did not finish within 3 s (the cell time limit, --cell-timeout)" in done.stderr
    kept = scratch / "build" / "notebooks" / "15_hang.failed.ipynb"
    cell = [c for c in nbformat.read(kept, as_version=4).cells if c.get("outputs")][-1]
    assert cell.outputs[-1].output_type == "error" and "--cell-timeout" in cell.outputs[-1].evalue
    assert (scratch / "build" / "notebooks" / "16_fine.ipynb").exists()
    assert wait_until(lambda: not marked(mark), 10)  # the kernel stuck in its cell was stopped


def test_a_notebook_over_its_time_limit_is_stopped_at_the_cell_it_reached(scratch, temp):
    tiny(scratch / "notebooks" / "15_long.ipynb", "import time\ntime.sleep(2)", "time.sleep(2)",
         "time.sleep(2)")
    done = techduel("run", "15_long", "--no-site", "--no-robustness", "--jobs", "1", "--notebook-timeout", "3",
                    env=_env(scratch, temp), timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED 15_long: cell 3 (id " in done.stderr
    assert "(the notebook time limit, --notebook-timeout)" in done.stderr
    assert (scratch / "build" / "notebooks" / "15_long.failed.ipynb").exists()


def test_a_robustness_pass_keeps_the_time_limit_it_is_given(scratch, temp):
    """A pass's runs are the runner's jobs: a run that hangs is stopped at ``--cell-timeout`` and reported, as in
    ``run`` (the pass took no time limit of its own before, and a hanging run waited for the default 1200 s)."""
    tiny(scratch / "notebooks" / "15_hang.ipynb", "y = 2",
         "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(1)")
    start = time.monotonic()
    done = techduel("robustness", "15_hang", "--jobs", "1", "--cell-timeout", "3", env=_env(scratch, temp),
                    timeout=120)
    assert time.monotonic() - start < 60
    assert done.returncode == 1, done.stdout + done.stderr
    assert "did not finish within 3 s (the cell time limit, --cell-timeout)" in done.stderr


@pytest.mark.parametrize("option", ["--cell-timeout", "--notebook-timeout"])
def test_a_time_limit_must_be_positive(scratch, temp, option):
    done = techduel("run", "06_sanctions_timeline", option, "0", env=_env(scratch, temp))
    assert done.returncode == 2 and f"{option} must be more than 0 seconds" in done.stderr


# ------------------------------------------------------------------------------ 19: a clean normal run


def test_shutting_a_kernel_down_sends_it_no_interrupt(scratch, tmp_path, monkeypatch):
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    sent = []
    real = LocalProvisioner.send_signal

    async def spy(self, signum):
        sent.append(signum)
        return await real(self, signum)

    monkeypatch.setattr(LocalProvisioner, "send_signal", spy)
    tiny(scratch / "notebooks" / "15_t.ipynb", "y = x + 1")
    (nb,) = [n for n in runner.discover() if n.stem == "15_t"]
    job = runner.Job(nb, {}, tmp_path / "15_t.ipynb", tmp_path)
    runner.papermill_engine(job, tmp_path / "out.ipynb", None)
    assert signal.SIGINT not in sent


def test_a_successful_run_prints_nothing_that_looks_like_an_error(scratch, temp):
    for stem in ("15_a", "16_b", "17_c"):
        tiny(scratch / "notebooks" / f"{stem}.ipynb", RECORD)
    done = techduel("run", "15_a", "16_b", "17_c", "00_overview", "--no-site", "--no-robustness", "--jobs", "2",
                    env=_env(scratch, temp))
    assert done.returncode == 0, done.stderr
    for word in ("ERROR", "KeyboardInterrupt", "Traceback", "Warning"):
        assert word not in done.stdout + done.stderr, done.stdout + done.stderr


def _hanging_engine(job, into, gate):
    """Stands in for a worker stuck outside any cell (kernel start, a lost reply), where nbclient's limit
    does not reach."""
    time.sleep(120)


def test_a_worker_stuck_past_the_notebook_limit_is_stopped_by_the_runner(scratch, tmp_path):
    tiny(scratch / "notebooks" / "15_stuck.ipynb", "pass")
    (nb,) = [n for n in runner.discover() if n.stem == "15_stuck"]
    job = runner.Job(nb, {}, tmp_path / "out" / "15_stuck.ipynb", tmp_path / "out")
    start = time.monotonic()
    (outcome,) = runner.run_stages([[job]], jobs=1, echo=lambda *_: None, engine=_hanging_engine,
                                   limits=runner.Limits(cell=1, notebook=2))
    assert time.monotonic() - start < 30
    assert outcome.status == "failed" and "--notebook-timeout" in outcome.error and not outcome.kept
    assert not job.output.exists()
