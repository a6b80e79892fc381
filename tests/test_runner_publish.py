"""What is published: only from canonical runs, never emptied by a missing input, byte-stable, no absolute paths."""

from __future__ import annotations

import difflib
import json
import shutil

import pytest

from conftest import cli, clone, override_dir, published


def test_same_inputs_same_bytes_and_no_absolute_path(scratch):
    """Two runs of the same inputs give identical bytes; no output names this machine's build folder."""
    run = ("run", "06_sanctions_timeline", "00_overview", "--jobs", "1", "--force", "--no-robustness")
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


def test_a_run_with_overrides_never_replaces_the_published_set(one_thread, tmp_path):
    """Published files come from canonical parameters only; an override run goes to build/overrides/<hash>/."""
    root = clone(one_thread, tmp_path)
    before = published(root / "build")
    done = cli("run", "06_sanctions_timeline", "-p", "start=2020-01-01", "--jobs", "1", env_root=root)
    assert done.returncode == 0, done.stdout + done.stderr
    where = override_dir(done.stdout, root)
    assert "not published" in done.stdout and "start=2020-01-01" in done.stdout
    after = published(root / "build")
    assert {k: v for k, v in after.items() if not k.startswith("overrides/")} == before
    shown = json.loads((where / "results.json").read_text())["06_sanctions_timeline"]["measures_shown"]["value"]
    canonical = json.loads(before["results.json"])["06_sanctions_timeline"]["measures_shown"]["value"]
    assert shown < canonical  # it really ran with the override
    assert json.loads((where / "overrides.json").read_text()) == {"06_sanctions_timeline": {"start": "2020-01-01"}}
    assert (where / "verdicts.csv").exists() and (where / "notebooks" / "06_sanctions_timeline.ipynb").exists()
    assert not (where / "claimreview.jsonld").exists() and not (where / "site").exists()
    again = cli("run", "06_sanctions_timeline", "-p", "start=2020-01-01", "--jobs", "1", env_root=root)
    assert override_dir(again.stdout, root) == where and "cache hit" in again.stdout  # a stable name
    same = cli("run", "06_sanctions_timeline", "-p", "start=2021-01-01", "--jobs", "1", env_root=root)
    assert override_dir(same.stdout, root) != where


def _jupyterlab_save(raw: str) -> str:
    """What JupyterLab 4 writes when it opens a notebook on the project kernel and saves it unchanged: the
    notebook goes through JavaScript (one number type, so 100.0 comes back as 100), the kernel's
    ``language_info`` and the kernelspec's name, display name and language replace those in the metadata, and
    the server writes it with nbformat (with a final newline)."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import start_new_kernel

    def js_number(text: str):
        value = float(text)
        return int(value) if value.is_integer() and abs(value) < 1e21 else value

    km, kc = start_new_kernel(kernel_name="techduel")
    try:
        language_info = kc.kernel_info(reply=True, timeout=60)["content"]["language_info"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    spec = KernelSpecManager().get_kernel_spec("techduel")
    nb = nbformat.from_dict(json.loads(raw, parse_float=js_number))
    nb.metadata["language_info"] = language_info
    nb.metadata["kernelspec"] = {"name": "techduel", "display_name": spec.display_name, "language": spec.language}
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def test_a_refreshed_notebook_is_what_jupyterlab_would_save(tmp_path):
    """Opening a committed notebook in JupyterLab must not mark it changed: refresh writes what JupyterLab
    would (checked on a scratch refresh of 06, which runs on every branch; the lead refreshes the rest)."""
    from techduel.build import runner

    (nb,) = runner.select(["06_sanctions_timeline"])
    out = tmp_path / nb.path.name
    outcomes = runner.run_stages([[runner.Job(nb, {}, out, tmp_path, committed=True)]], jobs=1, force=True,
                                 echo=lambda *_: None)
    assert [o.status for o in outcomes] == ["ok"], outcomes
    raw = out.read_text(encoding="utf-8")
    saved = _jupyterlab_save(raw)
    assert saved == raw, "JupyterLab would rewrite the refreshed notebook:\n" + "\n".join(
        line for line in difflib.unified_diff(raw.splitlines(), saved.splitlines(), lineterm="", n=0))
