"""Where things live, resolved from the repository root, never from the working directory.

papermill and nbval start kernels in different folders, so every path in the project is built here.
``TECHDUEL_ROOT`` overrides the root (tests point it at a scratch copy).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


def root() -> Path:
    env = os.environ.get("TECHDUEL_ROOT")
    return _resolved(env, os.getcwd() if env and not os.path.isabs(env) else "")


@lru_cache(maxsize=32)
def _resolved(env: str | None, _cwd: str) -> Path:
    """The root, resolved once per value of TECHDUEL_ROOT (and folder, for a relative one): a notebook asks
    for it hundreds of times, and each resolve walked every component of the path."""
    return Path(env).resolve() if env else Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    return root() / "data"


def notebooks_dir() -> Path:
    return root() / "notebooks"


def build_dir() -> Path:
    env = os.environ.get("TECHDUEL_BUILD")
    return Path(env).resolve() if env else root() / "build"


def article_path() -> Path:
    """The article lives in the shared folder beside the repository (``../shared/article``)."""
    env = os.environ.get("TECHDUEL_ARTICLE")
    if env:
        return Path(env).resolve()
    return root().parent / "shared" / "article" / "article.txt"


MODES = ("full", "verdicts")


def mode() -> str:
    """How the running notebook is being executed: ``full`` (every figure and table rendered: the published
    runs, JupyterLab, nbval) or ``verdicts`` (a robustness run, read only for its results and verdicts, so
    figures and reader tables are not drawn). The runner sets ``TECHDUEL_MODE`` for the kernel."""
    value = os.environ.get("TECHDUEL_MODE") or "full"
    if value not in MODES:
        raise ValueError(f"TECHDUEL_MODE={value!r}: must be one of {', '.join(MODES)}")
    return value


ROBUSTNESS_ENV = "TECHDUEL_ROBUSTNESS"


def robustness_summary() -> Path | None:
    """The robustness summary a verdict box reads: ``TECHDUEL_ROBUSTNESS`` when set (a path, relative to the
    root or absolute; empty: none, "not assessed for these parameters"), else the committed summary of the
    canonical inputs, notebooks/robustness.csv. The runner sets it for every run it starts."""
    value = os.environ.get(ROBUSTNESS_ENV)
    if value is None:
        return notebooks_dir() / "robustness.csv"
    return resolve(value) if value.strip() else None


def resolve(path: str | os.PathLike) -> Path:
    """A path as given by a user or a parameter: absolute stays, relative is taken from the root."""
    p = Path(path)
    return p if p.is_absolute() else root() / p
