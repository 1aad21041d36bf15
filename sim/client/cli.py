"""``python -m sim client FILE --out DIR [--proposed STRATEGY]``: calibrate a client's market, then compare.

Owns the ``client`` subcommand (registered in :data:`sim.cli.COMMANDS`): read the client file, fit
the market (:func:`sim.client.calibrate`), write ``calibration.json`` and ``scenario.yaml``, run
current versus proposed (:func:`sim.client.compare`), write ``compare.json`` and ``compare.png``,
and print both tables. Refusals (bad file, inconsistent or unreachable figures) are one line and
exit code 2, through :class:`sim.errors.ConfigError`.

Must not: fit, compare or word anything itself (it calls the modules that do).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

__all__ = ["HELP", "add_arguments", "cmd_client", "default_out_dir"]

HELP = "calibrate a client's market to its observed funnel, then compare current and proposed selling"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``client`` subcommand's arguments."""
    from ..arguments import count_argument, out_dir_argument

    p.add_argument("file", metavar="CLIENT_YAML",
                   help="the client's file (template: configs/clients/example.yaml)")
    p.add_argument("--out", type=out_dir_argument, metavar="DIR",
                   help="output folder (default: results/client_<name>/)")
    p.add_argument("--proposed", metavar="STRATEGY",
                   help="the way of selling to compare with: a preset (relationship, numbers_game) or knobs as a "
                   "YAML mapping, e.g. '{preset: relationship, prospecting_share: 0.6}' (default: the file's "
                   "proposed, else relationship)")
    p.add_argument("--years", type=count_argument("--years", 1), default=10, metavar="N",
                   help="horizon of the comparison in years (default 10)")
    p.add_argument("--replicates", type=count_argument("--replicates", 2), default=10, metavar="R",
                   help="simulated markets in the comparison, each run in both arms with the same seed (default 10)")
    p.add_argument("--design", type=count_argument("--design", 4), default=None, metavar="N",
                   help="candidates of the fit's first design (default 96; more searches harder)")
    p.add_argument("--workers", type=count_argument("--workers", 1), default=None, metavar="N",
                   help="local processes running candidates and replicates (default: up to 2)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask scheduler instead (tcp://host:port or local)")
    p.add_argument("--seed", type=count_argument("--seed", 0), metavar="S", help="base seed (default: the file's)")
    p.add_argument("--no-compare", action="store_true", help="calibrate only")
    p.add_argument("--no-plots", action="store_true", help="write no figure")
    p.add_argument("--allow-large", action="store_true", help="run even above the size limits")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


def default_out_dir(name: str) -> Path:
    """``results/client_<name>/`` (name made safe for a file system)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "client"
    return Path("results") / f"client_{safe}"


def _proposed(text: str | None) -> Any:
    from ..errors import ConfigError
    from ..safeyaml import loads
    from .schema import strategy_from_spec

    if text is None:
        return None
    spec = loads(text, "--proposed") if text.lstrip().startswith("{") else text.strip()
    try:
        strategy_from_spec(spec, "--proposed")
    except ValueError as err:
        raise ConfigError(str(err)) from None
    return spec


def cmd_client(args: argparse.Namespace) -> int:
    """Calibrate the client's market, write the files, compare, print the tables."""
    from .. import limits
    from ..arguments import printable
    from ..atomic import atomic_path
    from ..config import WEEKS_PER_YEAR
    from ..errors import ConfigError
    from ..experiments.executors import default_workers
    from ..narrate.client import calibration_lines, comparison_lines, leads_warning
    from .compare import compare
    from .fit import Design, calibrate, unreachable_message
    from .schema import client_config, load_client

    client = load_client(args.file)
    if args.seed is not None:
        client = client.model_copy(update={"seed": args.seed})
    proposed = _proposed(args.proposed)
    out = args.out if args.out is not None else default_out_dir(client.name)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out = {printable(str(out))!r}: exists and is not a folder")
    try:   # before the fit, so that a folder that cannot be made costs nothing
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"--out = {printable(str(out))!r}: cannot make this folder ({err.strerror or err})") from None
    workers = args.workers or min(2, default_workers())
    design = Design(points=args.design) if args.design else Design()
    limits.check_run(client_config(client, client.current, {}, client.observed_year * WEEKS_PER_YEAR),
                     replicates=design.final_replicates, processes=workers, allow_large=args.allow_large)
    say = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    say(f"Calibrating {client.name}: about {design.runs} one-year runs on {workers} worker(s)...")
    cal = calibrate(client, design, workers=workers, scheduler=args.scheduler, progress=say, refuse=False)
    try:
        paths = cal.write(out)
    except OSError as err:
        print(f"error: cannot write results to {printable(str(out))}: {err.strerror or err}", file=sys.stderr)
        return 1
    if not cal.accepted:
        raise ConfigError(f"{unreachable_message(cal)} (details in {printable(str(paths['calibration']))})")
    data = cal.to_dict()
    lines = calibration_lines(data)
    for f in cal.warnings:
        lines.append(leads_warning(f, client.hours_per_week, client.current.minutes_per_contact))
    written = [paths["calibration"], paths["scenario"]]
    if not args.no_compare:
        say(f"Comparing: {args.replicates} simulated markets x 2 ways of selling x {args.years} years...")
        cmp = compare(cal, proposed, years=args.years, replicates=args.replicates, workers=workers,
                      scheduler=args.scheduler, allow_large=args.allow_large)
        lines += ["", *comparison_lines(cmp.to_dict())]
        try:
            written.append(cmp.write(out))
            if not args.no_plots:
                from .figure import plot_comparison

                with atomic_path(out / "compare.png") as tmp:
                    plot_comparison(cmp).savefig(tmp, dpi=150, format="png")
                written.append(out / "compare.png")
        except OSError as err:
            print(f"error: cannot write results to {printable(str(out))}: {err.strerror or err}", file=sys.stderr)
            return 1
    if not args.quiet:
        print("\n".join(printable(line) for line in lines))
        print(f"Wrote {', '.join(printable(str(p)) for p in written)}")
    return 0
