"""sim: does numbers-game selling beat relationship selling, when, and why?

A Mesa agent-based model of sellers with different strategies competing for customers who carry
trust, talk to friends, read and write reviews, and buy again.

Typical use::

    import sim
    cfg = sim.load_scenario("baseline", weeks=260)
    res = sim.run(cfg, seed=1)
    res.summary["crossover_week"], res.timeseries.head()
"""

from .config import Config, ConfigError, MarketConfig, NetworkConfig, SellerGroup, load_scenario, scenario_names
from .model.customers import CustomerView
from .model.funnel import Source, Stage
from .model.market import Market
from .model.metrics import SERIES, crossover_week, strategy_curves, summarize
from .model.network import Friendships, build_network
from .model.runner import Results, flatten_summary, model_function, replicate_seed, run, run_replicates
from .model.sellers import Seller
from .strategy import PRESETS, STRATEGY_KNOBS, Strategy, interpolate, resolve_strategy

__version__ = "0.1.0"

_LAZY = {  # imported on first use so that `import sim` does not pull in matplotlib
    "plot_cumulative": "plots", "plot_funnel": "plots", "plot_sales_by_source": "plots", "save_figures": "plots",
    "main": "cli",
}


def __getattr__(name: str):
    if name in ("experiments", "ui", "validation"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")

__all__ = [
    "Config", "ConfigError", "MarketConfig", "NetworkConfig", "SellerGroup", "load_scenario", "scenario_names",
    "CustomerView", "Source", "Stage", "Market", "SERIES", "crossover_week", "strategy_curves", "summarize",
    "Friendships", "build_network", "Results", "flatten_summary", "model_function", "replicate_seed", "run",
    "run_replicates", "Seller", "PRESETS", "STRATEGY_KNOBS", "Strategy", "interpolate", "resolve_strategy",
    "plot_cumulative", "plot_funnel", "plot_sales_by_source", "save_figures", "main",
]
