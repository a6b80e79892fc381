"""Kernels forked from the zygote (``techduel.build.zygote``) against kernels started from scratch: the same
notebooks and parameters give the same executed copies, byte for byte; the zygote is really what served them;
no run sees what an earlier run did; a kernel whose manager is gone is killed."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import tiny
from techduel.build import runner, zygote

# A sample of parameter sets: defaults, assumptions moved, choices changed, and a robustness ("verdicts") run.
SAMPLE = [
    ("01_deepseek_training_cost", {}, "full"),
    ("01_deepseek_training_cost", {"rental_price": 6.0, "precision": "bf16"}, "full"),
    ("07_industrial_leadership", {"ev_definition": "bev_phev"}, "full"),
    ("08_quotes_and_provenance", {"min_reliability": "weak"}, "full"),
    ("04_east_data_west_computing", {"route_factor": 2.6}, "verdicts"),
]


def run_sample(out: Path, kernels: str) -> dict[str, runner.Outcome]:
    by_stem = {nb.stem: nb for nb in runner.select([])}
    jobs = [runner.Job(by_stem[stem], p, out / f"{i}.ipynb", out / "failed", label=str(i), mode=mode)
            for i, (stem, p, mode) in enumerate(SAMPLE)]
    outcomes = runner.run_stages([jobs], jobs=2, force=True, echo=lambda *a: None, kernels=kernels)
    return {o.notebook: o for o in outcomes}


def test_forked_kernels_give_the_same_executed_notebooks_byte_for_byte(tmp_path, monkeypatch):
    monkeypatch.setenv("TECHDUEL_DIRECT", "0")  # the verdicts run on a kernel too (tests/test_direct.py: without)
    fresh, forked = run_sample(tmp_path / "fresh", "fresh"), run_sample(tmp_path / "zygote", "zygote")
    for i, (stem, p, mode) in enumerate(SAMPLE):
        a, b = fresh[str(i)], forked[str(i)]
        assert a.status == b.status == "ok", (stem, p, a.error, b.error)
        assert a.reads == b.reads, f"{stem} {p}: the runs read different files"
        one, two = (tmp_path / way / f"{i}.ipynb" for way in ("fresh", "zygote"))
        assert one.read_bytes() == two.read_bytes(), f"{stem} {p} ({mode}): executed copies differ"
        verdicts = [o for c in nbformat.read(two, as_version=4).cells for o in c.get("outputs", [])
                    if "techduel" in json.dumps(o.get("metadata", {}))]
        assert verdicts, f"{stem}: nothing recorded, so nothing was compared"


PROBE = """import os, sys, random
preloaded = 'pandas' in sys.modules
import pandas
import techduel.fmt as fmt
print(json.dumps({'ppid': os.getppid(), 'preloaded': preloaded, 'leak': hasattr(fmt, 'LEAK'),
                  'random': random.random(), 'cwd': os.getcwd(), 'path0': sys.path[0],
                  'trace': bool(os.environ.get('TECHDUEL_TRACE')), 'mode': os.environ.get('TECHDUEL_MODE')}))
fmt.LEAK = 1"""


def probe(scratch: Path, kernels: str, runs: int = 2) -> list[dict]:
    tiny(scratch / "notebooks" / "11_probe.ipynb", "import json\n" + PROBE)
    nb, = runner.select(["11_probe"])
    out = []
    for i in range(runs):  # one after the other: the second kernel comes after the first one's run
        job = runner.Job(nb, {"x": i}, scratch / "build" / f"probe{i}.ipynb", scratch / "build")
        outcome, = runner.run_stages([[job]], jobs=1, force=True, echo=lambda *a: None, kernels=kernels)
        assert outcome.status == "ok", outcome.error
        text = nbformat.read(job.output, as_version=4).cells[-1].outputs[0]["text"]
        out.append(json.loads(text))
    return out


def test_the_zygote_serves_kernels_that_share_nothing_but_fresh_imports(scratch):
    fresh, forked = probe(scratch, "fresh"), probe(scratch, "zygote")
    assert [p["preloaded"] for p in fresh] == [False, False]  # a kernel from scratch has imported nothing
    assert [p["preloaded"] for p in forked] == [True, True]  # the zygote's children start with pandas loaded
    assert forked[0]["ppid"] == forked[1]["ppid"] == zygote._current.proc.pid
    assert not any(p["leak"] for p in fresh + forked)  # the first run's change never reaches the second
    assert forked[0]["random"] != forked[1]["random"]  # reseeded per kernel, as a new interpreter would be
    for key in ("cwd", "path0", "trace", "mode"):
        assert {p[key] for p in forked} == {p[key] for p in fresh}, key


def test_a_kernel_is_killed_when_its_manager_goes(tmp_path):
    z = zygote.start(["IPython"], tmp_path, "test")
    try:
        other = [sys.executable, "-Xdev", "-m", "ipykernel_launcher", "-f", str(tmp_path / "k.json")]
        with pytest.raises(zygote.Unavailable, match="cannot stand in"):  # options it was not started with
            zygote.Child(z.address, other, dict(os.environ), str(tmp_path))
        cmd = [sys.executable, "-m", "ipykernel_launcher", "-f", str(tmp_path / "k.json")]
        child = zygote.Child(z.address, cmd, dict(os.environ), str(tmp_path))
        assert child.poll() is None
        os.kill(child.pid, 0)  # alive
        child.close()  # as when the worker holding the connection is killed
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(child.pid):
            time.sleep(0.05)
        assert not _alive(child.pid)
    finally:
        z.stop()
    assert not z.alive() and not z.folder.exists()


def test_a_kernel_of_another_interpreter_is_not_forked():
    assert zygote.same_interpreter([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"])
    assert zygote.launcher([sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "k"]) == (
        ["-Xfrozen_modules=off"], ["-f", "k"])
    assert not zygote.same_interpreter(["/usr/bin/python3.9", "-m", "ipykernel_launcher", "-f", "k.json"])
    assert not zygote.same_interpreter([sys.executable, "-m", "other_kernel", "-f", "k.json"])


def test_the_kernels_setting_is_checked(scratch):
    tiny(scratch / "notebooks" / "11_probe.ipynb", "1")
    nb, = runner.select(["11_probe"])
    job = runner.Job(nb, {}, scratch / "build" / "p.ipynb", scratch / "build")
    with pytest.raises(runner.params.ParameterError, match="kernels='warm'"):
        runner.run_stages([[job]], kernels="warm", echo=lambda *a: None)


def test_preloads_are_what_the_notebooks_import_minus_pyplot(tmp_path):
    tiny(tmp_path / "a.ipynb", "import numpy as np\nfrom techduel import claims, fmt\nimport matplotlib.pyplot as plt\n"
                               "from . import nothing")
    got = zygote.preloads([tmp_path / "a.ipynb"])
    assert {"numpy", "techduel", "techduel.claims", "techduel.fmt", "ipykernel.kernelapp"} <= set(got)
    assert not [m for m in got if m.startswith("matplotlib.pyplot")]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
