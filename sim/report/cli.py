"""``python -m sim report SCENARIO_OR_YAML --out DIR``: run a scenario with replicates and write its report.

Owns the arguments of the ``report`` subcommand (:func:`add_report_arguments`, registered in
:data:`sim.cli.COMMANDS`) and its handler :func:`cmd_report`: the scenario options of ``run``
(``--weeks``, ``--seed``, ``--customers``, ``--sellers``, ``--set``), ``--replicates`` (default
:data:`DEFAULT_REPLICATES`), ``--out`` (default ``results/<scenario>/report/``) and
``--allow-large``. It prints the headline numbers and where the files went.

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
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


def cmd_report(args: argparse.Namespace) -> int:
    """Run the scenario, write ``report.html``, ``report.pdf``, ``summary.json`` and ``config.json`` into ``--out``."""
    from .. import arguments, limits
    from ..config import ConfigError
    from ..model import runner

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
    from .files import write_report

    report = build_report(results)
    try:
        paths = write_report(report, out)
    except OSError as err:
        shown = arguments.printable(str(out))
        print(f"error: cannot write the report to {shown}: {err.strerror or err}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(report.title)
        width = max(len(label) for label, _ in report.headline)
        for label, value in report.headline:
            print(f"  {label.ljust(width)}  {value}")
        shown = arguments.printable(str(out)).rstrip("/") + "/"
        print(f"Report written to {shown}: {', '.join(paths)}")
    return 0
