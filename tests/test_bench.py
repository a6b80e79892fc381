"""The bench's bookkeeping: where the time went, read from the runner's own lines, and each target's verdict."""

from __future__ import annotations

from techduel.build import bench

OUT = """robustness of 01_a: 2 assumption(s)
  start  01_a/defaults
  ok     01_a/defaults (3.5 s, cache miss)
  ok     01_a/x=1-abc (0.0 s, cache hit)
  failed 01_a/x=2-def (1.5 s, cache miss)  cell 3 raised ValueError: no
  ok     02_b (2.0 s, cache off)
notebook  status  seconds  cache
02_b      ok          2.0  off
"""


def test_breakdown_counts_executions_hits_and_failures_per_notebook():
    got = bench.breakdown(OUT)
    assert got == {"executions": 3, "cache_hits": 1, "failed": 1, "execution_s": 7.0,
                   "executions_by_notebook": {"01_a": 2, "02_b": 1}}
    assert bench.breakdown("nothing ran\n")["executions"] == 0


def phase(wall, mib=100.0):
    return {"wall_s": wall, "peak_kernel_mib": mib}


def test_targets_say_which_are_met():
    phases = {"naive": phase(40.0), "cold": phase(10.0, 500.0), "robustness_cold": phase(31.0, 1100.0),
              "warm_run": phase(0.4, 0.0), "warm_robustness": phase(1.2, 0.0)}
    got = bench.targets(phases)
    assert {k: v["met"] for k, v in got.items()} == {
        "cold_over_naive": True, "robustness_over_cold": False, "warm_run_s": True, "warm_robustness_s": False,
        "largest_kernel_mib": False}
    assert got["cold_over_naive"]["value"] == 0.25 and got["robustness_over_cold"]["value"] == 3.1
    assert got["largest_kernel_mib"]["value"] == 1100.0


def test_kernels_are_told_from_the_runner_and_its_workers():
    assert bench._is_kernel(["/x/python", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "k.json"])
    assert not bench._is_kernel(["/x/python", "-m", "techduel", "robustness", "--jobs", "2"])
