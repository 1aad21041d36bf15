"""Command line of the calibration layer: ``calibrate``, ``ensemble`` and ``explain``.

Registered in :data:`sim.cli.COMMANDS` (this module is imported only when one of them runs)::

    python -m sim calibrate [--design N] [--replicates R] [--workers N | --scheduler ADDR] --out DIR [--ship]
    python -m sim ensemble SCENARIO [--replicates R] [--members N] --out DIR
    python -m sim explain SCENARIO [--ensemble [FILE]] [--replicates R] [--groups a,b] --out DIR
    python -m sim run SCENARIO --ensemble            (the same as ``ensemble``)

Every folder is resumable: the same command again finishes only the missing runs. Bad input is one
line ``error: ...`` (exit 2, through :func:`sim.cli.main`); failed runs exit 1; Ctrl-C exits 130.

Owns: the arguments and handlers, and what they print. Must not: compute (the other modules do).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["CALIBRATE_HELP", "ENSEMBLE_HELP", "EXPLAIN_HELP", "add_calibrate_arguments", "cmd_calibrate",
           "add_ensemble_arguments", "cmd_ensemble", "add_explain_arguments", "cmd_explain", "cmd_run_ensemble"]

CALIBRATE_HELP = "find the market constants consistent with the calibration targets (history matching)"
ENSEMBLE_HELP = "run a scenario on every accepted market: the share of plausible markets each strategy wins"
EXPLAIN_HELP = "attribute a scenario's result to mechanism groups (Shapley values)"
EXIT_OK, EXIT_FAILURE, EXIT_INTERRUPTED = 0, 1, 130


def _executor_arguments(p: argparse.ArgumentParser) -> None:
    from ..arguments import count_argument

    p.add_argument("--workers", type=count_argument("--workers", 1), metavar="N",
                   help="local worker processes (default: all CPUs; 1 = in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster: tcp://HOST:PORT of a running scheduler, or 'local'")
    p.add_argument("--no-plots", action="store_true", help="data files only, no PNG figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar; print nothing on success")


def _workers(args: argparse.Namespace) -> int:
    from ..experiments.executors import default_workers

    return args.workers if args.workers is not None else default_workers()


def _run(fn: Any, *a: Any, **kw: Any) -> Any:
    """Call ``fn``; failed runs -> exit 1 with one line, Ctrl-C -> exit 130 (finished runs are kept)."""
    from .jobs import JobFailed

    try:
        return fn(*a, **kw)
    except JobFailed as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("interrupted: finished runs are saved; run the same command again to go on", file=sys.stderr)
        return EXIT_INTERRUPTED


# ============================================================================ calibrate
def add_calibrate_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``calibrate``."""
    from ..arguments import count_argument, out_dir_argument
    from .matching import DEFAULT

    p.add_argument("--design", type=count_argument("--design", 2), default=DEFAULT.design, metavar="N",
                   help=f"wave-1 Sobol points, a power of 2 (default {DEFAULT.design})")
    p.add_argument("--refine", type=count_argument("--refine", 2), default=DEFAULT.refine, metavar="N",
                   help=f"points of each refinement wave, a power of 2 (default {DEFAULT.refine})")
    p.add_argument("--waves", type=count_argument("--waves", 1), default=DEFAULT.waves, metavar="W",
                   help=f"waves, the first included (default {DEFAULT.waves}; 1 = no refinement)")
    p.add_argument("--replicates", type=count_argument("--replicates", 1), default=DEFAULT.replicates, metavar="R",
                   help=f"runs per point, averaged (default {DEFAULT.replicates})")
    p.add_argument("--seed", type=count_argument("--seed", 0), default=DEFAULT.seed, metavar="S",
                   help=f"seed of the design and the runs (default {DEFAULT.seed})")
    p.add_argument("--max-members", type=count_argument("--max-members", 1), default=DEFAULT.max_members,
                   metavar="N", help=f"members kept in the ensemble file (default {DEFAULT.max_members})")
    p.add_argument("--targets", type=Path, metavar="FILE", help="targets file (default: the shipped one)")
    p.add_argument("--priors", type=Path, metavar="FILE", help="priors file (default: the shipped one)")
    p.add_argument("--out", type=out_dir_argument, default=Path("results/calibration"), metavar="DIR",
                   help="output folder (default results/calibration/; resumable)")
    p.add_argument("--ship", action="store_true",
                   help="also write the ensemble as the shipped configs/calibration/ensemble.yaml")
    p.add_argument("--figures", type=out_dir_argument, metavar="DIR",
                   help="also write the two figures into DIR (make calibrate: docs/figures)")
    _executor_arguments(p)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run (or resume) the calibration; write the ensemble, diagnostics and figures."""
    from .matching import Settings, calibrate

    settings = Settings(design=args.design, refine=args.refine, waves=args.waves, replicates=args.replicates,
                        seed=args.seed, max_members=args.max_members)
    settings.check()
    if not args.quiet:
        print(f"Calibrating: {settings.design} + {settings.waves - 1} x {settings.refine} points x "
              f"{settings.replicates} replicates = {settings.runs:,} year-1 runs", file=sys.stderr, flush=True)
    cal = _run(calibrate, args.out, targets_file=args.targets, priors_file=args.priors, settings=settings,
               workers=_workers(args), scheduler=args.scheduler, progress=not args.quiet)
    if isinstance(cal, int):
        return cal
    return _write_calibration(cal, args.out, args.ship, args.no_plots, args.quiet, args.figures)


def _write_calibration(cal: Any, out: Path, ship: bool, no_plots: bool, quiet: bool, figures: Path | None) -> int:
    import json

    import pandas as pd

    from ..atomic import atomic_path, write_text
    from .ensemble import ENSEMBLE_FILE, dump_ensemble

    diag = cal.diagnostics()
    write_text(out / "diagnostics.json", json.dumps(diag, indent=2) + "\n")
    rows = [{"point": p["point"], "wave": p["wave"], "accepted": p["accepted"],
             "implausibility": p["implausibility"], "weight": p.get("weight"), **p["values"],
             **{f"measure.{k}": v for k, v in p["measures"].items()}} for p in cal.points]
    with atomic_path(out / "points.csv") as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    if cal.members:
        text = dump_ensemble(cal)
        write_text(out / "ensemble.yaml", text)
        if ship:
            write_text(ENSEMBLE_FILE, text)
    if not no_plots:
        from .figures import fit_figure, parameters_figure, save

        for folder in [out] + ([figures] if figures is not None else []):
            folder.mkdir(parents=True, exist_ok=True)
            save(fit_figure(cal.points, cal.members, cal.targets), folder / "calibration_fit.png")
            save(parameters_figure(cal.points, cal.members, cal.priors), folder / "calibration_parameters.png")
    if not quiet:
        print(f"Tried {diag['tried']:,} parameter sets ({diag['runs']:,} runs); accepted {diag['accepted']:,} "
              f"({diag['acceptance_rate']:.1%}); the ensemble keeps {diag['shipped']:,}.")
        for name, t in diag["targets"].items():
            e = t["ensemble"]
            fit = "n/a" if e["median"] is None else f"{e['median']:.4g} [{e['q05']:.4g}, {e['q95']:.4g}]"
            within = "n/a" if t["ensemble_within"] is None else f"{t['ensemble_within']:.0%}"
            print(f"  {name:34s} {t['use']:6s} target {t['low']:.4g}..{t['high']:.4g}  ensemble {fit}  "
                  f"within {within}")
        print(f"Results in {out}/" + (f"; shipped {ENSEMBLE_FILE}" if ship and cal.members else ""))
    if not cal.members:
        print("error: no parameter set met every accepted target; nothing to ship", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


# ============================================================================ ensemble
def add_ensemble_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``ensemble``."""
    from ..arguments import add_config_arguments, count_argument, out_dir_argument

    add_config_arguments(p)
    p.add_argument("--ensemble-file", dest="ensemble", type=Path, metavar="FILE",
                   help="ensemble file (default: the shipped configs/calibration/ensemble.yaml)")
    p.add_argument("--replicates", type=count_argument("--replicates", 1), default=3, metavar="R",
                   help="runs per market, the same seeds for every market (default 3)")
    p.add_argument("--members", type=count_argument("--members", 1), metavar="N",
                   help="use N members spread over the ensemble (default: all)")
    p.add_argument("--out", type=out_dir_argument, metavar="DIR",
                   help="output folder (default results/ensemble/<name>/)")
    _executor_arguments(p)


def _out(args: argparse.Namespace, kind: str, cfg: Any) -> Path:
    from ..arguments import default_out_dir

    return args.out if args.out is not None else Path("results") / kind / default_out_dir(cfg).name


def cmd_ensemble(args: argparse.Namespace) -> int:
    """Run a scenario on the accepted ensemble; print the sentence, write ensemble_summary.json."""
    from ..arguments import config_from_args
    from .ensemble import load_ensemble, run_ensemble

    cfg = config_from_args(args)
    ens = load_ensemble(args.ensemble if isinstance(args.ensemble, Path) else None)
    out = _out(args, "ensemble", cfg)
    if not args.quiet:
        n = min(args.members or len(ens.members), len(ens.members))
        print(f"Running {cfg.name} ({cfg.weeks} weeks) on {n} accepted markets and as shipped, "
              f"{args.replicates} replicates each...", file=sys.stderr, flush=True)
    summary = _run(run_ensemble, cfg, ens, out, replicates=args.replicates, members=args.members,
                   workers=_workers(args), scheduler=args.scheduler, progress=not args.quiet)
    if isinstance(summary, int):
        return summary
    if not args.no_plots:
        from .figures import ensemble_figure, save

        save(ensemble_figure(summary), out / "ensemble.png")
    if not args.quiet:
        print(summary["sentence"])
        print(f"Results in {out}/ensemble_summary.json")
    return EXIT_OK


def cmd_run_ensemble(args: argparse.Namespace) -> int:
    """``run SCENARIO --ensemble``: the ensemble headline (3 replicates unless --replicates says more)."""
    args.replicates = args.replicates if args.replicates > 1 else 3
    for name in ("members", "workers", "scheduler"):
        if not hasattr(args, name):
            setattr(args, name, None)
    if not isinstance(args.ensemble, Path):
        args.ensemble = None if args.ensemble is True else Path(args.ensemble)
    return cmd_ensemble(args)


# ============================================================================ explain
def add_explain_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``explain``."""
    from ..arguments import add_config_arguments, count_argument, out_dir_argument
    from .attribution import MECHANISMS

    add_config_arguments(p)
    p.add_argument("--ensemble", nargs="?", const=True, default=None, metavar="FILE",
                   help="attribute over accepted members (default file: the shipped ensemble) instead of the "
                   "scenario's own constants")
    p.add_argument("--members", type=count_argument("--members", 1), default=8, metavar="N",
                   help="with --ensemble: members used, spread over the file (default 8)")
    p.add_argument("--replicates", type=count_argument("--replicates", 1), metavar="R",
                   help="replicate seeds per market, the same for every subset (default 3; 1 with --ensemble)")
    p.add_argument("--groups", metavar="A,B,...",
                   help=f"mechanism groups to attribute (default all: {', '.join(m.name for m in MECHANISMS)})")
    p.add_argument("--out", type=out_dir_argument, metavar="DIR",
                   help="output folder (default results/explain/<name>/)")
    _executor_arguments(p)


def cmd_explain(args: argparse.Namespace) -> int:
    """Shapley attribution of the log revenue advantage; print the table and the sentence."""
    from ..arguments import config_from_args
    from .attribution import explain
    from .ensemble import load_ensemble

    cfg = config_from_args(args)
    ens = None
    if args.ensemble is not None:
        ens = load_ensemble(None if args.ensemble is True else Path(args.ensemble))
    replicates = args.replicates or (1 if ens is not None else 3)
    groups = [g.strip() for g in args.groups.split(",") if g.strip()] if args.groups else None
    out = _out(args, "explain", cfg)
    result = _run(explain, cfg, out, replicates=replicates, groups=groups, ensemble=ens, members=args.members,
                  workers=_workers(args), scheduler=args.scheduler, progress=not args.quiet)
    if isinstance(result, int):
        return result
    if not args.no_plots:
        from .figures import attribution_figure, save

        save(attribution_figure(result), out / "attribution.png")
    if not args.quiet:
        print(f"{'group':34s} {'share':>8s}  interval")
        for g in result["groups"].values():
            lo = "" if g["low"] is None else f"[{g['low']:+.3f}, {g['high']:+.3f}]"
            print(f"{g['label']:34s} {g['share']:+8.3f}  {lo}")
        print(f"{'total':34s} {result['total']:+8.3f}  [{result['total_low']:+.3f}, {result['total_high']:+.3f}]")
        print(result["sentence"])
        print(f"Results in {out}/attribution.json")
    return EXIT_OK
