"""The scoreboard the overview notebook draws: every ledger claim by thread and verdict."""

from __future__ import annotations


import pandas as pd

from . import claims, paths, trace

ORDER = list(claims.LABELS) + ["pending"]


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


def tally(board: pd.DataFrame) -> pd.DataFrame:
    """Claims per thread (rows) and verdict (columns, on the scale's order), with a total column."""
    table = pd.crosstab(board["thread"], board["verdict"])
    table = table.reindex(columns=[c for c in ORDER if c in table.columns], fill_value=0)
    table["total"] = table.sum(axis=1)
    return table


def figure(board: pd.DataFrame, title: str):
    """Horizontal stacked bars: one bar per thread, one colour per verdict (grey for pending)."""
    from . import plotting

    table = tally(board).drop(columns="total")
    fig, ax = plotting.figure(title, "Number of claims", "", size=(10, 4.8))
    left = pd.Series(0, index=table.index)
    for label in table.columns:
        ax.barh(table.index, table[label], left=left, label=label, color=claims.COLOURS[label],
                edgecolor="white", linewidth=0.5)
        left = left + table[label]
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.legend(ncols=min(4, len(table.columns)), loc="lower right", fontsize=8)
    data = table.reset_index().melt(id_vars="thread", var_name="verdict", value_name="claims")
    return fig, data




def links(folder: str):
    """Markdown links to the thread notebooks found in ``folder`` (relative links, so they work in JupyterLab,
    on a git host and, rewritten to .html, on the site)."""
    import json

    from IPython.display import Markdown

    lines = []
    for p in sorted(paths.resolve(folder).glob("[0-9][0-9]_*.ipynb")):
        if p.stem.startswith("00_") or p.name.endswith(".failed.ipynb"):
            continue
        meta = json.loads(p.read_text(encoding="utf-8")).get("metadata", {}).get("techduel", {})
        lines.append(f"* [{meta.get('title', p.stem)}]({p.name}): {meta.get('question', '')}")
    return Markdown("\n".join(lines) or "No thread notebook has been written yet.")
