"""Customers moving in and out: a yearly turnover replaces leavers with newcomers in their place.

Owns: :func:`move`, the weekly turnover rule (run at the start of
:func:`sim.model.kernels.contacts.customers_seek`, one compiled call a week). Each week every customer leaves with the
weekly hazard implied by ``market.turnover_per_year``; a newcomer takes the leaver's place (the
same row, so the same friends in the network) and is drawn from the same distributions as the
first customers: skepticism (Beta), reads reviews or not, trust toward each seller at the new
baseline plus noise, no purchase history, no contact record, no open need; the first need arrives
after a Geometric(1 / ``purchase_cycle_weeks``) wait, also in a one-off market (it is the
newcomer's first need). Reviews the leaver wrote stay on the public board.

Must not: sell, contact or count funnel stages; trust is written only by the ledger's write rule.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .draws import integer_below
from .state import NEVER, NO_CONTACT
from .trust import TRUST_MAX, TRUST_MIN

__all__ = ["move", "weekly_hazard"]


@njit(cache=True)
def weekly_hazard(per_year):
    """Weekly leaving probability equivalent to a yearly turnover ``per_year`` (compounded over 52 weeks)."""
    return 1.0 - (1.0 - per_year) ** (1.0 / 52.0)


@njit(cache=True)
def move(st, rng, week, scale):
    """This week's leavers, each replaced in place by a newcomer; returns the number of newcomers."""
    p = st.params[0]
    if p.turnover_per_year <= 0.0:
        return 0
    tr, cu, se = st.trust, st.customers, st.sellers
    n = len(cu.last_seller)
    ns = len(se.left)
    k = rng.binomial(n, weekly_hazard(p.turnover_per_year))
    if k == 0:
        return 0
    a = p.skepticism_mean * p.skepticism_concentration
    b = (1.0 - p.skepticism_mean) * p.skepticism_concentration
    # arrays unpacked once: the loop reads locals
    last_seller, skepticism, fit, last_contact = cu.last_seller, cu.skepticism, cu.fit, cu.last_contact
    purchases_with, reads_reviews, in_market = cu.purchases_with, cu.reads_reviews, cu.in_market
    next_need, purchases, reviews_written, book = cu.next_need, cu.purchases, cu.reviews_written, se.book
    base_of, t_base_sum, t_column_sums, t_deviation = tr.base, tr.base_sum, tr.column_sums, tr.deviation
    mark = st.scratch.mark
    stamp = st.scratch.stamp
    stamp[0] += 1
    moved = 0
    for _ in range(k):
        c = integer_below(rng, n)
        if mark[c] == stamp[0]:   # drawn twice this week: one move
            continue
        mark[c] = stamp[0]
        moved += 1
        prev = last_seller[c]
        if prev >= 0:
            book[prev] -= 1
        last_seller[c] = -1
        skep = np.float32(rng.beta(a, b)) if p.skepticism_mean > 0.0 else np.float32(0.0)
        skepticism[c] = skep
        old_base = np.float64(base_of[c])
        base_of[c] = np.float32(p.baseline_trust * (1.0 - np.float64(skep)))
        base = np.float64(base_of[c])
        t_base_sum[0] += base - old_base
        for s in range(ns):
            v = base + rng.normal(0.0, p.trust_noise) if p.trust_noise > 0.0 else base
            v = min(max(v, TRUST_MIN), TRUST_MAX)
            j = c * ns + s
            new = np.float32((v - base) / scale)
            t_column_sums[s] += np.float64(new) - np.float64(t_deviation[j])
            t_deviation[j] = new
            fit[c, s] = np.nan
            last_contact[c, s] = NO_CONTACT
            purchases_with[c, s] = 0
        reads_reviews[c] = rng.random() < p.review_readers
        in_market[c] = False
        w = week + rng.geometric(1.0 / p.purchase_cycle_weeks)
        next_need[c] = NEVER if w > NEVER else w
        purchases[c] = 0
        reviews_written[c] = 0
    return moved
