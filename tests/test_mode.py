"""The run mode: a robustness run (``TECHDUEL_MODE=verdicts``) draws no figure and no reader table, and a
cached full run can never stand in for it (nor it for a full run)."""

from __future__ import annotations

import pandas as pd
import pytest

from techduel import paths, plotting, tables
from techduel.build import cache


def shown_bundle(monkeypatch) -> tuple[dict, dict]:
    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda bundle, raw=False, metadata=None: shown.append((bundle, metadata)))
    fig, ax = plotting.figure("A title", "x (units)", "y (units)")
    ax.plot([1, 2, 3], [2, 4, 3])
    plotting.show(fig, "line", pd.DataFrame({"x": [1, 2], "y": [2, 4]}), alt="A line.", source="a test")
    (bundle, meta), = shown
    return bundle, meta


def test_mode_defaults_to_full_and_refuses_an_unknown_value(monkeypatch):
    monkeypatch.delenv("TECHDUEL_MODE", raising=False)
    assert paths.mode() == "full"
    monkeypatch.setenv("TECHDUEL_MODE", "fast")
    with pytest.raises(ValueError, match="TECHDUEL_MODE='fast'"):
        paths.mode()


def test_a_verdicts_run_keeps_the_figure_data_but_draws_no_png(monkeypatch):
    monkeypatch.delenv("TECHDUEL_MODE", raising=False)
    full, full_meta = shown_bundle(monkeypatch)
    monkeypatch.setenv("TECHDUEL_MODE", "verdicts")
    quick, quick_meta = shown_bundle(monkeypatch)
    assert "image/png" in full and "image/png" not in quick
    assert quick["text/csv"] == full["text/csv"] and quick["text/plain"] == full["text/plain"]
    assert quick_meta[plotting.outputs.FIGURE_KEY] == full_meta[plotting.outputs.FIGURE_KEY]


def test_a_verdicts_run_shows_reader_tables_as_text_only(monkeypatch):
    table = tables.readable(pd.DataFrame({"name": ["a"], "value": [1234.5]}))
    monkeypatch.delenv("TECHDUEL_MODE", raising=False)
    assert "<table" in table._repr_html_()
    monkeypatch.setenv("TECHDUEL_MODE", "verdicts")
    assert table._repr_html_() is None and "1,234" in repr(table)


def test_the_mode_is_part_of_the_cache_key(tmp_path):
    nb = tmp_path / "n.ipynb"
    nb.write_text("{}")
    full = cache.static_key(nb, {"a": 1}, "lib", "env")
    assert full == cache.static_key(nb, {"a": 1}, "lib", "env", "full")
    assert cache.static_key(nb, {"a": 1}, "lib", "env", "verdicts") != full


@pytest.mark.parametrize("stem, overrides", [("04_east_data_west_computing", {"route_factor": 2.6}),
                                             ("03_huawei_vertical_integration", {}),
                                             ("02_deepseek_on_small_hardware", {"bits_per_weight": 8.0}),
                                             ("01_deepseek_training_cost", {"rental_price": 6.0}),
                                             ("07_industrial_leadership", {}),
                                             ("08_quotes_and_provenance", {})])
def test_a_verdicts_run_records_what_a_full_run_records(tmp_path, stem, overrides):
    """Robustness reads verdicts-only runs, the site publishes full ones: the same parameters must give the same
    recorded results and verdicts (payloads byte for byte) either way; only figures and tables differ."""
    import json

    from techduel import claims, outputs, results
    from techduel.build import runner

    nb, = runner.select([stem])
    jobs = [runner.Job(nb, overrides, tmp_path / f"{mode}.ipynb", tmp_path, label=mode, mode=mode)
            for mode in ("full", "verdicts")]
    done = runner.run_stages([jobs], jobs=2, force=True, echo=lambda *a: None)
    assert [o.status for o in done] == ["ok", "ok"], [o.error for o in done]
    full, quick = (tmp_path / "full.ipynb", tmp_path / "verdicts.ipynb")
    assert json.dumps(results.read(full), sort_keys=True) == json.dumps(results.read(quick), sort_keys=True)
    def judged(path):  # a verdict without its robustness line, which a robustness run cannot know of itself
        return json.dumps([{k: v for k, v in p.items() if not k.startswith("robustness")}
                           for p in outputs.read(path, outputs.VERDICT)], sort_keys=True)

    assert judged(full) == judged(quick)
    assert len(claims.read_verdicts([quick])) > 0
    assert b"image/png" in full.read_bytes() and b"image/png" not in quick.read_bytes()
    illustrations = [c for c in json.loads(nb.path.read_text())["cells"]
                     if runner.ILLUSTRATION in c.get("metadata", {}).get("tags", [])]
    tagged = lambda path: [c for c in json.loads(path.read_text())["cells"]  # noqa: E731
                           if runner.ILLUSTRATION in c.get("metadata", {}).get("tags", [])]
    assert len(tagged(full)) == len(illustrations) and tagged(quick) == []
    assert all(c["outputs"] for c in tagged(full))  # a full run does run them


def test_the_copy_papermill_runs_has_no_stored_outputs_and_no_illustration_in_a_verdicts_run(tmp_path):
    import json

    from techduel.build import runner

    nb, = runner.select(["02_deepseek_on_small_hardware"])
    stored = json.loads(nb.path.read_text())
    assert any(c.get("outputs") for c in stored["cells"] if c["cell_type"] == "code")
    for mode in ("full", "verdicts"):
        folder = tmp_path / mode
        folder.mkdir()
        copy = json.loads(runner.runnable_copy(nb.path, mode, folder).read_text())
        code = [c for c in copy["cells"] if c["cell_type"] == "code"]
        assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
        kept = [c["id"] for c in copy["cells"]]
        dropped = [c["id"] for c in stored["cells"] if c not in copy["cells"] and c["cell_type"] != "code"]
        assert dropped == []  # markdown is never touched
        illustrations = [c["id"] for c in stored["cells"]
                         if runner.ILLUSTRATION in c.get("metadata", {}).get("tags", [])]
        assert illustrations  # this notebook has one: its machine bandwidth calibration
        assert (set(illustrations) & set(kept)) == (set(illustrations) if mode == "full" else set())
        assert copy["metadata"] == stored["metadata"]


def test_the_copy_papermill_runs_names_an_unreadable_notebook(tmp_path):
    from techduel.build import runner

    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    with pytest.raises(runner.NotebookFailed, match="bad.ipynb"):
        runner.runnable_copy(bad, "full", tmp_path)


def test_no_later_cell_uses_what_an_illustration_cell_sets():
    """Leaving an illustration cell out must change nothing else: it records nothing and no later cell reads a
    name it binds (checked on the cells' syntax, every notebook)."""
    import ast
    import json

    from techduel.build import runner

    checked = 0
    for nb in runner.select([]):
        cells = [c for c in json.loads(nb.path.read_text())["cells"] if c["cell_type"] == "code"]
        bound: dict[str, str] = {}
        for cell in cells:
            source = "".join(cell["source"])
            tree = ast.parse(source)
            if runner.ILLUSTRATION in cell.get("metadata", {}).get("tags", []):
                checked += 1
                calls = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
                assert not {c for c in calls if c.split(".")[-1] in ("verdict", "record", "emit", "rec")}, nb.stem
                own = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
                changed = sorted(changes_outside(tree))
                assert not changed, f"{nb.stem}: illustration cell {cell['id']} changes {changed}, which it did not make"
                for name in own:
                    bound[name] = cell["id"]
                continue
            used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            rebound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            rebound |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
                        for a in [*n.posonlyargs, *n.args, *n.kwonlyargs, n.vararg, n.kwarg] if a}
            leaked = (used - rebound) & set(bound)  # a name the cell binds itself (a loop's, say) is its own
            assert not leaked, f"{nb.stem}: cell {cell['id']} uses {sorted(leaked)} set by an illustration cell"
            for name in rebound:
                bound.pop(name, None)
    assert checked >= 1


# Methods that change the object they are called on (pandas and the builtins): an illustration cell may call
# them only on what it made itself. Conservative: set_index and friends return a copy unless inplace.
CHANGING = {"append", "extend", "insert", "remove", "pop", "clear", "sort", "update", "add", "discard",
            "popitem", "setdefault", "reverse"}


def changes_outside(tree, own: set[str] | None = None) -> set[str]:
    """Names whose objects a cell changes before it has bound them itself (in an earlier statement, or in
    ``own``): item or attribute assignment, ``inplace=True``, a changing method, ``global``. Leaving such a
    cell out would change what later cells see."""
    import ast

    bound, out = set(own or ()), set()
    for statement in tree.body:
        out |= _changes(statement) - bound
        bound |= {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return out


def _changes(tree) -> set[str]:
    import ast

    def base(node):
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            node = node.func if isinstance(node, ast.Call) else node.value
        return node.id if isinstance(node, ast.Name) else None

    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(base(node.value))
        elif isinstance(node, ast.AugAssign):
            out.add(base(node.target))
        elif isinstance(node, ast.Call):
            if any(k.arg == "inplace" for k in node.keywords) or (
                    isinstance(node.func, ast.Attribute) and node.func.attr in CHANGING):
                out.add(base(node.func.value) if isinstance(node.func, ast.Attribute) else base(node.func))
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            out.update(node.names)
    return {n for n in out if n}


def test_the_check_for_changes_outside_a_cell_finds_them():
    import ast

    for source in ("df['a'] = 1", "df.loc[0, 'a'] = 1", "rows.append(1)", "df.sort_values('a', inplace=True)",
                   "obj.attr = 2", "counts[k] += 1", "global total"):
        assert changes_outside(ast.parse(source), set()), source
    assert changes_outside(ast.parse("df.sort_values('a', inplace=True)\ndf = df.copy()"))  # changed, then rebound
    for source in ("x = df.copy(); x['a'] = 1", "out = []; out.append(1)", "y = df.sort_values('a')",
                   "fig, ax = f(); ax.set_title('t')"):
        assert not changes_outside(ast.parse(source)), source


def test_a_notebook_unreadable_at_run_time_stays_where_it_is(scratch):
    """A notebook that cannot be parsed when its run starts (half saved by an editor, say) fails with its name;
    the runner used to move the repository's file itself into the failed/ folder as the "executed copy"."""
    from conftest import tiny
    from techduel.build import runner

    path = scratch / "notebooks" / "18_half.ipynb"
    tiny(path, "y = 1")
    nb, = runner.select(["18_half"])
    path.write_text('{"cells": [', encoding="utf-8")  # after the scan, before the run
    job = runner.Job(nb, {}, scratch / "build" / "half.ipynb", scratch / "build" / "failed")
    outcome = runner.execute(job, scratch / ".build-tmp" / "t", "key")
    assert outcome.status == "failed" and "cannot read 18_half.ipynb" in outcome.error, outcome
    assert path.read_text(encoding="utf-8") == '{"cells": [' and not (scratch / "build" / "failed").exists()
