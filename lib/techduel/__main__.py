"""Command line: ``python -m techduel list | params NOTEBOOK | run [NOTEBOOK ...] [-p name=value ...] |
sweep NOTEBOOK name=v1,v2 ... | refresh | site | bench``.
Exit status: 0 done, 1 a notebook failed, 2 bad input (nothing was run), 130 interrupted."""

from __future__ import annotations

import argparse
import os
import sys

from . import params, paths, runner


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("--jobs must be at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m techduel", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="notebooks with their thread and parameters")
    p = sub.add_parser("params", help="the parameters of one notebook")
    p.add_argument("notebook")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--jobs", type=_jobs, default=os.cpu_count() or 1,
                        help="notebooks run at once (default: the number of cores)")
    common.add_argument("--force", action="store_true", help="rerun even what the cache could serve")
    r = sub.add_parser("run", parents=[common],
                       help="execute notebooks into build/notebooks, collect results, render the site")
    r.add_argument("notebooks", nargs="*", help="paths or stems; all when none")
    r.add_argument("-p", dest="overrides", action="append", default=[], metavar="name=value")
    r.add_argument("--no-site", action="store_true", help="skip rendering build/site")
    s = sub.add_parser("sweep", parents=[common], help="run one notebook over a grid of parameter values")
    s.add_argument("notebook")
    s.add_argument("axes", nargs="*", metavar="name=v1,v2,...")
    f = sub.add_parser("refresh", help="re-execute the committed notebooks in place with default parameters")
    f.add_argument("notebooks", nargs="*", help="paths or stems; all when none")
    f.add_argument("--jobs", type=_jobs, default=os.cpu_count() or 1)
    sub.add_parser("site", help="render build/site from build/notebooks")
    sub.add_parser("bench", help="time the runner against a naive papermill loop; writes build/bench.json")
    args = ap.parse_args(argv)
    try:
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
        print(f"{'name':20} {'type':6} {'default':28} help")
        for prm in nb.parameters():
            print(f"{prm.name:20} {prm.type:6} {repr(prm.default):28} {prm.help}")
        return 0
    if args.cmd == "run":
        outcomes = runner.run(args.notebooks, args.overrides, jobs=args.jobs, force=args.force)
        print(runner.table(outcomes))
        print(_verdicts(outcomes, paths.build_dir() / "notebooks", args.overrides))
        code = runner.report(outcomes)
        return max(code, _publish(site=not args.no_site))
    if args.cmd == "sweep":
        from . import sweep

        outcomes, csv_path, figures = sweep.sweep(args.notebook, args.axes, jobs=args.jobs, force=args.force)
        print(runner.table(outcomes))
        print()
        print(csv_path.with_suffix(".md").read_text(encoding="utf-8").rstrip())
        print(f"  wrote {csv_path} (exact values) and {csv_path.with_suffix('.md').name} (the table above)")
        for fig in figures:
            print(f"  wrote {fig}")
        return runner.report(outcomes)
    if args.cmd == "refresh":
        outcomes = runner.refresh(args.notebooks, jobs=args.jobs)
        print(runner.table(outcomes))
        print(_verdicts(outcomes, paths.notebooks_dir(), []))
        return runner.report(outcomes)
    if args.cmd == "site":
        return _publish(site=True)
    if args.cmd == "bench":
        from . import bench

        return bench.main()
    raise AssertionError(args.cmd)


def _verdicts(outcomes: list[runner.Outcome], folder, overrides: list[str]) -> str:
    """The closing list of verdicts: those of every notebook the command ran or served from the cache."""
    from . import report

    ran = [(o.notebook, folder / f"{o.notebook}.ipynb" if o.status == "ok" else None) for o in outcomes]
    return report.run_verdicts(ran, overrides)


def _publish(site: bool) -> int:
    """Collect the results (and render the site); a failure is one message saying what to do and what is kept."""
    try:
        for path in runner.collect().values():
            print(f"  wrote {path}")
    except runner.PublishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if site:
        from . import site as site_

        try:
            print(f"  site: {site_.build()}")
        except (ValueError, OSError) as exc:
            print(f"error: the site was not rebuilt: {exc}. Fix it and run `python -m techduel site`; the results "
                  f"files were written and the previous site, if any, is kept", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
