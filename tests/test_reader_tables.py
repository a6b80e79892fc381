"""The tables and reasons a reader sees in executed notebooks: no scientific notation, no code names as headers.

Runs three thread notebooks that run on their own (01, 05, 06: money, FLOP counts, pivots, long tables) in a scratch copy, and reads every committed
notebook's reader tables as they are (after the lead's refresh, all of them are reader tables)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from conftest import REPO, run_notebook

SCIENTIFIC = re.compile(r"(?<![\w/.#-])\d+(\.\d+)?[eE][+-]?\d+(?!\w)")
HEADER = re.compile(r'<th[^>]*class="(?:col_heading|index_name)[^"]*"[^>]*>(.*?)</th>', re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
VERDICT = "application/vnd.techduel.verdict+json"


def problems(nb_path: Path) -> list[str]:
    """What a reader would trip over in one executed notebook's tables, results and verdict reasons."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    found = []
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            page = "".join(data.get("text/html", ""))
            if "td-table" in page:
                page = re.sub(r"<style.*?</style>", "", page, flags=re.S)
                for th in (html.unescape(t) for t in HEADER.findall(page)):
                    if "_" in th or th[:1].islower():
                        found.append(f"{nb_path.stem} cell {i}: code name as a header: {th!r}")
                for td in CELL.findall(page):
                    if SCIENTIFIC.search(td):
                        found.append(f"{nb_path.stem} cell {i}: scientific notation in a table: {td!r}")
            verdict = data.get(VERDICT)
            if verdict:
                texts = [verdict["reason"], verdict["conclusion"], *(r["reading"] for r in verdict.get("readings", []))]
                for text in texts:
                    if SCIENTIFIC.search(text):
                        found.append(f"{verdict['claim_id']}: scientific notation in {text[:120]!r}")
            text = "".join(data.get("text/plain", ""))
            if "application/vnd.techduel.result+json" in data and SCIENTIFIC.search(text):
                found.append(f"{nb_path.stem} cell {i}: scientific notation in a result: {text!r}")
    return found


@pytest.mark.parametrize("stem", ["01_deepseek_training_cost", "05_trade_global_south", "06_sanctions_timeline"])
def test_executed_notebook_tables_and_reasons_read_as_words(scratch, stem):
    run_notebook(scratch, stem)
    nb_path = scratch / "build" / "notebooks" / f"{stem}.ipynb"
    assert problems(nb_path) == []
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    shown = [c for c in nb["cells"] if c["cell_type"] == "code" and "readable(" in "".join(c["source"])]
    assert shown and all(any("td-table" in "".join(o.get("data", {}).get("text/html", "")) for o in c["outputs"])
                         for c in shown)  # every table the notebook shows is a reader table


def test_committed_reader_tables_have_no_scientific_notation():
    """Holds for whatever reader tables the committed notebooks carry (all of them once refreshed)."""
    found = [p for nb in sorted((REPO / "notebooks").glob("[0-9]*.ipynb")) for p in problems(nb)
             if "in a table" in p or "header" in p]
    assert found == []
