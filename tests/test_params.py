"""techduel.build.params: the parameters cell grammar and the checking of overrides."""

from __future__ import annotations

import re

import pytest

from techduel.build import params

CELL = '''n: int = 3  # draws (range: 1..10)
rate: float = 2.5  # price per hour (range: 0.5..10)
name: str = "a"  # which one (choices: a, b)
flag: bool = False  # switch
day: str = "2020-01-31"  # first day (format: YYYY-MM-DD)
items: list = ["x"]  # kinds shown (choices: x, y, z)
'''


def by_name():
    return {p.name: p for p in params.parse(CELL)}


def test_parse_reads_types_defaults_help_and_constraints():
    p = by_name()
    assert (p["n"].type, p["n"].default, p["n"].low, p["n"].high) == ("int", 3, 1.0, 10.0)
    assert p["name"].choices == ("a", "b") and p["day"].is_date and p["items"].default == ["x"]
    assert p["rate"].help.startswith("price per hour")


@pytest.mark.parametrize("name, text, value", [
    ("n", "7", 7), ("rate", "3", 3.0), ("rate", "0.5", 0.5), ("name", "b", "b"), ("flag", "true", True),
    ("flag", "no", False), ("day", "2024-02-29", "2024-02-29"), ("items", "x,z", ["x", "z"])])
def test_coerce_accepts(name, text, value):
    assert params.coerce(by_name()[name], text) == value


@pytest.mark.parametrize("name, text, message", [
    ("n", "7.5", "'7.5' is not a valid int"), ("n", "11", "outside 1.0..10.0"), ("rate", "cheap", "not a valid float"),
    ("name", "c", "c not allowed \\(allowed: a, b\\)"), ("flag", "maybe", "not a valid bool"),
    ("day", "2024-02-30", "not a date"), ("day", "31/01/2020", "not a date"), ("items", "x,w", "w not allowed")])
def test_coerce_refuses_with_the_parameter_named(name, text, message):
    with pytest.raises(params.ParameterError, match=f"parameter '{name}'.*{message}"):
        params.coerce(by_name()[name], text)


def test_resolve_refuses_unknown_names_and_lists_known_ones():
    with pytest.raises(params.ParameterError, match="has no parameter 'price'.*n, rate, name"):
        params.resolve(params.parse(CELL), {"price": "2"}, "nb")


@pytest.mark.parametrize("text", ["novalue", "=3", "2x=3"])
def test_malformed_override(text):
    with pytest.raises(params.ParameterError, match="malformed override"):
        params.parse_override(text)


@pytest.mark.parametrize("cell, message", [
    ("x = 3\n", "write each parameter as"), ("x: dict = {}\n", "allowed types"),
    ("x: int = 30  # (range: 1..10)\n", "outside"), ("d: int = 3  # (format: YYYY-MM-DD)\n", "must be str")])
def test_bad_parameters_cell(cell, message):
    with pytest.raises(params.ParameterError, match=message):
        params.parse(cell)


def test_every_notebook_has_one_tagged_parameters_cell_that_parses():
    from techduel.build import runner

    for nb in runner.discover():
        assert nb.parameters(), nb.stem


# --- constraints declared beside the ranges and checked before any kernel (issue 13) -------------------

WINDOW = '''start: str = "2016-01-01"  # first day (format: YYYY-MM-DD)
end: str = "2025-12-31"  # last day (format: YYYY-MM-DD) (after: start)
kinds: list = ["a"]  # kinds shown (choices: a, b) (nonempty)
first: int = 2015  # first year (range: 2010..2025)
last: int = 2025  # last year (range: 2010..2026) (after: first)
folder: str = "data"  # folder read (exists: dir)
'''


def window():
    return {p.name: p for p in params.parse(WINDOW)}


def test_the_grammar_reads_after_nonempty_and_exists():
    p = window()
    assert (p["end"].after, p["last"].after, p["kinds"].nonempty, p["folder"].exists) == ("start", "first", True, "dir")
    assert "not before start" in p["end"].allowed() and "at least one item" in p["kinds"].allowed()


@pytest.mark.parametrize("overrides, message", [
    ({"start": "2024-01-01", "end": "2020-01-01"},
     "parameters 'start' and 'end': end = 2020-01-01 is before start = 2024-01-01"),
    ({"start": "2026-01-01"}, "end = 2025-12-31 is before start = 2026-01-01"),  # against the default
    ({"first": "2020", "last": "2019"}, "parameters 'first' and 'last': last = 2019 is before first = 2020"),
    ({"kinds": ""}, "parameter 'kinds': the list is empty"), ({"kinds": ",,"}, "parameter 'kinds': the list is empty"),
    ({"start": "2024-W01-1"}, "parameter 'start': '2024-W01-1' is not a date"),
    ({"start": "2024-001"}, "not a date"), ({"start": "\uff12024-01-01"}, "not a date"),
    ({"folder": "no/such/folder"}, "parameter 'folder': 'no/such/folder' is not an existing folder"),
])
def test_constraints_are_refused_before_any_kernel_naming_the_parameters(overrides, message):
    with pytest.raises(params.ParameterError, match=re.escape(message)):
        params.resolve(params.parse(WINDOW), overrides, "nb")


def test_constraints_that_hold_pass():
    got = params.resolve(params.parse(WINDOW), {"start": "2020-01-01", "end": "2020-01-01", "folder": "notebooks"}, "nb")
    assert got == {"start": "2020-01-01", "end": "2020-01-01", "folder": "notebooks"}  # equal is not before


@pytest.mark.parametrize("cell, message", [
    ('a: str = "x"  # (after: b)\n', "declared (after: b)"),
    ('a: int = 1  # n\nb: str = "2020-01-01"  # (format: YYYY-MM-DD) (after: a)\n', "of the same kind"),
    ('a: int = 5  # n\nb: int = 1  # (after: a)\n', "the defaults: parameters 'a' and 'b'"),
    ('k: list = []  # (nonempty)\n', "the list is empty"),
    ('d: str = "x"  # (exists: folder)\n', "write (exists: dir)"),
])
def test_bad_constraint_declarations(cell, message):
    with pytest.raises(params.ParameterError, match=re.escape(message)):
        params.parse(cell)


# --- roles: assumption (swept by robustness), view (never moves a verdict), control (issue 15) ---------------

ROLES = '''price: float = 2.0  # price per hour (range: 0.5..10) (unit: USD per GPU-hour) (role: assumption)
basis: str = "a"  # which basis (choices: a, b) (role: assumption)
extra: bool = False  # count the extra (role: assumption)
start: str = "2016-01-01"  # first day shown (format: YYYY-MM-DD) (role: view)
seed: int = 1  # random seed (role: control)
'''


def test_the_grammar_reads_roles_and_units():
    p = {x.name: x for x in params.parse(ROLES)}
    assert [x.role for x in p.values()] == ["assumption", "assumption", "assumption", "view", "control"]
    assert p["price"].unit == "USD per GPU-hour" and p["basis"].unit == ""
    assert p["extra"].domain() == [False, True] and p["basis"].domain() == ["a", "b"]


@pytest.mark.parametrize("cell, message", [
    ("x: float = 1.0  # a number (role: assumption)\n",
     "parameter 'x' is an assumption, so it needs a declared (range: lo..hi) or (choices: ...)"),
    ("x: int = 1  # a number (role: input)\n", "parameter 'x' has (role: input); the roles are assumption, view, control"),
    ("x: int = 1  # (role: view) (role: control)\n", "parameter 'x' declares two roles"),
])
def test_bad_role_declarations(cell, message):
    with pytest.raises(params.ParameterError, match=re.escape(message)):
        params.parse(cell)


def test_every_parameter_of_every_notebook_declares_its_role():
    from techduel.build import runner

    missing = [f"{nb.stem}: {p.name}" for nb in runner.discover() for p in nb.parameters() if not p.role]
    assert not missing, "parameters without a (role: assumption|view|control): " + ", ".join(missing)


@pytest.mark.parametrize("line, default", [
    ('k: list = ["a", "b"]  # kinds shown (choices: a, b, c) (role: view)', ["a", "b"]),
    ('d: str = "2016-01-01"  # first day (format: YYYY-MM-DD) (role: view)', "2016-01-01"),
    ('y: int = 2015  # first year (range: 2010..2025) (role: view)', 2015),
    ('c: str = "x"  # which (choices: x, y) (role: view)', "x"), ("f: bool = True  # flag (role: view)", True),
])
def test_another_value_is_allowed_and_different(line, default):
    (p,) = params.parse(line + "\n")
    other = params.another_value(p)
    assert other != default
    params.check(p, other)


def test_another_value_respects_constraints_between_parameters():
    declared = params.parse('a: int = 2015  # (range: 2010..2025) (role: view)\n'
                            'b: int = 2016  # (range: 2010..2026) (after: a) (role: view)\n')
    changed = params.views_changed(declared)
    assert set(changed) == {"a", "b"} and changed["b"] >= changed["a"]
    assert changed != {"a": 2015, "b": 2016}


def test_read_parses_a_notebook_once_and_follows_a_rewrite(tmp_path, monkeypatch):
    import json

    def notebook(cell: str) -> str:
        return json.dumps({"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": cell}]})

    path = tmp_path / "01_t.ipynb"
    path.write_text(notebook("x: int = 1  # a\n"))
    from techduel.build import nbjson

    loads = []
    real = nbjson._parse
    monkeypatch.setattr(nbjson, "_parse", lambda name: loads.append(name) or real(name))
    assert [p.default for p in params.read(path)] == [1]
    assert [p.default for p in params.read(path)] == [1] and len(loads) == 1
    path.write_text(notebook("x: int = 2  # a\n"))  # same size, new content, same process
    assert [p.default for p in params.read(path)] == [2]
    path.write_text(notebook("x: int = 1  # a\n"))
    assert [p.default for p in params.read(path)] == [1] and len(loads) == 2  # that content was parsed before
