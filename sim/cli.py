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
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .config import CONFIG_DIR, Config, ConfigError, load_scenario, parse_assignment, scenario_names
from .experiments import sweep as _sweep
from .narrate import format_summary

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
    p.add_argument("--weeks", type=int, metavar="N", help="horizon in weeks (default: the scenario's, usually 520)")
    p.add_argument("--seed", type=int, metavar="S", help="random seed (default: the scenario's)")
    p.add_argument("--customers", type=int, metavar="N", help="number of customers (market.customers)")
    p.add_argument("--sellers", type=int, metavar="N",
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
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
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
    p.add_argument("--replicates", type=int, default=1, metavar="R",
                   help="independent runs; with R > 1 every number gets a mean and a 95%% interval (default 1)")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: results/<scenario name>/)")
    p.add_argument("--no-plots", action="store_true", help="write data files only, no PNG figures")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario, write data and figures, print a plain-language summary."""
    from .model import runner

    cfg = config_from_args(args)
    if args.replicates < 1:
        raise ConfigError(f"--replicates = {args.replicates}: must be at least 1")
    out = args.out if args.out is not None else default_out_dir(cfg)
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
    "sweep": Command(_sweep.SWEEP_HELP, _sweep.add_sweep_arguments, _sweep.cmd_sweep),
    "analyze": Command(_sweep.ANALYZE_HELP, _sweep.add_analyze_arguments, _sweep.cmd_analyze),
}
"""Subcommands by name; add ``sweep`` / ``analyze`` here."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per entry of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="python -m sim",
        description="Does numbers-game selling beat relationship selling, when, and why?",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help[:1].upper() + command.help[1:] + ".")
        command.add_arguments(p)
    return parser


def _one_line(message: str) -> str:
    return " ".join(message.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m sim``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command].handler(args)
    except ConfigError as err:
        print(f"error: {_one_line(str(err))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
