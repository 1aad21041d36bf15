"""Command line of the preset search: ``python -m sim presets [--search ...]``.

``python -m sim presets`` prints the shipped presets next to their family boxes (and says whether
each lies inside its box); ``python -m sim presets --search --out DIR`` runs
:func:`sim.experiments.presets.search_presets`, prints each family's best point with its 95%
interval and writes ``DIR/presets.json``.

Owns: the arguments, the handler (registered as ``presets`` in :data:`sim.cli.COMMANDS`) and the
plain-text tables. Must not: run the model itself or import the presentation layer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..arguments import count_argument, out_dir_argument
from ..config import ConfigError
from ..strategy import FAMILIES, PRESETS, STRATEGY_KNOBS
from .executors import default_workers
from .presets import POLES, SearchBudget, search_presets, write_presets_json

__all__ = ["HELP", "add_arguments", "cmd_presets", "format_families", "format_search", "presets_code"]

HELP = "show the presets and their family boxes, or search each family's best point (--search)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``presets``."""
    p.add_argument("--search", action="store_true",
                   help="search each family's box for its best point and write presets.json")
    p.add_argument("--scenario", default="baseline", metavar="SCENARIO_OR_YAML",
                   help="the market to search in (default: baseline); it needs both poles' seller groups")
    p.add_argument("--budget", type=count_argument("--budget", 1), default=SearchBudget().points, metavar="N",
                   help=f"explore points per family and round (default {SearchBudget().points}; the refine and "
                   "final stages scale with it)")
    p.add_argument("--seed", type=count_argument("--seed", 0), metavar="S",
                   help="search seed (default: the scenario's)")
    p.add_argument("--workers", type=count_argument("--workers", 1), metavar="N",
                   help="local worker processes (default: all CPUs; 1 = in this process)")
    p.add_argument("--out", type=out_dir_argument, default=Path("results") / "presets", metavar="DIR",
                   help="folder for presets.json (default: results/presets/)")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


def cmd_presets(args: argparse.Namespace) -> int:
    """Print the presets and families, or run the search."""
    if not args.search:
        print(format_families())
        return 0
    if args.out.exists() and not args.out.is_dir():
        raise ConfigError(f"--out = {str(args.out)!r}: exists and is not a folder")
    budget = SearchBudget.scaled(args.budget)
    workers = args.workers or default_workers()
    if not args.quiet:
        print(f"Searching both families in {args.scenario}: at most {budget.total_runs():,} runs on {workers} "
              "worker(s)...", file=sys.stderr, flush=True)
    result = search_presets(args.scenario, budget, seed=args.seed, workers=workers)
    path = write_presets_json(result, args.out)
    if not args.quiet:
        print(format_search(result))
        print(f"\nWrote {path}. To ship, replace PRESETS in sim/strategy.py with:\n")
        print(presets_code(result))
    return 0


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f}"


def _interval(stats: dict[str, Any]) -> str:
    return f"{_num(stats['mean'])} [{_num(stats['low'])}, {_num(stats['high'])}]"


def _signed(stats: dict[str, Any] | None) -> str:
    if not stats or stats["mean"] is None:
        return "n/a"
    return f"{stats['mean']:+,.0f} [{stats['low']:+,.0f}, {stats['high']:+,.0f}]"


def _knobs(knobs: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in knobs.items())


def format_families() -> str:
    """The shipped presets next to their family boxes, and the reason for every range."""
    width = max(len(k) for k in STRATEGY_KNOBS) + 2
    head = "".join(f"{pole + ' box':>22}{'preset':>9}" for pole in POLES)
    lines = [f"{'knob'.ljust(width)}{head}"]
    for knob in STRATEGY_KNOBS:
        row = knob.ljust(width)
        for pole in POLES:
            low, high = FAMILIES[pole].box(knob)
            box = f"{low:g}" if low == high else f"{low:g} - {high:g}"
            row += f"{box:>22}{getattr(PRESETS[pole], knob):>9g}"
        lines.append(row)
    for pole in POLES:
        bad = FAMILIES[pole].violations(PRESETS[pole])
        lines.append("")
        lines.append(f"{pole}: {FAMILIES[pole].description}")
        where = "inside its family" if not bad else "OUTSIDE its family: " + "; ".join(bad)
        lines.append(f"  the preset lies {where}")
        lines += [f"  {knob.ljust(width)}{FAMILIES[pole].why.get(knob, 'the table is silent: its whole range')}"
                  for knob in STRATEGY_KNOBS]
    lines.append("")
    lines.append("Search for the best point of each box: python -m sim presets --search --out DIR")
    return "\n".join(lines)


def format_search(result: dict[str, Any]) -> str:
    """Each round's best point per family with its interval, the gains, and whether the winner moved."""
    info = result["run_info"]
    lines = [f"Preset search in {result['scenario']} ({result['weeks']} weeks), seed {result['seed']}: "
             f"{result['runs']:,} runs in {info['seconds']:.0f} s on {info['executor']}.",
             "Revenue per seller over the horizon, mean [95% interval]; gains are paired over common seeds.",
             "", f"Shipped presets head to head: {_match(result['initial_match'])}"]
    for r in result["rounds"]:
        against = "the other pole's shipped preset" if r["round"] == 1 else "the other family's previous choice"
        lines += ["", f"Round {r['round']} (each family against {against}):"]
        for pole in POLES:
            s = r["searches"][pole]
            lines.append(f"  {pole}: best {_interval(s['chosen'])}; its incumbent {_interval(s['incumbent_final'])}; "
                         f"gain {_signed(s['gain_over_incumbent'])}; "
                         f"over the runner-up {_signed(s['gain_over_runner_up'])}")
            lines.append(f"    {_knobs(s['chosen']['knobs'])}")
        lines.append(f"  head to head: {_match(r['match'])}")
    changed = result.get("changed") or {}
    if changed:
        lines += ["", "Did the best-response round change the winner?"]
        for pole in POLES:
            c = changed[pole]
            verdict = "beyond noise" if c["beyond_noise"] else "within noise"
            lines.append(f"  {pole}: {'a different point' if c['point_changed'] else 'the same point'}, gain over "
                         f"round 1's {_signed(c['gain_over_previous_round'])} ({verdict})")
        lines.append(f"  head to head: {changed['leader_round_1']} after round 1, {changed['leader_final']} at the end"
                     + (" (changed)" if changed["leader_changed"] else " (unchanged)"))
    return "\n".join(lines)


def presets_code(result: dict[str, Any]) -> str:
    """The search's presets as the Python of ``PRESETS`` in ``sim/strategy.py``."""
    lines = ["PRESETS: dict[str, Strategy] = {"]
    for pole in POLES:
        lines.append(f'    "{pole}": Strategy(')
        lines += [f"        {k}={float(v)!r}," for k, v in result["presets"][pole].items()]
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines)


def _match(m: dict[str, Any]) -> str:
    lead = m["leader"] if m["leader"] == "no clear winner" else f"{m['leader']} leads"
    return (f"numbers_game {_interval(m['numbers_game'])}, relationship {_interval(m['relationship'])}; "
            f"difference {_signed(m['relationship_minus_numbers_game'])}: {lead}")
