"""sim: does numbers-game selling beat relationship selling, when, and why?

A Mesa agent-based model of sellers with different strategies competing for customers who carry
trust, talk to friends, read and write reviews, and buy again.

Typical use::

    import sim
    cfg = sim.load_scenario("baseline", weeks=260)
    res = sim.run(cfg, seed=1)
    res.summary["crossover_week"], res.timeseries.head()

``import sim`` loads only the configuration layer (pydantic and YAML); the model (Mesa, pandas,
numba), the plots (matplotlib) and the command line are imported on first use of a name that needs
them (PEP 562 ``__getattr__``), so ``python -m sim scenarios`` and ``--help`` answer at once.

Must not: import the model, experiments, plots or user interface at import time.
"""

from typing import Any

from .config import Config, ConfigError, MarketConfig, NetworkConfig, SellerGroup, load_scenario, scenario_names
from .strategy import PRESETS, STRATEGY_KNOBS, Strategy, interpolate, resolve_strategy

__version__ = "0.1.0"

_LAZY = {  # public name -> module, imported on first use
    "CustomerView": "model.customers",
    "Source": "model.funnel", "Stage": "model.funnel",
    "Market": "model.market",
    "SERIES": "model.metrics", "crossover_week": "model.metrics", "strategy_curves": "model.metrics",
    "summarize": "model.metrics",
    "Friendships": "model.network", "build_network": "model.network",
    "Results": "model.runner", "flatten_summary": "model.runner", "model_function": "model.runner",
    "replicate_seed": "model.runner", "run": "model.runner", "run_replicates": "model.runner",
    "Seller": "model.sellers",
    "plot_cumulative": "plots", "plot_funnel": "plots", "plot_sales_by_source": "plots", "save_figures": "plots",
    "main": "cli",
}
"""Public names that need the model, the plots or the command line."""

_SUBPACKAGES = ("model", "experiments", "plots", "ui", "validation", "calibration", "narrate", "report", "client")
"""``sim.experiments`` etc. work after a bare ``import sim``."""


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value   # the next look-up is a plain attribute
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Config", "ConfigError", "MarketConfig", "NetworkConfig", "SellerGroup", "load_scenario", "scenario_names",
    "CustomerView", "Source", "Stage", "Market", "SERIES", "crossover_week", "strategy_curves", "summarize",
    "Friendships", "build_network", "Results", "flatten_summary", "model_function", "replicate_seed", "run",
    "run_replicates", "Seller", "PRESETS", "STRATEGY_KNOBS", "Strategy", "interpolate", "resolve_strategy",
    "plot_cumulative", "plot_funnel", "plot_sales_by_source", "save_figures", "main",
]
