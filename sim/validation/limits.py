"""Checks 2 and 3, closed-form limiting cases: Bass diffusion and customer lifetime value.

Owns the closed forms (:func:`bass_discrete`, :func:`bass_continuous`, :func:`fit_bass`,
:func:`expected_lifetime_value`, :func:`discounted_lifetime_value`) and the checks that compare the
model with them in the limiting markets of ``configs/validation/`` (:func:`check_bass`,
:func:`check_lifetime_value`).

Must not format report text or draw figures, nor start processes (runs go through a
:class:`~.runs.Pool`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import optimize, stats

from .results import CheckResult, Row, interval
from .runs import Pool, ensure_pool, load, replicate_seeds, run_task

__all__ = ["check_bass", "check_lifetime_value", "bass_discrete", "bass_continuous", "fit_bass",
           "expected_lifetime_value", "discounted_lifetime_value", "BASS_TOLERANCE", "LTV_TOLERANCE",
           "LTV_REPEATS"]


# ================================================================================ 2. Bass limit
def bass_discrete(p: float, q: float, m: float, weeks: int) -> np.ndarray:
    """Expected first purchases in weeks 1..``weeks`` of the discrete Bass recursion.

    ``N_{t+1} = N_t + (p + q N_t / m)(m - N_t)``, ``N_0 = 0``: the exact expectation of
    ``Market._diffusion``, where each customer who has not bought by the start of a week buys in it
    with probability ``p + q x`` (``x`` = share of customers who have bought).
    """
    out = np.empty(weeks)
    n = 0.0
    for t in range(weeks):
        a = (p + q * n / m) * (m - n)
        out[t] = a
        n += a
    return out


def bass_continuous(p: float, q: float, t: np.ndarray) -> np.ndarray:
    """Share adopted by time ``t`` in the continuous Bass model (Bass 1969)."""
    e = np.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


def fit_bass(first: np.ndarray, m: float) -> dict[str, float]:
    """Fit Bass p and q to weekly first purchases (weeks 1..T) of a market of ``m`` customers.

    ``p_discrete, q_discrete``: least squares of the weekly counts against :func:`bass_discrete`
    (the exact counterpart of the mechanism). ``p_continuous, q_continuous``: least squares of the
    cumulative share against the continuous solution, for comparison.
    """
    first = np.asarray(first, dtype=float)
    weeks = len(first)
    cum = np.cumsum(first)
    before = np.concatenate([[0.0], cum[:-1]])
    # starting values: the hazard is linear in the adopted share, h_t = p + q N_t / m
    hazard = first / np.maximum(m - before, 1.0)
    q0, p0 = np.polyfit(before / m, hazard, 1)
    p0, q0 = max(p0, 1e-6), max(q0, 1e-6)
    scale = np.array([p0, q0])
    disc = optimize.least_squares(lambda th: bass_discrete(th[0], th[1], m, weeks) - first, scale,
                                  x_scale=scale, bounds=(0.0, np.inf), xtol=1e-12, ftol=1e-12)
    t = np.arange(1, weeks + 1, dtype=float)
    cont = optimize.least_squares(lambda th: bass_continuous(th[0], th[1], t) - cum / m, scale,
                                  x_scale=scale, bounds=(1e-9, np.inf), xtol=1e-12, ftol=1e-12)
    return {"p_discrete": float(disc.x[0]), "q_discrete": float(disc.x[1]),
            "p_continuous": float(cont.x[0]), "q_continuous": float(cont.x[1])}


BASS_TOLERANCE = 0.10


def check_bass(pool: Pool | None = None, replicates: int = 10, customers: int | None = None) -> CheckResult:
    """Bass limit: outside influence and imitation only; fit p and q and compare with the config."""
    pool = ensure_pool(pool)
    cfg = load("bass")
    if customers is not None:
        cfg = cfg.with_updates({"market.customers": customers})
    m, p, q = cfg.market.customers, cfg.market.outside_influence, cfg.market.imitation
    runs = pool.map(run_task, [(cfg, s) for s in replicate_seeds("bass", replicates)])
    firsts = np.array([r["weekly"]["sales"] - r["weekly"]["sales_repeat"] for r in runs])
    fits = [fit_bass(f, m) for f in firsts]
    est = {k: interval([f[k] / (p if k.startswith("p") else q) for f in fits]) for k in fits[0]}
    # the same market without p and q: how many first purchases come from other channels?
    quiet = pool.map(run_task, [(cfg.with_updates({"market.outside_influence": 0.0, "market.imitation": 0.0}), s)
                                 for s in replicate_seeds("bass", 2, offset=replicates)])
    other_count = float(np.mean([(r["weekly"]["sales"] - r["weekly"]["sales_repeat"]).sum() for r in quiet]))
    other = other_count / m
    rows = []
    for k, name in (("p_discrete", "p (outside influence)"), ("q_discrete", "q (imitation)")):
        st = est[k]
        ok = 1 - BASS_TOLERANCE <= st.low and st.high <= 1 + BASS_TOLERANCE
        rows.append(Row(f"Bass limit: fitted {name} / configured", "1 ± 10%", st.fmt(3), ok))
    data = {"p": p, "q": q, "m": m, "weeks": cfg.weeks, "replicates": replicates, "estimates": est,
            "first_mean": firsts.mean(axis=0), "first_low": firsts.min(axis=0), "first_high": firsts.max(axis=0),
            "fit_mean": {k: float(np.mean([f[k] for f in fits])) for k in fits[0]}, "other_channels": other,
            "other_channels_count": other_count, "other_channels_runs": len(quiet),
            "adopted_final": interval(firsts.sum(axis=1) / m)}
    return CheckResult("bass", "Bass-diffusion limit", rows, data)


# ================================================================================ 3. lifetime value
def expected_lifetime_value(price: float, r: float, cycle: float, weeks: int) -> dict[str, float]:
    """Expected revenue per customer of a cohort with a constant repeat probability.

    The cohort buys first in week 1; each purchase is followed by another with probability ``r``
    after a Geometric(1 / ``cycle``) gap (support 1, 2, ...).

    Returns ``price / (1 - r)`` (``untruncated``) and the expectation of what falls within weeks
    1..``weeks`` (``truncated``): the k-th purchase happens with probability r^(k-1), in week
    1 + (sum of k - 1 gaps).
    """
    g = 1.0 / cycle
    total, k = 1.0, 2
    while k - 1 <= weeks - 1:
        weight = r ** (k - 1)
        if weight < 1e-16:
            break
        j = k - 1   # gaps before the k-th purchase; their sum is j + NegBin(j, g) failures
        total += weight * float(stats.nbinom.cdf(weeks - 1 - j, j, g))
        k += 1
    return {"untruncated": price / (1.0 - r), "truncated": price * total}


def discounted_lifetime_value(price: float, r: float, cycle: float, annual_rate: float) -> float:
    """Expected discounted revenue per customer, valued at the week of the first purchase.

    ``price / (1 - r E[d^G])`` with weekly discount factor ``d`` and gap G ~ Geometric(1 / cycle):
    ``E[d^G] = (d / cycle) / (1 - (1 - 1 / cycle) d)``.
    """
    d = 1.0 / (1.0 + annual_rate) ** (1.0 / 52.0)
    g = 1.0 / cycle
    return price / (1.0 - r * (d * g) / (1.0 - (1.0 - g) * d))


def _measured_discounted(run: dict[str, Any], annual_rate: float) -> float:
    w = run["weekly"]
    weeks = np.arange(1, len(w["revenue"]) + 1)
    d = (1.0 + annual_rate) ** (-weeks / 52.0)
    return float((w["revenue"] * d).sum() / ((w["sales"] - w["sales_repeat"]) * d).sum())


LTV_TOLERANCE = 0.02
LTV_REPEATS = (0.25, 0.5, 0.75, 0.9)


def check_lifetime_value(pool: Pool | None = None, replicates: int = 20,
                         repeat_probabilities: Sequence[float] = LTV_REPEATS,
                         gradual_replicates: int = 40) -> CheckResult:
    """Lifetime-value limit: constant repeat probability r, no other channel; compare with the formula.

    Main design: one cohort (everyone buys in week 1). ``gradual_replicates > 0`` adds a design where
    customers enter gradually (outside influence 5% a week), reported separately; its runs are
    noisier (fewer first purchases per run), so it takes more replicates for an interval well inside
    the ±2% band.
    """
    pool = ensure_pool(pool)
    base = load("lifetime_value")
    m = base.market
    rows, table = [], []
    for r in repeat_probabilities:
        cfg = base.with_updates({"market.repeat_probability": r})
        runs = pool.map(run_task, [(cfg, s) for s in replicate_seeds("ltv", replicates, offset=int(round(r * 1000)))])
        exp = expected_lifetime_value(m.price, r, m.purchase_cycle_weeks, cfg.weeks)
        exp_d = discounted_lifetime_value(m.price, r, m.purchase_cycle_weeks, m.discount_rate)
        clv = interval([x["summary"]["strategies"]["relationship"]["customer_lifetime_value"] for x in runs])
        ratio = interval([x["summary"]["strategies"]["relationship"]["customer_lifetime_value"] / exp["untruncated"]
                          for x in runs])
        ratio_d = interval([_measured_discounted(x, m.discount_rate) / exp_d for x in runs])
        ok = 1 - LTV_TOLERANCE <= ratio.low and ratio.high <= 1 + LTV_TOLERANCE
        ok_d = 1 - LTV_TOLERANCE <= ratio_d.low and ratio_d.high <= 1 + LTV_TOLERANCE
        rows.append(Row(f"Lifetime value, r = {r:g}: revenue per customer / (price / (1 − r))", "1 ± 2%",
                        ratio.fmt(4), ok))
        rows.append(Row(f"Lifetime value, r = {r:g}: discounted, / geometric formula", "1 ± 2%", ratio_d.fmt(4), ok_d))
        table.append({"r": r, "expected": exp, "expected_discounted": exp_d, "measured": clv, "ratio": ratio,
                      "ratio_discounted": ratio_d,
                      "measured_discounted": interval([_measured_discounted(x, m.discount_rate) for x in runs])})
    gradual = []
    if gradual_replicates:
        for r in (0.5, 0.9):
            cfg = base.with_updates({"market.repeat_probability": r, "market.outside_influence": 0.05})
            seeds = replicate_seeds("ltv", gradual_replicates, offset=10_000 + int(r * 1000))
            runs = pool.map(run_task, [(cfg, s) for s in seeds])
            exp = m.price / (1.0 - r)
            clv = [x["summary"]["strategies"]["relationship"]["customer_lifetime_value"] for x in runs]
            ratio = interval([v / exp for v in clv])
            ok = 1 - LTV_TOLERANCE <= ratio.low and ratio.high <= 1 + LTV_TOLERANCE
            gradual.append({"r": r, "ratio": ratio, "passed": ok})
            rows.append(Row(f"Lifetime value, gradual entry (5% a week), r = {r:g}: / (price / (1 − r))",
                            "1 ± 2%", ratio.fmt(4), ok))
    data = {"table": table, "gradual": gradual, "customers": m.customers, "weeks": base.weeks,
            "cycle": m.purchase_cycle_weeks, "price": m.price, "discount_rate": m.discount_rate,
            "replicates": replicates, "gradual_replicates": gradual_replicates}
    return CheckResult("ltv", "Lifetime-value limit", rows, data)
