"""Sellers: a few Mesa agents, each with a strategy (a set of numbers) and equal hours.

The week's work of all sellers is carried out by the market in vectorised phases, in an explicit
random seller order each week (the vectorised equivalent of ``shuffle_do``); a seller agent holds
its strategy, its time budget and its running totals, and answers questions about itself.

Must not: carry out any of the week's rules (the market's phases and kernels do).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from ..strategy import STRATEGY_KNOBS, Strategy

if TYPE_CHECKING:
    from .market import Market

__all__ = ["Seller", "StrategyTable"]


class Seller(mesa.Agent):
    """One seller. All sellers share hours, price and product quality (market-wide settings)."""

    def __init__(self, model: Market, index: int, strategy_name: str, strategy: Strategy) -> None:
        super().__init__(model)
        self.index = index
        self.strategy_name = strategy_name
        self.strategy = strategy
        self.name = f"{strategy_name}_{index}"

    def _total(self, column: str) -> float:
        rec = self.model.recorder
        return float(rec.data[column][: rec.weeks_recorded, self.index].sum())

    @property
    def revenue(self) -> float:
        """Cumulative revenue so far."""
        return self._total("revenue")

    @property
    def sales(self) -> int:
        """Cumulative number of sales so far."""
        return int(self._total("sales"))

    @property
    def referrals_received(self) -> int:
        """Cumulative referrals received so far."""
        return int(self._total("referrals_received"))

    @property
    def customers(self) -> int:
        """Customers whose most recent purchase was from this seller."""
        return int(np.count_nonzero(self.model.customers.last_seller == self.index))

    def __repr__(self) -> str:
        return f"Seller({self.name!r}, revenue={self.revenue:.0f})"


class StrategyTable:
    """Each strategy knob as an array over sellers, for vectorised phases."""

    def __init__(self, sellers: list[Seller]) -> None:
        for knob in STRATEGY_KNOBS:
            setattr(self, knob, np.array([getattr(s.strategy, knob) for s in sellers], dtype=np.float64))

    prospecting_share: np.ndarray
    minutes_per_contact: np.ndarray
    pressure: np.ndarray
    genuine_interest: np.ndarray
    fit_threshold: np.ndarray
    keeps_log: np.ndarray
    follow_up: np.ndarray
    owns_failures: np.ndarray
    asks_referrals: np.ndarray
    invites_reviews: np.ndarray
