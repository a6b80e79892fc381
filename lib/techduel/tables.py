"""Tables as a reader should see them: dates as YYYY-MM-DD, lists joined, missing values blank, not NaN."""

from __future__ import annotations

import pandas as pd

# JupyterLab runs MathJax over HTML outputs: a table with two prices ($2 ... $3) would be typeset as maths.
# With this option pandas marks every table tex2jax_ignore and mathjax_ignore (MathJax 2 and 3 skip them).
pd.set_option("display.html.use_mathjax", False)

_LITERAL_DOLLAR = '<span class="tex2jax_ignore mathjax_ignore">&#36;</span>'


def literal_dollars(markdown: str) -> str:
    """Markdown whose dollar signs display literally in JupyterLab, on a git host and on the site: the entity
    hides ``$`` from the markdown renderers' maths detection, and the span from MathJax once it is text."""
    return markdown.replace("$", _LITERAL_DOLLAR)


def readable(df: pd.DataFrame) -> pd.DataFrame:
    """A display copy of ``df``; the data itself is never changed."""
    out = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.dt.strftime("%Y-%m-%d").fillna("")
        elif s.dtype == object and s.map(lambda v: isinstance(v, list)).any():
            out[col] = s.map(lambda v: "; ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v))
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[col] = s.map(lambda v: "" if pd.isna(v) else f"{v:g}")
        else:
            out[col] = s.astype(object).where(s.notna(), "")
    return pd.DataFrame(out, index=df.index)
