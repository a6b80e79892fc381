"""The scoreboard the overview notebook draws: factual claims and forecasts apart, each by thread and verdict,
with the evidence strength behind the verdicts and the corrections log.

Tallies count a claim that depends on another (``depends_on`` in the ledger) once, with the claim it depends
on; the claims table still lists it.
"""

from __future__ import annotations


import pandas as pd

from . import claims, data, evidence, paths
from .build import trace

ORDER = list(claims.LABELS) + ["pending"]
FORECAST_ORDER = list(claims.FORECAST_LABELS) + ["pending"]
STRENGTH_ORDER = list(evidence.STRENGTHS)


def verdicts_from(folder: str) -> pd.DataFrame:
    """Verdicts recorded in the executed thread notebooks of ``folder`` (relative to the repository root)."""
    base = paths.resolve(folder)
    if not base.is_dir():
        raise FileNotFoundError(f"notebooks_dir '{folder}' is not a folder ({base})")
    trace.note_listing(base, "[0-9][0-9]_*.ipynb")
    found = sorted(p for p in base.glob("[0-9][0-9]_*.ipynb")
                   if not p.name.endswith(".failed.ipynb") and not p.stem.startswith("00_"))
    verdicts = claims.read_verdicts(found)
    claims.check_verdicts(verdicts)
    return verdicts


def _counted(board: pd.DataFrame, scale: str | None) -> pd.DataFrame:
    rows = board[board["counted"]] if "counted" in board.columns else board
    if scale is not None and "scale" in rows.columns:
        rows = rows[rows["scale"] == scale]
    return rows


def tally(board: pd.DataFrame, scale: str | None = None) -> pd.DataFrame:
    """Claims per thread (rows) and verdict (columns, in the scale's order), with a total column; dependent
    claims are counted once. ``scale`` ('fact' or 'forecast') keeps one scale's claims."""
    rows = _counted(board, scale)
    order = FORECAST_ORDER if scale == "forecast" else ORDER + [c for c in FORECAST_ORDER if c not in ORDER]
    table = pd.crosstab(rows["thread"], rows["verdict"])
    table = table.reindex(columns=[c for c in order if c in table.columns], fill_value=0)
    table["total"] = table.sum(axis=1)
    return table


def strengths(board: pd.DataFrame) -> pd.DataFrame:
    """Judged claims (dependent ones once) by verdict (rows) and the strength of the evidence behind it."""
    rows = _counted(board, None)
    rows = rows[rows["verdict"] != "pending"]
    table = pd.crosstab(rows["verdict"], rows["strength"].replace("", "(not recorded)"))
    order = [v for v in ORDER + FORECAST_ORDER if v in table.index]
    cols = [c for c in STRENGTH_ORDER + ["(not recorded)"] if c in table.columns]
    return table.reindex(index=order, columns=cols, fill_value=0)


def status(board: pd.DataFrame) -> str:
    """One sentence on what the ledger holds and what is judged, true whatever the state (no 'pending' when
    nothing is)."""
    counted = _counted(board, None)
    facts, fcs = (counted["scale"] == "fact").sum(), (counted["scale"] == "forecast").sum()
    dependent = int((~board["counted"]).sum())
    waiting = int((counted["verdict"] == "pending").sum())
    text = (f"The ledger holds {len(board)} rows: {facts} factual claims and presuppositions and {fcs} forecasts "
            "counted on the scoreboard")
    text += (f", plus {dependent} dependent detail{'s' if dependent != 1 else ''} counted once with the claim "
             "it depends on" if dependent else "")
    if waiting:
        return text + f". {len(counted) - waiting} of {len(counted)} claims judged so far; {waiting} pending."
    return text + f". All {len(counted)} are judged."


def figure(board: pd.DataFrame, title: str, scale: str = "fact"):
    """Horizontal stacked bars: one bar per thread, one colour per verdict (light grey: pending; mid grey:
    unverifiable or not resolvable)."""
    from . import plotting

    table = tally(board, scale).drop(columns="total")
    table = table[table.sum(axis=1) > 0]
    height = max(2.4, 0.5 * len(table) + 1.6)
    fig, ax = plotting.figure(title, "Number of claims" if scale == "fact" else "Number of forecasts", "",
                              size=(10, height))
    left = pd.Series(0, index=table.index)
    for label in table.columns:
        ax.barh(table.index, table[label], left=left, label=label, color=claims.COLOURS[label],
                edgecolor="white", linewidth=0.5)
        left = left + table[label]
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)  # never over a bar
    data_ = table.reset_index().melt(id_vars="thread", var_name="verdict", value_name="claims")
    return fig, data_


def corrections() -> pd.DataFrame:
    """The corrections log, newest first: every change to a published verdict or figure, with its reason."""
    log = data.load("corrections")
    return log.sort_values(["date", "target"], ascending=[False, True], kind="stable")


def links(folder: str):
    """Markdown links to the thread notebooks found in ``folder`` (relative links, so they work in JupyterLab,
    on a git host and, rewritten to .html, on the site)."""
    import json

    from IPython.display import Markdown

    def threads(base):
        return {p.name: json.loads(p.read_text(encoding="utf-8")).get("metadata", {}).get("techduel", {})
                for p in sorted(base.glob("[0-9][0-9]_*.ipynb"))
                if not p.stem.startswith("00_") and not p.name.endswith(".failed.ipynb")}

    found, committed = threads(paths.resolve(folder)), threads(paths.notebooks_dir())
    lines = {name: f"* [{meta.get('title', name)}]({name}): {meta.get('question', '')}" for name, meta in found.items()}
    # a committed thread notebook that was not executed into this folder is not run, not unwritten
    trace.note_listing(paths.notebooks_dir(), "[0-9][0-9]_*.ipynb")
    for name, meta in committed.items():
        if name not in found:
            trace.note(paths.notebooks_dir() / name)
            lines[name] = f"* {meta.get('title', name)}: not run in this build (its claims show as pending here)"
    from .tables import literal_dollars  # titles and questions quote prices

    return Markdown(literal_dollars("\n".join(lines[n] for n in sorted(lines)))
                    or "No thread notebook was run in this build.")
