"""The command line as a user meets it: listing, bad input refused before any kernel, runs, failures."""

from __future__ import annotations

import json

import nbformat
import pytest

from conftest import cli, override_dir
from techduel import data
from techduel.build import runner


def test_list_and_params():
    listed = cli("list")
    assert listed.returncode == 0
    assert "06_sanctions_timeline" in listed.stdout and "sanctions_timeline" in listed.stdout
    assert listed.stdout.strip().splitlines()[-1].startswith("00_overview")  # overview last
    shown = cli("params", "notebooks/06_sanctions_timeline.ipynb")
    lines = shown.stdout.splitlines()
    assert shown.returncode == 0 and lines[0].split()[:4] == ["name", "role", "type", "default"]
    assert [ln.split()[:2] for ln in lines[1:]] == [["start", "view"], ["end", "view"], ["kinds", "view"]]


@pytest.mark.parametrize("args, message", [
    (["run", "99_nothing"], "unknown notebook '99_nothing'"),
    (["run", "06_sanctions_timeline", "-p", "price=3"], "no chosen notebook (06_sanctions_timeline) has parameter 'price'"),
    (["run", "06_sanctions_timeline", "-p", "start=last year"], "parameter 'start': 'last year' is not a date"),
    (["run", "06_sanctions_timeline", "-p", "kinds=tariff,embargo"], "embargo not allowed"),
    (["run", "06_sanctions_timeline", "-p", "start"], "malformed override 'start'"),
    (["params", "nothing"], "unknown notebook 'nothing'"),
    # constraints declared in the parameters cells (issue 13): refused before a kernel, not inside one
    (["run", "06_sanctions_timeline", "-p", "start=2024-01-01", "-p", "end=2020-01-01"],
     "parameters 'start' and 'end': end = 2020-01-01 is before start = 2024-01-01"),
    (["run", "06_sanctions_timeline", "-p", "kinds="], "parameter 'kinds': the list is empty"),
    (["run", "06_sanctions_timeline", "-p", "start=2024-W01-1"], "parameter 'start': '2024-W01-1' is not a date"),
    (["run", "07_industrial_leadership", "-p", "start_year=2024", "-p", "end_year=2020"],
     "parameters 'start_year' and 'end_year'"),
    (["run", "00_overview", "-p", "notebooks_dir=no/such/folder"],
     "parameter 'notebooks_dir': 'no/such/folder' is not an existing folder"),
    (["sweep", "06_sanctions_timeline", "end=2015-01-01,2020-01-01"],
     "parameters 'start' and 'end': end = 2015-01-01 is before start = 2016-01-01"),
])
def test_bad_input_exits_2_before_any_kernel(scratch, args, message):
    done = cli(*args, env_root=scratch)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert not (scratch / "build").exists()  # nothing ran, nothing was written


def test_a_path_names_exactly_that_file(scratch, tmp_path, monkeypatch):
    """A path outside notebooks/ is refused (status 2), never mapped to the repository notebook of that stem;
    a bare stem, or the path of the repository's own file, names the repository notebook."""
    elsewhere = tmp_path / "anywhere" / "06_sanctions_timeline.ipynb"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes((scratch / "notebooks" / "06_sanctions_timeline.ipynb").read_bytes())
    for args in (["run", str(elsewhere)], ["params", str(elsewhere)]):
        done = cli(*args, env_root=scratch)
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"{elsewhere} is not a notebook of this repository" in done.stderr
        assert "copy it into" in done.stderr and "06_sanctions_timeline" in done.stderr
    for missing in ("/etc/06_sanctions_timeline.txt", "06_sanctions_timeline.ipynb"):  # no such file here
        done = cli("params", missing, env_root=scratch)
        assert done.returncode == 2 and f"no file {missing}" in done.stderr, done.stderr
    assert not (scratch / "build").exists()
    monkeypatch.chdir(scratch)  # a relative path is taken from the working directory, as a shell user means it
    for name in ("06_sanctions_timeline", "notebooks/06_sanctions_timeline.ipynb",
                 str(scratch / "notebooks" / "06_sanctions_timeline.ipynb")):
        (nb,) = runner.select([name])
        assert nb.path == scratch / "notebooks" / "06_sanctions_timeline.ipynb"


def test_filter_parameters_change_what_is_shown(scratch):
    done = cli("run", "06_sanctions_timeline", "--no-site", "-p", "kinds=tariff,tariff_relief",
               "-p", "start=2018-01-01", "-p", "end=2019-12-31", env_root=scratch)
    assert done.returncode == 0, done.stderr
    build = override_dir(done.stdout, scratch)  # a run with overrides is kept apart from the published set
    recorded = json.loads((build / "results.json").read_text())["06_sanctions_timeline"]
    import csv

    with open(scratch / "data" / "sanctions" / "events.csv", encoding="utf-8") as f:
        expected = sum(1 for r in csv.DictReader(f)
                       if r["kind"] in ("tariff", "tariff_relief") and "2018-01-01" <= r["date"] <= "2019-12-31")
    assert recorded["measures_shown"]["value"] == expected == 5
    # the verdicts do not depend on the view: the 60% claim is still judged on the full record
    verdicts = (build / "verdicts.csv").read_text()
    assert "C045,false" in verdicts and "C046,accurate" in verdicts


def _tiny(path, source):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x: int = 1  # a number (range: 0..5)", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "techduel", "display_name": "techduel", "language": "python"}
    nb.metadata["techduel"] = {"thread": "test", "title": "tiny", "question": "?"}
    nbformat.write(nb, path)


def test_a_failing_notebook_is_reported_kept_aside_and_does_not_stop_the_others(scratch):
    tiny = scratch / "notebooks" / "07_tiny.ipynb"
    _tiny(tiny, "from techduel import results\nresults.record('double', x * 2)")
    assert cli("run", "07_tiny", "--no-site", "--no-robustness", env_root=scratch).returncode == 0
    good = scratch / "build" / "notebooks" / "07_tiny.ipynb"
    good_bytes = good.read_bytes()

    _tiny(tiny, "raise RuntimeError('data went missing')")
    done = cli("run", "07_tiny", "06_sanctions_timeline", "--no-site", "--no-robustness", env_root=scratch)
    assert done.returncode == 1
    assert "FAILED 07_tiny: cell 2 (id " in done.stderr and "RuntimeError: data went missing" in done.stderr
    assert "07_tiny: no verdicts (it failed)" in done.stdout and "C045   false" in done.stdout
    assert good.read_bytes() == good_bytes  # the last good output is untouched
    assert (scratch / "build" / "notebooks" / "07_tiny.failed.ipynb").exists()
    assert (scratch / "build" / "notebooks" / "06_sanctions_timeline.ipynb").exists()
    assert not list((scratch / "build" / "notebooks").glob(".*partial*"))
    results = json.loads((scratch / "build" / "results.json").read_text())
    assert results["07_tiny"]["double"]["value"] == 2  # read from the last good run


def test_clean_strips_volatile_metadata(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1", metadata={
        "papermill": {"duration": 1.2}, "execution": {"iopub.status.busy": "2026"}, "tags": []})])
    nb.metadata["papermill"] = {"start_time": "now"}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    runner.clean(path)
    back = nbformat.read(path, as_version=4)
    assert "papermill" not in back.metadata and "version" not in back.metadata["language_info"]
    assert back.cells[0].metadata == {}


def test_built_collection_outputs(built):
    assert (built / "notebooks" / "06_sanctions_timeline.ipynb").exists()
    results = json.loads((built / "results.json").read_text())
    assert results["06_sanctions_timeline"]["ev_tariff_rate"] == {"value": 100.0, "unit": "percent"}
    assert results["00_overview"]["claims_in_ledger"]["value"] == len(data.load("claims"))
    header = (built / "verdicts.csv").read_text().splitlines()[0].split(",")
    assert header[:5] == ["claim_id", "verdict", "strength", "conclusion", "reason"] and "sources" in header
    assert {"searched", "robustness", "robustness_note"} <= set(header)


def test_committed_notebooks_are_the_canonical_run(scratch):
    """What `make refresh` would write is byte for byte what is committed (figures included)."""
    out = scratch / "refreshed"
    notebooks = runner.select([])
    # the overview reads the committed notebooks by default, exactly as `make refresh` does
    stages = [[runner.Job(nb, {}, out / nb.path.name, out, committed=True) for nb in notebooks
               if nb.is_overview == overview]
              for overview in (False, True)]
    outcomes = runner.run_stages(stages, force=True, echo=lambda *_: None)
    assert [o.status for o in outcomes] == ["ok"] * len(notebooks), [o.error for o in outcomes]
    for nb in notebooks:
        fresh, committed = (out / nb.path.name).read_bytes(), nb.path.read_bytes()
        if fresh != committed:  # not an assert on the bytes: pytest's diff of megabytes ran for minutes
            pytest.fail(f"{nb.path.name} differs from a fresh run ({first_difference(fresh, committed)}): "
                        "run `make refresh` and commit", pytrace=False)


def first_difference(fresh: bytes, committed: bytes) -> str:
    """Where two files part: the first differing line, with a few dozen characters of each side."""
    a, b = fresh.decode("utf-8", "replace").splitlines(), committed.decode("utf-8", "replace").splitlines()
    line = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    if line == min(len(a), len(b)):
        return f"one ends at line {line + 1}: {len(a)} lines fresh, {len(b)} committed"
    return f"line {line + 1}: fresh {a[line].strip()[:80]!r}, committed {b[line].strip()[:80]!r}"


def test_first_difference_names_the_line_and_both_sides():
    assert first_difference(b"a\nb\nc", b"a\nB\nc") == "line 2: fresh 'b', committed 'B'"
    assert first_difference(b"a\nb", b"a") == "one ends at line 2: 2 lines fresh, 1 committed"


def test_run_ends_with_the_verdicts_it_produced_marked_with_its_overrides(scratch):
    done = cli("run", "06_sanctions_timeline", "--no-site", "-p", "start=2018-01-01", env_root=scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    from techduel import claims

    from conftest import build_of

    recorded = claims.read_verdicts([build_of(done, scratch) / "notebooks" / "06_sanctions_timeline.ipynb"])
    assert len(recorded) == 6
    tail = done.stdout[done.stdout.index("\nverdicts\n"):].splitlines()
    assert tail[2].split() == ["claim", "label", "strength", "notebook", "run", "with", "-p"]
    lines = {line.split()[0]: line for line in tail[4:] if line[:1] == "C"}
    for _, v in recorded.iterrows():  # one line per claim: id, label, strength, notebook, the override
        assert lines[v["claim_id"]].split("  ")[0] == v["claim_id"]
        cells = [c.strip() for c in lines[v["claim_id"]].split("  ") if c.strip()]
        assert cells == [v["claim_id"], v["verdict"], v["strength"], "06_sanctions_timeline",
                         "start=2018-01-01"]

    again = cli("run", "06_sanctions_timeline", "--no-site", "--no-robustness", env_root=scratch)  # defaults: nothing to mark
    assert "run with -p" not in again.stdout and "C045   false" in again.stdout


def test_a_forked_worker_validates_notebooks_without_compiling_the_schema_again():
    """nbformat compiles its schema validator on first use (a tenth of a second); the runner builds it in the
    parent, so a worker forked for each run inherits it instead of compiling it once per run."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import multiprocessing, nbformat, nbformat.validator as v
        from techduel.build import runner

        def child(queue):
            before = set(v.validators)
            nbformat.validate(nbformat.v4.new_notebook())
            queue.put(sorted(map(str, set(v.validators) - before)))

        if __name__ == "__main__":
            runner._import_papermill()
            context = multiprocessing.get_context("fork")
            queue = context.Queue()
            worker = context.Process(target=child, args=(queue,))
            worker.start()
            print(queue.get(timeout=60))
            worker.join(timeout=60)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"a worker compiled {done.stdout.strip()}"
