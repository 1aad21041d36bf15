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
from .customers import CustomerView
from .funnel import Source, Stage
from .market import Market
from .metrics import SERIES, crossover_week, strategy_curves, summarize
from .network import Friendships, build_network
from .runner import Results, flatten_summary, model_function, replicate_seed, run, run_replicates
from .sellers import Seller
from .strategy import PRESETS, STRATEGY_KNOBS, Strategy, interpolate, resolve_strategy

__version__ = "0.1.0"

__all__ = [
    "Config", "ConfigError", "MarketConfig", "NetworkConfig", "SellerGroup", "load_scenario", "scenario_names",
    "CustomerView", "Source", "Stage", "Market", "SERIES", "crossover_week", "strategy_curves", "summarize",
    "Friendships", "build_network", "Results", "flatten_summary", "model_function", "replicate_seed", "run",
    "run_replicates", "Seller", "PRESETS", "STRATEGY_KNOBS", "Strategy", "interpolate", "resolve_strategy",
]
