"""Check 6, what drives the result: Sobol indices of the relationship advantage (SALib).

Owns the sensitivity factors (:class:`Factor`, :data:`SOBOL_FACTORS`), the per-run outcome
(:func:`advantage_task`, via :func:`sim.experiments.outcomes.log_revenue_advantage`, the sweeps' own
headline metric) and :func:`check_sobol`. The Saltelli design is drawn here with SALib and the
check's own seed (``SEEDS["sobol"]``), not by the sweep layer's designs, so the sample, seeds and
figures of ``docs/VALIDATION.md`` stay exactly as they were.

Must not format report text or draw figures, nor start processes (runs go through a
:class:`~.runs.Pool`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

import sim
from sim.experiments.outcomes import log_revenue_advantage

from .results import CheckResult, Row
from .runs import SEEDS, Pool, ensure_pool, load, replicate_seeds

__all__ = ["check_sobol", "Factor", "SOBOL_FACTORS", "advantage_task"]


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


def advantage_task(task: tuple[sim.Config, int]) -> float:
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

    pool = ensure_pool(pool)
    base = load("sobol") if weeks is None else load("sobol", weeks=weeks)
    problem = {"num_vars": len(factors), "names": [f.path for f in factors], "bounds": [f.bounds for f in factors]}
    x = sobol_sample.sample(problem, base_samples, calc_second_order=False, seed=SEEDS["sobol"])

    def cfg_at(row: np.ndarray) -> sim.Config:
        return base.with_updates({f.path: f.value(u) for f, u in zip(factors, row, strict=True)})

    seeds = replicate_seeds("sobol", len(x))
    y = np.array(pool.map(advantage_task, [(cfg_at(row), s) for row, s in zip(x, seeds, strict=True)]))
    si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=SEEDS["sobol"])
    # run-to-run noise: the first noise_points rows, each with noise_replicates seeds
    pts = x[:noise_points]
    tasks = [(cfg_at(row), sim.replicate_seed(SEEDS["sobol"] + 1, i * noise_replicates + j))
             for i, row in enumerate(pts) for j in range(noise_replicates)]
    yn = np.array(pool.map(advantage_task, tasks)).reshape(noise_points, noise_replicates)
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
