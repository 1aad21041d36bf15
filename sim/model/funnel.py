"""The sales funnel: lead -> prospect -> presentation -> sale, and where sales come from.

Cold leads start at the top. Warm leads (referrals, returning customers, customers who come by
themselves because they already trust a seller) skip qualification and enter at the
presentation stage; they are counted at every stage they pass, so each stage's count is the
number of customers who reached it.

Must not: count anything itself (the market and its compiled phases add to the counters).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = ["Stage", "Source", "WEEKLY_COUNTERS", "MARKET_COUNTERS", "COUNTER_DTYPE", "WeeklyCounters"]


class Stage(IntEnum):
    """Funnel stages, in order."""

    LEAD = 0
    PROSPECT = 1
    PRESENTATION = 2
    SALE = 3


class Source(IntEnum):
    """Where a sale came from."""

    NEW = 0        # cold lead, a first-time customer
    REPEAT = 1     # a customer who bought from this seller before
    REFERRAL = 2   # sent by a friend who bought from the seller
    INBOUND = 3    # came by themselves because they already trusted the seller
    HANDOFF = 4    # sent over by a competitor who declined a poor fit (its own source, never a referral)


WEEKLY_COUNTERS: tuple[str, ...] = (
    "leads", "prospects", "presentations", "sales",
    "sales_new", "sales_repeat", "sales_referral", "sales_inbound", "sales_handoff",
    "referrals_received", "handoffs_made", "handoffs_received", "declined_poor_fit", "turned_away",
    "follow_ups", "keep_in_touch", "service_failures", "failures_fixed",
    "reviews_new", "minutes_used", "returns", "defections",
    "referral_asks", "asks_unanswered", "review_invitations", "reviews_negative", "reviews_solicited", "cold_calls",
    "experiences", "satisfaction_sum",
)
"""Per-seller counts reset every week (column names in the weekly table).

``referral_asks`` and ``review_invitations`` count buyers asked for referrals / invited to review
(``market.ask_minutes`` of customer time each); ``asks_unanswered`` the asked buyers who gave
no referral that week, who lose ``market.ask_annoyance`` of trust; ``reviews_negative`` the new reviews of
one or two stars (invited or not); ``reviews_solicited`` the reviews the invitation brought (an invited
buyer's review beyond their own, crowded-out motive; the other reviews are organic); ``cold_calls`` the cold
contacts (every one a lead; the other leads are warm leads and own customers reached by keep-in-touch
with an open need)."""


MARKET_COUNTERS: tuple[str, ...] = ("needs_outside", "newcomers")
"""Market-wide counts of the week (not per seller): needs resolved by the outside option (other
vendors, doing without) and newcomers who replaced leaving customers. Reported as the series
``market_<name>``, the same value on every seller's row of the week."""


COUNTER_DTYPE = np.dtype([(name, np.float64) for name in WEEKLY_COUNTERS], align=True)
"""One record of weekly counters per seller, fields named after :data:`WEEKLY_COUNTERS`."""


class WeeklyCounters:
    """One float array per counter, indexed by seller; reset each week.

    The counters live in one structured array ``table`` (one :data:`COUNTER_DTYPE` record per
    seller), which the compiled phases add to by name; ``values[name]`` is a view of one field.
    """

    def __init__(self, n_sellers: int) -> None:
        self.n_sellers = n_sellers
        self.table = np.zeros(n_sellers, dtype=COUNTER_DTYPE)
        self.values = {name: self.table[name] for name in WEEKLY_COUNTERS}   # views of the fields

    def reset(self) -> None:
        """Zero every counter."""
        self.table[...] = 0

    def add(self, name: str, sellers: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Count one event (or ``weights``) for each entry of ``sellers``."""
        if len(sellers):
            self.values[name] += np.bincount(sellers, weights=weights, minlength=self.n_sellers)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]
