"""The verdict box shows its claim's robustness, read from a robustness summary (issue 15, item 3)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from techduel import brief, claims, data, paths, robustness_shown
from techduel.build import cache, robustness, trace

VERDICT = "application/vnd.techduel.verdict+json"


@pytest.fixture
def shown(monkeypatch):
    seen = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw=False, metadata=None, **k: seen.append(bundle))
    monkeypatch.setattr("IPython.display.update_display", lambda bundle, display_id=None, **k: seen.append(bundle))
    monkeypatch.setattr(brief, "_state", {"id": None, "rows": {}})
    monkeypatch.delenv("TECHDUEL_MODE", raising=False)
    monkeypatch.delenv("TECHDUEL_TRACE", raising=False)
    return seen


def _sources():
    reg = data.load("sources")
    ok = reg[(reg["grade"] == "established") & reg["interest"].isna() & reg["origin"].isna()]
    return list(ok["source_id"].iloc[:2])


def summary(path, *rows):
    """A small robustness summary with the columns robustness.summarise writes."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, robustness.SUMMARY_COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: "" for c in robustness.SUMMARY_COLUMNS} | {"notebook": "06_sanctions_timeline"} | r)
    return path


ROBUST = {"claim": "C046", "status": "robust", "from_label": "accurate", "sentence": "holds across all assumptions"}
SENSITIVE = {"claim": "C046", "status": "sensitive", "assumption": "rental_price", "threshold": "4.1",
             "from_label": "accurate", "to_label": "mixed",
             "sentence": "depends on rental_price: becomes mixed above 4.1 USD per GPU-hour"}
OTHER = {"claim": "C047", "status": "robust", "from_label": "false", "sentence": "holds across all assumptions"}


def box(shown):
    claims.verdict("C046", "accurate", "r", "e", _sources(), conclusion="It holds.")
    bundle = next(b for b in shown if VERDICT in b)
    return bundle[VERDICT], bundle["text/plain"], bundle["text/html"]


def test_a_robust_claim_says_it_holds_across_all_assumptions(shown, tmp_path, monkeypatch):
    monkeypatch.setenv("TECHDUEL_ROBUSTNESS", str(summary(tmp_path / "rob.csv", ROBUST, OTHER)))
    payload, text, html = box(shown)
    assert (payload["robustness"], payload["robustness_note"]) == ("robust", "holds across all assumptions")
    assert "Robustness: Holds across all assumptions" in text
    assert 'data-robustness="robust"><strong>Robustness:</strong> Holds across all assumptions</p>' in html


def test_a_sensitive_claim_names_its_assumption_the_label_and_the_threshold(shown, tmp_path, monkeypatch):
    monkeypatch.setenv("TECHDUEL_ROBUSTNESS", str(summary(tmp_path / "rob.csv", SENSITIVE, OTHER)))
    payload, text, html = box(shown)
    assert payload["robustness"] == "sensitive" and payload["robustness_on"] == "rental_price"
    assert "Robustness: Depends on rental_price: becomes mixed above 4.1 USD per GPU-hour" in text
    assert "Depends on rental_price: becomes <em>mixed</em> above 4.1 USD per GPU-hour" in html
    assert robustness_shown.short(payload["robustness"], payload["robustness_on"]) == "depends on rental_price"


def test_no_summary_row_no_summary_or_another_label_is_not_assessed(shown, tmp_path, monkeypatch):
    monkeypatch.setenv("TECHDUEL_ROBUSTNESS", str(summary(tmp_path / "rob.csv", OTHER)))
    payload, text, html = box(shown)
    assert payload["robustness"] == "not assessed" and "Robustness not assessed" in text and "Robustness not assessed" in html
    monkeypatch.setenv("TECHDUEL_ROBUSTNESS", str(tmp_path / "absent.csv"))
    shown.clear()
    assert box(shown)[0]["robustness"] == "not assessed"
    monkeypatch.setenv("TECHDUEL_ROBUSTNESS", "")  # an override run, a sweep
    shown.clear()
    payload, text, _ = box(shown)
    assert payload["robustness"] == "not assessed" and "Robustness not assessed for these parameters" in text
    # the reader changed an assumption in JupyterLab: the summary speaks for the default label only
    monkeypatch.setenv("TECHDUEL_ROBUSTNESS", str(summary(tmp_path / "rob.csv", ROBUST | {"from_label": "false"})))
    shown.clear()
    assert box(shown)[1].count("Robustness not assessed for these parameters") == 1


def test_without_the_variable_the_box_reads_the_committed_summary(monkeypatch, tmp_path):
    monkeypatch.delenv("TECHDUEL_ROBUSTNESS", raising=False)
    assert paths.robustness_summary() == paths.notebooks_dir() / "robustness.csv"
    monkeypatch.setenv("TECHDUEL_ROBUSTNESS", "build/robustness_summary.csv")
    assert paths.robustness_summary() == paths.root() / "build" / "robustness_summary.csv"
    monkeypatch.setenv("TECHDUEL_ROBUSTNESS", "")
    assert paths.robustness_summary() is None


def test_a_robustness_run_never_reads_the_summary(shown, tmp_path, monkeypatch):
    path = summary(tmp_path / "rob.csv", SENSITIVE)
    traced = tmp_path / "trace"
    monkeypatch.setenv("TECHDUEL_ROBUSTNESS", str(path))
    monkeypatch.setenv("TECHDUEL_TRACE", str(traced))
    monkeypatch.setenv("TECHDUEL_MODE", "verdicts")
    payload, text, _ = box(shown)
    assert payload["robustness"] == "not assessed" and "in a robustness run" in text
    assert not [r for r in trace.read(traced) if "rob.csv" in r]


def test_the_read_is_traced_by_the_claims_rows_only(shown, tmp_path, monkeypatch):
    """The cache reruns a notebook when its claims' robustness changes, and only then."""
    path = summary(tmp_path / "rob.csv", ROBUST, OTHER)
    traced = tmp_path / "trace"
    monkeypatch.setenv("TECHDUEL_ROBUSTNESS", str(path))
    monkeypatch.setenv("TECHDUEL_TRACE", str(traced))
    box(shown)
    (entry,) = [r for r in trace.read(traced) if "rob.csv" in r]
    assert entry.startswith("rows:claim=C046:")
    before = cache.file_hash(entry)
    summary(path, ROBUST, OTHER | {"status": "sensitive", "sentence": "depends on y: becomes mixed"})
    assert cache.file_hash(entry) == before  # another claim's robustness changed: nothing to rerun
    summary(path, SENSITIVE, OTHER)
    assert cache.file_hash(entry) != before
    assert cache.locate(cache.entry(entry)) == entry


def test_the_scoreboard_has_a_robust_column(tmp_path):
    verdicts = pd.DataFrame([{"claim_id": "C046", "verdict": "accurate", "robustness": "sensitive",
                              "robustness_on": "rental_price", "robustness_note": "depends on rental_price: x"},
                             {"claim_id": "C047", "verdict": "false", "robustness": "robust", "robustness_on": "",
                              "robustness_note": "holds across all assumptions"}])
    board = claims.scoreboard(verdicts).set_index("claim_id")
    assert board.loc["C046", "robust?"] == "depends on rental_price" and board.loc["C047", "robust?"] == "robust"
    pending = board[board["verdict"] == "pending"]
    assert (pending["robust?"] == "").all()
    old = claims.scoreboard(verdicts.drop(columns=["robustness", "robustness_on", "robustness_note"]))
    assert set(old.loc[old["verdict"] != "pending", "robust?"]) == {"not assessed"}


def test_the_brief_block_marks_robustness_compactly(shown, tmp_path, monkeypatch):
    monkeypatch.setenv("TECHDUEL_ROBUSTNESS", str(summary(tmp_path / "rob.csv", SENSITIVE)))
    brief.show("sanctions_timeline")
    box(shown)
    last = [b for b in shown if brief.BRIEF in b][-1]
    assert "C046: ACCURATE (confirmed) [depends on rental_price] It holds." in last["text/plain"]
    assert '<span class="td-robust">[depends on rental_price]</span>' in last["text/html"]
