"""The public review board and the trust threshold shared by buying, referring and choosing a seller.

Writing reviews, word of mouth and referrals happen after each sale in the compiled after-sales
phase (:func:`sim.kernels.after_sales`), which reads and updates the board's arrays.
"""

from __future__ import annotations

import numpy as np

from ..config import MarketConfig
from .arrays import clip

__all__ = ["ReviewBoard", "willingness"]


def willingness(trust: np.ndarray, market: MarketConfig) -> np.ndarray:
    """Steep (logistic) rise of buying/referring around the trust threshold [001]."""
    z = (trust - market.trust_threshold) / market.threshold_width
    return 1.0 / (1.0 + np.exp(-z))


class ReviewBoard:
    """Public reviews per seller: count and mean rating (1..5 stars), accumulating."""

    def __init__(self, n_sellers: int, market: MarketConfig) -> None:
        self.market = market
        self.count = np.zeros(n_sellers)
        self.rating_sum = np.zeros(n_sellers)
        self._signal = np.zeros(n_sellers)

    @property
    def mean_rating(self) -> np.ndarray:
        """Mean rating per seller (NaN where a seller has no reviews yet)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 0, self.rating_sum / np.maximum(self.count, 1), np.nan)

    def refresh(self) -> None:
        """Recompute the public signal from the counts and rating sums.

        Reviews are posted by the compiled after-sales phase (:func:`sim.kernels.after_sales`), which
        adds to ``count`` and ``rating_sum``; the market calls this afterwards.
        """
        conf = self.count / (self.count + self.market.review_prior) if self.market.review_prior > 0 \
            else (self.count > 0).astype(float)
        mean = np.where(self.count > 0, self.rating_sum / np.maximum(self.count, 1), 3.0)
        self._signal[:] = conf * (mean - 3.0) / 2.0   # in place: compiled kernels hold this array

    def effective_trust(self, trust: np.ndarray, readers: np.ndarray, sellers: np.ndarray | None = None) -> np.ndarray:
        """Trust as a customer sees it before choosing: readers' trust shifted by the rating.

        Args:
            trust: trust values, shape (k,) with ``sellers`` given, else (k, n_sellers).
            readers: bool (k,), whether each customer reads reviews.
            sellers: seller of each entry for 1-D ``trust``.
        """
        if not self.market.reviews or self.market.review_weight == 0:
            return trust
        shift = self.market.review_weight * (self._signal[sellers] if sellers is not None else self._signal[None, :])
        if sellers is None:
            return clip(trust + readers[:, None] * shift, 0.0, 1.0)
        return clip(trust + readers * shift, 0.0, 1.0)
