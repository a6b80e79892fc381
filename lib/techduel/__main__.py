"""Command line: ``python -m techduel list | params NOTEBOOK | run [NOTEBOOK ...] [-p name=value ...] |
refresh | site``. Exit status: 0 done, 1 a notebook failed, 2 bad input (nothing was run)."""

from __future__ import annotations

import argparse
import sys

from . import params, runner, site


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m techduel", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="notebooks with their thread and parameters")
    p = sub.add_parser("params", help="the parameters of one notebook")
    p.add_argument("notebook")
    r = sub.add_parser("run", help="execute notebooks into build/notebooks, collect results, render the site")
    r.add_argument("notebooks", nargs="*", help="paths or stems; all when none")
    r.add_argument("-p", dest="overrides", action="append", default=[], metavar="name=value")
    r.add_argument("--no-site", action="store_true", help="skip rendering build/site")
    sub.add_parser("refresh", help="re-execute the committed notebooks in place with default parameters")
    sub.add_parser("site", help="render build/site from build/notebooks")
    args = ap.parse_args(argv)
    try:
        return _dispatch(args)
    except params.ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _dispatch(args) -> int:
    if args.cmd == "list":
        for nb in runner.select([]):
            names = ", ".join(p.name for p in nb.parameters()) or "-"
            print(f"{nb.stem:34} {nb.thread:28} parameters: {names}")
        return 0
    if args.cmd == "params":
        (nb,) = runner.select([args.notebook])
        print(f"{'name':20} {'type':6} {'default':28} help")
        for prm in nb.parameters():
            print(f"{prm.name:20} {prm.type:6} {repr(prm.default):28} {prm.help}")
        return 0
    if args.cmd == "run":
        outcomes = runner.run(args.notebooks, args.overrides)
        code = runner.report(outcomes)
        written = runner.collect()
        for path in written.values():
            print(f"  wrote {path}")
        if not args.no_site:
            print(f"  site: {site.build()}")
        return code
    if args.cmd == "refresh":
        return runner.report(runner.refresh())
    if args.cmd == "site":
        runner.collect()
        print(f"  site: {site.build()}")
        return 0
    raise AssertionError(args.cmd)


if __name__ == "__main__":
    sys.exit(main())
