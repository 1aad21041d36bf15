"""Building the markets the calibration layer runs, and the worker tasks that run them.

* :func:`with_market` puts a parameter set (an ensemble member, a design point) into a scenario; the
  scenario's own market settings (those it sets differently from the baseline, e.g. the scam-wary
  market's skepticism) win over the member's, so a scenario keeps what makes it that scenario.
* :func:`switched_off` sets market settings and strategy knobs for *every* seller (preset groups run
  as private copies, e.g. ``relationship__off``; results are read back under the group's own name).
* :func:`compared_names` is the pair every ratio compares: relationship over numbers game by name.
* :class:`RunView` reads a finished run from the model's own weekly arrays, without building the
  weekly table or the summary (they take about three quarters of a year-1 run's time); the numbers
  are the summary's (``tests/test_calibration_ensemble.py`` checks it), and :attr:`RunView.summary`
  is there, computed on first use, for a measure that needs more;
* :func:`measure_task` and :func:`headline_task` are what a worker runs: one seeded model run,
  reduced to a small JSON record.

Must not: choose parameter sets, aggregate over runs or write files.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np

from ..config import Config, MarketConfig, load_scenario, validate_config
from ..errors import ConfigError
from ..strategy import PRESETS, STRATEGY_KNOBS

__all__ = ["with_market", "own_market_settings", "switched_off", "compared_names", "RunView", "run_view",
           "measure_task", "headline_task"]


class RunView:
    """A finished run read from the model's weekly arrays (``Recorder.data``: weeks x sellers).

    Attributes:
        config: the config that ran.
        model: the :class:`~sim.model.market.Market` after the run (customers, reviews, ...).
        weeks: weeks recorded.
    """

    def __init__(self, config: Config, model: Any) -> None:
        self.config = config
        self.model = model
        self.weeks = int(model.recorder.weeks_recorded)
        self._names = np.array([s.strategy_name for s in model.sellers])

    def _columns(self, strategy: str) -> np.ndarray:
        cols = np.flatnonzero(self._names == strategy)
        if len(cols) == 0:
            raise ConfigError(f"no seller group {strategy!r} in scenario {self.config.name!r}; "
                              f"groups: {', '.join(dict.fromkeys(self._names.tolist()))}")
        return cols

    def total(self, series: str, strategy: str, weeks: int | None = None) -> float:
        """Per-seller mean over ``strategy``'s sellers of ``series`` summed over weeks 1..``weeks`` (all)."""
        data = self.model.recorder.data[series][: self.weeks if weeks is None else min(weeks, self.weeks)]
        return float(data[:, self._columns(strategy)].sum(axis=0).mean())

    def cumulative(self, series: str, strategy: str) -> np.ndarray:
        """Per-seller mean of ``series``, cumulated over weeks (index 0 = week 1)."""
        data = self.model.recorder.data[series][: self.weeks]
        return np.cumsum(data[:, self._columns(strategy)].mean(axis=1))

    def crossover_week(self, challenger: str, incumbent: str) -> int | None:
        """As :func:`sim.model.metrics.crossover_week`: the week from which the challenger stays ahead."""
        ahead = self.cumulative("revenue", challenger) > self.cumulative("revenue", incumbent)
        if not len(ahead) or not ahead[-1]:
            return None
        behind = np.flatnonzero(~ahead)
        return int(behind[-1] + 2) if len(behind) else 1

    @cached_property
    def summary(self) -> dict[str, Any]:
        """The run's full summary (:func:`sim.model.metrics.summarize`), computed on first use."""
        from ..model.metrics import summarize

        return summarize(self.model.recorder.frame(self.model), self.config.market.price,
                         [g.strategy for g in self.config.sellers])


def run_view(cfg: Config, seed: int) -> RunView:
    """Run ``cfg`` once with ``seed`` (as :func:`sim.run` does) and return its :class:`RunView`."""
    from ..model.market import Market

    model = Market(cfg, rng=seed)
    model.run()
    return RunView(cfg, model)


def own_market_settings(cfg: Config, reference: Config | None = None) -> set[str]:
    """Market fields whose value in ``cfg`` differs from the reference scenario's (default: the baseline)."""
    ref = reference if reference is not None else load_scenario("baseline")
    a, b = cfg.market.model_dump(), ref.market.model_dump()
    return {k for k in a if a[k] != b[k]}


def with_market(cfg: Config, values: Mapping[str, Any], keep: set[str] | frozenset[str] = frozenset()) -> Config:
    """``cfg`` with market settings ``values`` applied, except the fields in ``keep``.

    Raises:
        ConfigError: a name that is not a market setting, or a value out of its bounds.
    """
    unknown = [k for k in values if k not in MarketConfig.model_fields]
    if unknown:
        raise ConfigError(f"market setting {unknown[0]!r} does not exist; "
                          f"allowed: {', '.join(MarketConfig.model_fields)}")
    updates = {f"market.{k}": v for k, v in values.items() if k not in keep}
    return cfg.with_updates(updates) if updates else cfg


def switched_off(cfg: Config, market: Mapping[str, Any], knobs: Mapping[str, Any]) -> tuple[Config, dict[str, str]]:
    """``cfg`` with ``market`` settings and ``knobs`` set for every seller group.

    Returns:
        The config and the private-name -> group-name aliases (empty when no knob changed).
    """
    bad = [k for k in knobs if k not in STRATEGY_KNOBS]
    if bad:
        raise ConfigError(f"strategy knob {bad[0]!r} does not exist; allowed: {', '.join(STRATEGY_KNOBS)}")
    data = cfg.model_dump(mode="python")
    for key, value in market.items():
        if key not in data["market"]:
            raise ConfigError(f"market setting {key!r} does not exist")
        data["market"][key] = value
    aliases: dict[str, str] = {}
    if knobs:
        strategies = dict(data.get("strategies") or {})
        for group in data["sellers"]:
            name = group["strategy"]
            spec = {**cfg.strategy(name).model_dump(), **knobs}
            if name in PRESETS:
                private = f"{name}__off"
                while private in strategies or private in PRESETS:
                    private += "_"
                aliases[private] = name
                group["strategy"] = private
                strategies[private] = spec
            else:
                strategies[name] = spec
        data["strategies"] = strategies
    return validate_config(data), aliases


def compared_names(cfg: Config) -> tuple[str, str]:
    """``(incumbent, challenger)``: numbers game and relationship when both are present, else the first two groups."""
    from ..narrate.verdict import compared_pair

    names = [g.strategy for g in cfg.sellers]
    pair = compared_pair(names, cfg)
    if pair is None:
        raise ConfigError(f"scenario {cfg.name!r}: the headline compares two strategies; it has one seller group")
    challenger, incumbent = pair
    return incumbent, challenger


def measure_task(cfg: Config, seed: int, targets: tuple[tuple[str, Any], ...]) -> dict[str, float | None]:
    """Run ``cfg`` once and return each target's measure (``targets``: ``(name, Target)`` pairs)."""
    view = run_view(cfg, seed)
    return {name: target.evaluate(view) for name, target in targets}


def headline_task(cfg: Config, seed: int, pair: tuple[str, str], aliases: Mapping[str, str]) -> dict[str, Any]:
    """Run ``cfg`` once: per-seller revenue of the compared pair, the log advantage and the crossover week.

    ``pair`` is ``(incumbent, challenger)`` by group name; ``aliases`` maps private strategy names
    (from :func:`switched_off`) back to group names.
    """
    from ..experiments.outcomes import log_revenue_advantage

    view = run_view(cfg, seed)
    private = {v: k for k, v in aliases.items()}
    inc, cha = (private.get(n, n) for n in pair)
    a, b = view.total("revenue", inc), view.total("revenue", cha)
    adv = log_revenue_advantage(a, b, cfg.market.price)
    return {"incumbent": a, "challenger": b, "log_advantage": adv if math.isfinite(adv) else None,
            "crossover_week": view.crossover_week(cha, inc)}
