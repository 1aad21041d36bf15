"""The client's own market: describe it in a short YAML file, calibrate it, compare ways of selling.

For a consultant: ``configs/clients/example.yaml`` is the template; ``python -m sim client FILE --out
DIR [--proposed relationship]`` runs everything. In Python (a notebook, the dashboard)::

    from sim import client
    market = client.load_client("my_client.yaml")       # or client.client_from_dict(form_values)
    cal = client.calibrate(market)                      # raises UnreachableError naming the figure
    cmp = client.compare(cal, "relationship", years=10, replicates=10)
    cmp.table(), client.plot_comparison(cmp), client.comparison_lines(cmp.to_dict())

Modules, one job each: :mod:`~sim.client.schema` (the file and its validation),
:mod:`~sim.client.targets` (the figures compared and the constants moved), :mod:`~sim.client.fit` (the search),
:mod:`~sim.client.compare` (current versus proposed),
:mod:`~sim.narrate.client` (tables and sentences), :mod:`~sim.client.figure` (the figure; imported on
first use, so the rest needs no matplotlib) and :mod:`~sim.client.cli` (the subcommand).
This package sits on top of the model, the experiment executors and the plot style; nothing below
it imports it.
"""

from __future__ import annotations

from typing import Any

from ..narrate.client import calibration_lines, comparison_lines, crossover_sentence, short_run_sentence
from .compare import COUNTERFACTUAL, Comparison, compare
from .fit import FIGURES, FREE_CONSTANTS, Calibration, Design, UnreachableError, calibrate
from .schema import EXAMPLE, ClientMarket, client_config, client_from_dict, load_client

__all__ = [
    "ClientMarket", "load_client", "client_from_dict", "client_config", "EXAMPLE", "Calibration", "Design",
    "calibrate", "UnreachableError", "FIGURES", "FREE_CONSTANTS", "Comparison", "compare", "COUNTERFACTUAL",
    "calibration_lines", "comparison_lines", "crossover_sentence", "short_run_sentence", "plot_comparison",
    "current_vs_proposed",
]


def __getattr__(name: str) -> Any:
    if name == "plot_comparison":
        from .figure import plot_comparison

        return plot_comparison
    raise AttributeError(f"module 'sim.client' has no attribute {name!r}")


def current_vs_proposed(client: ClientMarket | str | dict, proposed: Any = None, years: int = 10,
                        replicates: int = 10, workers: int = 1, design: Design | None = None) -> Comparison:
    """Everything in one call (for the dashboard): load or validate, calibrate, compare.

    Args:
        client: a :class:`ClientMarket`, a path to a client file, or plain form values.
        proposed: preset name or knobs (default: the file's proposed, else relationship).
        years: horizon of the comparison in years.
        replicates: simulated markets, each run in both arms with the same seed.
        workers: local processes (1 = in this process).
        design: how hard the fit searches (:class:`Design`).

    Raises:
        ConfigError: bad client data (one line naming the field); UnreachableError: figures no setting reaches.
    """
    if isinstance(client, dict):
        client = client_from_dict(client)
    elif not isinstance(client, ClientMarket):
        client = load_client(client)
    cal = calibrate(client, design, workers=workers)
    return compare(cal, proposed, years=years, replicates=replicates, workers=workers)
