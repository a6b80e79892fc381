"""Notebook 09 responds to as_of the way the as-of rule says: on the article's date every forecast is too early
to tell, later dates only add resolutions, and a date outside the evidence is refused naming the parameter."""

from __future__ import annotations

from conftest import cli, run_notebook

STEM = "09_forecasts_in_hindsight"
FORECASTS = [f"C{i}" for i in range(150, 160)]


def labels(recorded):
    return {c: recorded[f"forecast_{c}"] for c in FORECASTS}


def test_as_of_moves_the_verdicts_only_forward_in_time(scratch):
    first = labels(run_notebook(scratch, STEM, "as_of=2025-03-03"))
    assert set(first.values()) == {"too early to tell"}
    mid = labels(run_notebook(scratch, STEM, "as_of=2025-03-31"))
    assert mid["C154"] == "came true"  # the 20% IEEPA duty of 4 March 2025
    assert sum(v != "too early to tell" for v in mid.values()) == 1


def test_an_as_of_outside_the_evidence_is_refused(scratch):
    done = cli("run", STEM, "--no-site", "-p", "as_of=2024-01-01", env_root=scratch)
    assert done.returncode != 0 and "parameter as_of" in done.stdout + done.stderr
