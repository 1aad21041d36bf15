"""Command line: ``python -m sim run baseline``, ``python -m sim scenarios``.

Subcommands live in :data:`COMMANDS` (name -> :class:`Command`): each has a function that adds its
arguments to an argparse sub-parser and a handler ``handler(args) -> exit code``. To add one (e.g.
``sweep``), write both functions, reuse :func:`add_config_arguments` / :func:`config_from_args` for
the scenario options, and register it in :data:`COMMANDS`.

A command's module is imported only when that command runs: :data:`COMMANDS` may name its
functions as ``"module:function"`` strings, and :func:`main` builds the arguments of the chosen
command only, so ``python -m sim run`` never imports the sweep, client or report code (nor
matplotlib with ``--no-plots``).

User errors (unknown scenario, bad value, unknown key, bad ``--set``) print one line
``error: <message>`` on stderr and exit with code 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import limits
from .arguments import (
    ArgumentParser,
    add_config_arguments,
    config_from_args,
    count_argument,
    default_out_dir,
    out_dir_argument,
    printable,
)
from .config import CONFIG_DIR, Config, ConfigError, load_scenario, scenario_names
from .narrate import format_summary
from .startup import gc_paused

__all__ = [
    "main", "build_parser", "COMMANDS", "Command", "add_config_arguments", "config_from_args",
    "default_out_dir", "format_summary", "cmd_run", "cmd_scenarios",
]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


# ============================================================================ run
def _add_run_arguments(p: argparse.ArgumentParser) -> None:
    add_config_arguments(p)
    p.add_argument("--replicates", type=count_argument("--replicates", 1), default=1, metavar="R",
                   help="independent runs; with R > 1 every number gets a mean and a 95%% interval (default 1, "
                   f"at most {limits.MAX_REPLICATES} without --allow-large)")
    p.add_argument("--workers", type=count_argument("--workers", 1), metavar="N",
                   help="processes that run the replicates (default: every idle core, when the replicates take "
                   "longer than a couple of seconds one after another); results are the same for any N")
    p.add_argument("--out", type=out_dir_argument, metavar="DIR",
                   help="output folder (default: results/<scenario name>/)")
    p.add_argument("--allow-large", action="store_true",
                   help="run even above the size limits (replicates, estimated memory); you were warned")
    p.add_argument("--no-plots", action="store_true", help="write data files only, no PNG figures")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.add_argument("--ensemble", nargs="?", const=True, default=None, metavar="FILE",
                   help="run on every accepted market of the calibrated ensemble (default: the shipped one) and "
                   "report the share each strategy wins (as 'python -m sim ensemble'; 3 replicates unless more)")


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario, write data and figures, print a plain-language summary."""
    if getattr(args, "ensemble", None) is not None:
        from .calibration.cli import cmd_run_ensemble

        return cmd_run_ensemble(args)
    cfg = config_from_args(args)
    workers = _run_workers(cfg, args)
    out = args.out if args.out is not None else default_out_dir(cfg)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out = {printable(str(out))!r}: exists and is not a folder")
    if not args.quiet:
        what = f"{args.replicates} replicates of " if args.replicates > 1 else ""
        print(f"Running {what}{cfg.name} ({cfg.weeks} weeks)...", file=sys.stderr, flush=True)
    from .figure_process import FigureProcess

    figures = None if args.no_plots else FigureProcess.start()   # imports matplotlib meanwhile, on another core
    try:
        with gc_paused():   # the imports and one run (its first compiled call loads numba's own modules)
            from .model import runner

            results = runner.run(cfg) if args.replicates == 1 else None
        if results is None:
            results = runner.run_replicates(cfg, args.replicates, workers=workers)
        try:
            if figures is not None:
                figures.submit(results, out)   # drawn from now on, while the data are written
            results.save(out)
            if figures is None and not args.no_plots:
                with gc_paused():
                    from .plots import save_figures  # matplotlib is imported only here

                save_figures(results, out)
            text = None if args.quiet else _summary_text(cfg, results, out)
            if figures is not None:
                figures.paths()
        except OSError as err:
            print(f"error: cannot write results to {out}: {err.strerror or err}", file=sys.stderr)
            return EXIT_FAILURE
    finally:
        if figures is not None:
            figures.close()
    if text is not None:
        print(text)
    return EXIT_OK


def _summary_text(cfg: Config, results: Any, out: Any) -> str:
    from .calibration.headlines import evidence_for  # the shipped ensemble headline and its why

    return format_summary(results, out, evidence_for(cfg).lines())


def _run_workers(cfg: Config, args: argparse.Namespace) -> int | None:
    """``--workers`` after the size check; by default as many as the memory allows (None = every core)."""
    replicates, allow = args.replicates, args.allow_large
    if args.workers is not None or replicates == 1:
        limits.check_run(cfg, replicates=replicates, processes=args.workers or 1, allow_large=allow)
        return args.workers
    limits.check_run(cfg, replicates=replicates, allow_large=allow)   # one process at a time fits
    cores = min(replicates, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    for n in range(cores, 1, -1):   # (None: sim.run_replicates takes the idle ones of these cores)
        try:
            limits.check_run(cfg, replicates=replicates, processes=n, allow_large=allow)
            return None if n == cores else n
        except ConfigError:
            continue
    return 1


# ============================================================================ scenarios
def _first_sentence(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z0-9])", text)
    sentence = text[: match.start()] if match else text
    if len(sentence) > limit:
        sentence = sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence


def _add_scenarios_arguments(p: argparse.ArgumentParser) -> None:
    pass


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the shipped scenarios with the first sentence of their description."""
    names = scenario_names()
    if not names:
        raise ConfigError(f"no shipped scenarios found in {CONFIG_DIR} (the package data is missing: reinstall the "
                          "package)")
    width = max((len(n) for n in names), default=0) + 2
    limit = min(max(50, shutil.get_terminal_size((100, 24)).columns - width - 1), 110)
    for name in names:
        try:
            description = _first_sentence(load_scenario(name).description, limit) or "(no description)"
        except ConfigError as err:
            description = f"(cannot be loaded: {_one_line(str(err))})"
        print(f"{name.ljust(width)}{description}")
    return EXIT_OK


# ============================================================================ dispatch
Reference = str
"""``"package.module:function"``: a function named by where it lives, imported on first use."""


def resolve(ref: Callable[..., Any] | Reference) -> Callable[..., Any]:
    """The function ``ref`` names (``"module:function"``), importing its module; a function is returned as is."""
    if not isinstance(ref, str):
        return ref
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


class Command:
    """A subcommand: its help line, how it adds its arguments, and its handler.

    ``add_arguments`` and ``handler`` are functions or ``"module:function"`` references
    (:func:`resolve`); a reference is imported when the command is chosen (or ``--help`` lists
    every command's arguments), never at start-up. The attributes always give the functions.
    """

    __slots__ = ("help", "_add_arguments", "_handler")

    def __init__(self, help: str, add_arguments: Callable[[argparse.ArgumentParser], None] | Reference,
                 handler: Callable[[argparse.Namespace], int] | Reference) -> None:
        self.help = help
        self._add_arguments = add_arguments
        self._handler = handler

    @property
    def add_arguments(self) -> Callable[[argparse.ArgumentParser], None]:
        """The function that adds this command's arguments to its sub-parser."""
        return resolve(self._add_arguments)

    @property
    def handler(self) -> Callable[[argparse.Namespace], int]:
        """The function that runs the command: ``handler(args) -> exit code``."""
        return resolve(self._handler)

    def __repr__(self) -> str:
        return f"Command({self.help!r}, {self._add_arguments!r}, {self._handler!r})"


def _cmd_analyze(args: argparse.Namespace) -> int:
    """``analyze``, with its figures drawn by :mod:`sim.plots.sweeps` (imported only if it draws)."""
    from .experiments import cli as experiments_cli

    return experiments_cli.analyze_command(figures="sim.plots.sweeps:write_figures")(args)


COMMANDS: dict[str, Command] = {
    "run": Command("run a scenario, write data and figures, print a summary", _add_run_arguments, cmd_run),
    "scenarios": Command("list the shipped scenarios", _add_scenarios_arguments, cmd_scenarios),
    # help lines as in their modules (SWEEP_HELP, ANALYZE_HELP, HELP, REPORT_HELP; tests/test_cli.py checks)
    "sweep": Command("run (or resume) a parameter sweep into a Parquet dataset",
                     "sim.experiments.cli:add_sweep_arguments", "sim.experiments.cli:cmd_sweep"),
    "analyze": Command("summarise a sweep: intervals, winner maps, Sobol indices",
                       "sim.experiments.cli:add_analyze_arguments", _cmd_analyze),
    "client": Command("calibrate a client's market to its observed funnel, then compare current and proposed "
                      "selling", "sim.client.cli:add_arguments", "sim.client.cli:cmd_client"),
    "report": Command("run a scenario with replicates and write a report (HTML + PDF + summary.json)",
                      "sim.report.cli:add_report_arguments", "sim.report.cli:cmd_report"),
    "calibrate": Command("find the market constants consistent with the calibration targets (history matching)",
                         "sim.calibration.cli:add_calibrate_arguments", "sim.calibration.cli:cmd_calibrate"),
    "ensemble": Command("run a scenario on every accepted market: the share of plausible markets each strategy wins",
                        "sim.calibration.cli:add_ensemble_arguments", "sim.calibration.cli:cmd_ensemble"),
    "explain": Command("attribute a scenario's result to mechanism groups (Shapley values)",
                       "sim.calibration.cli:add_explain_arguments", "sim.calibration.cli:cmd_explain"),
    "presets": Command("show the presets and their family boxes, or search each family's best point (--search)",
                       "sim.experiments.presets_cli:add_arguments", "sim.experiments.presets_cli:cmd_presets"),
}
"""Subcommands by name."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per entry of :data:`COMMANDS`.

    Args:
        command: give only this command's sub-parser its arguments (the others keep their help
            line), so that parsing ``run ...`` imports nothing of ``sweep``, ``client`` or ``report``.
            ``""``: no command's (``python -m sim --help`` lists only the help lines, so it imports
            no command module). None: every command's arguments (tests).
    """
    parser = ArgumentParser(
        prog="python -m sim",
        description="Does numbers-game selling beat relationship selling, when, and why?",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, entry in COMMANDS.items():
        p = sub.add_parser(name, help=entry.help, description=entry.help[:1].upper() + entry.help[1:] + ".",
                           prog=f"python -m sim {name}")
        if command is None or name == command:
            entry.add_arguments(p)
    return parser


def _one_line(message: str) -> str:
    return printable(" ".join(message.split()))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m sim``; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = argv[0] if argv and argv[0] in COMMANDS else ""   # no command (--help, a typo): help lines only
    parser = build_parser(chosen)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:   # --help, or a usage error already printed as one line
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    try:
        return COMMANDS[args.command].handler(args)
    except ConfigError as err:
        print(f"error: {_one_line(str(err))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: out of memory; use fewer customers, sellers or replicates", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as err:   # a bug, not a user error: say so in one line, keep the traceback on request
        if os.environ.get("SIM_DEBUG"):
            raise
        print(f"error: internal error ({type(err).__name__}: {_one_line(str(err))[:200]}); please report it, "
              "and set SIM_DEBUG=1 to see the traceback", file=sys.stderr)
        return EXIT_FAILURE
