"""The three ways to install name the same direct dependencies, at the locked versions."""

from __future__ import annotations

import re
import tomllib

import yaml

from conftest import REPO


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"requirements.lock line is not an exact pin: {line}"
            pins[_name(name)] = version.strip()
    return pins


def direct() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [s for group in project["optional-dependencies"].values() for s in group]
    return {_name(s) for s in specs}


def test_environment_yml_pins_the_direct_dependencies_at_the_locked_versions():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"] and "pip" in env["dependencies"]
    (pip,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert "-r requirements.lock" in pip and "-e ." in pip
    pinned = dict(s.split("==") for s in pip if "==" in s)
    assert {_name(n) for n in pinned} == direct()
    locked = lock()
    for name, version in pinned.items():
        assert locked[_name(name)] == version, f"{name}: environment.yml {version}, lock {locked[_name(name)]}"


def test_lock_covers_every_direct_dependency_and_satisfies_pyproject():
    from packaging.requirements import Requirement

    locked = lock()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = [s for group in project["optional-dependencies"].values() for s in group]  # the dask extra too
    for spec in project["dependencies"] + extras:
        req = Requirement(spec)
        assert _name(req.name) in locked, f"{req.name} is not in requirements.lock"
        assert req.specifier.contains(locked[_name(req.name)]), f"lock {locked[_name(req.name)]} breaks {spec}"


def test_the_installed_environment_is_the_locked_one():
    from importlib.metadata import version

    for name in direct():
        assert version(name) == lock()[name], name
