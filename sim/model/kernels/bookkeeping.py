"""The week's bookkeeping: its start (decay, counters, budget), needs arising and expiring, its end (records).

Owns: :func:`start_week` (trust decays, counters and market counts start at zero, each seller's
minutes are the hours less last week's debt, split by the prospecting share), :func:`needs_arise`
(customers whose next need falls this week enter the market), :func:`expire_needs` (needs nobody
served within ``need_patience_weeks`` go to the outside option, counted), :func:`refresh_signal`
(the public rating signal, the one place it is computed) and :func:`end_week` (minutes used, the
debt carried over, and the week's row of every recorded series, :data:`sim.model.metrics.RECORDED`).

Must not: contact customers, sell, or change trust other than by the weekly decay.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..metrics import RECORDED, RUNNING
from .sales import next_need_drawn
from .state import NEEDS_OUTSIDE, NEVER, NEW_NEEDS
from .trust import decay_one_week

__all__ = ["start_week", "needs_arise", "expire_needs", "refresh_signal", "end_week", "grown"]

# rows of the recorder's series table the end of the week computes (the counters come first, in order)
REVENUE, MEAN_TRUST, REVIEWS_COUNT, MEAN_RATING, CUSTOMERS_RETAINED, HOURS_USED, MARKET_SHARE, SATISFACTION = (
    RECORDED.index(name) for name in ("revenue", "mean_trust", "reviews_count", "mean_rating", "customers_retained",
                                      "hours_used", "market_share", "satisfaction"))
SALES, FAILURES_FIXED, MINUTES_USED, EXPERIENCES, SATISFACTION_SUM = (
    RECORDED.index(name) for name in ("sales", "failures_fixed", "minutes_used", "experiences", "satisfaction_sum"))
RUNNING_ROWS = np.array([RECORDED.index(name) for name in RUNNING], dtype=np.int64)


@njit(cache=True)
def grown(a, n, size):
    """A larger copy of queue array ``a`` (room for ``size`` entries; its first ``n`` kept)."""
    out = np.empty(size, dtype=a.dtype)
    out[:n] = a[:n]
    return out


@njit(cache=True)
def start_week(kstate):
    """Trust decays; counters and market counts start at zero; minutes are the hours less last week's debt."""
    st = kstate.state
    p = st.params[0]
    tr, se, wk = st.trust, st.sellers, st.week
    decay_one_week(tr.scale, tr.deviation, tr.column_sums, p.trust_decay)
    st.record.counters[:, :] = 0.0
    wk.market[:] = 0
    for s in range(len(se.left)):
        b = p.hours_per_week * 60.0 - wk.debt[s]
        wk.budget[s] = b
        se.left[s] = b
        se.left_rel[s] = b * (1.0 - se.knobs[s].prospecting_share)


@njit(cache=True)
def needs_arise(kstate, week):
    """Customers whose next need falls this week enter the market (fits to be drawn); listed in ``new_needs``."""
    st = kstate.state
    cu, wk = st.customers, st.week
    next_need, fit, found = cu.next_need, cu.fit, st.scratch.index   # arrays unpacked once: the loops read locals
    in_market, need_since = cu.in_market, cu.need_since
    k = 0
    for c in range(len(next_need)):   # without a branch: the candidates in customer order
        found[k] = c
        k += next_need[c] == week
    if k > len(wk.new_needs):
        wk.new_needs = grown(wk.new_needs, 0, max(k, 2 * len(wk.new_needs)))
    new = wk.new_needs
    for i in range(k):
        c = found[i]
        new[i] = c
        in_market[c] = True
        need_since[c] = week
        next_need[c] = NEVER
        for s in range(fit.shape[1]):
            fit[c, s] = np.nan
    wk.sizes[NEW_NEEDS] = k


@njit(cache=True)
def expire_needs(kstate, rng, week):
    """Needs nobody served within the customer's patience go to the outside option (counted)."""
    st = kstate.state
    p = st.params[0]
    cu = st.customers
    in_market, need_since, next_need = cu.in_market, cu.need_since, cu.next_need   # unpacked once
    cut = week - np.int64(p.need_patience_weeks)
    stale = st.scratch.index
    k = 0
    for c in range(len(in_market)):   # without a branch: the stale needs in customer order
        stale[k] = c
        k += in_market[c] & (need_since[c] <= cut)
    bitgen = rng.bit_generator   # the loop draws from the bit generator: no reference count per draw
    for i in range(k):
        c = stale[i]
        in_market[c] = False
        next_need[c] = next_need_drawn(p, bitgen, week, False)
    st.week.market[NEEDS_OUTSIDE] = k


@njit(cache=True)
def refresh_signal(count, rating_sum, prior, signal):
    """The public rating signal in [-1, 1] from review counts and rating sums (0 = no information).

    Confidence ``count / (count + prior)`` (any review counts fully when ``prior`` is 0) times the mean
    rating's distance from three stars, scaled to [-1, 1].
    """
    for s in range(len(count)):
        n = count[s]
        if prior > 0:
            conf = n / (n + prior)
        else:
            conf = 1.0 if n > 0 else 0.0
        mean = rating_sum[s] / max(n, 1.0) if n > 0 else 3.0
        signal[s] = conf * (mean - 3.0) / 2.0


@njit(cache=True)
def end_week(kstate):
    """Minutes used and the debt carried over; then this week's row of every recorded series.

    Raises ``IndexError`` when the recorder has no room left (a run beyond its horizon).
    """
    st = kstate.state
    p = st.params[0]
    se, wk, rec, tr = st.sellers, st.week, st.record, st.trust
    cnt = rec.counters
    ns = len(se.left)
    w = rec.weeks[0]
    if w >= rec.series.shape[1]:
        raise IndexError("the recorder is full: the run is past its horizon")
    for s in range(ns):
        cnt[s, MINUTES_USED] = wk.budget[s] - se.left[s]
        d = -se.left[s]
        wk.debt[s] = d if d > 0.0 else 0.0
    row = rec.series[:, w, :]
    for s in range(ns):
        for j in range(cnt.shape[1]):
            row[j, s] = cnt[s, j]
    total = 0.0
    for s in range(ns):
        total += cnt[s, SALES]
    outside = wk.market[NEEDS_OUTSIDE]
    resolved = total + outside   # the whole market: sellers + outside option
    n = len(tr.base)
    for s in range(ns):
        sales = cnt[s, SALES]
        row[REVENUE, s] = (sales - p.recovery_refund * cnt[s, FAILURES_FIXED]) * p.price
        row[MEAN_TRUST, s] = (tr.base_sum[0] + tr.scale[0] * tr.column_sums[s]) / n
        c = se.review_count[s]
        row[REVIEWS_COUNT, s] = c
        row[MEAN_RATING, s] = se.review_rating_sum[s] / max(c, 1.0) if c > 0 else np.nan
        row[CUSTOMERS_RETAINED, s] = se.book[s]
        row[HOURS_USED, s] = cnt[s, MINUTES_USED] / 60.0
        row[MARKET_SHARE, s] = sales / resolved if resolved > 0 else 0.0
        e = cnt[s, EXPERIENCES]
        row[SATISFACTION, s] = cnt[s, SATISFACTION_SUM] / max(e, 1.0) if e > 0 else np.nan
    for i in range(len(wk.market)):
        rec.market[i, w] = wk.market[i]
    for i in range(len(RUNNING_ROWS)):
        for s in range(ns):
            rec.running[i, s] += row[RUNNING_ROWS[i], s]
    rec.weeks[0] = w + 1
