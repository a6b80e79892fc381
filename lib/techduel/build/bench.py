"""Benchmark of the runner against the naive way, and of issue 15's targets, side by side in one run.
Recorded rather than asserted (timings vary by machine), but each target is written with whether it is met.

Runs, each command a subprocess on a scratch copy of data/, notebooks/ and lib/ (the copy's lib first on
``PYTHONPATH``, for the commands and their kernels: the working tree is never touched, and an edit to it while
the bench runs changes nothing the bench measures):
(a) naive: the ``papermill`` command once per notebook, one after the other;
(b) cold: ``python -m techduel run --no-site`` with no cache;
(c) warm: the same again, nothing changed;
(d) one change: the same after editing one data file that a single thread reads;
(e) robustness, cold: ``python -m techduel robustness`` (every thread notebook, default ``--points``) on an
    empty build (nothing cached);
then ``python -m techduel run`` once on that build, so that everything a reader runs is there, and
(f) warm, nothing changed: ``python -m techduel robustness`` and ``python -m techduel run`` (site included),
    each of which must only confirm that everything is current.
For each: wall and CPU seconds, the largest kernel's memory, and where the time goes (notebook executions,
cache hits, kernel CPU). Prints a table and writes ``build/bench.json``.
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

from . import files
from .. import paths

CHANGED_FILE = "data/sanctions/counts.csv"  # read by 06_sanctions_timeline only
RUN = ["run", "--no-site", "--no-robustness"]  # the notebooks alone, as the naive loop runs them: (b)-(d)
TIMEOUT = 4 * 3600  # seconds for any one command; a hung run fails the bench instead of hanging it

# name -> (what is measured, limit); every one is "at most"
TARGETS = {
    "cold_over_naive": ("runner cold / naive papermill loop (wall)", 0.25),
    "robustness_over_cold": ("robustness pass cold / runner cold (wall)", 3.0),
    "warm_run_s": ("`run`, warm, nothing changed (wall s)", 1.0),
    "warm_robustness_s": ("`robustness`, warm, nothing changed (wall s)", 1.0),
    "largest_kernel_mib": ("largest kernel of any phase (MiB)", 1024.0),
}


def _is_kernel(cmdline: list[str]) -> bool:
    """A Jupyter kernel: ipykernel's launcher, or a kernel the runner forks from a pre-started one."""
    text = " ".join(cmdline)
    return "ipykernel" in text or "techduel.build.kernels" in text


class KernelMemory:
    """Samples every process below this one: the largest resident memory of a kernel and of any process,
    how many kernels started, and the CPU seconds they used (each kernel's last sample: a kernel that ends
    between two samples loses at most one interval)."""

    def __init__(self, interval: float = 0.05):
        import psutil

        self._psutil, self.interval = psutil, interval
        self.peak = self.peak_any = 0
        self.kernel_cpu: dict[tuple[int, float], float] = {}  # (pid, start time) -> CPU seconds
        self._kind: dict[tuple[int, float], bool] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = self._psutil.Process()
        while not self._stop.is_set():
            for proc in me.children(recursive=True):
                try:
                    ident = (proc.pid, proc.create_time())
                    if ident not in self._kind:
                        self._kind[ident] = _is_kernel(proc.cmdline())
                    with proc.oneshot():
                        rss, cpu = proc.memory_info().rss, proc.cpu_times()
                    self.peak_any = max(self.peak_any, rss)
                    if self._kind[ident]:
                        self.peak = max(self.peak, rss)
                        self.kernel_cpu[ident] = cpu.user + cpu.system
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
    out, error = [], ""
    with KernelMemory() as mem:
        for cmd in commands:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
            out.append(done.stdout)
            if done.returncode != 0:  # recorded, and the bench goes on: one failure does not lose the rest
                error = f"{' '.join(cmd[-2:])} exited {done.returncode}: {done.stderr.strip()[-2000:]}"
                print(f"{label}: {error}", file=sys.stderr)
                break
    stdout = "".join(out)
    return {"error": error, "wall_s": time.perf_counter() - t0, "cpu_s": _cpu() - cpu0,
            "peak_kernel_mib": mem.peak / 2**20,
            "peak_process_mib": mem.peak_any / 2**20, "kernels": len(mem.kernel_cpu),
            "kernel_cpu_s": sum(mem.kernel_cpu.values()), "stdout": stdout, **breakdown(stdout)}


_ECHO = re.compile(r"^\s*(ok|failed)\s+(\S+) \(([\d.]+) s, cache (hit|miss|off)\)")


def breakdown(stdout: str) -> dict:
    """Where a command's time went, from the runner's line per job (``ok  name (1.2 s, cache miss)``):
    executions (runs that were not cache hits), cache hits, failures, the seconds the executions took (their
    sum, across parallel workers) and the executions per notebook (a robustness run ``nb/run`` counts for nb)."""
    ran: dict[str, int] = {}
    hits = failed = 0
    seconds = 0.0
    for line in stdout.splitlines():
        m = _ECHO.match(line)
        if not m:
            continue
        status, name, secs, cache_ = m.groups()
        if cache_ == "hit":
            hits += 1
            continue
        stem = name.split("/")[0]
        ran[stem] = ran.get(stem, 0) + 1
        failed += status == "failed"
        seconds += float(secs)
    return {"executions": sum(ran.values()), "cache_hits": hits, "failed": failed,
            "execution_s": round(seconds, 2), "executions_by_notebook": dict(sorted(ran.items()))}


def targets(phases: dict[str, dict]) -> dict[str, dict]:
    """Each target's measured value, limit and whether it is met."""
    values = {
        "cold_over_naive": phases["cold"]["wall_s"] / phases["naive"]["wall_s"],
        "robustness_over_cold": phases["robustness_cold"]["wall_s"] / phases["cold"]["wall_s"],
        "warm_run_s": phases["warm_run"]["wall_s"],
        "warm_robustness_s": phases["warm_robustness"]["wall_s"],
        "largest_kernel_mib": max(p["peak_kernel_mib"] for p in phases.values()),
    }
    failed = [name for name, p in phases.items() if p.get("error")]
    return {name: {"what": what, "value": round(values[name], 3), "at_most": limit,
                   "met": values[name] <= limit and not failed} for name, (what, limit) in TARGETS.items()}


def _notebook_seconds(stdout: str) -> dict[str, float]:
    """notebook -> seconds of its execution in a run (not the cache hits)."""
    return {m.group(2): float(m.group(3)) for m in map(_ECHO.match, stdout.splitlines())
            if m and m.group(4) != "hit"}


def main() -> int:
    from . import cache, runner

    root = paths.root()
    work = paths.build_dir() / "bench"
    shutil.rmtree(work, ignore_errors=True)
    copy = work / "root"
    shutil.copytree(root / "data", copy / "data")
    shutil.copytree(root / "notebooks", copy / "notebooks")
    shutil.copy2(root / "requirements.lock", copy / "requirements.lock")
    package = cache.PACKAGE
    shutil.copytree(package, copy / "lib" / package.name, ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, TECHDUEL_ROOT=str(copy), TECHDUEL_BUILD=str(copy / "build"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(copy / "lib"), os.environ.get("PYTHONPATH")])))
    if "TECHDUEL_ARTICLE" not in env and paths.article_path().exists():
        env["TECHDUEL_ARTICLE"] = str(paths.article_path())  # the copy has no ../shared beside it
    env.pop("TECHDUEL_TRACE", None)
    notebooks = runner.select([])

    naive_out = work / "naive"
    naive_out.mkdir(parents=True)
    naive_cmds = []
    for nb in notebooks:
        # this interpreter, not the venv's papermill script: its shebang may name another checkout's Python
        cmd = [sys.executable, "-m", "papermill", "-k", runner.KERNEL, "--cwd", str(copy / "notebooks"),
               str(copy / "notebooks" / nb.path.name), str(naive_out / nb.path.name)]
        if nb.is_overview:
            cmd += ["-p", "notebooks_dir", str(naive_out)]
        naive_cmds.append(cmd)
    techduel = [sys.executable, "-m", "techduel"]

    print("benchmark: naive papermill loop; the runner cold, warm, after one data change; the robustness pass "
          "cold; then warm robustness and run ...")
    phases: dict[str, dict] = {}
    phases["naive"] = _timed("naive", naive_cmds, env)
    phases["cold"] = _timed("cold", [techduel + RUN], env)
    phases["warm"] = _timed("warm", [techduel + RUN], env)
    changed = copy / CHANGED_FILE
    changed.write_text(changed.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # a blank line: same data
    phases["one_changed"] = _timed("one_changed", [techduel + RUN], env)
    shutil.rmtree(copy / "build")  # the robustness pass starts from nothing cached
    phases["robustness_cold"] = _timed("robustness_cold", [techduel + ["robustness"]], env)
    phases["then_run"] = _timed("then_run", [techduel + ["run"]], env)
    phases["warm_robustness"] = _timed("warm_robustness", [techduel + ["robustness"]], env)
    phases["warm_run"] = _timed("warm_run", [techduel + ["run"]], env)

    naive = phases["naive"]["wall_s"]
    report = {
        "targets": targets(phases),
        "phases": {name: {k: (round(v, 3) if isinstance(v, float) else v) for k, v in p.items() if k != "stdout"}
                   for name, p in phases.items()},
        "naive_s": round(naive, 2), "cold_s": round(phases["cold"]["wall_s"], 2),
        "warm_s": round(phases["warm"]["wall_s"], 3), "one_changed_s": round(phases["one_changed"]["wall_s"], 2),
        "one_changed_rerun": sorted(_notebook_seconds(phases["one_changed"]["stdout"])),
        "peak_kernel_mib": round(max(p["peak_kernel_mib"] for p in phases.values()), 1),
        "cold_notebook_s": _notebook_seconds(phases["cold"]["stdout"]),
        "changed_file": CHANGED_FILE,
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_end": os.getloadavg()},
    }
    labels = {"naive": "(a) naive (papermill CLI, sequential)", "cold": "(b) runner, cold",
              "warm": "(c) runner, warm", "one_changed": "(d) runner, one data file changed",
              "robustness_cold": "(e) robustness pass, cold", "then_run": "    then run (site included)",
              "warm_robustness": "(f) robustness, warm", "warm_run": "(f) run, warm (site included)"}
    print(f"\n{'run':38} {'wall s':>8} {'CPU s':>8} {'kernel MiB':>10} {'x naive':>8} {'runs':>5} {'hits':>5} "
          f"{'kernel CPU s':>12}")
    for name, label in labels.items():
        r = phases[name]
        print(f"{label:38} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} {r['peak_kernel_mib']:10.0f} "
              f"{r['wall_s'] / naive:8.3f} {r['executions']:5d} {r['cache_hits']:5d} {r['kernel_cpu_s']:12.1f}")
    print("\ntargets:")
    for t in report["targets"].values():
        print(f"  {t['what']:46} {t['value']:10.3f}  (at most {t['at_most']:g}: {'met' if t['met'] else 'NOT met'})")
    for name in (n for n, p in phases.items() if p["error"]):
        print(f"  FAILED: {labels[name].strip()}: {phases[name]['error']} (no target is counted as met)")
    print(f"after changing {CHANGED_FILE}, reran: {', '.join(report['one_changed_rerun']) or 'nothing'}")
    print("each notebook's own time in the cold run: "
          + ", ".join(f"{n} {s:.1f} s" for n, s in report["cold_notebook_s"].items()))
    by_nb = phases["robustness_cold"]["executions_by_notebook"]
    print("robustness executions per notebook: " + ", ".join(f"{n} {c}" for n, c in by_nb.items()))
    out = files.write_atomic(paths.build_dir() / "bench.json", json.dumps(report, indent=2))
    print(f"wrote {out}")
    return 0
