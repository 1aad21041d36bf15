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
from pathlib import Path
from typing import Any, NoReturn

from . import limits
from .config import CONFIG_DIR, Config, ConfigError, load_scenario, parse_assignment, scenario_names
from .narrate import format_summary
from .safeyaml import read_yaml

__all__ = [
    "main", "build_parser", "COMMANDS", "Command", "add_config_arguments", "config_from_args",
    "default_out_dir", "format_summary", "cmd_run", "cmd_scenarios",
]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


# ============================================================================ shared options
def add_config_arguments(p: argparse.ArgumentParser) -> None:
    """The scenario argument and the options that modify it (shared by ``run`` and later ``sweep``)."""
    p.add_argument("scenario", metavar="SCENARIO_OR_YAML",
                   help="a shipped scenario name (see 'python -m sim scenarios') or a path to a YAML file")
    p.add_argument("--weeks", type=count_argument("--weeks", 1), metavar="N",
                   help="horizon in weeks (default: the scenario's, usually 520)")
    p.add_argument("--seed", type=count_argument("--seed", 0), metavar="S",
                   help="random seed (default: the scenario's)")
    p.add_argument("--customers", type=count_argument("--customers", 1), metavar="N",
                   help="number of customers (market.customers)")
    p.add_argument("--sellers", type=count_argument("--sellers", 1), metavar="N",
                   help="total number of sellers, split evenly between the strategy groups")
    p.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY.PATH=VALUE",
                   help="override any setting, e.g. --set market.skepticism_mean=0.5 (repeatable; value read as YAML)")


def config_from_args(args: argparse.Namespace) -> Config:
    """Load the scenario and apply ``--set`` then ``--weeks/--seed/--customers/--sellers``.

    Raises:
        ConfigError: for any problem with the scenario or the overrides (one-line message).
    """
    try:
        cfg = load_scenario(args.scenario)
        updates: dict[str, Any] = {}
        name = _scenario_name(args.scenario)
        if name and cfg.name != name:  # a scenario that `extends:` another must not take over its name
            updates["name"] = name
        for text in args.assignments:
            key, value = parse_assignment(text)
            updates[key] = value
        flags = {"weeks": args.weeks, "seed": args.seed, "market.customers": args.customers, "sellers": args.sellers}
        updates.update({k: v for k, v in flags.items() if v is not None})
        return cfg.with_updates(updates) if updates else cfg
    except ConfigError:
        raise
    except (ValueError, TypeError) as err:
        raise ConfigError(str(err)) from None


def _scenario_name(name_or_path: str) -> str | None:
    """The name a scenario should carry: its own ``name:`` if the file sets one, else the file's stem."""
    path = Path(name_or_path)
    if not (path.suffix in (".yaml", ".yml") or path.exists()):
        path = CONFIG_DIR / f"{name_or_path}.yaml"
    try:
        raw = read_yaml(path)
    except ConfigError:
        return None
    own = raw.get("name") if isinstance(raw, dict) else None
    return str(own) if own else path.stem


def default_out_dir(cfg: Config) -> Path:
    """``results/<scenario name>/`` (name made safe for a file system)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", cfg.name).strip("._") or "custom"
    return Path("results") / safe


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


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario, write data and figures, print a plain-language summary."""
    from .model import runner

    cfg = config_from_args(args)
    workers = _run_workers(cfg, args)
    out = args.out if args.out is not None else default_out_dir(cfg)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out = {printable(str(out))!r}: exists and is not a folder")
    if not args.quiet:
        what = f"{args.replicates} replicates of " if args.replicates > 1 else ""
        print(f"Running {what}{cfg.name} ({cfg.weeks} weeks)...", file=sys.stderr, flush=True)
    if args.replicates == 1:
        results = runner.run(cfg)
    else:
        results = runner.run_replicates(cfg, args.replicates, workers=workers)
    try:
        results.save(out)
        if not args.no_plots:
            from .plots import save_figures  # matplotlib is imported only here

            save_figures(results, out)
    except OSError as err:
        print(f"error: cannot write results to {out}: {err.strerror or err}", file=sys.stderr)
        return EXIT_FAILURE
    if not args.quiet:
        print(format_summary(results, out))
    return EXIT_OK


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
}
"""Subcommands by name."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with the project's error form: one line on stderr, exit code 2, no usage dump."""

    def error(self, message: str) -> NoReturn:  # noqa: D102 - argparse hook
        message = re.sub(r"^argument (\S+): (?=\1 = )", "", message)   # our types already name the flag
        self.exit(EXIT_USAGE, f"error: {printable(message)} (see '{self.prog} --help')\n")


def count_argument(flag: str, minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number >= ``minimum`` that names ``flag`` in its message."""
    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} = {text[:40]!r}: expected a whole number >= {minimum}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{flag} = {value}: must be at least {minimum}")
        return value

    parse.__name__ = flag.lstrip("-")
    return parse


def out_dir_argument(text: str) -> Path:
    """An argparse ``type`` for an output folder: not empty, no control characters."""
    if not text.strip():
        raise argparse.ArgumentTypeError("--out = '': give a folder name (empty would mean the current folder)")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise argparse.ArgumentTypeError(f"--out = {text[:60]!r}: control characters are not allowed in a folder name")
    return Path(text)


def printable(text: str) -> str:
    """``text`` with control characters escaped (ESC shown as a backslash-x1b), for terminal output."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in str(text))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per entry of :data:`COMMANDS`.

    Args:
        command: give only this command's sub-parser its arguments (the others keep their help
            line), so that parsing ``run ...`` imports nothing of ``sweep``, ``client`` or ``report``.
            None: every command's arguments (``python -m sim --help``, tests).
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
    chosen = argv[0] if argv and argv[0] in COMMANDS else None   # anything else: the full parser explains
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
