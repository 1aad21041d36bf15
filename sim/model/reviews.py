"""The public review board: review counts, rating sums and the public rating signal per seller.

Reviews are written after each sale in the compiled after-sales phase
(:func:`sim.model.kernels.after_sales`), which adds to the board's counts and rating sums; the
public signal is computed by one rule, :func:`sim.model.kernels.bookkeeping.refresh_signal`,
which the week's after-sales phase runs in compiled code and :meth:`ReviewBoard.refresh` runs on
the board. How readers see a seller through the signal is the one rule
:func:`sim.model.kernels.trust.effective_trust`, which :meth:`ReviewBoard.effective_trust` applies
to arrays.

Must not: write reviews or change trust (the kernels do), nor keep a second copy of a trust rule.
"""

from __future__ import annotations

import numpy as np

from ..config import MarketConfig
from .kernels.bookkeeping import refresh_signal
from .kernels.trust import effective_trust

__all__ = ["ReviewBoard"]


class ReviewBoard:
    """Public reviews per seller: count and mean rating (1..5 stars), accumulating.

    Attributes:
        count: float64 (seller,), reviews so far; added to in place by the compiled after-sales phase.
        rating_sum: float64 (seller,), sum of the star ratings; added to in place likewise.
        signal: float64 (seller,), the public rating signal in [-1, 1] (0 = no information), refreshed
            in place (by the compiled week, or :meth:`refresh`); the compiled phases hold this array.
    """

    def __init__(self, n_sellers: int, market: MarketConfig) -> None:
        self.market = market
        self.count = np.zeros(n_sellers)
        self.rating_sum = np.zeros(n_sellers)
        self.signal = np.zeros(n_sellers)

    @property
    def mean_rating(self) -> np.ndarray:
        """Mean rating per seller (NaN where a seller has no reviews yet)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 0, self.rating_sum / np.maximum(self.count, 1), np.nan)

    def refresh(self) -> None:
        """Recompute the public signal from the counts and rating sums.

        Confidence ``count / (count + review_prior)`` times the mean rating's distance from three
        stars, scaled to [-1, 1]: the one rule :func:`sim.model.kernels.bookkeeping.refresh_signal`,
        which the week's compiled after-sales phase runs after it posted reviews.
        """
        refresh_signal(self.count, self.rating_sum, float(self.market.review_prior), self.signal)

    def effective_trust(self, trust: np.ndarray, readers: np.ndarray) -> np.ndarray:
        """Trust toward every seller as customers see it before choosing (readers shifted by the rating).

        Args:
            trust: trust values, shape (k, n_sellers).
            readers: bool (k,), whether each customer reads reviews.
        """
        m = self.market
        return effective_trust.py_func(trust, readers[:, None], m.reviews, m.review_weight, self.signal[None, :])
