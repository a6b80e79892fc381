"""`run` does the robustness pass first, through the cache; `refresh` writes the committed summary first; the
committed summary is never stale silently (issue 15, item 3)."""

from __future__ import annotations

import json
import re

import pytest

from conftest import cli, tiny
from techduel.build import robustness_committed

PARAM = 'k: str = "a"  # basis (choices: a, b) (role: assumption)\n'


def body(claim: str, extra: str = "") -> str:
    """A verdict on a ledger claim: accurate at the default, mixed with k = b."""
    return f'''from techduel import claims, data
reg = data.load("sources")
ok = reg[(reg["grade"] == "established") & reg["interest"].isna() & reg["origin"].isna()]
claims.verdict("{claim}", "accurate" if k == "a" else "mixed", "r", "e", list(ok["source_id"].iloc[:2]),
               conclusion="It holds.")
{extra}'''


def box_text(path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "".join("".join(o["data"]["text/plain"]) for c in nb["cells"] for o in c.get("outputs", [])
                   if "application/vnd.techduel.verdict+json" in o.get("data", {}))


@pytest.fixture
def two(scratch):
    """Only two tiny thread notebooks in the scratch root (so `run` with no name runs just them)."""
    for old in (*(scratch / "notebooks").glob("*.ipynb"), *(scratch / "notebooks").glob("robustness.*")):
        old.unlink()  # the repository's notebooks and their committed summary: these two have none yet
    tiny(scratch / "notebooks" / "15_a.ipynb", body("C046"), param=PARAM)
    tiny(scratch / "notebooks" / "16_b.ipynb", body("C047"), param=PARAM)
    return scratch


def test_run_does_the_robustness_pass_first_and_a_second_run_is_fully_cached(two):
    args = ("run", "--no-site", "--jobs", "1")
    done = cli(*args, env_root=two)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "robustness: 4 runs (0 from the cache, 0 failed)" in done.stdout
    out = done.stdout
    assert out.index("robustness: 4 runs") < out.index("start  15_a\n") < out.index("start  16_b\n")
    build = two / "build"
    assert "Robustness: Depends on k: becomes mixed with k = b" in box_text(build / "notebooks" / "15_a.ipynb")
    verdicts = (build / "verdicts.csv").read_text(encoding="utf-8")
    assert "sensitive,depends on k: becomes mixed with k = b" in verdicts
    again = cli(*args, env_root=two)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "robustness: current, nothing to run" in again.stdout  # confirmed from the cache, not redone
    assert "start" not in again.stdout and re.search(r"15_a\s+ok\s+0\.0\s+hit", again.stdout)
    # an edit to one notebook reruns its robustness runs and itself, nothing of the other
    tiny(two / "notebooks" / "16_b.ipynb", body("C047", "print('edited')"), param=PARAM)
    third = cli(*args, env_root=two)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "robustness: 4 runs (2 from the cache, 0 failed)" in third.stdout
    started = re.findall(r"start  (\S+)", third.stdout)
    assert "16_b" in started and len(started) == 3 and all(s.startswith("16_b") for s in started), third.stdout


def test_refresh_writes_the_committed_summary_first_and_the_staleness_check_sees_every_input(two):
    assert robustness_committed.stale()[0].startswith("notebooks/robustness.csv or its inputs file")
    done = cli("refresh", "--jobs", "1", env_root=two)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "wrote notebooks/robustness.csv" in done.stdout
    assert "Robustness: Depends on k: becomes mixed with k = b" in box_text(two / "notebooks" / "15_a.ipynb")
    assert robustness_committed.stale() == []
    recorded = json.loads(robustness_committed.inputs_path().read_text(encoding="utf-8"))["notebooks"]
    assert "data/sources.csv" in recorded["15_a"]["reads"]  # what its runs read, relative to the root
    summary = robustness_committed.summary_path().read_bytes()
    again = cli("refresh", "--jobs", "1", env_root=two)  # running it twice changes nothing
    assert again.returncode == 0, again.stdout + again.stderr
    assert robustness_committed.summary_path().read_bytes() == summary and robustness_committed.stale() == []
    sources = two / "data" / "sources.csv"
    sources.write_text(sources.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    problems = robustness_committed.stale()
    assert len(problems) == 2 and all("data/sources.csv" in p and "make refresh" in p for p in problems)
    tiny(two / "notebooks" / "17_c.ipynb", body("C048"), param=PARAM)
    assert any("has no robustness for 17_c" in p for p in robustness_committed.stale())


def test_the_committed_summary_matches_the_current_inputs():
    """Fails when notebooks/robustness.csv no longer answers for the notebooks, lib/, the lock or the data."""
    problems = robustness_committed.stale()
    assert not problems, "\n".join(problems)
