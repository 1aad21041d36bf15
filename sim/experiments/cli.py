"""Command line of the experiments layer: ``sweep`` and ``analyze``.

``python -m sim sweep FILE`` / ``python -m sim analyze DIR`` (registered in :data:`sim.cli.COMMANDS`),
or standalone ``python -m sim.experiments sweep ...`` / ``python -m sim.experiments analyze ...``::

    python -m sim sweep configs/sweeps/smoke.yaml --out results/smoke --workers 2
    python -m sim analyze results/smoke

Owns: the arguments of both subcommands and their argparse types, their handlers (one line
``error: ...`` on stderr and exit code 2 for every user error, naming the argument or field, the
value and what is allowed; 1 for failed runs or a lost cluster, with the resume hint; 130 when
interrupted), :func:`register_cli` and :func:`main` (whose parser also reports usage errors in one
line).

Must not: import the presentation layer. Figures of ``analyze`` come from a *figure writer* that
the caller hands in (:func:`analyze_command`), a function or the name ``"module:function"`` of
one, imported only when figures are drawn: ``python -m sim`` passes
``"sim.plots.sweeps:write_figures"``, so matplotlib is not loaded to run a sweep.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from .. import limits
from ..config import ConfigError
from .analysis import FigureWriter, analyze, format_report
from .bounds import MAX_WORKERS
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
_SCHEDULER = re.compile(r"(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9._-]*)(?::(\d{1,5}))?")


def _shown(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def whole_number(flag: str, minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: a whole number in ``minimum..maximum``, naming ``flag`` in its message."""
    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} = {_shown(text)}: expected a whole number >= {minimum}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{flag} = {value}: must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{flag} = {value}: at most {maximum}")
        return value

    parse.__name__ = flag.lstrip("-")
    return parse


def seconds_argument(flag: str, minimum: float, maximum: float) -> Callable[[str], float]:
    """An argparse ``type``: a finite number of seconds in ``minimum..maximum``."""
    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} = {_shown(text)}: expected a number of seconds") from None
        if not minimum <= value <= maximum:   # also false for NaN
            raise argparse.ArgumentTypeError(f"{flag} = {text.strip()}: must be between {minimum:g} and {maximum:g} "
                                             "seconds")
        return value

    parse.__name__ = flag.lstrip("-")
    return parse


def folder_argument(flag: str) -> Callable[[str], Path]:
    """An argparse ``type`` for a folder: not empty (that would mean the current folder), no control characters."""
    def parse(text: str) -> Path:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{flag} = '': give a folder name (empty would mean the current folder)")
        if _has_control(text):
            raise argparse.ArgumentTypeError(f"{flag} = {_shown(text)}: control characters are not allowed in a "
                                             "folder name")
        return Path(text)

    parse.__name__ = flag.lstrip("-")
    return parse


def scheduler_argument(text: str) -> str:
    """An argparse ``type`` for ``--scheduler``: ``local``, or the address of a Dask scheduler."""
    value = text.strip()
    allowed = "give tcp://HOST:PORT of a running 'dask scheduler', or 'local'"
    if not value:
        raise argparse.ArgumentTypeError(f"--scheduler = {_shown(text)}: {allowed}")
    if value == "local":
        return value
    match = _SCHEDULER.fullmatch(value)
    if _has_control(value) or match is None:
        raise argparse.ArgumentTypeError(f"--scheduler = {_shown(text)}: not an address; {allowed}")
    if match.group(1) is not None and not 1 <= int(match.group(1)) <= 65535:
        raise argparse.ArgumentTypeError(f"--scheduler = {_shown(text)}: port {match.group(1)} is not in 1..65535")
    return value


def sweep_file_argument(text: str) -> str:
    """An argparse ``type`` for the sweep file: not empty, no control characters."""
    if not text.strip():
        raise argparse.ArgumentTypeError("SWEEP_YAML = '': give a sweep file (see configs/sweeps/) or the name of "
                                         "a shipped one")
    if _has_control(text):
        raise argparse.ArgumentTypeError(f"SWEEP_YAML = {_shown(text)}: control characters are not allowed")
    return text


def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``sweep`` (for :func:`register_cli` or ``sim.cli.COMMANDS``)."""
    p.add_argument("sweep_file", metavar="SWEEP_YAML", type=sweep_file_argument,
                   help="a sweep file (see configs/sweeps/), or the name of a shipped one (e.g. smoke)")
    p.add_argument("--out", type=folder_argument("--out"), metavar="DIR",
                   help="output folder (default: results/sweeps/<sweep name>/)")
    p.add_argument("--workers", type=whole_number("--workers", 1, MAX_WORKERS), default=None, metavar="N",
                   help="local worker processes (default: all CPUs; 1 = run in this process)")
    p.add_argument("--scheduler", type=scheduler_argument, metavar="ADDRESS",
                   help="run on a Dask cluster: tcp://HOST:PORT of a running 'dask scheduler', "
                   "or 'local' to start a local Dask cluster of --workers processes")
    p.add_argument("--worker-timeout", type=seconds_argument("--worker-timeout", 1, 86400), default=60.0,
                   metavar="S", help="with --scheduler: stop (resumable) after S seconds without any Dask worker "
                   "(default 60)")
    p.add_argument("--keep-series", action="store_true", help="also keep the weekly tables (DIR/series/)")
    p.add_argument("--chunk", type=whole_number("--chunk", 1, 10_000), default=1, metavar="K",
                   help="runs per task (default 1)")
    p.add_argument("--allow-large", action="store_true",
                   help=f"run even above the size limits (more than {limits.MAX_RUNS:,} runs, "
                   f"{limits.MAX_REPLICATES} replicates, the estimated memory); you were warned")
    p.add_argument("--dry-run", action="store_true", help="check the sweep file, print its size, run nothing")
    p.add_argument("--list-outcomes", action="store_true", help="print the outcome names a sweep may keep, run nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar, print nothing on success")


def add_analyze_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``analyze`` (for :func:`register_cli` or ``sim.cli.COMMANDS``)."""
    p.add_argument("out", type=folder_argument("DIR"), metavar="DIR", help="a sweep output folder")
    p.add_argument("--outcome", dest="outcomes", action="append", default=None, metavar="NAME",
                   help=f"outcome for indices and maps (repeatable; default {ADVANTAGE})")
    p.add_argument("--no-plots", action="store_true", help="tables only, no PNG figures")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


SWEEP_HELP = "run (or resume) a parameter sweep into a Parquet dataset"
ANALYZE_HELP = "summarise a sweep: intervals, winner maps, Sobol indices"


def _one_line(message: str) -> str:
    """One line, control characters escaped (a name from a file must not drive the terminal)."""
    text = " ".join(str(message).split())
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _error(message: str) -> int:
    print(f"error: {_one_line(message)}", file=sys.stderr)
    return EXIT_USAGE


def cmd_sweep(args: argparse.Namespace) -> int:
    """``sweep SWEEP_YAML --out DIR``: run (or resume) a sweep; exit 0 when every run is on disk."""
    from .bounds import check_workers
    from .executors import default_workers

    try:
        spec, source = load_sweep(args.sweep_file)
        try:
            plan = plan_sweep(spec, source, check_outcomes=not args.list_outcomes,
                              allow_large=getattr(args, "allow_large", False))
        except ConfigError as err:
            raise ConfigError(f"{source.name}: {err}") from None
        if args.list_outcomes:
            print("\n".join(known_outcomes(load_scenario_unaliased(plan.base, plan.aliases))))
            return EXIT_OK
        out = args.out if args.out is not None else Path("results") / "sweeps" / _safe(spec.name)
        workers = args.workers if args.workers is not None else default_workers()
        if args.dry_run:
            RunStore(out, plan, keep_series=args.keep_series).check()
            check_workers(plan.base, plan.factors, plan.design, workers, args.scheduler,
                          getattr(args, "allow_large", False))
            print(_one_line(plan.describe()))
            return EXIT_OK
        if not args.quiet:
            print(_one_line(plan.describe()), file=sys.stderr, flush=True)
        report = run_sweep(plan, out, workers=workers, scheduler=args.scheduler, keep_series=args.keep_series,
                           chunk=args.chunk, progress=not args.quiet, allow_large=getattr(args, "allow_large", False),
                           worker_timeout=getattr(args, "worker_timeout", 60.0))
    except ConfigError as err:
        return _error(str(err))
    except OSError as err:   # a disk that fills up or fails while runs are written
        where = getattr(err, "filename", "") or ""
        print(f"error: cannot write results: {err.strerror or err}{f' ({where})' if where else ''}; what is on disk "
              "is complete: free the space and run the same command again to resume", file=sys.stderr)
        return EXIT_FAILURE
    if report.interrupted:
        print(f"interrupted: {report.line()}; run the same command again to finish the missing runs",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if report.aborted:
        print(f"error: {_one_line(report.aborted)}; {report.done} of {report.total} runs are on disk in {out}: "
              "run the same command again to resume", file=sys.stderr)
        return EXIT_FAILURE
    if not report.complete:
        print(f"error: {_one_line(report.line())}; run the same command again to retry the missing runs",
              file=sys.stderr)
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


class _ArgumentParser(argparse.ArgumentParser):
    """argparse with the project's error form: one line on stderr, exit code 2, no usage dump."""

    def error(self, message: str) -> NoReturn:  # noqa: D102 - argparse hook
        message = re.sub(r"^argument (\S+): (?=\S+ = )", "", message)   # our types already name the argument
        self.exit(EXIT_USAGE, f"error: {_one_line(message)} (see '{self.prog} --help')\n")


def main(argv: Sequence[str] | None = None, figures: FigureWriter | str | None = None) -> int:
    """``python -m sim.experiments [sweep] SWEEP_YAML ...`` / ``python -m sim.experiments analyze DIR``.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``); ``sweep`` may be left out.
        figures: figure writer of ``analyze`` (see :func:`analyze_command`); None = tables only.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in ("sweep", "analyze", "-h", "--help"):
        argv.insert(0, "sweep")
    parser = _ArgumentParser(prog="python -m sim.experiments", description="Parameter sweeps and their analysis.")
    register_cli(parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                       parser_class=_ArgumentParser), figures)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:   # --help, or a usage error already printed as one line
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        print("error: out of memory; use a smaller design, fewer workers or a smaller market", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as err:   # a bug, not a user error: one line, the traceback on request
        if os.environ.get("SIM_DEBUG"):
            raise
        print(f"error: internal error ({type(err).__name__}: {_one_line(str(err))[:200]}); please report it, "
              "and set SIM_DEBUG=1 to see the traceback", file=sys.stderr)
        return EXIT_FAILURE
