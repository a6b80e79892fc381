"""Benchmark of the runner against the naive way, recorded rather than asserted (timings vary by machine).

Runs, on a scratch copy of data/ and notebooks/ (the working tree is never touched):
(a) naive: the ``papermill`` command once per notebook, one after the other;
(b) cold: ``python -m techduel run --no-site`` with no cache;
(c) warm: the same again, nothing changed;
(d) one change: the same after editing one data file that a single thread reads.
Prints a table (wall and CPU seconds, peak memory of the largest kernel, ratio to the naive run) and
writes ``build/bench.json``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import files, paths, runner

CHANGED_FILE = "data/sanctions/counts.csv"  # read by 06_sanctions_timeline only


class KernelMemory:
    """Samples the resident memory of every kernel below this process; keeps the largest seen."""

    def __init__(self, interval: float = 0.05):
        import psutil

        self._psutil, self.interval, self.peak = psutil, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = self._psutil.Process()
        while not self._stop.is_set():
            for proc in me.children(recursive=True):
                try:
                    if "ipykernel_launcher" in " ".join(proc.cmdline()):
                        self.peak = max(self.peak, proc.memory_info().rss)
                except self._psutil.Error:
                    pass
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(label: str, commands: list[list[str]], env: dict) -> dict:
    cpu0, t0 = _cpu(), time.perf_counter()
    out = []
    with KernelMemory() as mem:
        for cmd in commands:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"{label}: {' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
            out.append(done.stdout)
    return {"wall_s": time.perf_counter() - t0, "cpu_s": _cpu() - cpu0, "peak_kernel_mib": mem.peak / 2**20,
            "stdout": "".join(out)}


def _table_rows(stdout: str) -> dict[str, tuple[float, str]]:
    """notebook -> (seconds, cache) from the runner's closing table."""
    rows = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\d\d_\S+)\s+(ok|failed)\s+([\d.]+)\s+(hit|miss|off)$", line.strip())
        if m:
            rows[m.group(1)] = (float(m.group(3)), m.group(4))
    return rows


def main() -> int:
    root = paths.root()
    work = paths.build_dir() / "bench"
    shutil.rmtree(work, ignore_errors=True)
    copy = work / "root"
    shutil.copytree(root / "data", copy / "data")
    shutil.copytree(root / "notebooks", copy / "notebooks")
    shutil.copy2(root / "requirements.lock", copy / "requirements.lock")
    env = dict(os.environ, TECHDUEL_ROOT=str(copy), TECHDUEL_BUILD=str(copy / "build"))
    env.pop("TECHDUEL_TRACE", None)
    bindir = Path(sys.executable).parent
    notebooks = runner.select([])

    naive_out = work / "naive"
    naive_out.mkdir(parents=True)
    naive_cmds = []
    for nb in notebooks:
        cmd = [str(bindir / "papermill"), "-k", runner.KERNEL, "--cwd", str(copy / "notebooks"),
               str(copy / "notebooks" / nb.path.name), str(naive_out / nb.path.name)]
        if nb.is_overview:
            cmd += ["-p", "notebooks_dir", str(naive_out)]
        naive_cmds.append(cmd)
    run_cmd = [sys.executable, "-m", "techduel", "run", "--no-site", "--no-robustness"]  # the runner alone, as the naive loop

    print("benchmark: naive papermill loop, then the runner cold, warm and after one data change ...")
    naive = _timed("naive", naive_cmds, env)
    cold = _timed("cold", [run_cmd], env)
    warm = _timed("warm", [run_cmd], env)
    changed = copy / CHANGED_FILE
    changed.write_text(changed.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # a blank line: same data
    one = _timed("one_changed", [run_cmd], env)

    cold_rows, one_rows = _table_rows(cold["stdout"]), _table_rows(one["stdout"])
    report = {
        "naive_s": round(naive["wall_s"], 2), "cold_s": round(cold["wall_s"], 2),
        "warm_s": round(warm["wall_s"], 3), "one_changed_s": round(one["wall_s"], 2),
        "one_changed_rerun": sorted(n for n, (_, c) in one_rows.items() if c == "miss"),
        "peak_kernel_mib": round(max(naive["peak_kernel_mib"], cold["peak_kernel_mib"]), 1),
        "cpu_s": {k: round(v["cpu_s"], 2) for k, v in
                  {"naive": naive, "cold": cold, "warm": warm, "one_changed": one}.items()},
        "cold_notebook_s": {n: s for n, (s, _) in cold_rows.items()},
        "changed_file": CHANGED_FILE,
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    rows = [("naive (papermill CLI, sequential)", naive), ("runner, cold", cold), ("runner, warm", warm),
            ("runner, one data file changed", one)]
    print(f"\n{'run':36} {'wall s':>8} {'CPU s':>8} {'kernel MiB':>11} {'x naive':>8}")
    for label, r in rows:
        print(f"{label:36} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} {r['peak_kernel_mib']:11.0f} "
              f"{r['wall_s'] / naive['wall_s']:8.3f}")
    print(f"\nwarm / cold = {warm['wall_s'] / cold['wall_s']:.3f}; after changing {CHANGED_FILE}, reran: "
          f"{', '.join(report['one_changed_rerun']) or 'nothing'}")
    print("each notebook's own time in the cold run: "
          + ", ".join(f"{n} {s:.1f} s" for n, s in report["cold_notebook_s"].items()))
    out = files.write_atomic(paths.build_dir() / "bench.json", json.dumps(report, indent=2))
    print(f"wrote {out}")
    return 0
