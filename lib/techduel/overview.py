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
