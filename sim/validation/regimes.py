"""Check 4, both regimes: who wins each shipped scenario, and the mechanism that decides it.

Owns :func:`check_regimes` (every shipped scenario, plus ``large_anonymous`` by market size) and
:func:`mechanism`, the one sentence per scenario naming what decides it from the run's own figures.

Must not format the report section or draw figures, nor start processes (runs go through a
:class:`~.runs.Pool`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import sim

from .results import CheckResult, Row, Stat, interval
from .runs import Pool, ensure_pool, replicate_seeds, summary_task

__all__ = ["check_regimes", "mechanism", "LARGE_SIZES"]


def _regime_stats(summaries: list[dict[str, Any]], customers: int) -> dict[str, Any]:
    inc, cha = summaries[0]["incumbent"], summaries[0]["challenger"]

    def share(s: dict[str, Any], strat: str, source: str) -> float:
        st = s["strategies"][strat]
        total = sum(st["sales_by_source"].values())
        return st["sales_by_source"][source] / total if total else math.nan

    cross = [s["crossover_week"] for s in summaries]
    out = {
        "incumbent": inc, "challenger": cha,
        "ratio": interval([s["revenue_ratio"] for s in summaries]),
        "ratio_year1": interval([s["revenue_ratio_year1"] for s in summaries]),
        "crossover": interval([c for c in cross if c is not None]),
        "crossover_never": sum(c is None for c in cross) / len(cross),
        "leader_year1_challenger": sum(s["leader_year1"] == cha for s in summaries) / len(summaries),
        "pitches_per_customer": interval([s["strategies"][inc]["funnel"]["leads"] * s["strategies"][inc]["sellers"]
                                          / customers for s in summaries]),
        "loyalty": {k: interval([s["strategies"][k]["loyalty"] for s in summaries]) for k in (inc, cha)},
        "referral_ratio": interval([s["referral_ratio"] for s in summaries]),
        "revenue": {k: interval([s["strategies"][k]["revenue_total"] for s in summaries]) for k in (inc, cha)},
        "replicates": len(summaries),
    }
    for strat in (inc, cha):
        for source in ("new", "repeat", "referral", "inbound", "handoff"):
            out[f"{strat}_{source}"] = interval([share(s, strat, source) for s in summaries])
    return out


def _winner(st: Stat) -> str:
    if st.low > 1.0:
        return "relationship"
    if st.high < 1.0:
        return "numbers_game"
    return "tie"


LARGE_SIZES = (20_000, 50_000, 100_000)


def check_regimes(pool: Pool | None = None, replicates: int = 20, scenarios: Sequence[str] | None = None,
                  customers: dict[str, int] | None = None, size_replicates: int = 10,
                  large_sizes: Sequence[int] = LARGE_SIZES) -> CheckResult:
    """Both regimes: who wins each shipped scenario over its horizon, with a 95% interval.

    Args:
        pool: worker processes.
        replicates: replicates per scenario.
        scenarios: scenario names (default: all shipped scenarios).
        customers: reduced market sizes by scenario name (the test suite uses smaller markets).
        size_replicates: replicates per market size in the ``large_anonymous`` size sweep (0 = skip).
        large_sizes: market sizes of that sweep (the full 200,000 comes from the scenario itself).
    """
    pool = ensure_pool(pool)
    names = list(scenarios) if scenarios is not None else sim.scenario_names()
    customers = customers or {}
    results: dict[str, Any] = {}
    for name in names:
        cfg = sim.load_scenario(name)
        if name in customers:
            cfg = cfg.with_updates({"market.customers": customers[name]})
        summaries = pool.map(summary_task, [(cfg, s) for s in replicate_seeds("regimes", replicates)])
        st = _regime_stats(summaries, cfg.market.customers)
        st.update(name=name, description=cfg.description, weeks=cfg.weeks, customers=cfg.market.customers,
                  winner=_winner(st["ratio"]))
        results[name] = st
    for name, st in results.items():
        st["mechanism"] = mechanism(name, st, results.get("baseline"))
    sizes: list[dict[str, Any]] = []
    if size_replicates and "large_anonymous" in names:
        for n in large_sizes:
            cfg = sim.load_scenario("large_anonymous", updates={"market.customers": n})
            summaries = pool.map(summary_task, [(cfg, s) for s in replicate_seeds("regimes", size_replicates)])
            st = _regime_stats(summaries, n)
            sizes.append({"customers": n, "ratio": st["ratio"], "pitches": st["pitches_per_customer"],
                          "winner": _winner(st["ratio"]), "replicates": size_replicates})
        full = results["large_anonymous"]
        sizes.append({"customers": full["customers"], "ratio": full["ratio"], "pitches": full["pitches_per_customer"],
                      "winner": full["winner"], "replicates": replicates})
    winners = {st["winner"] for st in results.values()}
    rows = [Row("Some shipped scenario where the numbers game wins (95% interval of revenue ratio below 1)",
                "at least one", ", ".join(n for n, s in results.items() if s["winner"] == "numbers_game") or "none",
                "numbers_game" in winners),
            Row("Some shipped scenario where relationship selling wins (95% interval above 1)",
                "at least one", ", ".join(n for n, s in results.items() if s["winner"] == "relationship") or "none",
                "relationship" in winners)]
    data = {"scenarios": results, "sizes": sizes, "replicates": replicates, "reduced": dict(customers)}
    return CheckResult("regimes", "Both regimes", rows, data)


def _signed(x: float) -> str:
    return f"{100 * x:+.0f}%"


def _pct(x: Stat | float) -> str:
    return f"{100 * (x.mean if isinstance(x, Stat) else x):.0f}%"


def mechanism(name: str, st: dict[str, Any], baseline: dict[str, Any] | None = None) -> str:
    """One sentence naming the mechanism that decides a scenario, with the outputs that show it.

    ``baseline``: the baseline scenario's figures, for scenarios best explained as a change from it.
    """
    inc, cha = st["incumbent"], st["challenger"]
    rep, ref, inb = (st[f"{cha}_{k}"] for k in ("repeat", "referral", "inbound"))
    ng_new, pitches = st[f"{inc}_new"], st["pitches_per_customer"].mean
    cross = st["crossover"]
    when = (f"ahead from about week {cross.mean:.0f}" if st["crossover_never"] == 0 and cross.n else
            f"ahead at the horizon in {100 * (1 - st['crossover_never']):.0f}% of runs")
    if st["winner"] == "relationship":
        if name == "two_cobblers":
            return (f"A small town the numbers-game cobbler soon exhausts: it pitches each of the "
                    f"{st['customers']:,} customers about {pitches:.0f} times over the horizon, so most of its calls "
                    f"reach people it has pitched before (pressure and fatigue cost trust), while {_pct(rep)} of the "
                    f"relationship cobbler's sales are repeat sales; relationship is {when}.")
        if name == "dense_referrals" and baseline is not None:
            rel_change = st["revenue"][cha].mean / baseline["revenue"][cha].mean - 1.0
            ng_change = st["revenue"][inc].mean / baseline["revenue"][inc].mean - 1.0
            return (f"Word of mouth travels further: relationship sellers earn {_signed(rel_change)} against "
                    f"`baseline`, with {_pct(ref)} of their sales from referrals ({_pct(baseline[f'{cha}_referral'])} "
                    f"in `baseline`), {_pct(inb)} from customers who come by themselves and {_pct(rep)} repeat sales, "
                    f"while the numbers game earns {_signed(ng_change)}; relationship is {when}.")
        if name == "scam_wary":
            return (f"Repeat business once trust is earned: skeptical customers start far below the buying "
                    f"threshold, so the numbers game's pressure wins the first year (ratio "
                    f"{st['ratio_year1'].mean:.2f}); then {_pct(rep)} of relationship sales are repeat sales and "
                    f"relationship is {when}.")
        if name == "no_social_ties":
            return (f"Repeat business alone (no network, no reviews): {_pct(rep)} of relationship sales are repeat "
                    f"sales and its loyalty is {_pct(st['loyalty'][cha])} against {_pct(st['loyalty'][inc])}; "
                    f"relationship is {when}.")
        if name == "short_horizon":
            return (f"A narrow lead after one year: customers who come by themselves ({_pct(inb)} of relationship "
                    f"sales) and the first repeat sales ({_pct(rep)}) just outweigh the numbers game's cold volume "
                    f"({_pct(ng_new)} of its sales are cold); relationship is {when}, and the lead grows "
                    f"with the horizon (see `baseline`).")
        return (f"Repeat business and trust: {_pct(rep)} of relationship sales are repeat sales, {_pct(ref)} referrals "
                f"and {_pct(inb)} customers who come by themselves, while {_pct(ng_new)} of numbers-game sales are "
                f"cold; relationship loyalty is {_pct(st['loyalty'][cha])} against {_pct(st['loyalty'][inc])}; "
                f"relationship is {when}.")
    if st["winner"] == "numbers_game":
        if name == "one_off":
            return (f"No repeat business to earn ({_pct(rep)} repeat sales): each need is met once, so the "
                    f"volume of cold contacts ({pitches:.1f} numbers-game pitches per customer) decides.")
        if name == "large_anonymous":
            return (f"The market is too large to burn: the numbers game pitches each customer only "
                    f"{pitches:.1f} times in ten years, so pressure and repeated pitches cost little, and sparse "
                    f"ties carry little word of mouth ({_pct(ref)} of relationship sales are referrals).")
        return (f"Volume of contacts: {_pct(ng_new)} of numbers-game sales are cold sales while only {_pct(rep)} of "
                f"relationship sales are repeat sales.")
    return (f"Too close to call: the interval of the revenue ratio includes 1 (relationship repeat sales "
            f"{_pct(rep)}, numbers-game pitches per customer {pitches:.1f}).")
