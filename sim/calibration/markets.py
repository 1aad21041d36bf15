"""Building the markets the calibration layer runs, and the worker tasks that run them.

* :func:`with_market` puts a parameter set (an ensemble member, a design point) into a scenario; the
  scenario's own market settings (those it sets differently from the baseline, e.g. the scam-wary
  market's skepticism) win over the member's, so a scenario keeps what makes it that scenario.
* :func:`switched_off` sets market settings and strategy knobs for *every* seller (preset groups run
  as private copies, e.g. ``relationship__off``; results are read back under the group's own name).
* :func:`compared_names` is the pair every ratio compares: relationship over numbers game by name.
* :func:`measure_task` and :func:`headline_task` are what a worker runs: one seeded model run,
  reduced to a small JSON record.

Must not: choose parameter sets, aggregate over runs or write files.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..config import Config, MarketConfig, load_scenario, validate_config
from ..errors import ConfigError
from ..strategy import PRESETS, STRATEGY_KNOBS

__all__ = ["with_market", "own_market_settings", "switched_off", "compared_names", "measure_task", "headline_task"]


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
    from ..model.runner import run

    res = run(cfg, seed=seed)
    return {name: target.evaluate(res) for name, target in targets}


def headline_task(cfg: Config, seed: int, pair: tuple[str, str], aliases: Mapping[str, str]) -> dict[str, Any]:
    """Run ``cfg`` once: per-seller revenue of the compared pair, the log advantage and the crossover week.

    ``pair`` is ``(incumbent, challenger)`` by group name; ``aliases`` maps private strategy names
    (from :func:`switched_off`) back to group names.
    """
    from ..experiments.outcomes import log_revenue_advantage
    from ..model.metrics import crossover_week
    from ..model.runner import run

    res = run(cfg, seed=seed)
    private = {v: k for k, v in aliases.items()}
    inc, cha = (private.get(n, n) for n in pair)
    strategies = res.summary["strategies"]
    a, b = strategies[inc]["revenue_total"], strategies[cha]["revenue_total"]
    price = cfg.market.price
    adv = log_revenue_advantage(a, b, price)
    return {"incumbent": float(a), "challenger": float(b), "log_advantage": adv if math.isfinite(adv) else None,
            "crossover_week": crossover_week(res.timeseries, cha, inc)}
