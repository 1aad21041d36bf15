"""The whole week in compiled code: its phases in order, passing entries through the week's queues.

Owns: the order of the week's phases and the queues between them (the :class:`~.state.Week`
buffers, grown here when a week needs more room): last week's sales wait in ``pending`` for
after-sales; warm leads (last week's hand-offs, then this week's referrals and inbound customers,
in that order) in ``warm``; the presentations booked by serving warm leads, keeping in touch and
prospecting, in that order, in ``presentations``, held together at the end of the week. One phase
is one ``*_phase`` function; :func:`open_week` (start, needs arising, needs expiring) and
:func:`close_week` (after-sales to the records) run them in order, and :func:`run_week` runs both
in one call, so a week crosses into compiled code once. The market's optional Bass diffusion phase
(Python) runs between the two and adds its sales with :func:`queue_sales`.

Must not: hold a rule of the phases (they live in the phase modules); it only moves entries between them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .after_sales import after_sales
from .bookkeeping import end_week, expire_needs, grown, needs_arise, refresh_signal, start_week
from .contacts import customers_seek, keep_in_touch, prospect, serve_warm_leads
from .presentations import hold_presentations
from .state import HANDOFF, INBOUND, NEW, NEW_NEEDS, NEWCOMERS, PENDING, PRESENTATIONS, REFERRAL, REPEAT, WARM

__all__ = ["run_week", "open_week", "close_week", "queue_sales", "after_sales_phase", "customers_seek_phase",
           "serve_warm_leads_phase", "keep_in_touch_phase", "prospect_phase", "hold_presentations_phase"]


@njit(cache=True)
def queue_sales(kstate, c, s, fit):
    """Add sales to ``pending`` (next week's after-sales)."""
    wk = kstate.state.week
    n = wk.sizes[PENDING]
    if n + len(c) > len(wk.pending_c):
        size = max(n + len(c), 2 * len(wk.pending_c))
        wk.pending_c, wk.pending_s, wk.pending_fit = (grown(wk.pending_c, n, size), grown(wk.pending_s, n, size),
                                                      grown(wk.pending_fit, n, size))
    qc, qs, qf = wk.pending_c, wk.pending_s, wk.pending_fit   # unpacked once: the loop reads locals
    for i in range(len(c)):
        qc[n + i], qs[n + i], qf[n + i] = c[i], s[i], fit[i]
    wk.sizes[PENDING] = n + len(c)


@njit(cache=True)
def _queue_warm(wk, c, s, source):
    n = wk.sizes[WARM]
    if n + len(c) > len(wk.warm_c):
        size = max(n + len(c), 2 * len(wk.warm_c))
        wk.warm_c, wk.warm_s, wk.warm_src = grown(wk.warm_c, n, size), grown(wk.warm_s, n, size), grown(wk.warm_src, n,
                                                                                                         size)
    qc, qs, qsrc = wk.warm_c, wk.warm_s, wk.warm_src
    for i in range(len(c)):
        qc[n + i], qs[n + i], qsrc[n + i] = c[i], s[i], source
    wk.sizes[WARM] = n + len(c)


@njit(cache=True)
def _queue_presentations(wk, c, s, src, pitch):
    n = wk.sizes[PRESENTATIONS]
    if n + len(c) > len(wk.pres_c):
        size = max(n + len(c), 2 * len(wk.pres_c))
        wk.pres_c, wk.pres_s = grown(wk.pres_c, n, size), grown(wk.pres_s, n, size)
        wk.pres_src, wk.pres_pitch = grown(wk.pres_src, n, size), grown(wk.pres_pitch, n, size)
    qc, qs, qsrc, qp = wk.pres_c, wk.pres_s, wk.pres_src, wk.pres_pitch
    for i in range(len(c)):
        qc[n + i], qs[n + i], qsrc[n + i], qp[n + i] = c[i], s[i], src[i], pitch
    wk.sizes[PRESENTATIONS] = n + len(c)


@njit(cache=True)
def _sources(k, source):
    out = np.empty(k, dtype=np.int64)
    out[:] = source
    return out


@njit(cache=True)
def open_week(kstate, week):
    """Start of the week (decay, counters, budget), needs arising, stale needs to the outside option.

    Draws from the generator the state holds (``kstate.rng``), as :func:`close_week` and :func:`run_week` do.
    """
    rng = kstate.rng
    start_week(kstate)
    needs_arise(kstate, week)
    expire_needs(kstate, rng, week)


@njit(cache=True)
def after_sales_phase(kstate, rng, week):
    """Last week's sales (and this week's diffusion sales): after-sales; the public signal; referrals queued."""
    st = kstate.state
    wk, se = st.week, st.sellers
    k = wk.sizes[PENDING]
    if k == 0:
        return
    wk.sizes[PENDING] = 0
    friend, seller = after_sales(wk.pending_c[:k], wk.pending_s[:k], wk.pending_fit[:k], kstate, rng, week,
                                 st.trust.scale[0])
    posted = False
    for s in range(len(se.counters)):
        posted = posted or se.counters[s].reviews_new != 0.0
    if posted:   # the kernel posted reviews: update the public signal
        refresh_signal(se.review_count, se.review_rating_sum, st.params[0].review_prior, se.review_signal)
    _queue_warm(wk, friend, seller, REFERRAL)


@njit(cache=True)
def customers_seek_phase(kstate, rng, week):
    """Turnover, then customers with a new need go by themselves to a seller they trust."""
    st = kstate.state
    wk = st.week
    c, s, sold_c, sold_s, sold_fit, moved = customers_seek(wk.new_needs[:wk.sizes[NEW_NEEDS]], kstate, rng, week,
                                                           st.trust.scale[0])
    wk.market[NEWCOMERS] = moved
    queue_sales(kstate, sold_c, sold_s, sold_fit)
    _queue_warm(wk, c, s, INBOUND)


@njit(cache=True)
def serve_warm_leads_phase(kstate, rng, week):
    """Hand-offs, referrals and inbound customers: straight to a presentation, if there is time."""
    st = kstate.state
    wk = st.week
    k = wk.sizes[WARM]
    if k == 0:
        return
    wk.sizes[WARM] = 0
    c, s, src = serve_warm_leads(wk.warm_c[:k], wk.warm_s[:k], wk.warm_src[:k], kstate, rng, week,
                                 st.trust.scale[0])
    _queue_presentations(wk, c, s, src, True)


@njit(cache=True)
def keep_in_touch_phase(kstate, rng, week):
    """Sellers spend their remaining customer time contacting their own customers."""
    st = kstate.state
    c, s = keep_in_touch(kstate, rng, week, st.trust.scale[0])
    _queue_presentations(st.week, c, s, _sources(len(c), REPEAT), False)


@njit(cache=True)
def prospect_phase(kstate, rng, week):
    """Remaining hours go to cold leads."""
    st = kstate.state
    c, s = prospect(kstate, rng, week, st.trust.scale[0])
    _queue_presentations(st.week, c, s, _sources(len(c), NEW), False)


@njit(cache=True)
def hold_presentations_phase(kstate, rng, week):
    """All of the week's presentations; sales queued for after-sales, hand-offs for next week's warm leads."""
    st = kstate.state
    wk = st.week
    k = wk.sizes[PRESENTATIONS]
    if k == 0:
        return
    wk.sizes[PRESENTATIONS] = 0
    sold_c, sold_s, sold_fit, hand_c, hand_s = hold_presentations(
        wk.pres_c[:k], wk.pres_s[:k], wk.pres_src[:k], wk.pres_pitch[:k], kstate, rng, week, st.trust.scale[0])
    queue_sales(kstate, sold_c, sold_s, sold_fit)
    _queue_warm(wk, hand_c, hand_s, HANDOFF)


@njit(cache=True)
def close_week(kstate, week):
    """After-sales, customers seeking, warm leads, keeping in touch and prospecting, presentations, records."""
    rng = kstate.rng
    after_sales_phase(kstate, rng, week)
    customers_seek_phase(kstate, rng, week)
    serve_warm_leads_phase(kstate, rng, week)
    if kstate.state.params[0].outbound_contact != 0.0:
        keep_in_touch_phase(kstate, rng, week)
        prospect_phase(kstate, rng, week)
    hold_presentations_phase(kstate, rng, week)
    end_week(kstate)


@njit(cache=True)
def run_week(kstate, week):
    """One whole week (without the Bass diffusion phase): :func:`open_week`, then :func:`close_week`."""
    open_week(kstate, week)
    close_week(kstate, week)
