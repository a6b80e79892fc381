"""The runner at full strength, as a user meets it: cache, parallel kernels, sweeps, no network,
interruption, and bad input refused before any kernel starts."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import cli, tiny




def table(stdout: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0][:2].isdigit() and parts[3] in ("hit", "miss", "off"):
            rows[parts[0]] = (parts[1], parts[3])
    return rows


def test_cache_skips_what_did_not_change_and_reruns_what_did(scratch):
    run = ("run", "06_sanctions_timeline", "00_overview", "--no-site", "--no-robustness")
    first = cli(*run, env_root=scratch)
    assert first.returncode == 0, first.stderr
    assert table(first.stdout) == {"06_sanctions_timeline": ("ok", "miss"), "00_overview": ("ok", "miss")}
    assert "notebook" in first.stdout and "seconds" in first.stdout  # the closing table

    assert set(table(cli(*run, env_root=scratch).stdout).values()) == {("ok", "hit")}

    counts = scratch / "data" / "sanctions" / "counts.csv"
    os.utime(counts, (1, 1))  # a touch is not a change
    assert set(table(cli(*run, env_root=scratch).stdout).values()) == {("ok", "hit")}

    counts.write_text(counts.read_text() + "\n")  # same table, different bytes: 06 reruns
    rows = table(cli(*run, env_root=scratch).stdout)
    assert rows["06_sanctions_timeline"] == ("ok", "miss")
    assert rows["00_overview"] == ("ok", "hit")  # 06's output came out byte-identical

    events = scratch / "data" / "sanctions" / "events.csv"
    events.write_text(events.read_text().replace("List 3 duty raised from 10% to 25%", "List 3 duty went to 25%"))
    rows = table(cli(*run, env_root=scratch).stdout)
    assert rows == {"06_sanctions_timeline": ("ok", "miss"), "00_overview": ("ok", "miss")}  # result changed

    forced = table(cli(*run, "--force", env_root=scratch).stdout)
    assert set(forced.values()) == {("ok", "off")}


def test_parameter_change_reruns_and_is_cached_separately(scratch):
    a = cli("run", "06_sanctions_timeline", "--no-site", "-p", "start=2020-01-01", env_root=scratch)
    b = cli("run", "06_sanctions_timeline", "--no-site", "-p", "start=2020-01-01", env_root=scratch)
    c = cli("run", "06_sanctions_timeline", "--no-site", "-p", "start=2021-01-01", env_root=scratch)
    assert [table(x.stdout)["06_sanctions_timeline"][1] for x in (a, b, c)] == ["miss", "hit", "miss"]


def test_independent_notebooks_run_at_the_same_time(scratch):
    body = ("import time\nfrom techduel import results\nt0 = time.time()\ntime.sleep(2)\n"
            "results.record('t0', t0)\nresults.record('t1', time.time())")
    tiny(scratch / "notebooks" / "11_a.ipynb", body)
    tiny(scratch / "notebooks" / "12_b.ipynb", body)
    done = cli("run", "11_a", "12_b", "--no-site", "--no-robustness", "--jobs", "2", env_root=scratch)
    assert done.returncode == 0, done.stderr
    res = json.loads((scratch / "build" / "results.json").read_text())
    a, b = res["11_a"], res["12_b"]
    assert a["t0"]["value"] < b["t1"]["value"] and b["t0"]["value"] < a["t1"]["value"]  # the runs overlap


def test_twenty_kernels_started_together_all_succeed(scratch):
    tiny(scratch / "notebooks" / "13_tiny.ipynb", "from techduel import results\nresults.record('double', x * 2)")
    values = ",".join(str(i) for i in range(20))
    done = cli("sweep", "13_tiny", f"x={values}", "--jobs", "20", env_root=scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = list(csv.DictReader(open(scratch / "build" / "sweeps" / "13_tiny" / "x.csv")))
    assert [(r["status"], int(r["x"]) * 2) for r in rows] == [("ok", int(r["double"])) for r in rows]
    assert len(rows) == 20
    assert len(list((scratch / "build" / "sweeps" / "13_tiny" / "runs").glob("*.ipynb"))) == 20


def test_sweep_on_a_real_thread(scratch):
    done = cli("sweep", "06_sanctions_timeline", "start=2016-01-01,2020-01-01",
               "kinds=tariff+tariff_relief,entity_list", env_root=scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    base = scratch / "build" / "sweeps" / "06_sanctions_timeline"
    rows = list(csv.DictReader(open(base / "start__kinds.csv")))
    assert len(rows) == 4 and {r["status"] for r in rows} == {"ok"}
    shown = {(r["start"], r["kinds"]): int(r["measures_shown"]) for r in rows}
    assert shown[("2016-01-01", "tariff+tariff_relief")] > shown[("2020-01-01", "tariff+tariff_relief")]
    assert (base / "start__kinds__measures_shown.png").read_bytes()[:4] == b"\x89PNG"
    assert len(list((base / "runs").glob("*.ipynb"))) == 4


@pytest.mark.parametrize("args, message", [
    (["sweep", "06_sanctions_timeline"], "needs at least one name=v1,v2"),
    (["sweep", "06_sanctions_timeline", "price=1,2"], "has no parameter 'price'"),
    (["sweep", "06_sanctions_timeline", "start=2020-01-01,soon"], "'soon' is not a date"),
    (["run", "06_sanctions_timeline", "--jobs", "0"], "--jobs must be at least 1"),
])
def test_bad_sweep_or_jobs_exits_2_before_any_kernel(scratch, args, message):
    done = cli(*args, env_root=scratch)
    assert done.returncode == 2 and message in done.stderr
    assert not (scratch / "build").exists()


def test_value_outside_the_declared_range_exits_2(scratch):
    tiny(scratch / "notebooks" / "14_ranged.ipynb", "pass")
    done = cli("run", "14_ranged", "-p", "x=99", env_root=scratch)
    assert done.returncode == 2 and "parameter 'x': 99 is outside 0.0..30.0" in done.stderr
    assert not (scratch / "build").exists()


def test_runs_with_the_network_refused(scratch, tmp_path):
    """Every socket other than a Unix one is refused, in the runner and in its kernels."""
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(
        "import socket\n"
        "_orig = socket.socket.connect\n"
        "def _refuse(self, address):\n"
        "    if self.family != socket.AF_UNIX:\n"
        "        raise OSError('network refused by the test')\n"
        "    return _orig(self, address)\n"
        "socket.socket.connect = _refuse\n"
        "socket.socket.connect_ex = lambda self, a: 111 if self.family != socket.AF_UNIX else 0\n"
        "socket.create_connection = lambda *a, **k: (_ for _ in ()).throw(OSError('network refused'))\n")
    env = dict(os.environ, PYTHONPATH=str(guard), TECHDUEL_ROOT=str(scratch), TECHDUEL_BUILD=str(scratch / "build"))
    probe = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 9))"],
                           env=env, capture_output=True, text=True)
    assert "network refused" in probe.stderr  # the guard is active
    done = subprocess.run([sys.executable, "-m", "techduel", "run"], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (scratch / "build" / "site" / "index.html").exists()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _complete_files_only(build):
    for path in build.rglob("*"):
        assert "tmp" not in path.name and "partial" not in path.name, path
        if path.suffix in (".ipynb", ".json", ".jsonld"):
            json.loads(path.read_text())  # every file that is there is whole


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_run_leaves_no_half_written_file(scratch, sig):
    tiny(scratch / "notebooks" / "15_slow.ipynb", "import time\ntime.sleep(30)")
    env = dict(os.environ, TECHDUEL_ROOT=str(scratch), TECHDUEL_BUILD=str(scratch / "build"))
    proc = subprocess.Popen([sys.executable, "-m", "techduel", "run", "--no-robustness", "--jobs", "2"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and not (scratch / "build" / "notebooks" / "06_sanctions_timeline.ipynb").exists():
        time.sleep(0.2)
    time.sleep(1.0)  # 15_slow is mid-run now
    if sig == signal.SIGINT:
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole group
    else:
        proc.kill()
    proc.wait(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == 130
    _complete_files_only(scratch / "build")
    assert not (scratch / "build" / "notebooks" / "15_slow.ipynb").exists()
    if sig == signal.SIGKILL:  # its workers die with it (see test_runner_faults for the kernels)
        deadline = time.time() + 10
        while time.time() < deadline and _group_alive(proc.pid):
            time.sleep(0.2)
        assert not _group_alive(proc.pid), "the killed runner's workers are still running"
    (scratch / "notebooks" / "15_slow.ipynb").unlink()
    again = cli("run", "--no-site", "--no-robustness", env_root=scratch)
    assert again.returncode == 0, again.stderr
    leftovers = [p for p in (scratch / ".build-tmp").iterdir()] if (scratch / ".build-tmp").exists() else []
    assert leftovers == []  # what the killed run left in the scratch folder is gone

