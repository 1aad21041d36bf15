"""``python -m sim report SCENARIO_OR_CLIENT --out DIR``: run a scenario (or a client's market) and write its report.

Owns the arguments of the ``report`` subcommand (:func:`add_report_arguments`, registered in
:data:`sim.cli.COMMANDS`) and its handler :func:`cmd_report`: the scenario options of ``run``
(``--weeks``, ``--seed``, ``--customers``, ``--sellers``, ``--set``), ``--replicates`` (default
:data:`DEFAULT_REPLICATES`), ``--out`` (default ``results/<scenario>/report/``) and
``--allow-large``. It prints the headline numbers and where the files went.

The mechanism attribution is included when an ``attribution.json`` of the scenario exists
(``--attribution FILE``, else in ``--out``, else in ``python -m sim explain``'s default folder
``results/explain/<name>/``; :func:`sim.report.sections.find_attribution`). A client file
(``configs/clients/example.yaml`` is the template: it has a ``funnel:``) is calibrated and compared
as ``python -m sim client`` does, and its report has the calibration fit and current versus proposed.

Must not: word results itself (:mod:`sim.narrate.verdict`) or import matplotlib before the arguments are
checked (``--help`` and a bad argument stay quick). :mod:`sim.cli` is imported inside the functions,
because :mod:`sim.cli` imports this module to register the command.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["REPORT_HELP", "DEFAULT_REPLICATES", "add_report_arguments", "cmd_report"]

REPORT_HELP = "run a scenario with replicates and write a report (HTML + PDF + summary.json)"
DEFAULT_REPLICATES = 10
"""Replicates of a report unless ``--replicates`` says otherwise: enough for an interval."""


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``report``: the scenario options of ``run`` plus ``--replicates``, ``--out``, ``--allow-large``."""
    from .. import arguments, limits

    arguments.add_config_arguments(p)
    p.add_argument("--replicates", type=arguments.count_argument("--replicates", 1), default=DEFAULT_REPLICATES,
                   metavar="R", help=f"independent runs behind every interval (default {DEFAULT_REPLICATES}, "
                   f"at most {limits.MAX_REPLICATES} without --allow-large); 1 gives a report without intervals")
    p.add_argument("--out", type=arguments.out_dir_argument, metavar="DIR",
                   help="output folder (default: results/<scenario name>/report/)")
    p.add_argument("--allow-large", action="store_true",
                   help="run even above the size limits (replicates, estimated memory); you were warned")
    p.add_argument("--attribution", metavar="FILE", help="attribution.json of 'python -m sim explain' to include "
                   "(default: looked for in --out, then in results/explain/<name>/)")
    p.add_argument("--years", type=arguments.count_argument("--years", 1), default=10, metavar="N",
                   help="a client file only: horizon of current versus proposed in years (default 10)")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


def cmd_report(args: argparse.Namespace) -> int:
    """Run the scenario, write ``report.html``, ``report.pdf``, ``summary.json`` and ``config.json`` into ``--out``."""
    from .. import arguments, limits
    from ..config import ConfigError
    from ..model import runner

    if _is_client_file(args.scenario):
        return _client_report(args)
    cfg = arguments.config_from_args(args)
    limits.check_run(cfg, replicates=args.replicates, allow_large=args.allow_large)
    out = args.out if args.out is not None else arguments.default_out_dir(cfg) / "report"
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out = {arguments.printable(str(out))!r}: exists and is not a folder")
    if not args.quiet:
        print(f"Running {args.replicates} replicate{'s' if args.replicates != 1 else ''} of {cfg.name} "
              f"({cfg.weeks} weeks)...", file=sys.stderr, flush=True)
    results = runner.run_replicates(cfg, args.replicates) if args.replicates > 1 else runner.run(cfg)

    from .content import build_report

    report = build_report(results, attribution=_attribution(args, cfg.name, out))
    return _write(report, out, args.quiet)


def _is_client_file(text: str) -> bool:
    """True for a YAML file whose top level has a ``funnel:`` (a client's market, not a scenario)."""
    from pathlib import Path

    from ..safeyaml import read_yaml

    path = Path(text)
    if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
        return False
    try:
        data = read_yaml(path, "report file")
    except Exception:   # a bad file is reported by the scenario loader, with its own message
        return False
    return isinstance(data, dict) and "funnel" in data


def _attribution(args: argparse.Namespace, name: str, out: object) -> object:
    from ..config import ConfigError
    from .sections import attribution_folders, attribution_table, find_attribution

    if args.attribution is not None:
        attr = find_attribution(name, [args.attribution])
        if attr is None:
            raise ConfigError(f"--attribution = {args.attribution!r}: not a readable attribution.json of "
                              f"scenario {name!r} (write one with: python -m sim explain {name} --out DIR)")
    else:
        attr = find_attribution(name, attribution_folders(name, out))
    return attribution_table(attr) if attr is not None else None


def _client_report(args: argparse.Namespace) -> int:
    """Calibrate the client's market, compare current with proposed, write the client's report."""
    from .. import arguments
    from ..client import calibrate, compare, load_client
    from ..config import ConfigError
    from ..experiments.executors import default_workers
    from .client import build_client_report

    client = load_client(args.scenario)
    if args.seed is not None:
        client = client.model_copy(update={"seed": args.seed})
    out = args.out if args.out is not None else arguments.default_out_dir(client) / "report"
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out = {arguments.printable(str(out))!r}: exists and is not a folder")
    workers = min(2, default_workers())
    if not args.quiet:
        print(f"Calibrating {client.name}, then {args.replicates} simulated markets x 2 ways of selling x "
              f"{args.years} years...", file=sys.stderr, flush=True)
    cal = calibrate(client, workers=workers)
    cmp = compare(cal, years=args.years, replicates=max(2, args.replicates), workers=workers,
                  allow_large=args.allow_large)
    return _write(build_client_report(cmp), out, args.quiet)


def _write(report: object, out: object, quiet: bool) -> int:
    from .. import arguments
    from .files import write_report

    try:
        paths = write_report(report, out)
    except OSError as err:
        shown = arguments.printable(str(out))
        print(f"error: cannot write the report to {shown}: {err.strerror or err}", file=sys.stderr)
        return 1
    if not quiet:
        print(report.title)
        width = max(len(label) for label, _ in report.headline)
        for label, value in report.headline:
            print(f"  {label.ljust(width)}  {value}")
        shown = arguments.printable(str(out)).rstrip("/") + "/"
        print(f"Report written to {shown}: {', '.join(paths)}")
    return 0
