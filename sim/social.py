"""Word of mouth, referrals and public reviews: how one customer's experience reaches others."""

from __future__ import annotations

import numpy as np

from .arrays import clip
from .config import MarketConfig
from .customers import CustomerPopulation

__all__ = ["ReviewBoard", "willingness", "write_reviews", "spread_word"]


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

    def add(self, sellers: np.ndarray, ratings: np.ndarray) -> None:
        """Post reviews (one per entry) and refresh the public signal."""
        n = len(self.count)
        self.count += np.bincount(sellers, minlength=n)
        self.rating_sum += np.bincount(sellers, weights=ratings, minlength=n)
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


def write_reviews(board: ReviewBoard, pop: CustomerPopulation, cust: np.ndarray, sellers: np.ndarray,
                  satisfaction: np.ndarray, invite: np.ndarray, market: MarketConfig,
                  rng: np.random.Generator) -> np.ndarray:
    """Some customers write a review after a purchase: more when very pleased/upset or asked [002].

    Returns:
        Bool mask of the entries that wrote a review.
    """
    if not market.reviews or len(cust) == 0:
        return np.zeros(len(cust), dtype=bool)
    extremity = np.abs(2.0 * satisfaction - 1.0)
    asked = rng.random(len(cust)) < invite
    p = market.review_base_rate + market.review_extremity * extremity + market.review_ask_lift * asked
    wrote = rng.random(len(cust)) < p
    ratings = np.clip(np.rint(1.0 + 4.0 * satisfaction[wrote]), 1, 5)
    board.add(sellers[wrote], ratings)
    pop.reviews_written[cust[wrote]] += 1   # a customer buys at most once a week: no repeats here
    return wrote


def spread_word(pop: CustomerPopulation, cust: np.ndarray, sellers: np.ndarray, satisfaction: np.ndarray,
                ask: np.ndarray, market: MarketConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customers tell friends about a purchase; friends' trust moves; some friends become referrals.

    Args:
        cust, sellers, satisfaction: the purchase experiences (one entry each).
        ask: per entry, how consistently the seller asks for referrals (0..1).

    Returns:
        ``(friend, seller, referrer)`` of new referrals: friends with an open need sent to the seller.
    """
    empty = np.zeros(0, dtype=np.int64)
    if len(cust) == 0 or pop.friends.n_edges == 0:
        return empty, empty, empty
    valence = 2.0 * satisfaction - 1.0
    talks = rng.random(len(cust)) < market.talk_rate + market.talk_extremity * np.abs(valence)
    if not talks.any():
        return empty, empty, empty
    t_idx = np.flatnonzero(talks)
    pos, friend = pop.friends.gather(cust[t_idx])
    if len(friend) == 0:
        return empty, empty, empty
    src = t_idx[pos]
    s = sellers[src]
    v = valence[src]
    current = pop.trust.pairs(friend, s)
    delta = market.wom_weight * v * np.where(v > 0, 1.0 - current, current)
    pop.trust.add_pairs(friend, s, delta)
    # referrals: a good story to a friend who is in the market right now
    referrer_trust = pop.trust.pairs(cust[src], s)
    p_ref = (market.referral_rate + market.referral_ask_lift * ask[src]) * willingness(referrer_trust, market)
    refer = (v > 0) & pop.in_market[friend] & (rng.random(len(friend)) < p_ref)
    return friend[refer], s[refer], cust[src][refer]
