"""The closing verdict list of a warm run is served from build/.cache (no pandas import), and never when an
executed copy it was read from changed."""

from __future__ import annotations

import time

from techduel import __main__ as cli
from techduel.build import cache, report, runner


def test_the_closing_list_is_kept_and_follows_the_executed_copies(tmp_path, monkeypatch):
    monkeypatch.setenv("TECHDUEL_ROOT", str(tmp_path))
    monkeypatch.setenv("TECHDUEL_BUILD", str(tmp_path / "build"))
    cache.forget_hashes()
    folder = tmp_path / "build" / "notebooks"
    folder.mkdir(parents=True)
    (folder / "01_a.ipynb").write_text("first")
    calls = []
    monkeypatch.setattr(report, "run_verdicts",
                        lambda ran, overrides: calls.append(ran) or f"list of {(folder / '01_a.ipynb').read_text()}")
    outcomes = [runner.Outcome("01_a", "ok", 0.0, cache="hit"), runner.Outcome("02_b", "failed", 1.0)]
    assert cli._verdicts(outcomes, folder, []) == "list of first"
    assert cli._verdicts(outcomes, folder, []) == "list of first" and len(calls) == 1
    assert cli._verdicts(outcomes, folder, ["x=1"]) == "list of first" and len(calls) == 2  # other overrides
    assert cli._verdicts(outcomes[:1], folder, []) == "list of first" and len(calls) == 3  # other notebooks
    time.sleep(0.05)
    (folder / "01_a.ipynb").write_text("later")
    assert cli._verdicts(outcomes, folder, []) == "list of later" and len(calls) == 4
    elsewhere = tmp_path / "notebooks"  # a refresh's folder: outside build/, never kept
    elsewhere.mkdir()
    (elsewhere / "01_a.ipynb").write_text("x")
    cli._verdicts(outcomes, elsewhere, [])
    cli._verdicts(outcomes, elsewhere, [])
    assert len(calls) == 6 and not (tmp_path / ".cache").exists()


def test_the_closing_list_does_not_depend_on_the_order_the_notebooks_finished(tmp_path, monkeypatch):
    """A cold run reports notebooks as they finish, a warm one in order: the first warm run after a cold one
    read every verdict again (importing pandas: 1.4 s instead of 0.5 s in `make bench`)."""
    monkeypatch.setenv("TECHDUEL_ROOT", str(tmp_path))
    monkeypatch.setenv("TECHDUEL_BUILD", str(tmp_path / "build"))
    cache.forget_hashes()
    folder = tmp_path / "build" / "notebooks"
    folder.mkdir(parents=True)
    for stem in ("01_a", "02_b"):
        (folder / f"{stem}.ipynb").write_text(stem)
    calls = []
    monkeypatch.setattr(report, "run_verdicts", lambda ran, overrides: calls.append(ran) or
                        " ".join(stem for stem, _ in ran))
    finished = [runner.Outcome("02_b", "ok", 2.0), runner.Outcome("01_a", "ok", 1.0)]
    in_order = [runner.Outcome("01_a", "ok", 0.0, cache="hit"), runner.Outcome("02_b", "ok", 0.0, cache="hit")]
    assert cli._verdicts(finished, folder, []) == "01_a 02_b"  # listed in the notebooks' order either way
    assert cli._verdicts(in_order, folder, []) == "01_a 02_b" and len(calls) == 1
