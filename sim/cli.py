"""Command line: ``python -m sim run baseline``, ``python -m sim scenarios``.

Subcommands live in :data:`COMMANDS` (name -> :class:`Command`): each has a function that adds its
arguments to an argparse sub-parser and a handler ``handler(args) -> exit code``. To add one (e.g.
``sweep``), write both functions, reuse :func:`add_config_arguments` / :func:`config_from_args` for
the scenario options, and register it in :data:`COMMANDS`.

User errors (unknown scenario, bad value, unknown key, bad ``--set``) print one line
``error: <message>`` on stderr and exit with code 2; no traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
from .client import cli as _client
from .config import CONFIG_DIR, ConfigError, load_scenario, scenario_names
from .experiments import cli as _experiments
from .narrate import format_summary
from .report import cli as _report

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
    p.add_argument("--out", type=out_dir_argument, metavar="DIR",
                   help="output folder (default: results/<scenario name>/)")
    p.add_argument("--allow-large", action="store_true",
                   help="run even above the size limits (replicates, estimated memory); you were warned")
    p.add_argument("--no-plots", action="store_true", help="write data files only, no PNG figures")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario, write data and figures, print a plain-language summary."""
    from .model import runner

    cfg = config_from_args(args)
    limits.check_run(cfg, replicates=args.replicates, allow_large=args.allow_large)
    out = args.out if args.out is not None else default_out_dir(cfg)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out = {printable(str(out))!r}: exists and is not a folder")
    if not args.quiet:
        what = f"{args.replicates} replicates of " if args.replicates > 1 else ""
        print(f"Running {what}{cfg.name} ({cfg.weeks} weeks)...", file=sys.stderr, flush=True)
    results = runner.run(cfg) if args.replicates == 1 else runner.run_replicates(cfg, args.replicates)
    try:
        results.save(out)
        if not args.no_plots:
            from .plots import save_figures

            save_figures(results, out)
    except OSError as err:
        print(f"error: cannot write results to {out}: {err.strerror or err}", file=sys.stderr)
        return EXIT_FAILURE
    if not args.quiet:
        print(format_summary(results, out))
    return EXIT_OK


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
@dataclass(frozen=True)
class Command:
    """A subcommand: its help line, how it adds its arguments, and its handler."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {
    "run": Command("run a scenario, write data and figures, print a summary", _add_run_arguments, cmd_run),
    "scenarios": Command("list the shipped scenarios", _add_scenarios_arguments, cmd_scenarios),
    "sweep": Command(_experiments.SWEEP_HELP, _experiments.add_sweep_arguments, _experiments.cmd_sweep),
    "analyze": Command(_experiments.ANALYZE_HELP, _experiments.add_analyze_arguments,
                       _experiments.analyze_command(figures="sim.plots.sweeps:write_figures")),
    "client": Command(_client.HELP, _client.add_arguments, _client.cmd_client),
    "report": Command(_report.REPORT_HELP, _report.add_report_arguments, _report.cmd_report),
}
"""Subcommands by name."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per entry of :data:`COMMANDS`."""
    parser = ArgumentParser(
        prog="python -m sim",
        description="Does numbers-game selling beat relationship selling, when, and why?",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help[:1].upper() + command.help[1:] + ".",
                           prog=f"python -m sim {name}")
        command.add_arguments(p)
    return parser


def _one_line(message: str) -> str:
    return printable(" ".join(message.split()))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m sim``; returns the exit code."""
    parser = build_parser()
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
