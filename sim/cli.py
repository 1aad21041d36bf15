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
import math
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .config import CONFIG_DIR, Config, ConfigError, load_scenario, parse_assignment, scenario_names
from .experiments import cli as _experiments

__all__ = [
    "main", "build_parser", "COMMANDS", "Command", "add_config_arguments", "config_from_args",
    "default_out_dir", "format_summary", "cmd_run", "cmd_scenarios",
]

WEEKS_PER_YEAR = 52
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


# ---------------------------------------------------------------------------- summary text
def _num(x: float | None, digits: int = 3) -> str:
    """Readable number: thousands separators, about three significant digits."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    magnitude = int(math.floor(math.log10(abs(x))))
    if magnitude >= digits - 1:
        return f"{round(x, -(magnitude - digits + 1)):,.0f}"
    return f"{x:,.{min(digits - 1 - magnitude, 4)}f}"


def _pct(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.0f}%"


def _mean_ci(values: list[float | None]) -> tuple[float | None, float | None, float | None, int]:
    from .model.runner import mean_interval

    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    stats = mean_interval(vals)
    return stats["mean"], stats["low"], stats["high"], len(vals)


def _show(values: list[float | None], fmt: Callable[[float | None], str] = _num) -> str:
    """One run: the number. Several runs: ``mean [low–high]`` (95% interval of the mean)."""
    mean, low, high, n = _mean_ci(values)
    if len(values) <= 1 or n <= 1:
        return fmt(mean)
    return f"{fmt(mean)} [{fmt(low)}–{fmt(high)}]"


def _mean(values: list[float | None]) -> float | None:
    return _mean_ci(values)[0]


def _year_of(week: float) -> int:
    return int((math.ceil(week) - 1) // WEEKS_PER_YEAR + 1)


def _horizon_label(weeks: int) -> str:
    if weeks == WEEKS_PER_YEAR:
        return "After year 1"
    if weeks % WEEKS_PER_YEAR == 0:
        return f"After {weeks // WEEKS_PER_YEAR} years"
    return f"After {weeks} weeks ({weeks / WEEKS_PER_YEAR:.1f} years)"


def _runs(results: Any) -> list[dict[str, Any]]:
    runs = list(getattr(results, "runs", None) or [])
    return runs or [results.summary]


def _strat(run: dict[str, Any], name: str, *path: str) -> Any:
    node: Any = run.get("strategies", {}).get(name, {})
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _leader_line(label: str, key: str, runs: list[dict[str, Any]], names: list[str]) -> str:
    n = len(runs)
    per = {name: [_strat(r, name, key) for r in runs] for name in names}
    means = {name: _mean(v) or 0.0 for name, v in per.items()}
    if len(names) == 1:
        return f"{label}: revenue per seller {_show(per[names[0]])} ({names[0]})."
    ranked = sorted(names, key=lambda s: means[s], reverse=True)
    lead, second = ranked[0], ranked[1]
    if means[lead] == 0:
        return f"{label}: no strategy has made a sale yet."
    if math.isclose(means[lead], means[second], rel_tol=1e-9):
        return f"{label}: {lead} and {second} are level (revenue per seller {_show(per[lead])})."
    wins = sum(1 for r in runs if max(names, key=lambda s: _strat(r, s, key) or 0.0) == lead)
    text = f"{label}: {lead} leads" + (f" in {wins} of {n} runs" if n > 1 else "")
    others = ", ".join(f"{_show(per[s])} for {s}" for s in ranked[1:])
    text += f" (revenue per seller {_show(per[lead])} vs {others}"
    if len(names) == 2:
        ratios = [(_strat(r, lead, key) or 0.0) / _strat(r, second, key) for r in runs if _strat(r, second, key)]
        if ratios:
            text += f"; ratio {_show(ratios, lambda x: 'n/a' if x is None else f'{x:.2f}')}"
    return text + ")."


def _crossover_line(summary: dict[str, Any], runs: list[dict[str, Any]], weeks: int) -> str:
    inc, cha, n = summary["incumbent"], summary["challenger"], len(runs)
    cross = [r.get("crossover_week") for r in runs]
    hits = [c for c in cross if c is not None]
    never = len(cross) - len(hits)
    if not hits:
        tail = f" (in all {n} runs)" if n > 1 else ""
        return f"Crossover: {cha} never overtakes {inc} within the horizon ({weeks} weeks){tail}."
    mean = _mean(hits) or 0.0
    when = _show(hits, lambda x: "n/a" if x is None else f"{x:.0f}")
    text = f"Crossover: {cha} overtakes {inc} for good in week {when} (year {_year_of(mean)})"
    if n > 1:
        text += f" in {len(hits)} of {n} runs" + (f"; in the other {never} it never does within the horizon"
                                                   if never else "")
    return text + "."


def _referral_lines(summary: dict[str, Any], runs: list[dict[str, Any]], names: list[str]) -> list[str]:
    inc, cha = summary["incumbent"], summary["challenger"]
    a = [_strat(r, cha, "referrals_total") for r in runs]
    b = [_strat(r, inc, "referrals_total") for r in runs]
    text = f"Referrals received per seller: {cha} {_show(a)} vs {inc} {_show(b)}"
    ratios = [r.get("referral_ratio") for r in runs if r.get("referral_ratio") is not None]
    if ratios:
        text += f" (ratio {_show(ratios, lambda x: 'n/a' if x is None else f'{x:.2f}')})"
    lines = [text + "."]
    passing = [(s, _mean([_strat(r, s, "handoffs_made") for r in runs]) or 0.0) for s in names]
    passing = [(s, v) for s, v in passing if v > 0]
    if passing:
        who = ", ".join(f"each {s} seller passed on {_num(v)}" for s, v in passing)
        lines.append("  (from friends' word of mouth; separately, poor fits sent to a better-fitting "
                     f"competitor: {who})")
    return lines


def _why_lines(runs: list[dict[str, Any]], names: list[str]) -> list[str]:
    n = len(runs)
    head = "Why — per seller over the whole horizon" + (f", means of {n} runs" if n > 1 else "") + ":"
    cols = ("sales", "new", "repeat", "referral", "inbound", "loyalty", "rating (reviews)", "trust at end")
    width = max(len(s) for s in names) + 2
    rows = []
    main_sources = []
    for s in names:
        sales = _mean([_strat(r, s, "funnel", "sales") for r in runs]) or 0.0
        src = {k: _mean([_strat(r, s, "sales_by_source", k) for r in runs]) or 0.0
               for k in ("new", "repeat", "referral", "inbound")}
        total = sum(src.values()) or sales
        shares = {k: (v / total if total else None) for k, v in src.items()}
        rating = _mean([_strat(r, s, "mean_rating") for r in runs])
        reviews = _mean([_strat(r, s, "reviews_count") for r in runs])
        cells = (
            _num(sales), *(_pct(shares[k]) for k in ("new", "repeat", "referral", "inbound")),
            _pct(_mean([_strat(r, s, "loyalty") for r in runs])),
            "none" if rating is None else f"{rating:.1f}/5 ({reviews or 0:,.0f})",
            "n/a" if (t := _mean([_strat(r, s, "mean_trust_final") for r in runs])) is None else f"{t:.2f}",
        )
        rows.append(cells)
        if total:
            top = max(shares, key=lambda k: shares[k] or 0.0)
            main_sources.append(f"{s} {top} ({_pct(shares[top])})")
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    lines = [head, "  " + " " * width + "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))]
    for s, cells in zip(names, rows, strict=True):
        lines.append("  " + s.ljust(width) + "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    if main_sources:
        lines.append("  Main source of sales: " + "; ".join(main_sources) + ".")
    lines.append("  Loyalty = of a seller's past customers who bought again, the share who bought from that seller"
                 " rather than a competitor.")
    return lines


def _funnel_lines(runs: list[dict[str, Any]], names: list[str], weeks: int) -> list[str]:
    period = "year 1" if weeks >= WEEKS_PER_YEAR else f"the first {weeks} weeks"
    stages = ("leads", "prospects", "presentations", "sales")
    lines = [f"Funnel in {period}, per 100 leads ({' -> '.join(stages)}):"]
    width = max(len(s) for s in names) + 2
    for s in names:
        leads = [_strat(r, s, "funnel_year1", "leads") for r in runs]
        if not any(leads):
            lines.append(f"  {s.ljust(width)}no leads")
            continue
        cells = ["100"]
        for stage in stages[1:]:
            per100 = [100 * _strat(r, s, "funnel_year1", stage) / _strat(r, s, "funnel_year1", "leads")
                      for r in runs if _strat(r, s, "funnel_year1", "leads")]
            cells.append(_show(per100))
        lines.append(f"  {s.ljust(width)}{' -> '.join(cells)}")
    return lines


def format_summary(results: Any, out_dir: str | Path | None = None) -> str:
    """The plain-language summary printed by ``python -m sim run``.

    Works for one run and for replicates (then every headline number is ``mean [95% interval]``),
    and for any strategy names: incumbent and challenger come from the summary.
    """
    cfg: Config = results.config
    summary = results.summary
    runs = _runs(results)
    n = len(runs) if summary.get("replicates") else 1
    runs = runs if n > 1 else runs[:1]
    names = [g.strategy for g in cfg.sellers]
    weeks = int(summary.get("weeks") or cfg.weeks)
    sellers = " + ".join(f"{g.count} {g.strategy}" for g in cfg.sellers)
    header = (f"Scenario: {cfg.name} — {cfg.market.customers:,} customers, {sellers} sellers, {weeks} weeks, "
              f"seed {summary.get('seed', cfg.seed)}")
    lines = [header + (f", {n} replicates" if n > 1 else "")]
    if n > 1:
        lines.append(f"(Numbers are means over {n} runs with 95% confidence intervals in [brackets].)")
    if weeks > WEEKS_PER_YEAR:
        lines.append(_leader_line("After year 1", "revenue_year1", runs, names))
    lines.append(_leader_line(_horizon_label(weeks), "revenue_total", runs, names))
    if summary.get("incumbent") and summary.get("challenger"):
        lines.append(_crossover_line(summary, runs, weeks))
        lines.extend(_referral_lines(summary, runs, names))
    lines.extend(_why_lines(runs, names))
    lines.extend(_funnel_lines(runs, names, weeks))
    if out_dir is not None:
        shown = str(out_dir)
        lines.append(f"Results written to {shown if shown.endswith('/') else shown + '/'}")
    return "\n".join(lines)


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
    "sweep": Command(_experiments.SWEEP_HELP, _experiments.add_sweep_arguments, _experiments.cmd_sweep),
    "analyze": Command(_experiments.ANALYZE_HELP, _experiments.add_analyze_arguments,
                       _experiments.analyze_command(figures="sim.plots.sweeps:write_figures")),
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
