"""Command-line building blocks every subcommand shares: the one-line error form and argument types.

Owns: :class:`ArgumentParser` (argparse whose errors are one line, exit code 2, no usage dump),
the argparse ``type`` functions :func:`count_argument` and :func:`out_dir_argument`, and
:func:`printable`, which escapes control characters in anything echoed to a terminal.

It also owns the scenario options that ``run``, ``report`` and others share
(:func:`add_config_arguments`, :func:`config_from_args`, :func:`default_out_dir`).

Must not: know any subcommand (that is :mod:`sim.cli` and each command's own module) or import the model.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from .config import CONFIG_DIR, Config, ConfigError, load_scenario, parse_assignment
from .safeyaml import read_yaml

__all__ = ["ArgumentParser", "count_argument", "out_dir_argument", "printable", "EXIT_USAGE",
           "add_config_arguments", "config_from_args", "default_out_dir"]

EXIT_USAGE = 2


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
