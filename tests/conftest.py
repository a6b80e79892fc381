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
    args = ["run", stem, "--no-site"] + [x for p in params for x in ("-p", p)]
    done = cli(*args, env_root=root)
    assert done.returncode == 0, done.stdout + done.stderr
    recorded = json.loads((root / "build" / "results.json").read_text())[stem]
    return {name: r["value"] for name, r in recorded.items()}


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The whole collection run once through the runner into a scratch build folder, site included."""
    root = tmp_path_factory.mktemp("built") / "repo"
    shutil.copytree(REPO / "data", root / "data")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    done = cli("run", env_root=root)
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "build"
