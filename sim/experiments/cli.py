"""Command line of the experiments layer: ``sweep`` and ``analyze``.

``python -m sim sweep FILE`` / ``python -m sim analyze DIR`` (registered in :data:`sim.cli.COMMANDS`),
or standalone ``python -m sim.experiments sweep ...`` / ``python -m sim.experiments analyze ...``::

    python -m sim sweep configs/sweeps/smoke.yaml --out results/smoke --workers 2
    python -m sim analyze results/smoke

Owns: the arguments of both subcommands, their handlers (one line ``error: ...`` and exit code 2
for bad input, 1 for failed runs, 130 when interrupted), :func:`register_cli` and :func:`main`.

Must not: import the presentation layer. Figures of ``analyze`` come from a *figure writer* that
the caller hands in (:func:`analyze_command`), a function or the name ``"module:function"`` of
one, imported only when figures are drawn: ``python -m sim`` passes
``"sim.plots.sweeps:write_figures"``, so matplotlib is not loaded to run a sweep.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..config import ConfigError
from .analysis import FigureWriter, analyze, format_report
from .outcomes import ADVANTAGE, known_outcomes
from .plan import load_scenario_unaliased, plan_sweep
from .runner import run_sweep
from .spec import load_sweep
from .store import RunStore

__all__ = [
    "add_sweep_arguments", "add_analyze_arguments", "SWEEP_HELP", "ANALYZE_HELP", "cmd_sweep", "cmd_analyze",
    "analyze_command", "register_cli", "main",
]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``sweep`` (for :func:`register_cli` or ``sim.cli.COMMANDS``)."""
    p.add_argument("sweep_file", metavar="SWEEP_YAML",
                   help="a sweep file (see configs/sweeps/), or the name of a shipped one (e.g. smoke)")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: results/sweeps/<sweep name>/)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local worker processes (default: all CPUs; 1 = run in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster: tcp://HOST:PORT of a running 'dask scheduler', "
                   "or 'local' to start a local Dask cluster of --workers processes")
    p.add_argument("--keep-series", action="store_true", help="also keep the weekly tables (DIR/series/)")
    p.add_argument("--chunk", type=int, default=1, metavar="K", help="runs per task (default 1)")
    p.add_argument("--dry-run", action="store_true", help="check the sweep file, print its size, run nothing")
    p.add_argument("--list-outcomes", action="store_true", help="print the outcome names a sweep may keep, run nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar, print nothing on success")


def add_analyze_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``analyze`` (for :func:`register_cli` or ``sim.cli.COMMANDS``)."""
    p.add_argument("out", type=Path, metavar="DIR", help="a sweep output folder")
    p.add_argument("--outcome", dest="outcomes", action="append", default=None, metavar="NAME",
                   help=f"outcome for indices and maps (repeatable; default {ADVANTAGE})")
    p.add_argument("--no-plots", action="store_true", help="tables only, no PNG figures")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


SWEEP_HELP = "run (or resume) a parameter sweep into a Parquet dataset"
ANALYZE_HELP = "summarise a sweep: intervals, winner maps, Sobol indices"


def _error(message: str) -> int:
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    return EXIT_USAGE


def cmd_sweep(args: argparse.Namespace) -> int:
    """``sweep SWEEP_YAML --out DIR``: run (or resume) a sweep; exit 0 when every run is on disk."""
    from .executors import default_workers

    try:
        spec, source = load_sweep(args.sweep_file)
        try:
            plan = plan_sweep(spec, source, check_outcomes=not args.list_outcomes)
        except ConfigError as err:
            raise ConfigError(f"{source.name}: {err}") from None
        if args.list_outcomes:
            print("\n".join(known_outcomes(load_scenario_unaliased(plan.base, plan.aliases))))
            return EXIT_OK
        out = args.out if args.out is not None else Path("results") / "sweeps" / _safe(spec.name)
        if args.dry_run:
            RunStore(out, plan, keep_series=args.keep_series).check()
            print(plan.describe())
            return EXIT_OK
        workers = args.workers if args.workers is not None else default_workers()
        if not args.quiet:
            print(plan.describe(), file=sys.stderr, flush=True)
        report = run_sweep(plan, out, workers=workers, scheduler=args.scheduler, keep_series=args.keep_series,
                           chunk=args.chunk, progress=not args.quiet)
    except ConfigError as err:
        return _error(str(err))
    except OSError as err:
        print(f"error: {err.strerror or err}: {getattr(err, 'filename', '') or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_FAILURE
    if report.interrupted:
        print(f"interrupted: {report.line()}; run the same command again to finish the missing runs",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if not report.complete:
        print(f"error: {report.line()}; run the same command again to retry the missing runs", file=sys.stderr)
        return EXIT_FAILURE
    if not args.quiet:
        print(report.line())
        print(f"Results in {out}/runs/ — python -m sim analyze {out}")
    return EXIT_OK

def cmd_analyze(args: argparse.Namespace, figures: FigureWriter | str | None = None) -> int:
    """``analyze DIR``: per-point means and intervals, Sobol indices (and figures) into ``DIR/analysis/``.

    Args:
        args: the parsed arguments.
        figures: draws the figures (see :func:`analyze_command`); None = tables only.
    """
    try:
        writer = None if args.no_plots or figures is None else _figure_writer(figures)
        result = analyze(args.out, outcomes=args.outcomes, figures=writer)
    except ConfigError as err:
        return _error(str(err))
    if not args.quiet:
        print(format_report(result))
    return EXIT_OK


def analyze_command(figures: FigureWriter | str | None = None) -> Callable[[argparse.Namespace], int]:
    """The ``analyze`` handler, drawing figures with ``figures`` unless ``--no-plots`` is given.

    Args:
        figures: a figure writer ``f(AnalysisResult) -> files written``, or its name
            ``"module:function"``, imported on first use; None = tables only.
    """
    if figures is None:
        return cmd_analyze
    return functools.partial(cmd_analyze, figures=figures)


def _figure_writer(figures: FigureWriter | str) -> FigureWriter:
    if not isinstance(figures, str):
        return figures
    module, _, name = figures.partition(":")
    return getattr(importlib.import_module(module), name)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "sweep"


def register_cli(subparsers: Any, figures: FigureWriter | str | None = None) -> None:
    """Add the ``sweep`` and ``analyze`` subcommands to an argparse ``add_subparsers()`` object.

    Each sub-parser gets a ``handler`` default (``handler(args) -> exit code``): :func:`cmd_sweep`,
    and :func:`analyze_command` of ``figures``.
    """
    p = subparsers.add_parser("sweep", help=SWEEP_HELP, description=SWEEP_HELP[:1].upper() + SWEEP_HELP[1:] + ".")
    add_sweep_arguments(p)
    p.set_defaults(handler=cmd_sweep)
    p = subparsers.add_parser("analyze", help=ANALYZE_HELP,
                              description=ANALYZE_HELP[:1].upper() + ANALYZE_HELP[1:] + ".")
    add_analyze_arguments(p)
    p.set_defaults(handler=analyze_command(figures))


def main(argv: Sequence[str] | None = None, figures: FigureWriter | str | None = None) -> int:
    """``python -m sim.experiments [sweep] SWEEP_YAML ...`` / ``python -m sim.experiments analyze DIR``.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``); ``sweep`` may be left out.
        figures: figure writer of ``analyze`` (see :func:`analyze_command`); None = tables only.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in ("sweep", "analyze", "-h", "--help"):
        argv.insert(0, "sweep")
    parser = argparse.ArgumentParser(prog="python -m sim.experiments",
                                     description="Parameter sweeps and their analysis.")
    register_cli(parser.add_subparsers(dest="command", metavar="COMMAND", required=True), figures)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
