"""Verdicts-only runs without a kernel (``techduel.build.direct``) against the same runs on a kernel: the same
recorded verdicts and results, byte for byte, for a sample of parameter sets of every notebook with
assumptions; the same failure, named the same way, when a cell raises; a cell over its time limit stopped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import tiny
from techduel import outputs
from techduel.build import robustness, runner

WITH_ASSUMPTIONS = ["01_deepseek_training_cost", "02_deepseek_on_small_hardware", "03_huawei_vertical_integration",
                    "04_east_data_west_computing", "07_industrial_leadership", "08_quotes_and_provenance"]


def sample() -> list[tuple[str, dict]]:
    """Per notebook: the defaults, one assumption at one end of its range, and the last run of its plan (a corner
    where there are two ranged assumptions): the runs of a robustness pass that move most."""
    out = []
    for nb in runner.select(WITH_ASSUMPTIONS):
        runs, _ = robustness.plan(nb.parameters(), 3)
        picked = [runs[0], runs[1], runs[-1]]
        out += [(nb.stem, overrides) for _, _, overrides in picked]
    return list(dict((json.dumps(s, sort_keys=True), s) for s in out).values())


def run_all(out: Path, runs: list[tuple[str, dict]]) -> dict[str, runner.Outcome]:
    by_stem = {nb.stem: nb for nb in runner.select([])}
    jobs = [runner.Job(by_stem[stem], p, out / f"{i}.ipynb", out / "failed", label=str(i), mode="verdicts")
            for i, (stem, p) in enumerate(runs)]
    return {o.notebook: o for o in runner.run_stages([jobs], jobs=2, force=True, echo=lambda *a: None)}


def recorded(path: Path) -> str:
    return json.dumps({"verdicts": outputs.read(path, outputs.VERDICT), "results": outputs.read(path, outputs.RESULT)},
                      sort_keys=True, ensure_ascii=False)


def test_direct_runs_record_what_kernel_runs_record_byte_for_byte(tmp_path, monkeypatch):
    runs = sample()
    assert len(runs) >= 2 * len(WITH_ASSUMPTIONS)
    direct = run_all(tmp_path / "direct", runs)
    monkeypatch.setenv("TECHDUEL_DIRECT", "0")
    kernel = run_all(tmp_path / "kernel", runs)
    for i, (stem, p) in enumerate(runs):
        a, b = direct[str(i)], kernel[str(i)]
        assert a.status == b.status == "ok", (stem, p, a.error, b.error)
        one, two = (tmp_path / way / f"{i}.ipynb" for way in ("direct", "kernel"))
        assert json.loads(recorded(one))["verdicts"], f"{stem}: nothing recorded, so nothing was compared"
        assert recorded(one) == recorded(two), f"{stem} {p}: the recorded verdicts or results differ"
        assert a.reads == b.reads, f"{stem} {p}: the runs read different files"


ASSUMED = "x: int = 1  # a number (range: 0..3) (role: assumption)"


def run_one(scratch: Path, stem: str, body: str, parameters: dict | None = None, mode: str = "verdicts",
            limits: runner.Limits | None = None, name: str = "run") -> tuple[runner.Job, runner.Outcome]:
    """A scratch notebook (one assumption, then ``body``) run once; its job and outcome."""
    path = scratch / "notebooks" / f"{stem}.ipynb"
    if not path.exists():
        tiny(path, body, param=ASSUMED)
    nb, = runner.select([stem])
    job = runner.Job(nb, parameters or {}, scratch / "build" / f"{name}.ipynb", scratch / "build" / f"failed-{name}",
                     mode=mode)
    outcome, = runner.run_stages([[job]], jobs=1, force=True, echo=lambda *a: None, limits=limits)
    return job, outcome


def test_a_direct_run_goes_without_a_kernel(scratch):
    """What the sample above compares is really a run without a kernel: no ipykernel in the process."""
    body = ("from techduel import results\n"
            "results.record('kernel', 'ipykernel' in type(get_ipython()).__module__)")
    for mode, expected in (("verdicts", False), ("full", True)):
        job, outcome = run_one(scratch, "12_where", body, mode=mode, name=mode)
        assert outcome.status == "ok", outcome.error
        assert outputs.read(job.output, outputs.RESULT)[0]["value"] is expected, mode


@pytest.mark.parametrize("direct", ["1", "0"])
def test_a_failing_cell_is_named_the_same_way_with_or_without_a_kernel(scratch, monkeypatch, direct):
    monkeypatch.setenv("TECHDUEL_DIRECT", direct)
    job, outcome = run_one(scratch, "13_fails", "y = 1\nprint('before')\n1 / 0", {"x": 2})
    assert outcome.status == "failed" and not job.output.exists()
    assert outcome.error.startswith("cell 2 (id ") and outcome.error.endswith(
        "raised ZeroDivisionError: division by zero"), outcome.error
    kept = json.loads(Path(outcome.kept).read_text(encoding="utf-8"))
    errors = [o for c in kept["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["ZeroDivisionError"] and errors[0]["traceback"]


def test_a_direct_run_over_its_cell_time_limit_is_stopped_and_says_so(scratch):
    _, outcome = run_one(scratch, "14_slow", "import time\ntime.sleep(60)",
                         limits=runner.Limits(cell=1.0, notebook=30.0))
    assert outcome.status == "failed" and outcome.seconds < 20, outcome
    assert "did not finish within 1 s (the cell time limit, --cell-timeout); the run was stopped" in outcome.error


BODIES = {  # what the kernel path does with each, the direct path must do too
    "a display that cannot be formatted": "class Bad:\n    def _repr_html_(self):\n        raise ValueError('bad repr')\n"
                                          "Bad()",
    "sys.exit(0), which papermill lets pass": "from techduel import results\nresults.record('a', 1)\n"
                                              "import sys\nsys.exit(0)",
    "a traceback shown and caught": "import traceback\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n"
                                    "    get_ipython().showtraceback()",
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_the_direct_path_fails_and_passes_what_the_kernel_path_does(scratch, monkeypatch, body):
    seen = {}
    for direct in ("1", "0"):
        monkeypatch.setenv("TECHDUEL_DIRECT", direct)
        job, outcome = run_one(scratch, "15_same", body, name=direct)
        copy = job.output if outcome.status == "ok" else Path(outcome.kept)
        errors = [o["ename"] for c in json.loads(copy.read_text())["cells"] for o in c.get("outputs", [])
                  if o["output_type"] == "error"]
        seen[direct] = (outcome.status, outcome.error.split(" (id ")[0], errors, recorded(copy))
    assert seen["1"] == seen["0"], seen


def test_a_cell_that_catches_exceptions_is_still_stopped_at_its_time_limit(scratch):
    _, outcome = run_one(scratch, "16_stubborn",
                         "import time\ntry:\n    time.sleep(30)\nexcept Exception:\n    pass\ntime.sleep(30)",
                         limits=runner.Limits(cell=1.0, notebook=120.0))
    assert outcome.status == "failed" and outcome.seconds < 20, outcome
    assert "raised TimeoutError: this cell did not finish within 1 s (the cell time limit" in outcome.error
    assert "the run was stopped" in outcome.error  # the direct path's words: it was not a kernel that ran it


def test_the_notebook_time_limit_names_the_cell_it_stopped(scratch):
    _, outcome = run_one(scratch, "17_long", "import time\ntime.sleep(60)",
                         limits=runner.Limits(cell=60.0, notebook=1.0))
    assert outcome.status == "failed" and outcome.seconds < 20, outcome
    assert outcome.error.startswith("cell 2 (id ") and "(the notebook time limit, --notebook-timeout)" in outcome.error
