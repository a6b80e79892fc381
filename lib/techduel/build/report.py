"""What the command line prints when it is done: the verdicts a run produced, and a sweep's table for readers.

A reader who reruns a notebook with other assumptions wants to see at once whether a verdict moved, without
opening the executed copy; so ``run`` ends with each claim's label and strength (marked with the overrides the
notebook ran with), and a sweep's table carries one column per claim's label, units in its headers and numbers
rounded for people (the CSV beside it keeps the exact values).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from . import params

# Units a parameter's help may state (`... in USD`, `..., km per ms`); `(unit: ...)` in the help says it
# outright.
_UNIT_WORDS = r"USD|US\$|yuan|CNY|bits|bytes|GB|MW|GW|kW|kWh|MWh|TWh|km|ms|percent|%|years|tCO2"
_UNIT = re.compile(rf"(?:\bin|,)\s+((?:{_UNIT_WORDS})(?:\s*(?:/|per\s)\s*[\w-]+)?)(?=[\s;,.)]|$)")


def parameter_unit(p: params.Parameter) -> str | None:
    """The unit a parameter's help states, if any: ``(unit: ...)``, else a known unit after "in" or a
    comma."""
    if m := re.search(r"\(unit:\s*([^)]+)\)", p.help):
        return m.group(1).strip()
    head = p.help.split(";")[0]
    m = _UNIT.search(head)
    return m.group(1).strip() if m else None


def number(value) -> str:
    """A value as a reader reads it: four significant figures, thousands separators, never 1e+06."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "+".join(map(str, value))
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == 0 or abs(value) >= 1000:
            return f"{value:,.0f}"
        decimals = max(0, 3 - math.floor(math.log10(abs(value))))
        text = f"{value:,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def grid(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table, columns padded to their widest cell."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def run_verdicts(notebooks: list[tuple[str, Path | None]], overrides: list[str]) -> str:
    """The verdicts of the notebooks a run executed (or served from cache), one claim a line.

    ``notebooks`` pairs each notebook's stem with its executed copy (None when it failed). A notebook that ran
    with ``-p`` overrides has them shown beside each of its verdicts, so a label that differs from the
    committed notebook's is traced to the assumption that moved it."""
    from .. import claims

    parsed = [params.parse_override(o) for o in overrides]
    rows, missing = [], []
    for stem, path in notebooks:
        if path is None or not path.exists():
            missing.append(stem)
            continue
        declared = {p.name for p in params.read(path)} if _has_parameters(path) else set()
        mark = ", ".join(f"{k}={v}" for k, v in parsed if k in declared)
        for _, v in claims.read_verdicts([path]).iterrows():
            rows.append([v["claim_id"], str(v["verdict"]), _text(v["strength"]), stem, mark])
    if not rows and not missing:
        return "verdicts: none recorded by the notebooks run"
    header = ["claim", "label", "strength", "notebook", "run with -p"]
    if not any(r[4] for r in rows):  # defaults everywhere: no column of blanks
        header, rows = header[:4], [r[:4] for r in rows]
    out = ["verdicts"]
    if rows:
        out.append(grid(header, rows))
    out += [f"{stem}: no verdicts (it failed)" for stem in missing]
    return "\n".join(out)


def _has_parameters(path: Path) -> bool:
    try:
        params.read(path)
    except params.ParameterError:
        return False
    return True


def _text(value) -> str:
    missing = value is None or value == "" or (isinstance(value, float) and math.isnan(value))
    return "–" if missing else str(value)


def verdict_column(claim_id: str) -> str:
    """The CSV column of a claim's label in a sweep table."""
    return f"{claim_id}_label"


def sweep_table(table: pd.DataFrame, swept: list[params.Parameter], units: dict[str, str | None],
                claim_ids: list[str]) -> str:
    """A sweep's table for readers (Markdown): the swept values, status, each claim's label and each result
    that changes across the runs, with units in the headers and rounded values; the results that are the same
    in every run follow as one line, so the columns left are the ones that move."""
    ok = table[table["status"] == "ok"]
    names = [p.name for p in swept]
    verdicts = [verdict_column(c) for c in claim_ids]
    rest = [c for c in table.columns if c not in {*names, "status", *verdicts}]
    moving = [c for c in rest if len(ok) < 2 or _varies(ok[c])]
    fixed = [c for c in rest if c not in moving]
    cols = names + ["status"] + verdicts + moving
    header = []
    for c in cols:
        p = next((p for p in swept if p.name == c), None)
        unit = parameter_unit(p) if p else units.get(c)
        label = f"{c.removesuffix('_label')} label" if c in verdicts else c
        header.append(f"{label} ({unit})" if unit else label)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, row in table.iterrows():
        lines.append("| " + " | ".join(number(_plain(row.get(c))) for c in cols) + " |")
    if fixed and len(ok):
        first = ok.iloc[0]
        same = ", ".join(f"{c} = {number(_plain(first[c]))}" + (f" {units[c]}" if units.get(c) else "")
                         for c in fixed)
        lines += ["", f"The same in every run: {same}."]
    return "\n".join(lines)


def _varies(column: pd.Series) -> bool:
    return column.map(lambda v: repr(_plain(v))).nunique() > 1


def _plain(value):
    if hasattr(value, "item") and not isinstance(value, (list, str)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
