"""What is published: only from canonical runs, never emptied by a missing input, byte-stable, no absolute paths."""

from __future__ import annotations

import shutil

import pytest

from conftest import cli, clone, published


def test_same_inputs_same_bytes_and_no_absolute_path(scratch):
    """Two runs of the same inputs give identical bytes; no output names this machine's build folder."""
    run = ("run", "06_sanctions_timeline", "00_overview", "--jobs", "1", "--force")
    assert cli(*run, env_root=scratch).returncode == 0
    first = published(scratch / "build")
    done = cli(*run, env_root=scratch)
    assert done.returncode == 0, done.stderr
    second = published(scratch / "build")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    for name, content in second.items():
        assert str(scratch).encode() not in content, f"{name} carries the absolute path {scratch}"


@pytest.mark.parametrize("empty", [False, True])
def test_site_without_executed_notebooks_fails_and_writes_nothing(one_thread, tmp_path, empty):
    root = clone(one_thread, tmp_path)
    before = published(root / "build")
    shutil.rmtree(root / "build" / "notebooks")
    if empty:
        (root / "build" / "notebooks").mkdir()
    done = cli("site", env_root=root)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no executed notebooks" in done.stderr and "Traceback" not in done.stderr
    after = published(root / "build")
    assert {k: v for k, v in before.items() if not k.startswith("notebooks/")} == after
