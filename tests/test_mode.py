"""The run mode: a robustness run (``TECHDUEL_MODE=verdicts``) draws no figure and no reader table, and a
cached full run can never stand in for it (nor it for a full run)."""

from __future__ import annotations

import pandas as pd
import pytest

from techduel import cache, paths, plotting, tables


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
                                             ("03_huawei_vertical_integration", {})])
def test_a_verdicts_run_records_what_a_full_run_records(tmp_path, stem, overrides):
    """Robustness reads verdicts-only runs, the site publishes full ones: the same parameters must give the same
    recorded results and verdicts (payloads byte for byte) either way; only figures and tables differ."""
    import json

    from techduel import claims, outputs, results, runner

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
