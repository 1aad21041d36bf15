"""The week's presentations: the conversation, then an honest decline of a poor fit or the close.

Owns: :func:`hold_presentations`, which holds every presentation booked this week (time was
reserved when it was booked): an honest seller declines when the fit is below its threshold
(trust rises; the best-fitting competitor, if it fits better, gets a hand-off); otherwise the
customer buys with probability rising steeply with trust (plus commitment) and the seller's
pressure.

Must not: book presentations or spend time (already reserved), nor run after-sales (next week).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .sales import fit_of, sell_one
from .trust import effective_trust, factored_contact, gain_factors, set_trust, trust_of, willingness, with_pressure

__all__ = ["hold_presentations", "best_other_fit"]


@njit(cache=True)
def best_other_fit(c, s, fit, p, rng, ns):
    """The competitor of seller ``s`` whose offering fits customer ``c``'s need best, and that fit.

    Draws the fits not drawn yet for this need (in seller order); ``(-1, -inf)`` with one seller.
    """
    best = -1
    best_fit = -np.inf
    for j in range(ns):
        if j != s:
            fj = fit_of(c, j, fit, p, rng)
            if fj > best_fit:
                best, best_fit = j, fj
    return best, best_fit


@njit(cache=True)
def hold_presentations(c, s, src, pitch, kstate, rng, week, scale):
    """The week's presentations: conversation, then honest decline of a poor fit or the close.

    Returns:
        ``(customer, seller, fit)`` of the sales and ``(customer, seller)`` of the hand-offs.
    """
    st = kstate.state
    p = st.params[0]
    tr, cu, se = st.trust, st.customers, st.sellers   # arrays unpacked once: the loops read locals
    fit = cu.fit
    last_contact = cu.last_contact
    reads_reviews = cu.reads_reviews
    cnt = se.counters
    knobs = se.knobs
    left = se.left
    review_signal = se.review_signal
    ns = len(left)
    k = len(c)
    sc = np.empty(k, dtype=np.int64)
    sv = np.empty(k, dtype=np.int64)
    sf = np.empty(k)
    hc = np.empty(k, dtype=np.int64)
    hs = np.empty(k, dtype=np.int64)
    nsold = 0
    nh = 0
    gains = gain_factors(p, knobs)   # each seller's part of the contact gain, once
    for i in range(k):
        ci, si = c[i], s[i]
        kn = knobs[si]
        factored_contact(tr, last_contact, p, kn, ns, ci, si, pitch[i], False, week, scale, gains[si])
        cnt[si].presentations += 1.0
        f = fit_of(ci, si, fit, p, rng)
        if f < kn.fit_threshold:   # "selling a product that will not benefit the customer is a huge mistake"
            t = trust_of(tr, scale, ns, ci, si)
            set_trust(tr, scale, ns, ci, si, t + p.honesty_gain * (1.0 - t))
            cnt[si].declined_poor_fit += 1.0
            if ns >= 2:
                best, best_fit = best_other_fit(ci, si, fit, p, rng, ns)
                if best_fit > f:
                    cnt[si].handoffs_made += 1.0
                    cnt[best].handoffs_received += 1.0
                    hc[nh], hs[nh] = ci, best
                    nh += 1
            continue
        t = effective_trust(trust_of(tr, scale, ns, ci, si), reads_reviews[ci], p.reviews, p.review_weight,
                            review_signal[si]) + p.commitment
        if rng.random() < with_pressure(willingness(t, p.trust_threshold, p.threshold_width), kn.pressure,
                                        p.pressure_close_lift):
            sell_one(st, ci, si, src[i], rng, week)
            sc[nsold], sv[nsold], sf[nsold] = ci, si, f
            nsold += 1
    return sc[:nsold], sv[:nsold], sf[:nsold], hc[:nh], hs[:nh]
