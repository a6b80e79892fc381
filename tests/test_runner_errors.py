"""Bad files in the checkout or the build get one message naming the file and what to do, never a traceback,
and the other notebooks still run (issue 13, item 14)."""

from __future__ import annotations

import pytest

from conftest import cli
from techduel import __main__ as main_module
from techduel.build import files, runner


@pytest.fixture
def corrupt(scratch):
    path = scratch / "notebooks" / "09_broken.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")  # e.g. a merge gone wrong
    return path


def test_a_corrupt_notebook_does_not_break_the_other_commands(scratch, corrupt):
    listed = cli("list", env_root=scratch)
    assert listed.returncode == 0 and "06_sanctions_timeline" in listed.stdout, listed.stderr
    assert "Traceback" not in listed.stderr
    assert "notebooks/09_broken.ipynb: not a readable notebook" in listed.stderr
    assert "restore it" in listed.stderr
    shown = cli("params", "06_sanctions_timeline", env_root=scratch)
    assert shown.returncode == 0 and "kinds" in shown.stdout, shown.stderr
    named = cli("params", "09_broken", env_root=scratch)
    assert named.returncode == 2 and "Traceback" not in named.stderr
    assert "notebooks/09_broken.ipynb: not a readable notebook" in named.stderr


def test_a_run_of_everything_runs_the_others_and_reports_the_corrupt_one(scratch, corrupt, monkeypatch):
    ran = []

    def fake_stages(stages, **kwargs):
        ran.extend(job.notebook.stem for stage in stages for job in stage)
        return [runner.Outcome(job.name, "ok", 0.0) for stage in stages for job in stage]

    monkeypatch.setattr(runner, "run_stages", fake_stages)
    lines = []
    outcomes = runner.run([], [], echo=lines.append)
    assert "06_sanctions_timeline" in ran and "00_overview" in ran and "09_broken" not in ran
    (bad,) = [o for o in outcomes if o.status == "failed"]
    assert bad.notebook == "09_broken" and "not a readable notebook" in bad.error and not bad.kept
    assert any("09_broken" in line for line in lines)


def test_a_broken_parameters_cell_is_reported_like_a_corrupt_file(scratch):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x: int = (", metadata={"tags": ["parameters"]})])
    nb.metadata["techduel"] = {"thread": "t", "title": "t", "question": "?"}
    nbformat.write(nb, scratch / "notebooks" / "09_syntax.ipynb")
    good, bad = runner.choose([])
    assert "09_syntax" not in {n.stem for n in good} and [b.stem for b in bad] == ["09_syntax"]
    assert "line 1" in bad[0].problem


def test_failure_messages_say_only_what_is_really_kept(capsys, tmp_path):
    kept = tmp_path / "07_x.failed.ipynb"
    kept.write_text("{}")
    runner.report([runner.Outcome("07_x", "failed", 1.0, "cell 2 raised", kept=str(kept)),
                   runner.Outcome("08_y", "failed", 0.0, "BrokenProcessPool: the worker died")])
    err = capsys.readouterr().err
    assert f"the failed copy is kept as {kept}" in err
    (line,) = [ln for ln in err.splitlines() if "08_y" in ln]
    assert "failed copy is kept" not in line and "no executed copy was kept" in line


def _executed_build(scratch):
    """An executed notebook in build/notebooks without running a kernel (one that records nothing: the
    committed thread notebooks may not pass the evidence checks on a branch while they are re-reviewed)."""
    import nbformat

    out = scratch / "build" / "notebooks"
    out.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("nothing recorded")])
    nb.metadata["techduel"] = {"thread": "t", "title": "t", "question": "?"}
    nbformat.write(nb, out / "09_quiet.ipynb")
    return out


def test_a_broken_root_descriptor_gives_one_message_in_the_collect_step(scratch, capsys):
    _executed_build(scratch)
    (scratch / "data" / "datapackage.json").write_text('{"resources": [', encoding="utf-8")
    code = main_module.main(["site"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "data/datapackage.json" in err and "cannot read the descriptor" in err
    assert "nothing was replaced" in err and "build/notebooks" in err
    assert not (scratch / "build" / "results.json").exists()


def test_a_build_folder_that_cannot_be_written_gives_one_message(scratch, capsys, monkeypatch):
    # chmod cannot stop root, who runs these tests here, so the refusal of the file system is simulated
    nb_dir = _executed_build(scratch)
    real = files.write_atomic

    def read_only(path, content):
        if path.parent == scratch / "build":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, content)

    monkeypatch.setattr(files, "write_atomic", read_only)
    code = main_module.main(["site"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"cannot write {scratch / 'build' / 'results.json'}: Permission denied" in err
    assert f"make {scratch / 'build'} writable" in err and str(nb_dir) in err
    assert "already replaced: nothing" in err
