"""Run one notebook over a grid of parameter values and tabulate what it recorded.

``python -m techduel sweep NOTEBOOK name=v1,v2 [name2=...]`` runs every combination (in parallel, cached
like any run), keeps each executed copy under ``build/sweeps/<notebook>/runs/``, and writes
``build/sweeps/<notebook>/<names>.csv`` (one row per run: the parameters, the status and every recorded
result, and one column per claim's label, read from each run's verdicts), the same as a table for readers
(``<names>.md``: units in the headers, rounded values; also printed), and one figure per numeric result that
changes across the runs, against the first swept parameter. For a list parameter, join
the items of one value with ``+`` (``kinds=tariff+tariff_relief,entity_list``). A value given twice for one
parameter is refused before any kernel starts.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from . import files, params, report, runner
from .. import claims, paths, plotting, results, robustness_shown


def parse_axes(specs: list[str], declared: list[params.Parameter], notebook: str) -> dict[str, list]:
    if not specs:
        raise params.ParameterError("a sweep needs at least one name=v1,v2,... to vary")
    by_name = {p.name: p for p in declared}
    axes: dict[str, list] = {}
    for spec in specs:
        name, text = params.parse_override(spec)
        if name not in by_name:
            raise params.ParameterError(f"{notebook} has no parameter '{name}' (its parameters: "
                                        f"{', '.join(by_name) or 'none'})")
        if name in axes:
            raise params.ParameterError(f"parameter '{name}' is swept twice")
        raw = [v.strip() for v in text.split(",") if v.strip()]
        if not raw:
            raise params.ParameterError(f"sweep of '{name}' names no values")
        p = by_name[name]
        values = [params.coerce(p, v.replace("+", ",") if p.type == "list" else v) for v in raw]
        for value in values:
            params.check_exists(p, value)
        for i, value in enumerate(values):  # two runs of one combination would write one file
            if value in values[:i]:
                shown = "+".join(value) if isinstance(value, list) else value
                raise params.ParameterError(f"sweep of '{name}' names {shown} twice; give each value once")
        axes[name] = values
    return axes


def sweep(notebook: str, specs: list[str], jobs: int | None = None, force: bool = False, echo=print,
          limits: runner.Limits | None = None, executor=None):
    """Run the grid; return (outcomes, path of the CSV, paths of the figures); the reader's table is written
    beside the CSV with the suffix .md. ``executor``: where the runs go (``techduel.build.executors``)."""
    (nb,) = runner.select([notebook])
    axes = parse_axes(specs, nb.parameters(), nb.stem)  # bad input raises before any kernel starts
    base = paths.build_dir() / "sweeps" / nb.stem
    combos = [dict(zip(axes, values)) for values in itertools.product(*axes.values())]
    for combo in combos:  # e.g. an end before start: refused here rather than failing in a kernel
        params.check_together(nb.parameters(), combo, f"{nb.stem}, combination {params.slug(combo)}")
    jobs_ = [runner.Job(nb, combo, base / "runs" / f"{params.slug(combo)}.ipynb", base / "runs", label=params.slug(combo))
             for combo in combos]
    with robustness_shown.reading(None):  # a sweep's runs are not the canonical inputs: "not assessed"
        outcomes = runner.run_stages([jobs_], jobs=jobs, force=force, echo=echo, limits=limits,
                                     executor=executor)
    status = {o.notebook: o.status for o in outcomes}
    rows, units, claim_ids = [], {}, []
    for job, combo in zip(jobs_, combos):
        row = {k: ("+".join(v) if isinstance(v, list) else v) for k, v in combo.items()}
        row["status"] = status.get(job.name, "failed")
        if row["status"] == "ok" and job.output.exists():
            for _, v in claims.read_verdicts([job.output]).iterrows():
                row[report.verdict_column(v["claim_id"])] = v["verdict"]
                claim_ids += [v["claim_id"]] if v["claim_id"] not in claim_ids else []
            for name, rec in results.read(job.output).items():
                row[name] = rec["value"]
                units[name] = rec.get("unit")
        rows.append(row)
    verdict_cols = [report.verdict_column(c) for c in claim_ids]
    table = pd.DataFrame(rows)
    table = table[list(axes) + ["status"] + verdict_cols + [c for c in table.columns
                                                            if c not in {*axes, "status", *verdict_cols}]]
    name = "__".join(axes)
    csv_path = files.write_atomic(base / f"{name}.csv", table.to_csv(index=False, lineterminator="\n"))
    swept = [p for p in nb.parameters() if p.name in axes]
    files.write_atomic(base / f"{name}.md", report.sweep_table(table, swept, units, claim_ids) + "\n")
    figures = _figures(table, list(axes), nb.stem, base, units, swept)
    return outcomes, csv_path, figures


def _figures(table: pd.DataFrame, swept: list[str], stem: str, base: Path, units: dict,
             declared: list[params.Parameter]) -> list[Path]:
    """One figure per numeric result that changes across the runs (a flat line says nothing the table does
    not): value against the first swept parameter, a line per other combination."""
    ok = table[table["status"] == "ok"]
    skip = set(swept) | {"status"}
    numeric = [c for c in ok.columns if c not in skip and pd.api.types.is_numeric_dtype(ok[c])
               and not pd.api.types.is_bool_dtype(ok[c]) and ok[c].nunique(dropna=False) > 1]
    out = []
    x = swept[0]
    numeric_x = pd.api.types.is_numeric_dtype(ok[x])
    for result in numeric:
        ylabel = f"{result} ({units[result]})" if units.get(result) else result
        x_unit = next((report.parameter_unit(p) for p in declared if p.name == x), None)
        fig, ax = plotting.figure(f"{stem}: {result} against {x}", f"{x} ({x_unit})" if x_unit else x, ylabel)
        groups = ok.groupby(swept[1:], sort=False) if len(swept) > 1 else [((), ok)]
        for key, rows in groups:
            label = ", ".join(f"{k}={v}" for k, v in zip(swept[1:], key if isinstance(key, tuple) else (key,)))
            xs = rows[x] if numeric_x else rows[x].astype(str)
            ax.plot(xs, rows[result], marker="o", label=label or None)
        if len(swept) > 1:
            ax.legend()
        plotting.add_source(fig, f"techduel sweep of {stem}; data in {base.name}/{'__'.join(swept)}.csv")
        out.append(files.write_atomic(base / f"{'__'.join(swept)}__{result}.png", plotting.render_png(fig)))
    return out
