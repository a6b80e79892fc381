"""Would the verdict change? Every claim's label across every assumption's declared range.

A multiverse or specification-curve analysis (Steegen et al. 2016; Simonsohn et al. 2020) in the one form a
computed verdict allows: for each parameter of role ``assumption``, run the notebook at both ends of its range
and at ``points`` evenly spaced interior values (a choice or a bool: every value), one assumption at a time
with the others at their defaults, plus the two corners where every ranged assumption sits at its low or its
high end. A claim whose label never changes is **robust**; otherwise **sensitive**, and where a ranged
assumption moves it the flip is located by bisection between the two grid values that bracket it, until the
bracket is no wider than ``tolerance`` × the range (one step for an int) or ``max_rounds`` rounds have run.

The logic (:func:`analyse`) only sees a ``run`` function: a list of override dicts in, one ``{claim: label}``
per run out (``None`` for a run that failed), so it is tested without kernels. :func:`robustness` gives it
the real runner: runs are jobs of the cached, parallel runner, kept under ``build/robustness/<notebook>/``,
never in the published set.
"""

from __future__ import annotations

import json
import os
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from . import params

if TYPE_CHECKING:  # pandas is imported where it is used: the collect step of a warm run reads only the key
    import pandas as pd

Labels = dict[str, str]
RunFn = Callable[[list[dict]], list[Labels | None]]
DEFAULTS = "(defaults)"
CORNERS = {"all low": "with every ranged assumption at its low end",
           "all high": "with every ranged assumption at its high end"}


@dataclass
class Flip:
    """One change of label along one assumption (or at a corner)."""
    assumption: str
    from_label: str
    to_label: str
    low: object = None  # the bracket: the flip lies between low and high (ranged assumptions only)
    high: object = None
    direction: str = ""  # "above" or "below" the threshold, seen from the default; "" for a choice or corner
    value: object = None  # the choice, or the corner, that gives to_label

    @property
    def threshold(self) -> float | None:
        return None if self.low is None else (self.low + self.high) / 2


@dataclass
class Analysis:
    records: list[dict] = field(default_factory=list)  # claim, assumption, value, label, overrides
    flips: dict[str, list[Flip]] = field(default_factory=dict)  # claim -> its flips
    base: Labels = field(default_factory=dict)
    failed: list[dict] = field(default_factory=list)  # the overrides of runs that failed
    skipped: list[str] = field(default_factory=list)  # runs refused by a constraint between parameters
    extra_runs: int = 0  # runs of the bisection, beyond the grid


def grid(p: params.Parameter, points: int) -> list:
    """The values an assumption is run at: both ends and ``points`` interior values, or its whole domain."""
    if p.low is None:
        return p.domain()
    values = [p.low + (p.high - p.low) * i / (points + 1) for i in range(points + 2)]
    values = [round(v) if p.type == "int" else _clean(v) for v in values]
    return sorted(set(values))


def _clean(x: float) -> float:
    return float(f"{x:.12g}")  # 0.1 * 3 reads 0.3, so file names and CSV values stay readable


def _typed(p: params.Parameter, v):
    return int(v) if p.type == "int" else float(v) if p.type == "float" else v


def plan(declared: list[params.Parameter], points: int) -> tuple[list[tuple[str, object, dict]], list[str]]:
    """(assumption, value, overrides) of every grid run, the defaults first; and the runs a constraint refused."""
    assumptions = [p for p in declared if p.role == "assumption"]
    runs: list[tuple[str, object, dict]] = [(DEFAULTS, None, {})]
    skipped: list[str] = []
    for p in assumptions:
        for v in grid(p, points):
            if v != p.default:
                runs.append((p.name, _typed(p, v), {p.name: _typed(p, v)}))
    ranged = [p for p in assumptions if p.low is not None]
    if len(ranged) > 1:  # with one, the corners are that assumption's own ends
        for corner, end in (("all low", "low"), ("all high", "high")):
            runs.append((corner, None, {p.name: _typed(p, getattr(p, end)) for p in ranged}))
    kept = []
    for name, value, overrides in runs:
        try:
            params.check_together(declared, overrides, f"{name} = {value}")
        except params.ParameterError as exc:
            skipped.append(str(exc))
            continue
        kept.append((name, value, overrides))
    return kept, skipped


def analyse(declared: list[params.Parameter], run: RunFn, points: int = 3, tolerance: float = 0.01,
            max_rounds: int = 8, max_extra: int = 64) -> Analysis:
    """Run the grid, then bisect every bracketed flip (at most ``max_rounds`` rounds and ``max_extra`` runs
    beyond the grid); return every run's labels and every claim's flips."""
    return drive(steps(declared, points, tolerance, max_rounds, max_extra), run)


def drive(gen, run: RunFn) -> Analysis:
    """Answer each batch of runs a :func:`steps` generator asks for with ``run``, until it is done."""
    try:
        batch = next(gen)
        while True:
            batch = gen.send(run(batch))
    except StopIteration as done:
        return done.value


def steps(declared: list[params.Parameter], points: int = 3, tolerance: float = 0.01, max_rounds: int = 8,
          max_extra: int = 64):
    """:func:`analyse` as a generator: it yields each batch of runs it needs (a list of override dicts) and is
    sent their labels, so that the batches of several notebooks can run together (:func:`robustness`)."""
    runs, skipped = plan(declared, points)
    out = Analysis(skipped=skipped)
    by_name = {p.name: p for p in declared}
    labels = dict(zip((_key(o) for _, _, o in runs), (yield [o for _, _, o in runs])))

    def record(assumption, value, overrides):
        got = labels[_key(overrides)]
        if got is None:
            out.failed.append(overrides)
            return
        for claim, label in sorted(got.items()):
            out.records.append({"claim": claim, "assumption": assumption, "value": value, "label": label,
                                "overrides": overrides})

    base = labels[_key({})]
    if base is None:
        out.failed.append({})
        return out
    out.base = base
    for name, value, overrides in runs:
        if name == DEFAULTS:
            for p in declared:
                if p.role == "assumption":
                    record(p.name, p.default, {})
        else:
            record(name, value, overrides)
    # brackets: for each ranged assumption and claim, adjacent values (the default among them) whose labels differ
    brackets: list[Bracket] = []
    for p in (p for p in declared if p.role == "assumption" and p.low is not None):
        line = sorted({_typed(p, v) for v in grid(p, points)} | {p.default})
        line = [v for v in line if labels.get(_key(_at(p, v))) is not None]  # a failed run brackets nothing
        for claim in base:
            seen = [(v, labels[_key(_at(p, v))].get(claim, "absent")) for v in line]
            brackets += [Bracket(p, claim, a, la, b, lb) for (a, la), (b, lb) in zip(seen, seen[1:]) if la != lb]
    for _ in range(max_rounds):
        todo = {_key(_at(br.p, m)): _at(br.p, m) for br in brackets if (m := br.midpoint(tolerance)) is not None}
        todo = dict(list((k, o) for k, o in todo.items() if k not in labels)[:max_extra - out.extra_runs])
        if not todo:
            break
        out.extra_runs += len(todo)
        for (k, overrides), got in zip(todo.items(), (yield list(todo.values()))):
            labels[k] = got
            (name, value), = overrides.items()
            record(name, value, overrides)
        brackets = [half for br in brackets for half in br.split(labels)]
    for br in brackets:
        if br.a >= br.p.default:  # the default lies below the bracket: the label changes going up
            flip = Flip(br.p.name, br.la, br.lb, br.a, br.b, "above")
        else:
            flip = Flip(br.p.name, br.lb, br.la, br.a, br.b, "below")
        out.flips.setdefault(br.claim, []).append(flip)
    for name, value, overrides in runs:  # choices, bools and corners: no threshold, the value that moves it
        p = by_name.get(name)
        if name == DEFAULTS or (p is not None and p.low is not None):
            continue
        got = labels[_key(overrides)]
        for claim, label in (got or {}).items():
            alone = {f.to_label for f in out.flips.get(claim, []) if f.assumption in by_name}
            if label != base.get(claim, "absent") and (p is not None or label not in alone):
                # a corner is reported only for what no assumption alone explains
                out.flips.setdefault(claim, []).append(Flip(name, base.get(claim, "absent"), label,
                                                            value=value if p is not None else name))
    return out


@dataclass(frozen=True)
class Bracket:
    """A flip of one claim's label along one ranged assumption lies between ``a`` (label ``la``) and ``b``."""
    p: params.Parameter
    claim: str
    a: object
    la: str
    b: object
    lb: str

    def midpoint(self, tolerance: float):
        """The next value to run, or None when the bracket is narrow enough (within tolerance, or one int step)."""
        if self.b - self.a <= tolerance * (self.p.high - self.p.low):
            return None
        m = (self.a + self.b) // 2 if self.p.type == "int" else _clean((self.a + self.b) / 2)
        return None if m in (self.a, self.b) else m

    def split(self, labels: dict) -> list[Bracket]:
        """The half (or, when the midpoint has a third label, both halves) that still holds a flip."""
        m = self.midpoint(0.0) if self.b - self.a > 0 else None
        got = labels.get(_key(_at(self.p, m))) if m is not None else None
        if got is None:  # narrow enough, not run this round, or the run failed: the bracket stays
            return [self]
        lm = got.get(self.claim, "absent")
        if lm == self.la:
            return [Bracket(self.p, self.claim, m, lm, self.b, self.lb)]
        if lm == self.lb:
            return [Bracket(self.p, self.claim, self.a, self.la, m, lm)]
        return [Bracket(self.p, self.claim, self.a, self.la, m, lm), Bracket(self.p, self.claim, m, lm, self.b, self.lb)]


def _at(p: params.Parameter, v) -> dict:
    """The overrides of the run at ``v``: none at the default, which is the defaults run."""
    return {} if v == p.default else {p.name: v}


def _key(overrides: dict) -> str:
    return json.dumps(overrides, sort_keys=True, default=str)


def summarise(analysis: Analysis, declared: list[params.Parameter], notebook: str,
              tolerance: float = 0.01) -> list[dict]:
    """One row per robust claim, one per flip of a sensitive claim, each with the sentence a reader sees."""
    by_name = {p.name: p for p in declared}
    has_assumptions = any(p.role == "assumption" for p in declared)
    rows = []
    for claim in sorted(analysis.base):
        flips = analysis.flips.get(claim, [])
        row = {"notebook": notebook, "claim": claim, "status": "robust", "assumption": "", "value": "",
               "threshold": "", "threshold_low": "", "threshold_high": "", "from_label": analysis.base[claim],
               "to_label": "", "sentence": "holds across all assumptions" if has_assumptions
               else "holds: the notebook has no assumption to vary"}
        if not flips and analysis.failed:
            rows.append(row | {"status": "incomplete", "sentence": f"not established: {len(analysis.failed)} "
                               "run(s) failed"})
            continue
        if not flips:
            rows.append(row)
            continue
        for f in flips:
            p = by_name.get(f.assumption)
            r = row | {"status": "sensitive", "assumption": f.assumption, "from_label": f.from_label,
                       "to_label": f.to_label}
            if f.threshold is not None:
                unit = f" {p.unit}" if p.unit else ""
                if p.type == "int":  # whole steps: name the first value that gives the new label
                    edge = f.high if f.direction == "above" else f.low
                    text, where = f"{edge}", f"at {edge}{unit} or {f.direction}"
                else:
                    text = _number(f.threshold, p, tolerance)
                    where = f"{f.direction} {text}{unit}"
                r |= {"threshold": text, "threshold_low": f.low, "threshold_high": f.high,
                      "sentence": f"depends on {f.assumption}: becomes {f.to_label} {where}"}
            elif p is None:  # a corner
                r |= {"value": f.value, "sentence": f"depends on the assumptions together: becomes {f.to_label} "
                                                    f"{CORNERS[f.value]}"}
            else:
                r |= {"value": f.value, "sentence": f"depends on {f.assumption}: becomes {f.to_label} with "
                                                    f"{f.assumption} = {f.value}"}
            rows.append(r)
    return rows


def _number(x: float, p: params.Parameter, tolerance: float) -> str:
    """A threshold with as many decimals as the tolerance it was found to (none for an int)."""
    step = tolerance * (p.high - p.low)
    decimals = 0 if p.type == "int" or step >= 1 else max(0, math.ceil(-math.log10(step)))
    return f"{x:,.{decimals}f}"



def view_changes(declared: list[params.Parameter], run: RunFn) -> tuple[dict, dict[str, tuple[str, str]]]:
    """Run at the defaults and with every view set to another allowed value; return the views changed and
    each claim whose label differs (claim -> (label at defaults, label with the views changed)). A view must
    never move a verdict, so the second part should be empty."""
    changed = params.views_changed(declared)
    base, moved = run([{}, changed]) if changed else (run([{}])[0], None)
    if base is None or (changed and moved is None):
        raise RuntimeError("a run failed, so the views could not be compared")
    moved = moved if changed else base
    diff = {c: (base.get(c, "absent"), moved.get(c, "absent")) for c in sorted(set(base) | set(moved))
            if base.get(c) != moved.get(c)}
    return changed, diff

# ------------------------------------------------------------------------------------ runs, files, figure

RECORD_COLUMNS = ["notebook", "claim", "assumption", "value", "label", "run"]
SUMMARY_COLUMNS = ["notebook", "claim", "status", "assumption", "value", "threshold", "threshold_low",
                   "threshold_high", "from_label", "to_label", "sentence"]


def run_name(overrides: dict) -> str:
    return "defaults" if not overrides else params.slug(overrides)


def jobs_for(nb, base: Path, overrides_list: list[dict]) -> list:
    """The runner's jobs for a batch of one notebook's runs, kept in ``base/runs``: verdicts-only runs (no figure
    or reader table drawn), never in the published set."""
    from . import runner

    return [runner.Job(nb, o, base / "runs" / f"{run_name(o)}.ipynb", base / "runs",
                       label=f"{nb.stem}/{run_name(o)}", mode="verdicts") for o in overrides_list]


def labels_of(jobs_: list, status: dict[str, str], done: list) -> list[Labels | None]:
    """Each job's ``{claim: label}`` read back from its executed copy (None for a run that failed)."""
    from .. import claims

    out: list[Labels | None] = []
    for job in jobs_:
        if status.get(job.name) == "ok" and job.output.exists():
            v = claims.read_verdicts([job.output])
            out.append(dict(zip(v["claim_id"], v["verdict"])))
            done.append(job.parameters)
        else:
            out.append(None)
    return out


def notebook_runner(nb, base: Path, jobs: int | None, force: bool, echo, outcomes: list, done: list,
                    executor=None) -> RunFn:
    """The real ``run`` for one notebook: each override dict is a job of the cached, parallel runner; the labels
    are read back from the executed copies. ``outcomes`` and ``done`` collect what ran."""
    from . import runner

    def run(overrides_list: list[dict]) -> list[Labels | None]:
        jobs_ = jobs_for(nb, base, overrides_list)
        got = runner.run_stages([jobs_], jobs=jobs, force=force, echo=echo, executor=executor)
        outcomes.extend(got)
        return labels_of(jobs_, {o.notebook: o.status for o in got}, done)

    return run


def default_jobs() -> int:
    """Runs at once in a pass: one more than the cores. A run on a kernel spends a fifth of its time waiting
    on the kernel's start and end, which a third run fills (measured on 2 cores: 0.8 of the time of 2 at
    once); a run without a kernel (``techduel.build.direct``) waits on nothing, and 2 or 3 at once took the
    same time there."""
    return (os.cpu_count() or 1) + 1


def robustness(names: list[str], points: int = 3, tolerance: float = 0.01, jobs: int | None = None,
               force: bool = False, echo=print, executor=None, limits=None) -> tuple[list, dict[str, Path]]:
    """Analyse the named thread notebooks (all when none); write each one's files under build/robustness/ and
    the combined build/robustness.csv and build/robustness_summary.csv. Return (runner outcomes, files).

    The notebooks are analysed together: every notebook's grid runs go to the runner as one batch, then each
    round of bisection of every notebook as one batch, so that the workers never wait on one notebook's
    round while another notebook has runs to do. ``executor``: where the runs go (``techduel.build.executors``);
    ``limits``: each run's cell and notebook time limits (``runner.Limits``; the runner's defaults when None)."""
    from . import runner
    from .. import paths

    if points < 0 or not 0 < tolerance < 1:
        raise params.ParameterError("--points must be 0 or more and --tolerance between 0 and 1 (a share of "
                                    "each range)")
    notebooks = [nb for nb in runner.select(names) if not nb.is_overview]
    if not notebooks:
        raise params.ParameterError("the overview judges no claim of its own; name a thread notebook")
    jobs = jobs or default_jobs()
    outcomes: list = []
    bases = {nb.stem: paths.build_dir() / "robustness" / nb.stem for nb in notebooks}
    done: dict[str, list[dict]] = {nb.stem: [] for nb in notebooks}
    gens, pending, analyses = {}, {}, {}
    for nb in notebooks:
        declared = nb.parameters()
        echo(f"robustness of {nb.stem}: {sum(p.role == 'assumption' for p in declared)} assumption(s)")
        gens[nb.stem] = steps(declared, points, tolerance)
        pending[nb.stem] = next(gens[nb.stem])
    by_stem = {nb.stem: nb for nb in notebooks}
    while pending:
        batch = {stem: jobs_for(by_stem[stem], bases[stem], overrides) for stem, overrides in pending.items()}
        got = runner.run_stages([[j for js in batch.values() for j in js]], jobs=jobs, force=force, echo=echo,
                                executor=executor, limits=limits)
        outcomes.extend(got)
        status = {o.notebook: o.status for o in got}
        answered = {stem: labels_of(js, status, done[stem]) for stem, js in batch.items()}
        pending = {}
        for stem, labels in answered.items():
            try:
                pending[stem] = gens[stem].send(labels)
            except StopIteration as finished:
                analyses[stem] = finished.value
    written: dict[str, Path] = {}
    for nb in notebooks:
        written |= write(nb, analyses[nb.stem], bases[nb.stem], done[nb.stem], points, tolerance, echo)
    written |= combine()
    return outcomes, written


def write(nb, analysis: Analysis, base: Path, done: list[dict], points: int, tolerance: float, echo
          ) -> dict[str, Path]:
    """One notebook's robustness files: every run's labels, the per-claim summary, the runs it rests on (for
    :func:`current`), its figure."""
    import pandas as pd

    from . import cache, files

    declared = nb.parameters()
    lib_hash, env_hash = cache.lib_hash(), cache.environment_hash()
    written: dict[str, Path] = {}
    records = pd.DataFrame([{"notebook": nb.stem, "claim": r["claim"], "assumption": r["assumption"],
                             "value": _show(r["value"]), "label": r["label"],
                             "run": f"runs/{run_name(r['overrides'])}.ipynb"} for r in analysis.records],
                           columns=RECORD_COLUMNS)
    rows = pd.DataFrame(summarise(analysis, declared, nb.stem, tolerance), columns=SUMMARY_COLUMNS)
    written[f"{nb.stem}/robustness.csv"] = files.write_atomic(base / "robustness.csv", _csv(records))
    written[f"{nb.stem}/summary.csv"] = files.write_atomic(base / "summary.csv", _csv(rows))
    runs = [{"parameters": o, "key": cache.static_key(nb.path, o, lib_hash, env_hash, "verdicts"),
             "output": f"runs/{run_name(o)}.ipynb"} for o in done]
    written[f"{nb.stem}/runs.json"] = files.write_atomic(
        base / "runs.json", json.dumps({"notebook": nb.stem, "points": points, "tolerance": tolerance,
                                        "mode": "verdicts", "runs": runs}, indent=1, sort_keys=True, default=str))
    fig = figure(analysis, declared, nb.stem, base)
    if fig is not None:
        written[f"{nb.stem}/figure"] = fig
    if {} in analysis.failed:
        echo(f"  {nb.stem}: the run at the defaults failed, so no claim could be analysed (see the failure below)")
    for skipped in analysis.skipped:
        echo(f"  skipped a run: {skipped}")
    return written


def combine() -> dict[str, Path]:
    """build/robustness.csv and build/robustness_summary.csv from every notebook analysed so far."""
    import pandas as pd

    from . import files
    from .. import paths

    build = paths.build_dir()
    out = {}
    for name, part, cols in (("robustness.csv", "robustness.csv", RECORD_COLUMNS),
                             ("robustness_summary.csv", "summary.csv", SUMMARY_COLUMNS)):
        parts = [pd.read_csv(p, dtype=str, keep_default_na=False)
                 for p in sorted((build / "robustness").glob(f"*/{part}"))]
        table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
        out[name] = files.write_atomic(build / name, _csv(table[cols]))
    return out


def current(stem: str) -> bool:
    """Whether build/robustness/<stem>/ still answers for the current inputs: every run it rests on is one
    the cache would serve now (same notebook, parameters, code, environment, run mode and files read).

    Hundreds of runs share the notebook, the code and most of the files they read; cache.file_hash
    remembers each file's hash within the process, so each is hashed once per command, not once per run.
    A run's mode is read from runs.json (a run's ``mode``, else the file's, else ``full``)."""
    from . import cache
    from .. import paths

    base = paths.build_dir() / "robustness" / stem
    try:
        doc = json.loads((base / "runs.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    nb_path = paths.notebooks_dir() / f"{stem}.ipynb"
    lib_hash, env_hash = cache.lib_hash(), cache.environment_hash()
    mode = doc.get("mode", "full")
    return bool(doc.get("runs")) and all(
        cache.static_key(nb_path, r["parameters"], lib_hash, env_hash, r.get("mode", mode)) == r["key"]
        and cache.hit(base / r["output"], r["key"]) for r in doc["runs"])


def _pass_files(stem: str) -> list[Path]:
    from .. import paths

    base = paths.build_dir() / "robustness" / stem
    return [base / "runs.json", base / "robustness.csv", base / "summary.csv", *sorted(base.glob("*__robustness.png"))]


def _pass_key(stem: str, points: int, tolerance: float) -> str:
    from . import cache
    from .. import paths

    return cache.inputs_key([paths.build_dir() / "robustness" / stem / "runs.json"], str(points), repr(tolerance),
                            cache.lib_hash())


def _combined(stems: list[str]) -> tuple[str, str, list[Path]]:
    """The book for build/robustness.csv and build/robustness_summary.csv: made from every notebook's files."""
    from . import cache
    from .. import paths

    build = paths.build_dir()
    parts = sorted((build / "robustness").glob("*/robustness.csv")) + sorted((build / "robustness").glob("*/summary.csv"))
    return ("robustness-combined", cache.inputs_key(parts, cache.lib_hash()),
            [build / "robustness.csv", build / "robustness_summary.csv"])


def fresh_pass(stems: list[str], points: int, tolerance: float) -> bool:
    """Whether a robustness pass over ``stems`` would change nothing: for each, the last pass (recorded by
    :func:`record_pass`) had the same points and tolerance, no run failed, every run it rests on is still one
    the cache would serve (:func:`current`), and its files are as it wrote them; and the combined tables are
    as they were made from them. Then the analysis, which depends only on those runs' labels, the notebook's
    declared parameters (part of each run's key) and the code (likewise), would come out the same, so a warm
    rerun need not read every run back, draw the figures again and rewrite the files."""
    from . import cache

    if not stems:
        return False
    for stem in stems:
        if not (cache.fresh(f"robustness-{stem}", _pass_key(stem, points, tolerance), _pass_files(stem))
                and current(stem)):
            return False
    return cache.fresh(*_combined(stems))


def record_pass(stems: list[str], points: int, tolerance: float) -> None:
    """After a pass in which no run failed: what :func:`fresh_pass` checks next time."""
    from . import cache

    for stem in stems:
        cache.record(f"robustness-{stem}", _pass_key(stem, points, tolerance), _pass_files(stem))
    cache.record(*_combined(stems))


def pass_unless_fresh(names: list[str], points: int = 3, tolerance: float = 0.01, jobs: int | None = None,
                      force: bool = False, echo=print, executor=None, limits=None
                      ) -> tuple[list, dict[str, Path]] | None:
    """:func:`robustness`, unless :func:`fresh_pass` says it would change nothing (then None, and nothing is
    read back or written); a pass with no failed run is recorded for next time. The way in for every command
    that runs the pass (``robustness``, and ``run`` when it includes it)."""
    from . import runner

    stems = [nb.stem for nb in runner.select(names) if not nb.is_overview]
    if not force and fresh_pass(stems, points, tolerance):
        return None
    outcomes, written = robustness(names, points=points, tolerance=tolerance, jobs=jobs, force=force, echo=echo,
                                   executor=executor, limits=limits)
    if not any(o.status == "failed" for o in outcomes):
        record_pass(stems, points, tolerance)
    return outcomes, written


def _show(value) -> str:
    if value is None:
        return ""
    return "+".join(map(str, value)) if isinstance(value, list) else str(value)


def _csv(table: pd.DataFrame) -> str:
    return table.to_csv(index=False, lineterminator="\n")


def figure(analysis: Analysis, declared: list[params.Parameter], stem: str, base: Path) -> Path | None:
    """Specification-curve style: one row per sensitive claim and assumption, its label (colour) at each value
    run, along the assumption's range scaled 0..1; the threshold marked. None when no claim is sensitive."""
    from . import files
    from .. import claims, plotting

    by_name = {p.name: p for p in declared if p.role == "assumption"}
    pairs = sorted({(c, f.assumption if f.assumption in by_name else "corners")
                    for c, fl in analysis.flips.items() for f in fl})
    if not pairs:
        return None
    fig, ax = plotting.figure(f"{stem}: the label of each sensitive claim across each assumption",
                              "position in the assumption's declared range (0: low end or first choice; 1: high "
                              "end or last choice)", "", size=(10, 0.45 * len(pairs) + 2))
    seen: set[str] = set()
    for i, (claim, name) in enumerate(pairs):
        if name == "corners":  # every ranged assumption low (at 0) or high (at 1) together
            for r in analysis.records:
                if r["claim"] == claim and r["assumption"] in CORNERS:
                    ax.scatter([0.0 if r["assumption"] == "all low" else 1.0], [i], marker="s", s=40, zorder=3,
                               color=claims.COLOURS.get(r["label"], "#000000"),
                               label=None if r["label"] in seen else r["label"])
                    seen.add(r["label"])
            continue
        p = by_name[name]
        pts = sorted({(_position(p, r["value"]), r["label"]) for r in analysis.records
                      if r["claim"] == claim and r["assumption"] == name})
        for x, label in pts:
            ax.scatter([x], [i], color=claims.COLOURS.get(label, "#000000"), s=40, zorder=3,
                       label=None if label in seen else label)
            seen.add(label)
        for f in analysis.flips[claim]:
            if f.assumption == name and f.threshold is not None:
                ax.plot([_position(p, f.threshold)] * 2, [i - 0.35, i + 0.35], color="#000000", linewidth=1.5)
        ax.scatter([_position(p, p.default)], [i], facecolors="none", edgecolors="#000000", s=110, zorder=4,
                   label=None if "default" in seen else "default")
        seen.add("default")
    ax.set_yticks(range(len(pairs)), [f"{c} · {n}" for c, n in pairs])
    ax.invert_yaxis()
    ax.set_xlim(-0.05, 1.05)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    plotting.add_source(fig, f"techduel robustness of {stem}; every run in robustness/{stem}/robustness.csv; "
                             "black bars: thresholds found by bisection; squares: every ranged "
                             "assumption at its low (0) or high (1) end together")
    return files.write_atomic(base / f"{stem}__robustness.png", plotting.render_png(fig))


def _position(p: params.Parameter, value) -> float:
    if p.low is not None:
        return (float(value) - p.low) / (p.high - p.low) if p.high > p.low else 0.5
    domain = [_show(v) for v in p.domain()]
    return domain.index(_show(value)) / max(1, len(domain) - 1)
