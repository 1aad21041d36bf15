"""Customers: many of them, so their state lives in arrays (one row per customer).

Trust lives in one place, the :class:`TrustLedger` — contacts, pressure, purchase experiences,
honesty, word of mouth and the slow decay toward each customer's baseline all change its arrays.
The ledger owns the storage; the weekly decay is the one rule
:func:`sim.model.kernels.trust.decay_one_week` (run by the compiled start of the week, and by
:meth:`TrustLedger.decay_one_week`), and the compiled phases write single values by the one write
rule, :func:`sim.model.kernels.trust.set_trust`. Any one customer stays inspectable through
:meth:`CustomerPopulation.view`.

Must not: hold the week's rules (the market and its kernels do) or draw random numbers after
construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import MarketConfig
from .network import Friendships

__all__ = ["TrustLedger", "CustomerPopulation", "CustomerView", "NEVER", "NO_CONTACT"]

NEVER = np.iinfo(np.int32).max
"""Week number meaning 'no further need' (one-off purchases)."""

NO_CONTACT = -10_000
"""``last_contact`` week meaning 'never contacted' (far enough back for any attention window)."""


class TrustLedger:
    """Trust of every customer toward every seller, in [0, 1].

    Trust decays toward each customer's baseline at ``decay`` per week. Storing the deviation
    from baseline divided by a shared decay factor (:attr:`scale`, kept in ``scale_box``) makes the
    weekly decay free (one multiply of a scalar) instead of a pass over customers x sellers;
    column sums are kept up to date on every write so mean trust per seller ("mind share") is
    also O(1).

    Attributes:
        base: float32 (customer,), each customer's baseline trust.
        deviation: float32 (customer * n_sellers + seller,), deviation from the baseline divided by
            :attr:`scale`; written in place by the compiled phases, never rebound.
        column_sums: float64 (seller,), sums of ``deviation`` over customers, kept up to date on
            every write; never rebound.
        base_sum: float64 (1,), sum of ``base`` (newcomers change a customer's base); never rebound.
    """

    def __init__(self, base: np.ndarray, initial: np.ndarray, decay: float) -> None:
        self.base = base.astype(np.float32)
        self._dev = (np.clip(initial, 1e-6, 1.0 - 1e-6) - self.base[:, None]).astype(np.float32)
        self.deviation = self._dev.reshape(-1)   # a view: (customer, seller) -> customer * n_sellers + seller
        self.scale_box = np.ones(1)   # the shared scale, in an array the compiled phases decay in place
        self._decay = float(decay)
        self.column_sums = self._dev.sum(axis=0, dtype=np.float64)
        self.base_sum = np.array([self.base.sum(dtype=np.float64)])
        self.n, self.n_sellers = self._dev.shape

    def decay_one_week(self) -> None:
        """Move every trust value a fraction ``decay`` of the way back to its baseline.

        The rule is :func:`sim.model.kernels.trust.decay_one_week` (the compiled start of the week runs it).
        """
        from .kernels.trust import decay_one_week  # here, not at the top: the kernels' state imports this module

        decay_one_week(self.scale_box, self.deviation, self.column_sums, self._decay)

    @property
    def scale(self) -> float:
        """Shared factor of the stored deviations (trust = base + scale x deviation)."""
        return float(self.scale_box[0])

    def rows(self, idx: np.ndarray) -> np.ndarray:
        """Trust of customers ``idx`` toward every seller, shape (len(idx), n_sellers)."""
        return self.base[idx, None] + self.scale * self._dev[idx]

    def mean_by_seller(self) -> np.ndarray:
        """Mean trust toward each seller over all customers (mind share)."""
        return (self.base_sum[0] + self.scale * self.column_sums) / self.n

    def full(self) -> np.ndarray:
        """The whole (customers x sellers) trust matrix (a copy)."""
        return self.base[:, None] + self.scale * self._dev


@dataclass(frozen=True)
class CustomerView:
    """A read-only snapshot of one customer, for inspection from the API."""

    index: int
    skepticism: float
    reads_reviews: bool
    trust: dict[str, float]
    in_market: bool
    purchases: int
    purchases_by_seller: dict[str, int]
    last_seller: str | None
    reviews_written: int
    friends: list[int]


class CustomerPopulation:
    """State of all customers, one array entry per customer (and per seller where needed)."""

    def __init__(self, market: MarketConfig, n_sellers: int, friends: Friendships,
                 rng: np.random.Generator) -> None:
        n = market.customers
        self.n = n
        self.n_sellers = n_sellers
        self.friends = friends
        m = market
        a = m.skepticism_mean * m.skepticism_concentration
        b = (1.0 - m.skepticism_mean) * m.skepticism_concentration
        self.skepticism = (rng.beta(a, b, n) if m.skepticism_mean > 0 else np.zeros(n)).astype(np.float32)
        self.reads_reviews = rng.random(n) < m.review_readers
        base = m.baseline_trust * (1.0 - self.skepticism)
        initial = base[:, None] + rng.normal(0.0, m.trust_noise, (n, n_sellers)) if m.trust_noise > 0 \
            else np.repeat(base[:, None], n_sellers, axis=1)
        self.trust = TrustLedger(base, initial, m.trust_decay)
        # needs: the first need of each customer arrives at a random point of a purchase cycle
        self.in_market = np.zeros(n, dtype=bool)
        self.need_since = np.zeros(n, dtype=np.int32)
        self.next_need = (1 + rng.geometric(1.0 / m.purchase_cycle_weeks, n)).astype(np.int64)
        self.next_need = np.minimum(self.next_need, NEVER).astype(np.int32)
        self.fit = np.full((n, n_sellers), np.nan, dtype=np.float32)
        self.last_contact = np.full((n, n_sellers), NO_CONTACT, dtype=np.int32)
        self.purchases_with = np.zeros((n, n_sellers), dtype=np.int32)
        self.last_seller = np.full(n, -1, dtype=np.int16)
        self.purchases = np.zeros(n, dtype=np.int32)
        self.reviews_written = np.zeros(n, dtype=np.int32)

    def view(self, i: int, seller_names: list[str]) -> CustomerView:
        """Everything about customer ``i``: trust toward each seller, purchases, reviews, friends."""
        if not 0 <= i < self.n:
            raise IndexError(f"customer {i} does not exist (0..{self.n - 1})")
        idx = np.array([i])
        trust = self.trust.rows(idx)[0]
        last = int(self.last_seller[i])
        return CustomerView(
            index=i,
            skepticism=float(self.skepticism[i]),
            reads_reviews=bool(self.reads_reviews[i]),
            trust={name: float(t) for name, t in zip(seller_names, trust, strict=True)},
            in_market=bool(self.in_market[i]),
            purchases=int(self.purchases[i]),
            purchases_by_seller={n: int(k) for n, k in zip(seller_names, self.purchases_with[i], strict=True)},
            last_seller=seller_names[last] if last >= 0 else None,
            reviews_written=int(self.reviews_written[i]),
            friends=self.friends.friends_of(i).tolist(),
        )
