"""Sweeps: every combination gets its own stable file, however long its values; duplicates are refused."""

from __future__ import annotations

import csv

import nbformat
import pytest

from conftest import cli
from techduel import params, sweep


def tiny(path, body: str, param: str):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(param, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body)])
    nb.metadata["kernelspec"] = {"name": "techduel", "display_name": "techduel", "language": "python"}
    nb.metadata["techduel"] = {"thread": "test", "title": path.stem, "question": "?"}
    nbformat.write(nb, path)


def test_slug_is_distinct_stable_and_readable():
    long_a, long_b = {"s": "x" * 200 + "a"}, {"s": "x" * 200 + "b"}
    assert sweep.slug(long_a) != sweep.slug(long_b)  # cut to 150 characters, these used to be one name
    assert sweep.slug({"s": "a b"}) != sweep.slug({"s": "a_b"})  # and so did values that differ in a symbol
    assert sweep.slug(long_a) == sweep.slug(dict(long_a))  # the same combination, the same name, every run
    assert sweep.slug({"x": 3, "k": ["a", "b"]}).startswith("x=3__k=a+b-")
    assert max(len(sweep.slug(c)) for c in (long_a, long_b)) <= 120


def test_duplicate_values_are_refused():
    (x,) = params.parse("x: float = 1.0  # a number\n")
    with pytest.raises(params.ParameterError, match="sweep of 'x' names 1.0 twice"):
        sweep.parse_axes(["x=1,2,1.0"], [x], "nb")


def test_a_sweep_of_long_values_keeps_one_row_and_one_file_per_value(scratch):
    tiny(scratch / "notebooks" / "15_long.ipynb", "from techduel import results\nresults.record('last', s[-1])",
         param='s: str = "a"  # a text')
    values = ["x" * 200 + end for end in "ab"]
    done = cli("sweep", "15_long", "s=" + ",".join(values), "--jobs", "1", env_root=scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    base = scratch / "build" / "sweeps" / "15_long"
    rows = list(csv.DictReader(open(base / "s.csv", encoding="utf-8")))
    assert [(r["s"], r["status"], r["last"]) for r in rows] == [(values[0], "ok", "a"), (values[1], "ok", "b")]
    assert len(list((base / "runs").glob("*.ipynb"))) == 2


def test_a_sweep_with_a_duplicate_value_exits_2_before_any_kernel(scratch):
    done = cli("sweep", "06_sanctions_timeline", "start=2016-01-01,2020-01-01,2016-01-01", env_root=scratch)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "sweep of 'start' names 2016-01-01 twice" in done.stderr
    assert not (scratch / "build").exists()
