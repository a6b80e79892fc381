"""Shared fixtures: a scratch copy of the repository's data and notebooks, and one executed collection."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from techduel import paths

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A copy of data/ and notebooks/ that a test may break; TECHDUEL_ROOT points at it."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "data", root / "data")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    monkeypatch.setenv("TECHDUEL_ROOT", str(root))
    monkeypatch.setenv("TECHDUEL_BUILD", str(root / "build"))
    assert paths.root() == root
    return root


def cli(*args, env_root: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``python -m techduel`` as a user would, optionally against a scratch root."""
    env = dict(os.environ)
    if env_root is not None:
        env["TECHDUEL_ROOT"] = str(env_root)
        env["TECHDUEL_BUILD"] = str(env_root / "build")
    return subprocess.run([sys.executable, "-m", "techduel", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=env_root or REPO)


def run_notebook(root: Path, stem: str, *params: str) -> dict:
    """Run one notebook through the command line with ``-p`` overrides; return what it recorded (name -> value)."""
    return run_with(root, stem, *params)[0]


def run_with(root: Path, stem: str, *params: str) -> tuple[dict, Path]:
    """As ``run_notebook``, and the build folder the run wrote to (``build_of``)."""
    args = ["run", stem, "--no-site", "--no-robustness"] + [x for p in params for x in ("-p", p)]
    done = cli(*args, env_root=root)
    assert done.returncode == 0, done.stdout + done.stderr
    build = build_of(done, root)
    recorded = json.loads((build / "results.json").read_text())[stem]
    return {name: r["value"] for name, r in recorded.items()}, build


def build_of(done: subprocess.CompletedProcess, root: Path) -> Path:
    """Where a run wrote its results: build/ for default parameters, build/overrides/<hash>/ with overrides."""
    return override_dir(done.stdout, root) if "build/overrides/" in done.stdout else root / "build"


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The whole collection run once through the runner into a scratch build folder, site included."""
    root = tmp_path_factory.mktemp("built") / "repo"
    shutil.copytree(REPO / "data", root / "data")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    done = cli("run", "--no-robustness", env_root=root)  # the pass: test_robustness_run
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "build"


@pytest.fixture(scope="session")
def one_thread(tmp_path_factory):
    """A scratch root where 06_sanctions_timeline and the overview ran with their defaults, site included.

    Only notebooks that run on every branch (06 does; others may be under review) so tests of publishing do
    not depend on the state of the other threads. Tests copy it (``clone``) before changing anything."""
    root = tmp_path_factory.mktemp("one_thread") / "repo"
    shutil.copytree(REPO / "data", root / "data")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    done = cli("run", "06_sanctions_timeline", "00_overview", "--jobs", "1", env_root=root)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def clone(root: Path, into: Path) -> Path:
    """A copy of a scratch root with its build (the notebook cache may not follow the move: use for site/collect)."""
    copy = into / "repo"
    shutil.copytree(root, copy, symlinks=True)
    return copy


def published(build: Path) -> dict[str, bytes]:
    """Every published file under ``build`` (relative name -> bytes); cache bookkeeping is not published."""
    return {p.relative_to(build).as_posix(): p.read_bytes() for p in sorted(build.rglob("*"))
            if p.is_file() and ".cache" not in p.relative_to(build).parts}


def override_dir(stdout: str, root: Path) -> Path:
    """The folder a run with overrides says it wrote to (build/overrides/<hash>)."""
    import re

    found = re.search(r"(\S*build/overrides/[0-9a-f]+)", stdout)
    assert found, f"the run does not say where its non-default results went:\n{stdout}"
    return (root / found.group(1)).resolve()


def tiny(path, body: str, param: str = "x: int = 1  # a number (range: 0..30)"):
    """A two-cell scratch notebook (a parameters cell, then ``body``) for runner, sweep and robustness tests."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(param, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body)])
    nb.metadata["kernelspec"] = {"name": "techduel", "display_name": "techduel", "language": "python"}
    nb.metadata["techduel"] = {"thread": "test", "title": path.stem, "question": "?"}
    nbformat.write(nb, path)
