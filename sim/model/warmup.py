"""Compile the model's numba kernels ahead of time (``make venv`` runs this once).

Owns: :func:`warm_up`. Must not be imported by the model itself: it imports the market, which
imports the kernels, so it sits on top of both (``python -c "import sim.model.warmup as w; w.warm_up()"``).
"""

from __future__ import annotations

from ..config import load_scenario
from .market import Market

__all__ = ["warm_up"]


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel by running a tiny market for a few weeks.

    Run once at install time so that later runs, process pools and Dask workers find the compiled
    kernels in the on-disk cache instead of compiling them again. The three variants reach every
    kernel (lifetime-value limit and Bass diffusion; no network and no reviews).
    """
    for updates in ({}, {"market.repeat_probability": 0.5, "market.outside_influence": 0.01},
                    {"network.kind": "none", "market.reviews": False}):
        cfg = load_scenario("baseline", weeks=12, updates={"market.customers": 40, **updates})
        Market(cfg, rng=0).run()


if __name__ == "__main__":
    warm_up()
