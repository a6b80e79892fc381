"""The source registry (``data/sources.csv``) and the reference lists the notebooks end with."""

from __future__ import annotations

import html
from collections.abc import Iterable

import pandas as pd

from . import data


def registry() -> pd.DataFrame:
    return data.load("sources")


def ids_in(table: pd.DataFrame, column: str = "source_ids") -> list[str]:
    """Source ids named in a table's source column, in first-seen order."""
    seen: dict[str, None] = {}
    for value in table[column]:
        for sid in value if isinstance(value, list) else [value]:
            if isinstance(sid, str) and sid:
                seen.setdefault(sid, None)
    return list(seen)


def cite(ids: Iterable[str]) -> pd.DataFrame:
    """The registry rows for ``ids``, in the order given; an unknown id is an error, never skipped."""
    ids = list(dict.fromkeys(ids))
    reg = registry().set_index("source_id")
    unknown = [i for i in ids if i not in reg.index]
    if unknown:
        raise KeyError(f"unknown source id(s) {', '.join(unknown)}: add them to data/sources.csv")
    return reg.loc[ids].reset_index()


def _date(value) -> str:
    return "n.d." if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def reference(row) -> str:
    """One reference as plain text: publisher, title, date, url, accessed."""
    return (f"[{row['source_id']}] {row['publisher']}. {row['title']}. {_date(row['published'])}. "
            f"{row['url']} (accessed {_date(row['accessed'])})")


def show(ids: Iterable[str], heading: str = "Sources") -> None:
    """Display the reference list for ``ids`` and for every source the notebook's verdicts cited (HTML with
    links, and the same as plain text), so that each source link in a verdict box has its target."""
    from IPython.display import HTML, display

    from . import claims

    rows = cite([*ids, *claims.cited()])
    items = []
    for _, r in rows.iterrows():
        items.append(
            f'<li id="src-{html.escape(r["source_id"])}"><code>{html.escape(r["source_id"])}</code> '
            f'{html.escape(r["publisher"])}. <a href="{html.escape(r["url"])}">{html.escape(r["title"])}</a>. '
            f'Published {_date(r["published"])}; accessed {_date(r["accessed"])}. '
            f'<em>{html.escape(r["note"] or "")}</em></li>')
    text = "\n".join(reference(r) for _, r in rows.iterrows())

    class _Refs(HTML):
        def __repr__(self):
            return f"{heading}:\n{text}"

    display(_Refs(f"<h3>{html.escape(heading)}</h3><ol class='td-sources tex2jax_ignore mathjax_ignore'>"
                  f"{''.join(items)}</ol>"))  # titles quote prices: no MathJax over them in JupyterLab
