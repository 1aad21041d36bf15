"""Current versus proposed: the client's way of selling against another, in the calibrated market.

Owns: the counterfactual and its measurement. The calibrated market is run twice per replicate:
once with every one of the client's sellers selling the current way, once with every one selling
the proposed way. Everything else is the same: the customers, their network, the competitors
(who keep their way of selling) and the outside market (needs nobody serves are met elsewhere).
Both arms of replicate ``i`` use the same seed (common random numbers), so they start from the same
simulated market, and the difference is paired replicate by replicate; with ``current ==
proposed`` it is exactly zero. Both arms start in week 1 of a market where nobody has bought yet
(the model's convention): the comparison is "had the client sold this way from the start", not a
switch in the middle of an established business.

Reported (:class:`Comparison`): the client's revenue (all its sellers) by year in each arm, the
difference (proposed - current) with its 95% interval over replicates, the cumulative difference,
the crossover (first year from which the proposed arm's cumulative revenue stays ahead, or never)
and the short-run cost (revenue given up in year 1).

Must not: fit anything (:mod:`sim.client.fit`), word results (:mod:`sim.narrate.client`) or draw.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__, limits
from ..atomic import write_text
from ..config import WEEKS_PER_YEAR, Config
from ..experiments.executors import make_executor
from ..model.runner import mean_interval, replicate_seed, run
from ..strategy import Strategy
from .fit import Calibration
from .schema import CLIENT_GROUP, strategy_from_spec

__all__ = ["Comparison", "compare", "yearly_revenue", "crossover_year", "COUNTERFACTUAL"]

COUNTERFACTUAL = (
    "the calibrated market run twice per replicate with the same seed: every one of the client's sellers "
    "selling the current way, then every one selling the proposed way; customers, network, competitors "
    "(their way of selling unchanged) and the outside market are the same; both arms start in week 1 of "
    "a market where nobody has bought yet")
"""How the counterfactual is modelled, in one sentence (written into ``compare.json``)."""


def yearly_revenue(config: Config, seed: int) -> list[float]:
    """Revenue of the client's sellers (all of them together) in each simulated year of one run."""
    df = run(config, seed=seed).timeseries
    rows = df[df["strategy"] == CLIENT_GROUP]
    years = (rows["week"].to_numpy() - 1) // WEEKS_PER_YEAR
    return [float(x) for x in np.bincount(years, weights=rows["revenue"].to_numpy(),
                                          minlength=config.weeks // WEEKS_PER_YEAR)]


def crossover_year(cumulative_difference: list[float]) -> int | None:
    """First year from which the cumulative difference stays above zero to the horizon (None: never)."""
    ahead = [d > 0 for d in cumulative_difference]
    if not ahead or not ahead[-1]:
        return None
    year = len(ahead)
    while year > 1 and ahead[year - 2]:
        year -= 1
    return year


def _interval(values: list[float]) -> dict[str, float]:
    """Mean and 95% interval; identical values give a zero-width interval (not a NaN)."""
    if len(set(values)) <= 1:
        v = float(values[0])
        return {"mean": v, "low": v, "high": v}
    return {k: float(v) for k, v in mean_interval(values).items()}


@dataclass
class Comparison:
    """Current versus proposed in one calibrated client market.

    Attributes:
        calibration: the calibration the market comes from.
        current, proposed: the two ways of selling; labels: their names for people.
        seeds: one per replicate, shared by both arms.
        current_runs, proposed_runs: revenue by year, one list per replicate.
    """

    calibration: Calibration
    current: Strategy
    proposed: Strategy
    current_label: str
    proposed_label: str
    seeds: list[int]
    current_runs: list[list[float]]
    proposed_runs: list[list[float]]

    @property
    def years(self) -> int:
        """Horizon in years."""
        return len(self.current_runs[0])

    @property
    def replicates(self) -> int:
        """Replicates (simulated markets)."""
        return len(self.seeds)

    def _differences(self) -> np.ndarray:
        return np.asarray(self.proposed_runs) - np.asarray(self.current_runs)

    def by_year(self) -> list[dict[str, Any]]:
        """One row per year: each arm's revenue, the difference and the cumulative difference (mean, 95% interval)."""
        cur, prop = np.asarray(self.current_runs), np.asarray(self.proposed_runs)
        diff = prop - cur
        cum = np.cumsum(diff, axis=1)
        rows = []
        for y in range(self.years):
            rows.append({
                "year": y + 1,
                "current": _interval(list(cur[:, y])),
                "proposed": _interval(list(prop[:, y])),
                "difference": _interval(list(diff[:, y])),
                "cumulative_difference": _interval(list(cum[:, y])),
                "proposed_ahead_share": float(np.mean(cum[:, y] > 0)),
            })
        return rows

    @property
    def crossover_year(self) -> int | None:
        """First year from which the proposed arm's mean cumulative revenue stays ahead (None: never)."""
        return crossover_year([r["cumulative_difference"]["mean"] for r in self.by_year()])

    @property
    def crossover_years(self) -> list[int | None]:
        """The crossover year in each replicate (paired by seed)."""
        return [crossover_year(list(row)) for row in np.cumsum(self._differences(), axis=1)]

    @property
    def short_run_cost(self) -> dict[str, float]:
        """Revenue given up in year 1 by selling the proposed way (current - proposed; negative = a gain)."""
        return _interval(list(-self._differences()[:, 0]))

    def table(self) -> Any:
        """The comparison by year as a pandas DataFrame (means; the difference with its 95% interval)."""
        import pandas as pd

        rows = []
        for r in self.by_year():
            d, c = r["difference"], r["cumulative_difference"]
            rows.append({"year": r["year"], self.current_label: r["current"]["mean"],
                         self.proposed_label: r["proposed"]["mean"], "difference": d["mean"],
                         "difference low": d["low"], "difference high": d["high"], "cumulative difference": c["mean"],
                         "proposed ahead (share of markets)": r["proposed_ahead_share"]})
        return pd.DataFrame(rows).set_index("year")

    def to_dict(self) -> dict[str, Any]:
        """Everything ``compare.json`` holds."""
        years = self.crossover_years
        return {
            "client": self.calibration.client.name,
            "model_version": __version__,
            "counterfactual": COUNTERFACTUAL,
            "revenue": "revenue of all the client's sellers together, per simulated year",
            "current": {"label": self.current_label, "strategy": self.current.model_dump()},
            "proposed": {"label": self.proposed_label, "strategy": self.proposed.model_dump()},
            "years": self.years,
            "replicates": self.replicates,
            "seeds": self.seeds,
            "common_random_numbers": True,
            "calibrated_constants": self.calibration.constants,
            "by_year": self.by_year(),
            "crossover_year": self.crossover_year,
            "crossover_years": years,
            "crossover_share": sum(y is not None for y in years) / len(years),
            "short_run_cost": self.short_run_cost,
            "total_difference": self.by_year()[-1]["cumulative_difference"],
        }

    def write(self, out: str | Path) -> Path:
        """Write ``compare.json`` (atomically) into ``out``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        return write_text(out / "compare.json", json.dumps(_finite(self.to_dict()), indent=2) + "\n")


def _finite(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def compare(calibration: Calibration, proposed: Any = None, years: int = 10, replicates: int = 10,
            seed: int | None = None, workers: int = 1, scheduler: str | None = None, current: Any = None,
            labels: tuple[str | None, str | None] = (None, None), allow_large: bool = False) -> Comparison:
    """The client's current way of selling against a proposed one, on the same simulated markets.

    Args:
        calibration: the calibrated client market (:func:`sim.client.calibrate`).
        proposed: a preset name, a mapping of knobs (optionally with ``preset:``) or a Strategy
            (default: the client file's ``proposed``, else the relationship preset).
        years: horizon in years.
        replicates: simulated markets (each run in both arms with the same seed).
        seed: base seed (default: the client's).
        workers: local processes (1 = in this process).
        scheduler: a Dask scheduler address instead of local processes.
        current: override the current way of selling (default: the client's).
        labels: names of the two arms for people (default: the client file's labels, else the presets').
        allow_large: lift the size limits of :func:`sim.limits.check_run`.

    Raises:
        ConfigError: bad strategy, horizon, replicates or a run too large for this machine (one line).
    """
    from ..errors import ConfigError

    client = calibration.client
    if not isinstance(years, int) or not 1 <= years <= 100:
        raise ConfigError(f"years = {years!r}: must be a whole number from 1 to 100")
    if not isinstance(replicates, int) or replicates < 1:
        raise ConfigError(f"replicates = {replicates!r}: must be at least 1")
    try:
        cur = client.current if current is None else strategy_from_spec(current, "current")
        prop = client.proposed_strategy if proposed is None else strategy_from_spec(proposed, "proposed")
    except ValueError as err:
        raise ConfigError(str(err)) from None
    cur_label = labels[0] or (client.current_label if current is None else _label(current, "Current"))
    prop_label = labels[1] or (client.proposed_label if proposed is None else _label(proposed, "Proposed"))
    if cur_label == prop_label:
        prop_label = f"{prop_label} (proposed)"
    base = client.seed if seed is None else seed
    seeds = [replicate_seed(base, i) for i in range(replicates)]
    weeks = years * WEEKS_PER_YEAR
    cfg_cur = calibration.config(weeks, cur, seed=base)
    cfg_prop = calibration.config(weeks, prop, seed=base)
    limits.check_run(cfg_cur, replicates=2 * replicates, processes=workers, allow_large=allow_large)
    with make_executor(workers, scheduler) as executor:
        fut_cur = [executor.submit(yearly_revenue, cfg_cur, s) for s in seeds]
        fut_prop = [executor.submit(yearly_revenue, cfg_prop, s) for s in seeds]
        cur_runs = [f.result() for f in fut_cur]
        prop_runs = [f.result() for f in fut_prop]
    return Comparison(calibration, cur, prop, cur_label, prop_label, seeds, cur_runs, prop_runs)


def _label(spec: Any, default: str) -> str:
    if isinstance(spec, str):
        return spec.replace("_", " ").capitalize()
    if isinstance(spec, dict) and isinstance(spec.get("preset"), str):
        return spec["preset"].replace("_", " ").capitalize() + (" (adjusted)" if len(spec) > 1 else "")
    return default
