"""Command line: ``python -m techduel list | params NOTEBOOK | run [NOTEBOOK ...] [-p name=value ...] |
sweep NOTEBOOK name=v1,v2 ... | robustness [NOTEBOOK ...] | refresh | site | bench``.
Exit status: 0 done, 1 a notebook failed, 2 bad input (nothing was run), 130 interrupted."""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import paths
from .build import params, runner


def _whole(minimum: int, below: str):
    """An argparse type: a whole number of at least ``minimum``; ``below`` says what is wrong otherwise."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(below)
        return value
    return parse


_jobs = _whole(1, "--jobs must be at least 1")
_count = _whole(0, "must be 0 or more")


def _seconds(option: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{option} must be more than 0 seconds")
        return value
    return parse


def _limits(args) -> runner.Limits:
    return runner.Limits(cell=args.cell_timeout, notebook=args.notebook_timeout)



def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m techduel", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="notebooks with their thread and parameters")
    p = sub.add_parser("params", help="the parameters of one notebook")
    p.add_argument("notebook")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--jobs", type=_jobs, default=None,
                        help="notebooks run at once (default: the number of cores; for the short runs of a "
                             "robustness pass, one more)")
    common.add_argument("--force", action="store_true", help="rerun even what the cache could serve")
    common.add_argument("--executor", default="local", metavar="local|dask://HOST:PORT",
                        help="where the runs the cache cannot serve go: this machine's worker processes "
                             "(default) or an existing Dask cluster sharing this checkout (the dask extra)")
    limits = argparse.ArgumentParser(add_help=False)
    limits.add_argument("--cell-timeout", type=_seconds("--cell-timeout"), default=runner.Limits.cell,
                        metavar="SECONDS", help="stop a cell that runs longer (default: %(default)g)")
    limits.add_argument("--notebook-timeout", type=_seconds("--notebook-timeout"),
                        default=runner.Limits.notebook, metavar="SECONDS",
                        help="stop a notebook that runs longer (default: %(default)g)")
    r = sub.add_parser("run", parents=[common, limits],
                       help="execute notebooks into build/notebooks, collect results, render the site "
                            "(with non-default -p values: into build/overrides/<hash>/, never published)")
    r.add_argument("notebooks", nargs="*", help="paths or stems; all when none")
    r.add_argument("-p", dest="overrides", action="append", default=[], metavar="name=value")
    r.add_argument("--no-site", action="store_true", help="skip rendering build/site")
    r.add_argument("--no-robustness", action="store_true",
                   help="skip the robustness pass that a canonical run does first (faster while developing); "
                        "the verdict boxes of the notebooks that run then say 'robustness not assessed'")
    s = sub.add_parser("sweep", parents=[common, limits],
                       help="run one notebook over a grid of parameter values")
    s.add_argument("notebook")
    s.add_argument("axes", nargs="*", metavar="name=v1,v2,...")
    b = sub.add_parser("robustness", parents=[common, limits],
                       help="run every assumption across its declared range; say which verdicts depend on which")
    b.add_argument("notebooks", nargs="*", help="paths or stems; all thread notebooks when none")
    b.add_argument("--points", type=_count, default=3, help="interior values per ranged assumption (default 3)")
    b.add_argument("--tolerance", type=float, default=0.01,
                   help="bisect each threshold to this share of the assumption's range (default 0.01)")
    f = sub.add_parser("refresh", parents=[limits],
                       help="re-execute the committed notebooks in place with default parameters")
    f.add_argument("notebooks", nargs="*", help="paths or stems; all when none")
    f.add_argument("--jobs", type=_jobs, default=os.cpu_count() or 1)
    f.add_argument("--no-robustness", action="store_true",
                   help="keep notebooks/robustness.csv as it is instead of writing it first from a robustness pass")
    sub.add_parser("site", help="render build/site from build/notebooks")
    sub.add_parser("bench", help="time the runner against a naive papermill loop; writes build/bench.json")
    args = ap.parse_args(argv)
    try:
        if getattr(args, "executor", None) is None:
            return _dispatch(args)
        from .build import executors

        with executors.connect(args.executor) as executor:
            args.executor = executor  # None: the local worker processes
            return _dispatch(args)
    except params.ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _dispatch(args) -> int:
    if args.cmd == "list":
        notebooks, unreadable = runner.choose([])
        for nb in notebooks:
            names = ", ".join(p.name for p in nb.parameters()) or "-"
            print(f"{nb.stem:34} {nb.thread:28} parameters: {names}")
        for bad in unreadable:
            print(f"warning: {bad.message()}", file=sys.stderr)
        return 0
    if args.cmd == "params":
        (nb,) = runner.select([args.notebook])
        print(f"{'name':20} {'role':10} {'type':6} {'default':28} help")
        for prm in nb.parameters():
            print(f"{prm.name:20} {prm.role or '-':10} {prm.type:6} {repr(prm.default):28} {prm.help}")
        return 0
    if args.cmd == "run":
        build = runner.target(args.notebooks, args.overrides)
        first, summary = [], None
        if build == paths.build_dir() and not args.no_robustness:  # canonical: robustness first, cached
            first, summary = _robustness_first(args.notebooks, args.jobs, args.force, args.executor, _limits(args))
        outcomes = runner.run(args.notebooks, args.overrides, jobs=args.jobs, force=args.force,
                              limits=_limits(args), robustness_summary=summary, executor=args.executor)
        print(runner.table(outcomes))
        print(_verdicts(outcomes, build / "notebooks", args.overrides))
        code = runner.report(first + outcomes)
        if not runner.executed(build / "notebooks"):
            print("  nothing collected: no notebook has run successfully yet", file=sys.stderr)
            return code
        if build != paths.build_dir():
            code = max(code, _publish(site=False, build=build))
            changed = "; ".join(f"{stem}: " + ", ".join(f"{k}={v}" for k, v in p.items()) for stem, p in
                                json.loads((build / "overrides.json").read_text(encoding="utf-8")).items())
            print(f"  overrides ({changed}): executed notebooks and results are in {runner.shown(build)}/; "
                  "they are not published (the site, verdicts.csv, results.json and claimreview.jsonld in "
                  "build/ come from default parameters only)")
            return code
        return max(code, _publish(site=not args.no_site))
    if args.cmd == "sweep":
        from .build import sweep

        outcomes, csv_path, figures = sweep.sweep(args.notebook, args.axes, jobs=args.jobs, force=args.force,
                                                  limits=_limits(args), executor=args.executor)
        print(runner.table(outcomes))
        print()
        print(csv_path.with_suffix(".md").read_text(encoding="utf-8").rstrip())
        print(f"  wrote {csv_path} (exact values) and {csv_path.with_suffix('.md').name} (the table above)")
        for fig in figures:
            print(f"  wrote {fig}")
        return runner.report(outcomes)
    if args.cmd == "robustness":
        from .build import robustness

        done = robustness.pass_unless_fresh(args.notebooks, points=args.points, tolerance=args.tolerance,
                                            jobs=args.jobs, force=args.force, executor=args.executor,
                                            limits=_limits(args))
        if done is None:
            print("  robustness: every run is current and every file is as the last pass wrote it; nothing to do "
                  "(--force reruns)")
            return 0
        outcomes, written = done
        failed = [o for o in outcomes if o.status == "failed"]
        print(f"  {len(outcomes)} runs ({sum(o.cache == 'hit' for o in outcomes)} from the cache, "
              f"{len(failed)} failed)")
        for path in written.values():
            print(f"  wrote {path}")
        return runner.report(outcomes)
    if args.cmd == "refresh":
        first = []
        if not args.no_robustness:  # the committed summary first: the refreshed boxes read it
            from .build import robustness_committed

            first, summary = _robustness_first(args.notebooks, args.jobs, False, limits=_limits(args))
            if summary is not None:
                stems = [nb.stem for nb in runner.choose(args.notebooks)[0] if not nb.is_overview]
                for path in robustness_committed.write(stems):
                    print(f"  wrote {runner.shown(path)}")
        outcomes = runner.refresh(args.notebooks, jobs=args.jobs, limits=_limits(args))
        print(runner.table(outcomes))
        print(_verdicts(outcomes, paths.notebooks_dir(), []))
        return runner.report(first + outcomes)
    if args.cmd == "site":
        return _publish(site=True)
    if args.cmd == "bench":
        from .build import bench

        return bench.main()
    raise AssertionError(args.cmd)


def _robustness_first(names: list[str], jobs: int | None, force: bool, executor=None, limits=None):
    """The robustness pass of the thread notebooks named (all when none), through the cache, before they run:
    (its outcomes, build/robustness_summary.csv), or ([], None) when no thread notebook is named. Its runs read
    no summary (robustness_shown.reading(None)); cache hits are counted, not listed."""
    from . import robustness_shown
    from .build import robustness

    stems = [nb.stem for nb in runner.choose(names)[0] if not nb.is_overview]
    if not stems:
        return [], None
    quiet = lambda line: None if "cache hit" in line else print(line)  # noqa: E731
    with robustness_shown.reading(None):
        done = robustness.pass_unless_fresh(stems, jobs=jobs, force=force, echo=quiet, executor=executor,
                                            limits=limits)
    if done is None:  # every run current, every file as the last pass wrote it: confirmed, not redone
        summary = paths.build_dir() / "robustness_summary.csv"
        print(f"  robustness: current, nothing to run -> {runner.shown(summary)}")
        return [], summary
    outcomes, written = done
    failed = sum(o.status == "failed" for o in outcomes)
    print(f"  robustness: {len(outcomes)} runs ({sum(o.cache == 'hit' for o in outcomes)} from the cache, "
          f"{failed} failed) -> {runner.shown(written['robustness_summary.csv'])}")
    return outcomes, written["robustness_summary.csv"]


def _verdicts(outcomes: list[runner.Outcome], folder, overrides: list[str]) -> str:
    """The closing list of verdicts: those of every notebook the command ran or served from the cache.

    Kept under build/.cache, keyed by the content of the executed copies it is read from, so that a warm
    run prints it without importing pandas (reading the verdicts needs it; nothing else on that path does)."""
    import hashlib
    from pathlib import Path

    from .build import cache

    # in the notebooks' order, not the order they finished in: a warm run (in order) must find what a cold
    # run (as finished) kept
    ran = sorted((o.notebook, Path(folder) / f"{o.notebook}.ipynb" if o.status == "ok" else None) for o in outcomes)
    kept = None
    if Path(folder).resolve().is_relative_to(paths.build_dir()):
        name = "closing-verdicts-" + hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:12]
        kept = paths.build_dir() / ".cache" / f"{name}.txt"
        key = cache.inputs_key([p for _, p in ran if p is not None], cache.lib_hash(),
                               json.dumps([[stem, p is not None] for stem, p in ran]), json.dumps(overrides))
        if kept.exists() and cache.fresh(name, key, [kept]):
            return kept.read_text(encoding="utf-8")
    from .build import files, report

    text = report.run_verdicts(ran, overrides)
    if kept is not None:
        try:
            files.write_atomic(kept, text)
            cache.record(name, key, [kept])
        except OSError:
            pass  # without it, the next run reads the verdicts again
    return text


def _publish(site: bool, build=None) -> int:
    """Collect the results (and render the site); a failure is one message saying what to do and what is kept.
    ``build`` is an overrides folder: its results are collected there, without ClaimReview or site."""
    try:
        if build is None:
            written = runner.collect()
        else:
            written = runner.collect(build / "notebooks", build, claimreview=False)
        for path in written.values():
            print(f"  wrote {runner.shown(path)}")
    except runner.PublishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if site:
        from .build import site as site_

        try:
            print(f"  site: {runner.shown(site_.build())}")
        except (ValueError, OSError) as exc:
            print(f"error: the site was not rebuilt: {exc}. Fix it and run `python -m techduel site`; the results "
                  f"files were written and the previous site, if any, is kept", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
