"""The Python patch version in committed notebooks: informative, never a reason to fail or to rerun.

A refresh writes the ``language_info.version`` the kernel reports (what JupyterLab would save on that machine);
the committed notebooks may carry any 3.11.x, and nbval, which compares outputs only, passes on any other."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

import nbformat

from conftest import REPO
from techduel.build import runner


def _minor() -> str:
    spec = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    return re.search(r">=\s*(\d+\.\d+)", spec).group(1)


def test_committed_notebooks_carry_a_patch_version_of_the_pinned_minor():
    minor = _minor()
    for path in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        version = json.loads(path.read_text(encoding="utf-8"))["metadata"]["language_info"].get("version", "")
        assert re.fullmatch(rf"{re.escape(minor)}\.\d+", version), f"{path.name}: language_info.version {version!r}"


def test_a_committed_copy_keeps_the_version_its_kernel_reported(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.9"}
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    runner.clean(path, drop_varying=True)
    assert nbformat.read(path, as_version=4).metadata["language_info"]["version"] == "3.11.9"


def test_nbval_passes_a_notebook_refreshed_on_another_patch_version(tmp_path):
    other = "3.11.0" if sys.version.split()[0] != "3.11.0" else "3.11.99"
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=1, outputs=[
        nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)])
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["language_info"] = {"name": "python", "version": other}
    nb.metadata["kernelspec"] = {"name": "techduel", "display_name": "Python 3 (techduel)", "language": "python"}
    nbformat.write(nb, tmp_path / "other.ipynb")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                           "--nbval", "--nbval-current-env", "-c", "/dev/null", str(tmp_path / "other.ipynb")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
