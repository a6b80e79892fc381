"""What a verdict box says about its claim's robustness, read from a robustness summary.

A box reads the summary :func:`techduel.paths.robustness_summary` names (the committed one of the canonical
inputs, the build's fresh one, or none) and only its own claim's rows, through a traced read, so the cache
reruns a notebook when its claims' robustness changes and only then. A robustness run (mode ``verdicts``)
never reads it: its result must not depend on the summary it helps to make. The runner says which summary
its kernels read (:func:`reading`).
"""

from __future__ import annotations

import contextlib
import csv
import html
import os
from pathlib import Path

from . import paths
from .build import trace

NOT_ASSESSED = "not assessed"
STATUSES = ("robust", "sensitive", "incomplete", NOT_ASSESSED)


def of(claim_id: str, label: str) -> dict:
    """The payload fields of a verdict: ``robustness`` (robust, sensitive, incomplete or not assessed),
    ``robustness_note`` (the summary's sentence(s), with their numbers) and ``robustness_on`` (the
    assumptions that move it, ``;``-joined). ``label`` is the verdict shown: a summary made for another label
    (the reader changed an assumption in JupyterLab) does not speak for it."""
    if paths.mode() == "verdicts":
        return _none("not assessed in a robustness run")
    path = paths.robustness_summary()
    if path is None:
        return _none("not assessed for these parameters")
    trace.note_rows(path, "claim", claim_id)
    rows = _rows(path, claim_id)
    if not rows:
        return _none("not assessed")
    if any(r.get("from_label") != label for r in rows):
        return _none("not assessed for these parameters")
    status = "sensitive" if any(r["status"] == "sensitive" for r in rows) else rows[0]["status"]
    if status not in STATUSES:
        return _none("not assessed")
    rows = [r for r in rows if r["status"] == status]
    on = [r["assumption"] if r["assumption"] not in ("all low", "all high") else "assumptions together"
          for r in rows if r["assumption"]]
    return {"robustness": status, "robustness_note": "; ".join(dict.fromkeys(r["sentence"] for r in rows)),
            "robustness_on": ";".join(dict.fromkeys(on)), "robustness_to": ";".join(
                dict.fromkeys(r["to_label"] for r in rows if r["to_label"]))}


def _none(note: str) -> dict:
    return {"robustness": NOT_ASSESSED, "robustness_note": note, "robustness_on": "", "robustness_to": ""}


def _rows(path: Path, claim_id: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return [r for r in csv.DictReader(f) if r.get("claim") == claim_id]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def short(status: str, on: str = "") -> str:
    """The scoreboard's "robust?" text: robust, depends on X, incomplete, not assessed."""
    if status == "sensitive":
        return "depends on " + ", ".join(on.split(";")) if on else "sensitive"
    return status if status in STATUSES else NOT_ASSESSED


def sentence(p: dict) -> str:
    """The box's line: "Holds across all assumptions", "Depends on X: becomes mixed above 4.1 USD",
    "Robustness not assessed"."""
    note = p.get("robustness_note") or NOT_ASSESSED
    if p.get("robustness", NOT_ASSESSED) not in ("robust", "sensitive"):
        note = "robustness " + note  # not assessed ..., not established: N run(s) failed
    return note[0].upper() + note[1:]


def _head(p: dict) -> str:
    return "Robustness: " if p.get("robustness") in ("robust", "sensitive") else ""


def text(p: dict) -> str:
    return _head(p) + sentence(p)


def html_line(p: dict) -> str:
    """The box's line in HTML: the label a sensitive claim moves to in italics."""
    e = html.escape
    body = e(sentence(p))
    for to in filter(None, p.get("robustness_to", "").split(";")):
        body = body.replace(f"becomes {e(to)}", f"becomes <em>{e(to)}</em>")
    head = f"<strong>{_head(p).strip()}</strong> " if _head(p) else ""
    return f'<p class="td-robustness" data-robustness="{e(p.get("robustness", NOT_ASSESSED))}">{head}{body}</p>'


@contextlib.contextmanager
def reading(summary: Path | None):
    """Within this block, kernels the runner starts read ``summary`` (None: none, "not assessed for these
    parameters"). Worker processes inherit the variable when they start."""
    before = os.environ.get(paths.ROBUSTNESS_ENV)
    os.environ[paths.ROBUSTNESS_ENV] = "" if summary is None else str(summary)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(paths.ROBUSTNESS_ENV, None)
        else:
            os.environ[paths.ROBUSTNESS_ENV] = before
