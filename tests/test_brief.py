"""techduel.brief: the in-brief block shown at a notebook's top and filled in by each verdict."""

from __future__ import annotations

import nbformat
import pytest

from techduel import brief, claims, data, paths


@pytest.fixture
def shown(monkeypatch):
    """Every display and display update, as (kind, bundle, display_id)."""
    seen = []
    monkeypatch.setattr("IPython.display.display",
                        lambda bundle, raw=False, metadata=None, display_id=None, update=False, **k:
                        seen.append(("update" if update else "display", bundle, display_id)))
    monkeypatch.setattr("IPython.display.update_display",
                        lambda bundle, display_id=None, **k: seen.append(("update", bundle, display_id)))
    monkeypatch.setattr(brief, "_state", {"id": None, "rows": {}})
    monkeypatch.setenv(paths.ROBUSTNESS_ENV, "")  # no robustness summary: these tests are about the block
    return seen


def _sources():
    reg = data.load("sources")
    ok = reg[(reg["grade"] == "established") & reg["interest"].isna() & reg["origin"].isna()]
    return list(ok["source_id"].iloc[:2])


def test_block_lists_the_thread_claims_then_fills_in_each_verdict(shown):
    brief.show("sanctions_timeline")
    kind, first, did = shown[0]
    assert kind == "display" and did == "td-brief-sanctions_timeline"
    ids = [r["claim_id"] for r in first[brief.BRIEF]["rows"]]
    assert ids == list(claims.ledger().query("thread == 'sanctions_timeline'")["claim_id"])
    assert "judged below" in first["text/html"]
    claims.verdict("C046", "accurate", "r", "e", _sources(), conclusion="It holds.")
    updates = [b for k, b, d in shown if k == "update" and d == did]
    assert len(updates) == 1
    row = next(r for r in updates[0][brief.BRIEF]["rows"] if r["claim_id"] == "C046")
    assert row["verdict"] == "accurate" and row["strength"] == "confirmed"
    assert 'href="#C046"' in updates[0]["text/html"] and "C046: ACCURATE (confirmed) It holds." in updates[0]["text/plain"]


def test_a_verdict_without_a_block_updates_nothing(shown):
    claims.verdict("C046", "accurate", "r", "e", _sources(), conclusion="It holds.")
    assert [k for k, _, _ in shown] == ["display"]  # the verdict box only


def test_executed_notebook_stores_the_final_block_at_the_top(tmp_path, monkeypatch):
    """nbclient rewrites the first output when the display is updated: what a git host and the site show."""
    from nbclient import NotebookClient

    monkeypatch.setenv(paths.ROBUSTNESS_ENV, "")  # the kernel inherits it: no robustness summary read
    sources = _sources()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from techduel import brief, claims\nbrief.show('sanctions_timeline')"),
        nbformat.v4.new_code_cell(f"claims.verdict('C046', 'accurate', 'r', 'e', {sources!r}, conclusion='It holds.')"),
    ])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (top,) = nb.cells[0].outputs
    rows = {r["claim_id"]: r for r in top["data"][brief.BRIEF]["rows"]}
    assert rows["C046"]["verdict"] == "accurate"
    assert "C046: ACCURATE (confirmed) It holds." in top["data"]["text/plain"]
