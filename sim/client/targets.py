"""What the client's fit compares and what it moves: the observed figures and the free constants.

Owns: :data:`FIGURES` (each figure, how it is computed from funnel counts, and how its tolerance
reads), :data:`FREE_CONSTANTS` (the market constants the fit moves, with ranges and reasons), and
:func:`measure` (the funnel counts of the client's sellers in one simulated year). The search itself is
:mod:`sim.client.fit`.

Must not: search, write files or word results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..config import WEEKS_PER_YEAR, Config
from ..model.runner import run
from .schema import CLIENT_GROUP, ClientMarket

__all__ = ["FreeConstant", "FREE_CONSTANTS", "Target", "FIGURES", "COUNTS", "free_constants", "observed_figures",
           "tolerance_of", "measure", "figures_from_counts"]


@dataclass(frozen=True)
class FreeConstant:
    """A market constant the client's figures do not fix directly, with the range the fit searches."""

    name: str
    low: float
    high: float
    log: bool
    reason: str

    def value(self, u: float) -> float:
        """The constant at position ``u`` in [0, 1] of its range (log-uniform when ``log``)."""
        if self.log:
            return float(math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low))))
        return float(self.low + u * (self.high - self.low))


FREE_CONSTANTS: tuple[FreeConstant, ...] = (
    FreeConstant("trust_threshold", 0.35, 0.85, False,
                 "trust at which buying becomes likely: from just above a typical customer's starting trust "
                 "(0.45 x (1 - 0.3) = 0.32) to near-certain trust; moves presentations per prospect and sales "
                 "per presentation"),
    FreeConstant("commitment", 0.0, 0.5, False,
                 "boost at the close for a customer who sat through a presentation: the model's whole range; "
                 "moves sales per presentation"),
    FreeConstant("attention", 0.05, 1.0, False,
                 "chance a cold-contacted customer with an open need listens: from rarely to always; moves "
                 "prospects per lead"),
    FreeConstant("purchase_cycle_weeks", 4.0, 104.0, True,
                 "mean weeks between a customer's needs: from monthly to every two years (log scale); moves the "
                 "share of people with an open need and the repeat-customer share"),
    FreeConstant("threshold_width", 0.03, 0.25, True,
                 "how steeply buying rises around the trust threshold: from a sharp step to a gentle slope (log "
                 "scale); moves presentations per prospect against sales per presentation"),
    FreeConstant("experience_weight", 0.05, 0.8, False,
                 "how far one purchase moves trust: from barely to most of the way; moves the repeat-customer "
                 "share"),
)
"""The constants the fit moves, in this order. A constant the client file sets under ``market:`` is
held there instead."""

COUNTS = ("leads", "prospects", "presentations", "sales", "sales_repeat")


@dataclass(frozen=True)
class Target:
    """One observed figure: how it is computed from funnel counts, and how its tolerance reads."""

    name: str
    label: str
    numerator: str
    denominator: str
    relative: bool
    fitted: bool = True


FIGURES: tuple[Target, ...] = (
    Target("lead_to_prospect", "prospects per lead", "prospects", "leads", True),
    Target("prospect_to_presentation", "presentations per prospect", "presentations", "prospects", True),
    Target("presentation_to_sale", "sales per presentation", "sales", "presentations", True),
    Target("repeat_share", "repeat-customer share of sales", "sales_repeat", "sales", False),
    Target("leads_per_seller", "leads per seller (check, not fitted)", "leads", "seller_years", True, fitted=False),
)
"""The figures compared; the first four are fitted, leads per seller is a check of hours and minutes per
contact (the free constants barely move it)."""


def free_constants(client: ClientMarket) -> tuple[FreeConstant, ...]:
    """The free constants the fit moves for this client (those it does not fix under ``market:``)."""
    return tuple(c for c in FREE_CONSTANTS if c.name not in client.market)


def observed_figures(client: ClientMarket) -> dict[str, float]:
    """The client's figures, by :data:`FIGURES` name."""
    f = client.funnel
    return {"lead_to_prospect": f.prospects / f.leads, "prospect_to_presentation": f.presentations / f.prospects,
            "presentation_to_sale": f.sales / f.presentations, "repeat_share": client.repeat_share,
            "leads_per_seller": f.leads}


def tolerance_of(client: ClientMarket, figure: Target, observed: float) -> float:
    """Absolute tolerance of a figure: relative ones scale with the observed value."""
    t = client.tolerance
    if figure.name == "repeat_share":
        return t.repeat_share
    if figure.name == "leads_per_seller":
        return t.leads * observed
    return t.funnel * observed


def measure(config: Config, seeds: list[int], year: int) -> dict[str, float]:
    """Funnel counts of the client's sellers in simulated ``year``, summed over sellers and ``seeds``.

    Returns:
        ``{"leads", "prospects", "presentations", "sales", "sales_repeat", "seller_years"}``.
    """
    first, last = (year - 1) * WEEKS_PER_YEAR + 1, year * WEEKS_PER_YEAR
    out = dict.fromkeys((*COUNTS, "seller_years"), 0.0)
    for seed in seeds:
        df = run(config, seed=seed).timeseries
        rows = df[(df["strategy"] == CLIENT_GROUP) & (df["week"] >= first) & (df["week"] <= last)]
        for name in COUNTS:
            out[name] += float(rows[name].sum())
        out["seller_years"] += float(rows["seller"].nunique())
    return out


def figures_from_counts(counts: dict[str, float]) -> dict[str, float]:
    """The :data:`FIGURES` from summed counts (a ratio with nothing below it is 0)."""
    return {f.name: counts[f.numerator] / counts[f.denominator] if counts[f.denominator] else 0.0 for f in FIGURES}
