"""Check 4, both regimes: who wins each shipped scenario, and the mechanism that decides it.

Owns :func:`check_regimes` (every shipped scenario, plus ``large_anonymous`` by market size) and
:func:`mechanism`, the sentence per scenario on what decides it: the shipped mechanism attribution
(``make headlines``; :mod:`sim.validation.evidence`) and the run's own sales mix.

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
    from .evidence import shipped_evidence

    evidence = shipped_evidence([n for n in results if n in sim.scenario_names()])
    for name, st in results.items():
        st["mechanism"] = mechanism(name, st, evidence.get(name))
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


def mechanism(name: str, st: dict[str, Any], evidence: Any = None) -> str:
    """One sentence on what decides a scenario: the measured attribution, then the run's own sales mix.

    ``evidence``: the shipped measurement of the scenario (:func:`sim.calibration.headlines.evidence_for`);
    its Shapley shares give the "why" (:func:`sim.narrate.evidence.attribution_sentence`). Without a fresh
    one the sentence says so and names the command, instead of guessing a mechanism.
    """
    from sim.narrate.evidence import attribution_sentence, sales_mix_sentence

    inc, cha = st["incumbent"], st["challenger"]
    mix = {f"{strat}_{source}": st[f"{strat}_{source}"].mean for strat in (inc, cha)
           for source in ("new", "repeat", "referral", "inbound")}
    facts = sales_mix_sentence(mix, st["pitches_per_customer"].mean, (inc, cha))
    if evidence is not None and evidence.state == "measured":
        return f"{attribution_sentence(evidence.entry['attribution'])} {facts}"
    why = evidence.lines()[0] if evidence is not None else "Why: no attribution measured."
    return f"{why} {facts}"
