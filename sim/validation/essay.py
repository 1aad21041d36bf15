"""Check 1, the essays' figures: the 100/20/3/1 funnel [003], 76% review readers, reviews vs loyalty [002].

Owns :func:`check_essay` and the worker tasks only it needs (:func:`reviews_task`,
:func:`readers_task`). The funnel measured here is the one ``tests/test_calibration.py`` asserts;
this check reports it with intervals.

Must not format report text or draw figures (:mod:`sim.validation.sections`,
:mod:`sim.validation.figures` do), nor start processes (runs go through a :class:`~.runs.Pool`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import sim
from sim.model.metrics import FUNNEL_STAGES

from .results import CheckResult, Row, interval
from .runs import Pool, ensure_pool, replicate_seeds, summary_task

__all__ = ["check_essay", "FUNNEL_TARGETS", "FUNNEL_TOLERANCE", "reviews_task", "readers_task"]


def reviews_task(task: tuple[sim.Config, int]) -> dict[str, Any]:
    """Summary plus the share of relationship customers who bought from two relationship sellers.

    Of the customers who bought from a relationship seller, the share who also bought from another
    relationship seller (switched within the strategy).
    """
    cfg, seed = task
    res = sim.run(cfg, seed=seed)
    bought = res.model.customers.purchases_with > 0
    rel = np.array([s.strategy_name == "relationship" for s in res.model.sellers])
    n_rel = bought[:, rel].sum(axis=1)
    both = float((n_rel >= 2).sum() / max((n_rel >= 1).sum(), 1)) if rel.sum() >= 2 else math.nan
    return {"summary": res.summary, "switched_within": both}


def readers_task(task: tuple[sim.Config, int]) -> float:
    """Share of customers who read reviews in a freshly built market (no run)."""
    cfg, seed = task
    return float(sim.Market(cfg, rng=seed).customers.reads_reviews.mean())


FUNNEL_TARGETS = (("prospects", "leads", 20 / 100, "leads → prospects", "20 / 100"),
                  ("presentations", "prospects", 3 / 20, "prospects → presentations", "3 / 20"),
                  ("sales", "presentations", 1 / 3, "presentations → sales", "1 / 3"))
FUNNEL_TOLERANCE = 0.25


def check_essay(pool: Pool | None = None, replicates: int = 20, funnel_replicates: int = 20) -> CheckResult:
    """Essay figures: the 100/20/3/1 funnel [003], 76% review readers and reviews vs loyalty [002].

    The funnel is the numbers-game sellers' first year in the baseline market (the same measurement
    as ``tests/test_calibration.py``, here over ``funnel_replicates`` seeds). Reviews: the baseline
    market with ``market.reviews`` on and off, paired seeds, ``replicates`` pairs; also in a variant
    with one seller of each kind (no second seller of the same kind to switch to).
    """
    pool = ensure_pool(pool)
    rows: list[Row] = []
    data: dict[str, Any] = {}

    # -- funnel
    cfg = sim.load_scenario("baseline", weeks=52)
    summaries = pool.map(summary_task, [(cfg, s) for s in replicate_seeds("funnel", funnel_replicates)])
    funnels = [s["strategies"]["numbers_game"]["funnel_year1"] for s in summaries]
    data["funnel"] = {stage: interval([f[stage] for f in funnels]) for stage in FUNNEL_STAGES}
    data["funnel_ratios"] = {}
    for num, den, target, label, text in FUNNEL_TARGETS:
        st = interval([f[num] / f[den] for f in funnels])
        data["funnel_ratios"][label] = (st, target)
        ok = target * (1 - FUNNEL_TOLERANCE) <= st.mean <= target * (1 + FUNNEL_TOLERANCE)
        rows.append(Row(f"Funnel, year 1, numbers game: {label}", f"{text} = {target:.3f} ± 25%", st.fmt(3), ok))

    # -- review readers
    base = sim.load_scenario("baseline")
    shares = pool.map(readers_task, [(base, s) for s in replicate_seeds("readers", replicates)])
    st = interval(shares)
    data["readers"] = st
    rows.append(Row("Customers who read reviews", "76% (± 1 point)", st.fmt(1, pct=True), abs(st.mean - 0.76) <= 0.01))

    # -- reviews on vs off
    one_each = base.with_updates({"sellers": [{"strategy": "numbers_game", "count": 1},
                                              {"strategy": "relationship", "count": 1}]})
    markets = {"baseline (2 + 2 sellers)": base, "one seller of each kind": one_each}
    seeds = replicate_seeds("reviews", replicates)
    data["reviews"] = {}
    for label, mcfg in markets.items():
        on_runs = pool.map(reviews_task, [(mcfg.with_updates({"market.reviews": True}), s) for s in seeds])
        off_runs = pool.map(reviews_task, [(mcfg.with_updates({"market.reviews": False}), s) for s in seeds])
        on, off = [r["summary"] for r in on_runs], [r["summary"] for r in off_runs]
        out: dict[str, Any] = {"switched_within": {"on": interval([r["switched_within"] for r in on_runs]),
                                                   "off": interval([r["switched_within"] for r in off_runs])}}
        for strat in ("relationship", "numbers_game"):
            for measure in ("customers_retained_final", "loyalty"):
                a = np.array([s["strategies"][strat][measure] for s in on], dtype=float)
                b = np.array([s["strategies"][strat][measure] for s in off], dtype=float)
                out[(strat, measure)] = {"on": interval(a), "off": interval(b), "rel": interval(a / b - 1.0)}
        data["reviews"][label] = out
    main = data["reviews"]["baseline (2 + 2 sellers)"]
    kept = main[("relationship", "customers_retained_final")]["rel"]
    loyal = main[("relationship", "loyalty")]["rel"]
    rows.append(Row("Reviews on vs off, relationship seller: customers kept at the horizon",
                    "higher with reviews (essay: +18% loyalty)", kept.fmt(1, pct=True, signed=True), kept.low > 0))
    rows.append(Row("Reviews on vs off, relationship seller: loyalty rate returns / (returns + defections)",
                    "(essay: +18%)", loyal.fmt(1, pct=True, signed=True), None))
    data["replicates"], data["funnel_replicates"] = replicates, funnel_replicates
    data["customers"] = base.market.customers
    return CheckResult("essay", "Essay figures", rows, data)
