"""Robustness: the grid, the bisection of flips and the sentences, on a fake runner (no kernels), and one run end
to end on a scratch notebook."""

from __future__ import annotations

import csv

import pytest

from techduel.build import params, robustness

CELL = '''x: float = 2.0  # price (range: 0..10) (unit: USD per hour) (role: assumption)
c: str = "a"  # basis (choices: a, b) (role: assumption)
y: int = 5  # years (range: 0..10) (role: assumption)
shown: str = "2020-01-01"  # first day shown (format: YYYY-MM-DD) (role: view)
seed: int = 1  # seed (role: control)
'''


def fake(calls: list):
    """Labels as a notebook would compute them from its parameters, counting the runs asked for."""
    declared = {p.name: p.default for p in params.parse(CELL)}

    def run(overrides_list):
        out = []
        for o in overrides_list:
            calls.append(o)
            v = declared | o
            out.append({"C1": "accurate" if v["x"] < 4.1 else "mixed",
                        "C2": "accurate",
                        "C3": "false" if v["c"] == "b" else "accurate",
                        "C4": "mixed" if v["x"] == 0 and v["y"] == 0 else "accurate",
                        "C5": "mixed" if v["y"] >= 8 else "mostly accurate"})
        return out
    return run


def summary(points=3, tolerance=0.01, run=None):
    declared = params.parse(CELL)
    calls: list = []
    analysis = robustness.analyse(declared, run or fake(calls), points=points, tolerance=tolerance)
    rows = robustness.summarise(analysis, declared, "nb", tolerance)
    return analysis, {(r["claim"], r["assumption"]): r for r in rows}, calls


def test_grid_is_both_ends_and_interior_points_or_every_choice():
    x, c, y = params.parse(CELL)[:3]
    assert robustness.grid(x, 3) == [0.0, 2.5, 5.0, 7.5, 10.0]
    assert robustness.grid(x, 1) == [0.0, 5.0, 10.0]
    assert robustness.grid(c, 3) == ["a", "b"] and robustness.grid(y, 3) == [0, 2, 5, 8, 10]


def test_plan_runs_one_assumption_at_a_time_and_the_two_corners_never_a_view_or_control():
    runs, skipped = robustness.plan(params.parse(CELL), 3)
    names = [n for n, _, _ in runs]
    assert names[0] == robustness.DEFAULTS and not skipped
    assert set(names) == {robustness.DEFAULTS, "x", "c", "y", "all low", "all high"}
    assert ("all low", None, {"x": 0.0, "y": 0}) in runs and ("all high", None, {"x": 10.0, "y": 10}) in runs
    assert all(len(o) == 1 for n, _, o in runs if n in ("x", "c", "y"))  # the others at their defaults
    assert ("x", 2.0, {"x": 2.0}) not in runs  # the default is the defaults run, not a second one


def test_a_threshold_is_bisected_to_the_tolerance_with_a_bounded_number_of_runs():
    analysis, rows, calls = summary()
    r = rows[("C1", "x")]
    assert (r["status"], r["from_label"], r["to_label"]) == ("sensitive", "accurate", "mixed")
    assert r["threshold_low"] < 4.1 <= r["threshold_high"] and r["threshold_high"] - r["threshold_low"] <= 0.1
    assert r["sentence"] == "depends on x: becomes mixed above 4.1 USD per hour"
    grid_runs = len(robustness.plan(params.parse(CELL), 3)[0])
    assert len(calls) <= grid_runs + 8 + 3  # bisection of x's flip and y's flip, a few rounds each
    assert len({robustness._key(o) for o in calls}) == len(calls)  # no run asked for twice


def test_the_extra_runs_are_capped():
    declared = params.parse(CELL)
    calls: list = []
    analysis = robustness.analyse(declared, fake(calls), max_extra=2)
    assert analysis.extra_runs == 2 and len(calls) == len(robustness.plan(declared, 3)[0]) + 2
    r = {(x["claim"], x["assumption"]): x for x in robustness.summarise(analysis, declared, "nb")}[("C1", "x")]
    assert r["threshold_low"] < 4.1 <= r["threshold_high"]  # a wider bracket, still a true one


def test_an_int_flip_names_the_first_whole_value_and_a_choice_names_its_value():
    _, rows, _ = summary()
    assert rows[("C5", "y")]["sentence"] == "depends on y: becomes mixed at 8 or above"
    assert rows[("C5", "y")]["threshold"] == "8"
    assert rows[("C3", "c")]["sentence"] == "depends on c: becomes false with c = b"


def test_a_flip_below_the_default_is_reported_going_down():
    cell = 'x: float = 8.0  # price (range: 0..10) (role: assumption)\n'
    def run(overrides_list):
        return [{"C": "accurate" if o.get("x", 8.0) > 3.3 else "false"} for o in overrides_list]
    declared = params.parse(cell)
    rows = robustness.summarise(robustness.analyse(declared, run), declared, "nb")
    assert rows[0]["sentence"] == "depends on x: becomes false below 3.3"
    assert rows[0]["from_label"] == "accurate"


def test_only_the_corners_move_it_and_robust_claims_say_so():
    _, rows, _ = summary()
    assert rows[("C4", "all low")]["sentence"] == ("depends on the assumptions together: becomes mixed with every "
                                                   "ranged assumption at its low end")
    assert rows[("C2", "")]["status"] == "robust" and rows[("C2", "")]["sentence"] == "holds across all assumptions"
    assert not any(k[0] == "C4" and k[1] in ("x", "y") for k in rows)  # neither alone moves it
    assert ("C1", "all high") not in rows  # x alone explains it: the corner adds nothing


def test_a_failed_run_makes_unmoved_claims_incomplete_not_robust():
    calls: list = []
    good = fake(calls)
    run = lambda os_: [None if o.get("x") == 10.0 else good([o])[0] for o in os_]
    analysis, rows, _ = summary(run=run)
    assert {"x": 10.0} in analysis.failed
    assert rows[("C2", "")]["status"] == "incomplete"
    assert rows[("C1", "x")]["status"] == "sensitive"  # found between runs that worked


def test_records_hold_every_run_with_the_default_on_each_axis():
    analysis, _, calls = summary()
    c1 = [(r["assumption"], r["value"], r["label"]) for r in analysis.records if r["claim"] == "C1"]
    assert ("x", 2.0, "accurate") in c1 and ("x", 10.0, "mixed") in c1 and ("c", "a", "accurate") in c1
    assert len([r for r in analysis.records if r["claim"] == "C1"]) == len(calls) + 2  # defaults on x, c, y


# --- end to end: a scratch notebook through the real runner --------------------------------------------------

TINY_PARAMS = ('x: float = 2.0  # price (range: 0..10) (unit: USD) (role: assumption)\n'
               'k: str = "a"  # basis (choices: a, b) (role: assumption)\n'
               'note: str = "n"  # shown only (role: view)\n')
TINY_BODY = '''from techduel import outputs
def say(claim, label):
    outputs.emit(outputs.VERDICT, {"claim_id": claim, "verdict": label}, f"{claim}: {label}")
say("T1", "accurate" if x < 4.1 else "mixed")
say("T2", "accurate")
say("T3", "false" if k == "b" else "accurate")
'''


def test_robustness_end_to_end_writes_runs_tables_and_figure_and_a_rerun_is_served_by_the_cache(scratch):
    from conftest import cli
    from conftest import tiny

    tiny(scratch / "notebooks" / "15_tiny.ipynb", TINY_BODY, param=TINY_PARAMS)
    args = ("robustness", "15_tiny", "--points", "1", "--tolerance", "0.1", "--jobs", "1")
    done = cli(*args, env_root=scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    build = scratch / "build"
    summary = {(r["claim"], r["assumption"]): r for r in csv.DictReader(open(build / "robustness_summary.csv"))}
    t1 = summary[("T1", "x")]
    assert (t1["status"], t1["from_label"], t1["to_label"]) == ("sensitive", "accurate", "mixed")
    assert float(t1["threshold_low"]) < 4.1 <= float(t1["threshold_high"])
    assert float(t1["threshold_high"]) - float(t1["threshold_low"]) <= 1.0  # 10% of the range 0..10
    assert t1["sentence"].startswith("depends on x: becomes mixed above ") and t1["sentence"].endswith(" USD")
    assert summary[("T2", "")]["sentence"] == "holds across all assumptions"
    assert summary[("T3", "k")]["sentence"] == "depends on k: becomes false with k = b"
    records = list(csv.DictReader(open(build / "robustness.csv")))
    assert {(r["assumption"], r["value"], r["label"]) for r in records if r["claim"] == "T1"} >= {
        ("x", "0.0", "accurate"), ("x", "2.0", "accurate"), ("x", "10.0", "mixed"), ("k", "b", "accurate")}
    assert all((build / "robustness" / "15_tiny" / r["run"]).is_file() for r in records)
    assert (build / "robustness" / "15_tiny" / "15_tiny__robustness.png").is_file()
    assert not (build / "notebooks").exists()  # never in the published set
    first = (build / "robustness_summary.csv").read_bytes()
    again = cli(*args, env_root=scratch)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "every run is current and every file is as the last pass wrote it; nothing to do" in again.stdout
    assert (build / "robustness_summary.csv").read_bytes() == first
    tiny(scratch / "notebooks" / "15_tiny.ipynb", TINY_BODY + "say('T4', 'mixed')\n", param=TINY_PARAMS)
    assert not robustness.current("15_tiny")  # an edit: the pass is stale


def test_verdicts_csv_carries_what_the_boxes_showed(scratch):
    """06 declares no assumption: one run, and every claim holds; `run` does the pass first and the status
    reaches verdicts.csv; `--no-robustness` and a run with overrides say not assessed."""
    from conftest import cli, override_dir

    def column(build):
        rows = list(csv.DictReader(open(build / "verdicts.csv", encoding="utf-8")))
        return {(r["robustness"], r["robustness_note"]) for r in rows}

    done = cli("run", "06_sanctions_timeline", "--no-site", "--jobs", "1", env_root=scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "robustness: 1 runs (0 from the cache, 0 failed)" in done.stdout
    assert column(scratch / "build") == {("robust", "holds: the notebook has no assumption to vary")}
    events = scratch / "data" / "sanctions" / "events.csv"  # an input changes: --no-robustness does not vouch
    text = events.read_bytes()
    assert b"ZTE settled for" in text
    events.write_bytes(text.replace(b"ZTE settled for", b"ZTE later settled for", 1))
    done = cli("run", "06_sanctions_timeline", "--no-site", "--no-robustness", "--jobs", "1", env_root=scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "robustness:" not in done.stdout
    assert column(scratch / "build") == {("not assessed", "not assessed for these parameters")}
    done = cli("run", "06_sanctions_timeline", "--no-site", "-p", "start=2020-01-01", "--jobs", "1",
               env_root=scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "robustness:" not in done.stdout  # an override run does no pass and reads no summary
    assert column(override_dir(done.stdout, scratch)) == {("not assessed", "not assessed for these parameters")}


@pytest.mark.parametrize("args, message", [
    (["00_overview"], "the overview judges no claim of its own"),
    (["99_nothing"], "unknown notebook '99_nothing'"),
    (["06_sanctions_timeline", "--tolerance", "2"], "--tolerance between 0 and 1"),
    (["06_sanctions_timeline", "--points", "-1"], "must be 0 or more"),
])
def test_bad_input_exits_2_before_any_kernel(scratch, args, message):
    from conftest import cli

    done = cli("robustness", *args, env_root=scratch)
    assert done.returncode == 2 and message in done.stderr, done.stdout + done.stderr
    assert not (scratch / "build").exists()


def summary_csv(base, status: str) -> None:
    cols = robustness.SUMMARY_COLUMNS
    (base / "summary.csv").write_text(",".join(cols) + "\n01_t,C1," + status + "," * (len(cols) - 3) + "\n")


def fake_pass(tmp_path, monkeypatch, n: int = 300):
    """A notebook's finished pass of ``n`` runs, each with a cache manifest that read one shared file, as if a
    pass had run (no kernel); returns (shared file, base folder)."""
    import json
    import time

    from techduel.build import cache

    monkeypatch.setenv("TECHDUEL_ROOT", str(tmp_path))
    monkeypatch.setenv("TECHDUEL_BUILD", str(tmp_path / "build"))
    monkeypatch.setattr(cache, "_now_ns", lambda: time.time_ns() + 10 * cache.RECENT_NS)  # files look old
    cache.forget_hashes()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_t.ipynb").write_text(json.dumps({"metadata": {"techduel": {"thread": "t"}}, "cells": [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "x: int = 1  # x\n"}]}))
    shared = tmp_path / "data" / "shared.csv"
    shared.parent.mkdir()
    shared.write_text("a,b\n1,2\n")
    lib_hash, env_hash = cache.lib_hash(), cache.environment_hash()
    base = tmp_path / "build" / "robustness" / "01_t"
    runs = []
    for i in range(n):
        key = cache.static_key(tmp_path / "notebooks" / "01_t.ipynb", {"x": i}, lib_hash, env_hash, "verdicts")
        out = base / "runs" / f"x={i}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(f"run {i}")
        cache.save(out, key, [str(shared)])
        runs.append({"parameters": {"x": i}, "key": key, "output": f"runs/x={i}.ipynb", "mode": "verdicts"})
    (base / "runs.json").write_text(json.dumps({"notebook": "01_t", "points": 3, "tolerance": 0.01,
                                                "runs": runs}))
    (base / "robustness.csv").write_text(",".join(robustness.RECORD_COLUMNS) + "\n01_t,C1,x,1,accurate,r\n")
    summary_csv(base, "robust")
    robustness.combine()
    return shared, base


def test_current_hashes_each_file_once_for_hundreds_of_runs_and_still_sees_an_edit(tmp_path, monkeypatch):
    """A warm rerun confirms every run of a pass: the notebook, the code and the shared inputs are hashed
    once per command, not once per run; an input rewritten afterwards still makes the pass stale."""
    import hashlib
    import time

    from techduel.build import cache

    shared, _ = fake_pass(tmp_path, monkeypatch)
    cache.forget_hashes()  # a new command
    opened: list[str] = []
    real = hashlib.file_digest
    monkeypatch.setattr(hashlib, "file_digest", lambda f, name: opened.append(f.name) or real(f, name))
    assert robustness.current("01_t")
    assert opened.count(str(shared)) == 1 and opened.count(str(tmp_path / "notebooks" / "01_t.ipynb")) == 1
    assert len(opened) == len(set(opened))  # every file at most once: outputs, inputs, code, lock
    assert robustness.current("01_t") and len(opened) == len(set(opened))  # asked again: nothing re-read
    time.sleep(0.05)
    shared.write_text("a,b\n1,3\n")  # same size, new content
    assert not robustness.current("01_t")


def test_a_warm_pass_is_skipped_only_while_its_runs_its_files_and_its_settings_are_unchanged(tmp_path, monkeypatch):
    import time

    shared, base = fake_pass(tmp_path, monkeypatch, n=20)
    assert not robustness.fresh_pass(["01_t"], 3, 0.01)  # never recorded: a pass must run
    robustness.record_pass(["01_t"], 3, 0.01)
    assert robustness.fresh_pass(["01_t"], 3, 0.01)
    assert not robustness.fresh_pass(["01_t"], 4, 0.01) and not robustness.fresh_pass(["01_t"], 3, 0.02)
    assert not robustness.fresh_pass(["01_t", "02_u"], 3, 0.01)  # a notebook never analysed
    time.sleep(0.05)
    for edit in (lambda: summary_csv(base, "sensitive"),
                 lambda: (tmp_path / "build" / "robustness_summary.csv").unlink(),
                 lambda: (base / "runs" / "x=7.ipynb").write_text("run 8"),
                 lambda: shared.write_text("a,b\n1,3\n")):
        edit()
        assert not robustness.fresh_pass(["01_t"], 3, 0.01)
        shared.write_text("a,b\n1,2\n")
        (base / "runs" / "x=7.ipynb").write_text("run 7")
        summary_csv(base, "robust")
        robustness.combine()
        assert robustness.fresh_pass(["01_t"], 3, 0.01)  # put back as it was: current again


def test_a_command_runs_the_pass_until_a_clean_one_is_recorded_then_confirms_it(tmp_path, monkeypatch):
    from techduel.build import runner

    fake_pass(tmp_path, monkeypatch, n=5)
    calls, failing = [], []

    def fake_robustness(names, **kw):
        calls.append(names)
        return [runner.Outcome("01_t/defaults", "failed" if failing else "ok", 1.0)], {}

    monkeypatch.setattr(robustness, "robustness", fake_robustness)
    failing.append(True)
    assert robustness.pass_unless_fresh([]) is not None and len(calls) == 1  # a run failed: not recorded
    assert robustness.pass_unless_fresh([]) is not None and len(calls) == 2
    failing.clear()
    assert robustness.pass_unless_fresh([]) is not None and len(calls) == 3  # clean: recorded
    assert robustness.pass_unless_fresh([]) is None and len(calls) == 3
    assert robustness.pass_unless_fresh(["01_t"], points=3) is None
    assert robustness.pass_unless_fresh([], points=2) is not None and len(calls) == 4  # other settings
    assert robustness.pass_unless_fresh([], force=True) is not None and len(calls) == 5
