"""Sales rules: fit with a need, agreeing to a presentation, the sale itself, the next need's week.

Owns: the fit draw (Beta, once per customer, seller and need), whether a prospect accepts a
presentation, what one sale changes (need met, next need scheduled, books, loyalty counters and the
sale's source), and the week of a customer's next need. The entry points :func:`sell` and
:func:`fits` serve the market's vectorised diffusion phase, :func:`next_needs` draws next needs
for many customers at once.

Must not: spend time or decide who meets whom (budget and contact phases do that).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .draws import geometric, uniform
from .state import HANDOFF, NEVER, NEW, REFERRAL, REPEAT
from .trust import effective_trust, trust_of, willingness, with_pressure

__all__ = ["fit_of", "next_need_week", "next_need_drawn", "sell_one", "accept", "sell", "fits", "next_needs"]


@njit(cache=True, inline="always")
def fit_of(c, s, fit, p, rng):
    """Fit of seller ``s``'s offering with customer ``c``'s current need, drawn (Beta) once per need."""
    f = fit[c, s]
    if np.isnan(f):
        f = np.float32(rng.beta(p.fit_mean * p.fit_concentration, (1.0 - p.fit_mean) * p.fit_concentration))
        fit[c, s] = f
    return np.float64(f)


@njit(cache=True, inline="always")
def next_need_week(p, rng, week, after_sale):
    """Week of the customer's next need (geometric gap), ``NEVER`` for one-off purchases.

    After a sale in the lifetime-value limit (``repeat_probability`` set), the customer comes back
    only with that probability.
    """
    return next_need_drawn(p, rng.bit_generator, week, after_sale)


@njit(cache=True, inline="always")
def next_need_drawn(p, bitgen, week, after_sale):
    """:func:`next_need_week` drawn from the generator's ``bit_generator`` (the same draws; for loops)."""
    if p.recurring_needs == 0.0:
        return NEVER
    w = week + geometric(bitgen, 1.0 / p.purchase_cycle_weeks)
    if w > NEVER:
        w = NEVER
    if after_sale and p.repeat_probability >= 0.0 and uniform(bitgen) >= p.repeat_probability:
        w = NEVER
    return w


@njit(cache=True, inline="always")
def sell_one(st, c, s, src, rng, week):
    """One sale: need met, next need scheduled, books, loyalty counters and the sale's source.

    A hand-off (a poor fit sent over by a competitor) is its own source; a customer who bought
    from the seller before is a repeat, whatever brought them.
    """
    cu = st.customers
    book, cnt = st.sellers.book, st.sellers.counters
    cu.in_market[c] = False
    cu.next_need[c] = next_need_week(st.params[0], rng, week, True)
    prev = np.int64(cu.last_seller[c])
    if prev == s:
        cnt[s].returns += 1.0
    if prev >= 0:
        if prev != s:
            cnt[prev].defections += 1.0
        book[prev] -= 1
    book[s] += 1
    if cu.purchases_with[c, s] > 0:
        src = REPEAT
    cu.purchases_with[c, s] += 1
    cu.purchases[c] += 1
    cu.last_seller[c] = s
    cnt[s].sales += 1.0
    if src == NEW:
        cnt[s].sales_new += 1.0
    elif src == REPEAT:
        cnt[s].sales_repeat += 1.0
    elif src == REFERRAL:
        cnt[s].sales_referral += 1.0
    elif src == HANDOFF:
        cnt[s].sales_handoff += 1.0
    else:
        cnt[s].sales_inbound += 1.0


@njit(cache=True, inline="always")
def accept(tr, reader, signal, p, k, ns, c, s, rng, scale):
    """Does a prospect agree to a presentation? Steeply more likely above the trust threshold.

    ``reader``: whether customer ``c`` reads reviews; ``signal``: seller ``s``'s rating signal;
    ``p``, ``k``: the market's parameter record and the seller's knob record.
    """
    t = effective_trust(trust_of(tr, scale, ns, c, s), reader, p.reviews, p.review_weight, signal)
    return rng.random() < with_pressure(willingness(t, p.trust_threshold, p.threshold_width), k.pressure,
                                        p.pressure_close_lift)


@njit(cache=True)
def sell(c, s, src, kstate, rng, week):
    """Sales of customers ``c`` (each at most once) by sellers ``s`` from sources ``src``."""
    st = kstate.state
    for i in range(len(c)):
        sell_one(st, c[i], s[i], src[i], rng, week)


@njit(cache=True)
def fits(c, s, kstate, rng):
    """Fit of each (customer, seller) pair, drawing those not drawn yet for the current need."""
    st = kstate.state
    out = np.empty(len(c))
    p = st.params[0]
    for i in range(len(c)):
        out[i] = fit_of(c[i], s[i], st.customers.fit, p, rng)
    return out


@njit(cache=True)
def next_needs(k, kstate, rng, week):
    """Weeks of the next need of ``k`` customers whose need was met elsewhere (no sale here)."""
    st = kstate.state
    out = np.empty(k, dtype=np.int32)
    p = st.params[0]
    for i in range(k):
        out[i] = next_need_week(p, rng, week, False)
    return out
