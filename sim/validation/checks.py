"""The validation checks (MODEL.md, "Validity checks"): each runs the model and returns a result.

Every check is a function ``check_<key>(pool=None, **size)`` returning a :class:`CheckResult`: rows
for the results table (item, target, measured with its 95% interval, pass/fail) and ``data`` with
everything the report and its figures need. Defaults are the sizes ``make validate`` uses; the
test suite calls the cheap checks with the same defaults and the expensive ones with smaller sizes.

Runs are seeded with :func:`sim.replicate_seed` ``(check seed, replicate)`` only, and results are
collected in task order, so every number is the same whatever the number of worker processes.
Intervals are 95% t-intervals of the mean over replicates (:func:`sim.runner.mean_interval`).
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, stats

import sim
from sim.config import CONFIG_DIR as _SCENARIO_DIR
from sim.experiments.outcomes import log_revenue_advantage
from sim.model.metrics import FUNNEL_STAGES
from sim.model.runner import mean_interval

__all__ = [
    "CHECKS", "CONFIG_DIR", "CheckResult", "Row", "Stat", "Pool", "load", "interval",
    "check_essay", "check_bass", "check_lifetime_value", "check_regimes", "check_identical", "check_sobol",
    "bass_discrete", "bass_continuous", "fit_bass", "expected_lifetime_value",
]

CONFIG_DIR = _SCENARIO_DIR / "validation"
"""Scenario files used only by validation (loaded by path, so they are not shipped scenarios)."""

SEEDS = {"funnel": 3001, "readers": 3002, "reviews": 3003, "bass": 3004, "ltv": 3005, "regimes": 3006,
         "identical": 3007, "sobol": 3008}
"""Base seed of each check; run ``i`` of a check uses ``replicate_seed(base, i)``."""


# ================================================================================ plumbing
def load(name: str, updates: dict[str, Any] | None = None, **overrides: Any) -> sim.Config:
    """Load ``configs/validation/<name>.yaml`` (or a shipped scenario by name if no such file)."""
    path = CONFIG_DIR / f"{name}.yaml"
    return sim.load_scenario(path if path.exists() else name, updates, **overrides)


class Pool:
    """Maps a function over tasks in ``workers`` processes (or in this process when ``workers <= 1``).

    Results come back in task order. Worker processes are started with ``spawn`` (no fork of a
    process that may hold threads) and reused across checks; use as a context manager.
    """

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, int(workers))
        self._ex: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]:
        """``[fn(t) for t in tasks]``, in parallel when the pool has more than one worker."""
        tasks = list(tasks)
        if self.workers == 1 or len(tasks) <= 1:
            return [fn(t) for t in tasks]
        if self._ex is None:
            self._ex = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return list(self._ex.map(fn, tasks, chunksize=1))

    def close(self) -> None:
        """Stop the worker processes."""
        if self._ex is not None:
            self._ex.shutdown()
            self._ex = None

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pool(pool: Pool | None) -> Pool:
    return pool if pool is not None else Pool(1)


@dataclass(frozen=True)
class Stat:
    """Mean and 95% t-interval of the mean over ``n`` replicates."""

    mean: float
    low: float
    high: float
    n: int

    def fmt(self, digits: int = 3, pct: bool = False, signed: bool = False) -> str:
        """``'0.897 [0.890, 0.905]'`` (or as percentages with ``pct``)."""
        scale, unit = (100.0, "%") if pct else (1.0, "")
        sign = "+" if signed else ""
        m, lo, hi = (round(v * scale, digits) + 0.0 for v in (self.mean, self.low, self.high))
        return f"{m:{sign},.{digits}f}{unit} [{lo:{sign},.{digits}f}{unit}, {hi:{sign},.{digits}f}{unit}]"

    def excludes(self, value: float) -> bool:
        """True when ``value`` lies outside the interval."""
        return value < self.low or value > self.high


def interval(values: Sequence[float]) -> Stat:
    """:class:`Stat` of finite ``values`` (mean and 95% t-interval)."""
    arr = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    s = mean_interval(arr)
    if s["mean"] is None:
        return Stat(math.nan, math.nan, math.nan, 0)
    return Stat(float(s["mean"]), float(s["low"]), float(s["high"]), len(arr))


@dataclass
class Row:
    """One line of the results table."""

    item: str
    target: str
    measured: str
    passed: bool | None   # None: reported for information, not a pass/fail criterion


@dataclass
class CheckResult:
    """Outcome of one check: table rows plus the data behind the report text and figures."""

    key: str
    title: str
    rows: list[Row]
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every pass/fail row passed."""
        return all(r.passed for r in self.rows if r.passed is not None)


def _seeds(check: str, n: int, offset: int = 0) -> list[int]:
    return [sim.replicate_seed(SEEDS[check], offset + i) for i in range(n)]


# ---------------------------------------------------------------- tasks run in worker processes
_WEEKLY = ("sales", "sales_repeat", "revenue")


def _run_task(task: tuple[sim.Config, int]) -> dict[str, Any]:
    """One run: its summary and weekly totals over all sellers of ``_WEEKLY``."""
    cfg, seed = task
    res = sim.run(cfg, seed=seed)
    weekly = res.timeseries.groupby("week", observed=True)[list(_WEEKLY)].sum()
    return {"summary": res.summary, "weekly": {c: weekly[c].to_numpy(dtype=float) for c in _WEEKLY}}


def _summary_task(task: tuple[sim.Config, int]) -> dict[str, Any]:
    cfg, seed = task
    return sim.run(cfg, seed=seed).summary


def _reviews_task(task: tuple[sim.Config, int]) -> dict[str, Any]:
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


def _readers_task(task: tuple[sim.Config, int]) -> float:
    cfg, seed = task
    return float(sim.Market(cfg, rng=seed).customers.reads_reviews.mean())


# ================================================================================ 1. essay figures
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
    pool = _pool(pool)
    rows: list[Row] = []
    data: dict[str, Any] = {}

    # -- funnel
    cfg = sim.load_scenario("baseline", weeks=52)
    summaries = pool.map(_summary_task, [(cfg, s) for s in _seeds("funnel", funnel_replicates)])
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
    shares = pool.map(_readers_task, [(base, s) for s in _seeds("readers", replicates)])
    st = interval(shares)
    data["readers"] = st
    rows.append(Row("Customers who read reviews", "76% (± 1 point)", st.fmt(1, pct=True), abs(st.mean - 0.76) <= 0.01))

    # -- reviews on vs off
    one_each = base.with_updates({"sellers": [{"strategy": "numbers_game", "count": 1},
                                              {"strategy": "relationship", "count": 1}]})
    markets = {"baseline (2 + 2 sellers)": base, "one seller of each kind": one_each}
    seeds = _seeds("reviews", replicates)
    data["reviews"] = {}
    for label, mcfg in markets.items():
        on_runs = pool.map(_reviews_task, [(mcfg.with_updates({"market.reviews": True}), s) for s in seeds])
        off_runs = pool.map(_reviews_task, [(mcfg.with_updates({"market.reviews": False}), s) for s in seeds])
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
    return CheckResult("essay", "Essay figures", rows, data)


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
    pool = _pool(pool)
    cfg = load("bass")
    if customers is not None:
        cfg = cfg.with_updates({"market.customers": customers})
    m, p, q = cfg.market.customers, cfg.market.outside_influence, cfg.market.imitation
    runs = pool.map(_run_task, [(cfg, s) for s in _seeds("bass", replicates)])
    firsts = np.array([r["weekly"]["sales"] - r["weekly"]["sales_repeat"] for r in runs])
    fits = [fit_bass(f, m) for f in firsts]
    est = {k: interval([f[k] / (p if k.startswith("p") else q) for f in fits]) for k in fits[0]}
    # the same market without p and q: how many first purchases come from other channels?
    quiet = pool.map(_run_task, [(cfg.with_updates({"market.outside_influence": 0.0, "market.imitation": 0.0}), s)
                                 for s in _seeds("bass", 2, offset=replicates)])
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
    pool = _pool(pool)
    base = load("lifetime_value")
    m = base.market
    rows, table = [], []
    for r in repeat_probabilities:
        cfg = base.with_updates({"market.repeat_probability": r})
        runs = pool.map(_run_task, [(cfg, s) for s in _seeds("ltv", replicates, offset=int(round(r * 1000)))])
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
            seeds = _seeds("ltv", gradual_replicates, offset=10_000 + int(r * 1000))
            runs = pool.map(_run_task, [(cfg, s) for s in seeds])
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


# ================================================================================ 4. both regimes
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
        for source in ("new", "repeat", "referral", "inbound"):
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
    pool = _pool(pool)
    names = list(scenarios) if scenarios is not None else sim.scenario_names()
    customers = customers or {}
    results: dict[str, Any] = {}
    for name in names:
        cfg = sim.load_scenario(name)
        if name in customers:
            cfg = cfg.with_updates({"market.customers": customers[name]})
        summaries = pool.map(_summary_task, [(cfg, s) for s in _seeds("regimes", replicates)])
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
            summaries = pool.map(_summary_task, [(cfg, s) for s in _seeds("regimes", size_replicates)])
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


# ================================================================================ 5. identical strategies
IDENTICAL_MARGIN = 0.10


def check_identical(pool: Pool | None = None, replicates: int = 30) -> CheckResult:
    """No hidden thumb on the scale: two sellers with copies of the same preset earn the same."""
    pool = _pool(pool)
    rows, data = [], {"replicates": replicates, "pairs": {}}
    for preset in ("relationship", "numbers_game"):
        cfg = load(f"identical_{preset}")
        summaries = pool.map(_summary_task, [(cfg, s) for s in _seeds("identical", replicates)])
        a = np.array([s["strategies"]["a"]["revenue_total"] for s in summaries])
        b = np.array([s["strategies"]["b"]["revenue_total"] for s in summaries])
        d = np.log(b / a)
        st = interval(d)
        p_value = float(stats.ttest_1samp(d, 0.0).pvalue)
        ok = not st.excludes(0.0) and -IDENTICAL_MARGIN <= st.low and st.high <= IDENTICAL_MARGIN
        rows.append(Row(f"Two identical {preset.replace('_', '-')} sellers: log(revenue b / revenue a)",
                        "interval includes 0, within ± 0.10",
                        f"{st.fmt(3, signed=True)}, paired t-test p = {p_value:.2f}", ok))
        data["pairs"][preset] = {"a": a, "b": b, "log_ratio": st, "p_value": p_value,
                                 "revenue_a": interval(a), "revenue_b": interval(b)}
    return CheckResult("identical", "No hidden thumb on the scale", rows, data)


# ================================================================================ what drives the result
@dataclass(frozen=True)
class Factor:
    """One factor of the sensitivity analysis: a config path, its range and how it is sampled."""

    path: str
    label: str
    low: float
    high: float
    log: bool = False
    integer: bool = False

    def value(self, u: float) -> float | int:
        """The factor's value at SALib sample ``u`` (in [low, high], or in log space for ``log``)."""
        x = math.exp(u) if self.log else u
        return int(round(x)) if self.integer else float(x)

    @property
    def bounds(self) -> list[float]:
        """Bounds of the sampled variable."""
        return [math.log(self.low), math.log(self.high)] if self.log else [self.low, self.high]


SOBOL_FACTORS = (
    Factor("market.skepticism_mean", "customer skepticism (mean)", 0.1, 0.6),
    Factor("market.purchase_cycle_weeks", "purchase cycle (weeks, log)", 6.0, 104.0, log=True),
    Factor("network.mean_degree", "friends per customer", 2.0, 16.0),
    Factor("market.review_weight", "weight of reviews", 0.0, 0.3),
    Factor("market.customers", "customers (log)", 300.0, 3000.0, log=True, integer=True),
    Factor("strategies.rel.pressure", "relationship: sales pressure", 0.0, 0.8),
    Factor("strategies.rel.minutes_per_contact", "relationship: minutes per contact", 5.0, 30.0),
    Factor("strategies.rel.prospecting_share", "relationship: share of hours on new leads", 0.1, 0.9),
)


def _advantage_task(task: tuple[sim.Config, int]) -> float:
    """log((relationship + price) / (numbers game + price)) revenue per seller over the horizon."""
    cfg, seed = task
    s = sim.run(cfg, seed=seed).summary
    inc, cha = s["incumbent"], s["challenger"]
    return log_revenue_advantage(s["strategies"][inc]["revenue_total"], s["strategies"][cha]["revenue_total"],
                                 s["price"])


def check_sobol(pool: Pool | None = None, base_samples: int = 128, noise_points: int = 16,
                noise_replicates: int = 4, factors: Sequence[Factor] = SOBOL_FACTORS,
                weeks: int | None = None) -> CheckResult:
    """Sobol first- and total-order indices of the relationship advantage (Saltelli sampling, SALib).

    Each design point is one run with its own seed; the run-to-run noise share of the variance is
    estimated separately from ``noise_points`` points run ``noise_replicates`` times each.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    pool = _pool(pool)
    base = load("sobol") if weeks is None else load("sobol", weeks=weeks)
    problem = {"num_vars": len(factors), "names": [f.path for f in factors], "bounds": [f.bounds for f in factors]}
    x = sobol_sample.sample(problem, base_samples, calc_second_order=False, seed=SEEDS["sobol"])

    def cfg_at(row: np.ndarray) -> sim.Config:
        return base.with_updates({f.path: f.value(u) for f, u in zip(factors, row, strict=True)})

    seeds = _seeds("sobol", len(x))
    y = np.array(pool.map(_advantage_task, [(cfg_at(row), s) for row, s in zip(x, seeds, strict=True)]))
    si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=SEEDS["sobol"])
    # run-to-run noise: the first noise_points rows, each with noise_replicates seeds
    pts = x[:noise_points]
    tasks = [(cfg_at(row), sim.replicate_seed(SEEDS["sobol"] + 1, i * noise_replicates + j))
             for i, row in enumerate(pts) for j in range(noise_replicates)]
    yn = np.array(pool.map(_advantage_task, tasks)).reshape(noise_points, noise_replicates)
    noise_share = float(yn.var(axis=1, ddof=1).mean() / y.var(ddof=1))
    values = np.array([[f.value(u) for f, u in zip(factors, row, strict=True)] for row in x], dtype=float)
    direction = [float(stats.spearmanr(values[:, k], y).statistic) for k in range(len(factors))]
    table = [{"factor": f, "S1": float(si["S1"][k]), "S1_conf": float(si["S1_conf"][k]), "ST": float(si["ST"][k]),
              "ST_conf": float(si["ST_conf"][k]), "spearman": direction[k]} for k, f in enumerate(factors)]
    data = {"table": table, "runs": len(y) + len(tasks), "base_samples": base_samples, "weeks": base.weeks,
            "customers": base.market.customers, "y": y, "x": values, "noise_share": noise_share,
            "relationship_wins": float((y > 0).mean()), "y_mean": float(y.mean()), "noise_points": noise_points,
            "noise_replicates": noise_replicates}
    top = max(table, key=lambda r: r["ST"])
    rows = [Row("What drives the result: largest total-order Sobol index", "(analysis)",
                f"{top['factor'].label}: ST = {top['ST']:.2f} ± {top['ST_conf']:.2f}", None)]
    return CheckResult("sobol", "What drives the result", rows, data)


CHECKS: dict[str, Callable[..., CheckResult]] = {
    "essay": check_essay, "bass": check_bass, "ltv": check_lifetime_value, "regimes": check_regimes,
    "identical": check_identical, "sobol": check_sobol,
}
"""Every check by key, in report order."""
