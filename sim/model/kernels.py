"""Compiled loops (numba) for the week's phases of :class:`~sim.market.Market`.

The model is unchanged: every kernel carries out one phase with exactly the rules of the vectorised
version it replaces (same probabilities, formulas, clipping, budget rules and counters); it only
walks the entries one by one instead of paying NumPy's per-call overhead on many small arrays.
Random numbers come from the model's own ``numpy.random.Generator`` (passed in), so one seed still
gives one run; the order of the draws differs from the NumPy version, so the streams differ.

State is passed as two tuples of arrays that the market builds once and mutates in place:

* customer state ``cs`` (see :func:`customer_state`): trust ledger arrays (base, flat deviation,
  column sums), needs, fits, contacts, purchases, friendships and scratch marks;
* seller state ``ss`` (see :func:`seller_state`): market parameters ``P``, strategy table ``ST``,
  time budgets, customer books, weekly counters and the review board.

Trust is read and written exactly as :class:`~sim.customers.TrustLedger` does: stored as float32
deviation from the customer's base divided by the shared ``scale``, clipped to [1e-6, 1 - 1e-6],
with the per-seller column sums updated on every write.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from ..config import MarketConfig
from .funnel import WEEKLY_COUNTERS, Source

__all__ = ["market_params", "strategy_table", "customer_state", "seller_state", "warm_up",
           "after_sales", "customers_seek", "serve_warm_leads", "keep_in_touch", "prospect",
           "hold_presentations", "sell", "fits"]

NEVER = np.iinfo(np.int32).max

# -- market parameters: indices into P ------------------------------------------------------------
(P_FAILURE_RATE, P_COMPLAINT_RATE, P_RECOVERY_MINUTES, P_PRESSURE_REGRET, P_RECOVERY_BONUS,
 P_FAILURE_COST, P_EXPERIENCE_WEIGHT, P_IGNORED_COST, P_TRUST_GAIN, P_LOG_BONUS, P_PRESSURE_TRUST_COST,
 P_REVIEWS, P_REVIEW_SHIFT, P_REVIEW_PRIOR, P_REVIEW_BASE, P_REVIEW_EXTREMITY, P_REVIEW_ASK,
 P_TALK_RATE, P_TALK_EXTREMITY, P_WOM, P_REFERRAL_RATE, P_REFERRAL_ASK, P_THRESHOLD, P_WIDTH,
 P_COMMITMENT, P_CLOSE_LIFT, P_HONESTY, P_ATTENTION, P_ATTENTION_WEEKS, P_FATIGUE,
 P_PRESENTATION_MINUTES, P_FIT_A, P_FIT_B, P_RECURRING, P_CYCLE, P_REPEAT_P) = range(36)
_N_PARAMS = 36

# -- strategy knobs: rows of ST -------------------------------------------------------------------
_KNOBS = ("minutes_per_contact", "pressure", "genuine_interest", "fit_threshold", "keeps_log",
          "follow_up", "owns_failures", "asks_referrals", "invites_reviews")
K_MPC, K_PRESSURE, K_INTEREST, K_FIT_THRESHOLD, K_LOG, K_FOLLOW_UP, K_OWNS, K_ASKS, K_INVITES = range(9)

# -- weekly counters: rows of the counter table (checked against funnel.WEEKLY_COUNTERS below) ----
C_LEADS, C_PROSPECTS, C_PRESENTATIONS, C_SALES = 0, 1, 2, 3
C_SALES_NEW, C_SALES_REPEAT, C_SALES_REFERRAL, C_SALES_INBOUND = 4, 5, 6, 7
C_REFERRALS, C_HANDOFFS_MADE, C_HANDOFFS_RECEIVED, C_DECLINED, C_TURNED_AWAY = 8, 9, 10, 11, 12
C_FOLLOW_UPS, C_KEEP_IN_TOUCH, C_FAILURES, C_FIXED = 13, 14, 15, 16
C_REVIEWS_NEW, C_MINUTES, C_RETURNS, C_DEFECTIONS, C_EXPERIENCES, C_SAT_SUM = 17, 18, 19, 20, 21, 22
_COUNTER_ROWS = {
    "leads": C_LEADS, "prospects": C_PROSPECTS, "presentations": C_PRESENTATIONS, "sales": C_SALES,
    "sales_new": C_SALES_NEW, "sales_repeat": C_SALES_REPEAT, "sales_referral": C_SALES_REFERRAL,
    "sales_inbound": C_SALES_INBOUND, "referrals_received": C_REFERRALS, "handoffs_made": C_HANDOFFS_MADE,
    "handoffs_received": C_HANDOFFS_RECEIVED, "declined_poor_fit": C_DECLINED, "turned_away": C_TURNED_AWAY,
    "follow_ups": C_FOLLOW_UPS, "keep_in_touch": C_KEEP_IN_TOUCH, "service_failures": C_FAILURES,
    "failures_fixed": C_FIXED, "reviews_new": C_REVIEWS_NEW, "minutes_used": C_MINUTES, "returns": C_RETURNS,
    "defections": C_DEFECTIONS, "experiences": C_EXPERIENCES, "satisfaction_sum": C_SAT_SUM,
}
if tuple(sorted(_COUNTER_ROWS, key=_COUNTER_ROWS.get)) != WEEKLY_COUNTERS:   # compiled code hard-codes rows
    raise ImportError("sim.kernels counter rows are out of date with sim.funnel.WEEKLY_COUNTERS")

S_NEW, S_REPEAT, S_REFERRAL, S_INBOUND, S_HANDOFF = (int(Source.NEW), int(Source.REPEAT), int(Source.REFERRAL),
                                                     int(Source.INBOUND), int(Source.HANDOFF))
if (S_NEW, S_REPEAT, S_REFERRAL, S_INBOUND, S_HANDOFF) != (0, 1, 2, 3, 4):
    raise ImportError("sim.kernels source codes are out of date with sim.funnel.Source")


def market_params(m: MarketConfig) -> np.ndarray:
    """The market settings the kernels read, as one float64 array indexed by the ``P_*`` constants."""
    p = np.zeros(_N_PARAMS)
    a = m.fit_mean * m.fit_concentration
    b = (1.0 - m.fit_mean) * m.fit_concentration
    values = {
        P_FAILURE_RATE: m.failure_rate, P_COMPLAINT_RATE: m.complaint_rate, P_RECOVERY_MINUTES: m.recovery_minutes,
        P_PRESSURE_REGRET: m.pressure_regret, P_RECOVERY_BONUS: m.recovery_bonus, P_FAILURE_COST: m.failure_cost,
        P_EXPERIENCE_WEIGHT: m.experience_weight, P_IGNORED_COST: m.ignored_cost,
        P_TRUST_GAIN: m.trust_gain_per_minute, P_LOG_BONUS: m.log_bonus, P_PRESSURE_TRUST_COST: m.pressure_trust_cost,
        P_REVIEWS: float(m.reviews), P_REVIEW_SHIFT: m.review_weight if m.reviews else 0.0,
        P_REVIEW_PRIOR: m.review_prior, P_REVIEW_BASE: m.review_base_rate, P_REVIEW_EXTREMITY: m.review_extremity,
        P_REVIEW_ASK: m.review_ask_lift, P_TALK_RATE: m.talk_rate, P_TALK_EXTREMITY: m.talk_extremity,
        P_WOM: m.wom_weight, P_REFERRAL_RATE: m.referral_rate, P_REFERRAL_ASK: m.referral_ask_lift,
        P_THRESHOLD: m.trust_threshold, P_WIDTH: m.threshold_width, P_COMMITMENT: m.commitment,
        P_CLOSE_LIFT: m.pressure_close_lift, P_HONESTY: m.honesty_gain, P_ATTENTION: m.attention,
        P_ATTENTION_WEEKS: float(m.attention_weeks), P_FATIGUE: m.fatigue_cost,
        P_PRESENTATION_MINUTES: m.presentation_minutes, P_FIT_A: a, P_FIT_B: b,
        P_RECURRING: float(m.recurring_needs), P_CYCLE: m.purchase_cycle_weeks,
        P_REPEAT_P: -1.0 if m.repeat_probability is None else m.repeat_probability,
    }
    for i, v in values.items():
        p[i] = v
    return p


def strategy_table(strat: Any) -> np.ndarray:
    """The strategy knobs the kernels read, shape (knob, seller), rows indexed by the ``K_*`` constants."""
    return np.ascontiguousarray(np.stack([np.asarray(getattr(strat, k), dtype=np.float64) for k in _KNOBS]))


def customer_state(pop: Any, busy: np.ndarray, mark: np.ndarray, stamp: np.ndarray) -> tuple:
    """The customer arrays the kernels read and write (all mutated in place, never rebound)."""
    tr = pop.trust
    return (tr.base, tr._flat, tr._colsum, pop.in_market, pop.last_contact, pop.fit, pop.purchases_with,
            pop.last_seller, pop.purchases, pop.next_need, pop.reviews_written, pop.reads_reviews, busy,
            pop.friends.indptr, pop.friends.indices, mark, stamp)


def seller_state(params: np.ndarray, st: np.ndarray, left: np.ndarray, left_rel: np.ndarray, book: np.ndarray,
                 counters: np.ndarray, reviews: Any) -> tuple:
    """The seller-side arrays the kernels read and write (all mutated in place, never rebound)."""
    return (params, st, left, left_rel, book, counters, reviews.count, reviews.rating_sum, reviews._signal)


# =================================================================================================
# building blocks
# =================================================================================================
@njit(cache=True)
def _trust(base, flat, scale, ns, c, s):
    """Trust of customer c toward seller s (TrustLedger.pairs for one pair)."""
    return np.float64(base[c]) + scale * np.float64(flat[c * ns + s])


@njit(cache=True)
def _set_trust(base, flat, colsum, scale, ns, c, s, v):
    """TrustLedger.set_pairs for one pair: clip, store as float32 deviation, keep the column sum."""
    v = min(max(v, 1e-6), 1.0 - 1e-6)
    k = c * ns + s
    new = np.float32((v - np.float64(base[c])) / scale)
    colsum[s] += np.float64(new) - np.float64(flat[k])
    flat[k] = new


@njit(cache=True)
def _willingness(t, P):
    """Logistic rise of buying/referring around the trust threshold (social.willingness)."""
    return 1.0 / (1.0 + np.exp(-(t - P[P_THRESHOLD]) / P[P_WIDTH]))


@njit(cache=True)
def _effective(t, reader, s, P, signal):
    """Trust as seen before choosing: readers' trust shifted by the rating (ReviewBoard.effective_trust)."""
    if P[P_REVIEW_SHIFT] == 0.0:
        return t
    if reader:
        t = t + P[P_REVIEW_SHIFT] * signal[s]
    return min(max(t, 0.0), 1.0)


@njit(cache=True)
def _with_pressure(w, s, P, ST):
    """Acceptance/close probability lifted by the seller's pressure."""
    return w + P[P_CLOSE_LIFT] * ST[K_PRESSURE, s] * (1.0 - w)


@njit(cache=True)
def _contact_gain(s, t, logged, P, ST):
    """Trust gained in one contact by a genuinely interested seller (more with a customer log)."""
    g = P[P_TRUST_GAIN] * ST[K_INTEREST, s] * ST[K_MPC, s] * (1.0 - t)
    if logged:
        g = g * (1.0 + P[P_LOG_BONUS] * ST[K_LOG, s])
    return g


@njit(cache=True)
def _contact(c, s, pitch, logged, cs, ss, week, scale):
    """One conversation: interest builds trust, pressure on a pitch costs it; logs the contact week."""
    base, flat, colsum, _, last_contact = cs[0], cs[1], cs[2], cs[3], cs[4]
    P, ST = ss[0], ss[1]
    ns = ST.shape[1]
    t = _trust(base, flat, scale, ns, c, s)
    new = t + _contact_gain(s, t, logged, P, ST)
    if pitch:
        new = new - P[P_PRESSURE_TRUST_COST] * ST[K_PRESSURE, s]
    _set_trust(base, flat, colsum, scale, ns, c, s, new)
    last_contact[c, s] = week


@njit(cache=True)
def _spend(spent, left, left_rel):
    """Charge minutes per seller; the customer-time budget never exceeds the total left."""
    for s in range(len(left)):
        left[s] -= spent[s]
        left_rel[s] = min(left_rel[s] - spent[s], left[s])


@njit(cache=True)
def _within_budget(wanted, sel, cost, avail, rng):
    """Which wanted tasks fit: each seller takes its tasks in random order until minutes run out."""
    k = len(wanted)
    ns = len(avail)
    done = np.zeros(k, dtype=np.bool_)
    demand = np.zeros(ns)
    m = 0
    for j in range(k):
        if wanted[j]:
            demand[sel[j]] += cost[j]
            m += 1
    if m == 0:
        return done
    fits = True
    for s in range(ns):
        if demand[s] > avail[s] + 1e-9:
            fits = False
    idx = np.empty(m, dtype=np.int64)
    m = 0
    for j in range(k):
        if wanted[j]:
            idx[m] = j
            m += 1
    if fits:
        for j in idx:
            done[j] = True
        return done
    used = np.zeros(ns)
    for p in rng.permutation(m):
        j = idx[p]
        used[sel[j]] += cost[j]          # cumulative in the random order, as a running sum
        if used[sel[j]] <= avail[sel[j]] + 1e-9:
            done[j] = True
    return done


@njit(cache=True)
def _next_stamp(stamp):
    stamp[0] += 1
    return stamp[0]


@njit(cache=True)
def _fit(c, s, fit, P, rng):
    """Fit of seller s's offering with customer c's current need, drawn (Beta) once per need."""
    f = fit[c, s]
    if np.isnan(f):
        f = np.float32(rng.beta(P[P_FIT_A], P[P_FIT_B]))
        fit[c, s] = f
    return np.float64(f)


@njit(cache=True)
def _next_need_week(P, rng, week, after_sale):
    """Week of the customer's next need (geometric gap), NEVER for one-off purchases."""
    if P[P_RECURRING] == 0.0:
        return NEVER
    w = week + rng.geometric(1.0 / P[P_CYCLE])
    if w > NEVER:
        w = NEVER
    if after_sale and P[P_REPEAT_P] >= 0.0 and rng.random() >= P[P_REPEAT_P]:
        w = NEVER
    return w


@njit(cache=True)
def _sell_one(c, s, src, cs, ss, rng, week):
    """One sale: need met, next need scheduled, books, loyalty counters and the sale's source."""
    in_market, purchases_with, last_seller, purchases, next_need = cs[3], cs[6], cs[7], cs[8], cs[9]
    P, book, cnt = ss[0], ss[4], ss[5]
    in_market[c] = False
    next_need[c] = _next_need_week(P, rng, week, True)
    prev = np.int64(last_seller[c])
    if prev == s:
        cnt[C_RETURNS, s] += 1.0
    if prev >= 0:
        if prev != s:
            cnt[C_DEFECTIONS, prev] += 1.0
        book[prev] -= 1
    book[s] += 1
    if src == S_HANDOFF:
        src = S_REFERRAL
    if purchases_with[c, s] > 0:
        src = S_REPEAT
    purchases_with[c, s] += 1
    purchases[c] += 1
    last_seller[c] = s
    cnt[C_SALES, s] += 1.0
    if src == S_NEW:
        cnt[C_SALES_NEW, s] += 1.0
    elif src == S_REPEAT:
        cnt[C_SALES_REPEAT, s] += 1.0
    elif src == S_REFERRAL:
        cnt[C_SALES_REFERRAL, s] += 1.0
    else:
        cnt[C_SALES_INBOUND, s] += 1.0


@njit(cache=True)
def _book(c, s, k, cs, ss, week):
    """Reserve presentation time for the first k entries now (held together at the end of the week)."""
    busy = cs[12]
    P, left, left_rel = ss[0], ss[2], ss[3]
    spent = np.zeros(len(left))
    for i in range(k):
        spent[s[i]] += P[P_PRESENTATION_MINUTES]
        busy[c[i]] = week
    _spend(spent, left, left_rel)


@njit(cache=True)
def _accept(c, s, cs, ss, rng, scale):
    """Does a prospect agree to a presentation? Steeply more likely above the trust threshold."""
    base, flat, reads = cs[0], cs[1], cs[11]
    P, ST, signal = ss[0], ss[1], ss[8]
    t = _effective(_trust(base, flat, scale, ST.shape[1], c, s), reads[c], s, P, signal)
    return rng.random() < _with_pressure(_willingness(t, P), s, P, ST)


# =================================================================================================
# phases
# =================================================================================================
@njit(cache=True)
def sell(c, s, src, cs, ss, rng, week):
    """Sales of customers ``c`` (each at most once) by sellers ``s`` from sources ``src``."""
    for i in range(len(c)):
        _sell_one(c[i], s[i], src[i], cs, ss, rng, week)


@njit(cache=True)
def fits(c, s, cs, ss, rng):
    """Fit of each (customer, seller) pair, drawing those not drawn yet for the current need."""
    out = np.empty(len(c))
    for i in range(len(c)):
        out[i] = _fit(c[i], s[i], cs[5], ss[0], rng)
    return out


@njit(cache=True)
def after_sales(c, s, fitv, cs, ss, rng, week, scale):
    """Last week's sales: failures, follow-ups, recovery, satisfaction, trust, reviews, word of mouth.

    Reviews are added to the board's counts and rating sums; the caller refreshes the public signal
    (:meth:`sim.social.ReviewBoard.refresh`).

    Returns:
        ``(friend, seller)`` of new referrals (friends with an open need sent to the seller).
    """
    base, flat, colsum, last_contact, reviews_written = cs[0], cs[1], cs[2], cs[4], cs[10]
    P, ST, left, left_rel, cnt, rcount, rsum = ss[0], ss[1], ss[2], ss[3], ss[5], ss[6], ss[7]
    ns = ST.shape[1]
    k = len(c)
    failure = np.zeros(k, dtype=np.bool_)
    complained = np.zeros(k, dtype=np.bool_)
    wanted = np.zeros(k, dtype=np.bool_)
    cost = np.empty(k)
    for i in range(k):
        failure[i] = rng.random() < P[P_FAILURE_RATE]
        complained[i] = failure[i] and rng.random() < P[P_COMPLAINT_RATE]
        wanted[i] = rng.random() < ST[K_FOLLOW_UP, s[i]]
        cost[i] = ST[K_MPC, s[i]]
    # follow-ups, then recovery: customer care fits into the customer share of the week or is not done
    followed = _within_budget(wanted, s, cost, np.maximum(left_rel, 0.0), rng)
    spent = np.zeros(ns)
    for i in range(k):
        if followed[i]:
            spent[s[i]] += cost[i]
    _spend(spent, left, left_rel)
    for i in range(k):
        known = complained[i] or (failure[i] and followed[i])
        wanted[i] = known and rng.random() < ST[K_OWNS, s[i]]
        cost[i] = P[P_RECOVERY_MINUTES]
    fixed = _within_budget(wanted, s, cost, np.maximum(left_rel, 0.0), rng)
    spent[:] = 0.0
    for i in range(k):
        if fixed[i]:
            spent[s[i]] += cost[i]
    _spend(spent, left, left_rel)
    # satisfaction and the customer's own trust
    sat = np.empty(k)
    for i in range(k):
        ci, si = c[i], s[i]
        x = fitv[i] - P[P_PRESSURE_REGRET] * ST[K_PRESSURE, si] + rng.normal(0.0, 0.05)
        if failure[i]:
            x = x + P[P_RECOVERY_BONUS] if fixed[i] else x - P[P_FAILURE_COST]
        x = min(max(x, 0.0), 1.0)
        sat[i] = x
        t = _trust(base, flat, scale, ns, ci, si)
        v = 2.0 * x - 1.0
        t = t + P[P_EXPERIENCE_WEIGHT] * v * ((1.0 - t) if v > 0 else t)
        if followed[i]:
            t = t + _contact_gain(si, t, True, P, ST)
            last_contact[ci, si] = week
        if complained[i] and not fixed[i]:
            t = t - P[P_IGNORED_COST]
        _set_trust(base, flat, colsum, scale, ns, ci, si, t)
        cnt[C_EXPERIENCES, si] += 1.0
        cnt[C_SAT_SUM, si] += x
        if followed[i]:
            cnt[C_FOLLOW_UPS, si] += 1.0
        if failure[i]:
            cnt[C_FAILURES, si] += 1.0
            if fixed[i]:
                cnt[C_FIXED, si] += 1.0
    # reviews: more when very pleased/upset or asked
    if P[P_REVIEWS] != 0.0 and k > 0:
        for i in range(k):
            asked = rng.random() < ST[K_INVITES, s[i]]
            p = P[P_REVIEW_BASE] + P[P_REVIEW_EXTREMITY] * abs(2.0 * sat[i] - 1.0) + P[P_REVIEW_ASK] * asked
            if rng.random() < p:
                rcount[s[i]] += 1.0
                rsum[s[i]] += min(max(np.rint(1.0 + 4.0 * sat[i]), 1.0), 5.0)
                reviews_written[c[i]] += 1
                cnt[C_REVIEWS_NEW, s[i]] += 1.0
    return _spread_word(c, s, sat, cs, ss, rng, scale)


@njit(cache=True)
def _spread_word(c, s, sat, cs, ss, rng, scale):
    """Customers tell friends; friends' trust moves (summed per pair); some friends become referrals."""
    base, flat, colsum, in_market, indptr, indices = cs[0], cs[1], cs[2], cs[3], cs[13], cs[14]
    P, ST, cnt = ss[0], ss[1], ss[5]
    ns = ST.shape[1]
    k = len(c)
    empty = np.zeros(0, dtype=np.int64)
    if k == 0 or len(indices) == 0:
        return empty, empty
    talks = np.zeros(k, dtype=np.bool_)
    m = 0
    for i in range(k):
        v = 2.0 * sat[i] - 1.0
        talks[i] = rng.random() < P[P_TALK_RATE] + P[P_TALK_EXTREMITY] * abs(v)
        if talks[i]:
            m += indptr[c[i] + 1] - indptr[c[i]]
    if m == 0:
        return empty, empty
    src = np.empty(m, dtype=np.int64)
    friend = np.empty(m, dtype=np.int64)
    key = np.empty(m, dtype=np.int64)
    delta = np.empty(m)
    e = 0
    for i in range(k):
        if not talks[i]:
            continue
        v = 2.0 * sat[i] - 1.0
        for q in range(indptr[c[i]], indptr[c[i] + 1]):
            f = np.int64(indices[q])
            cur = _trust(base, flat, scale, ns, f, s[i])       # all stories read trust before any moves it
            src[e] = i
            friend[e] = f
            key[e] = f * ns + s[i]
            delta[e] = P[P_WOM] * v * ((1.0 - cur) if v > 0 else cur)
            e += 1
    order = np.argsort(key, kind="mergesort")
    j = 0
    while j < m:                       # stories about the same seller to the same friend add up first
        kk = key[order[j]]
        total = 0.0
        while j < m and key[order[j]] == kk:
            total += delta[order[j]]
            j += 1
        f, sj = kk // ns, kk % ns
        _set_trust(base, flat, colsum, scale, ns, f, sj, _trust(base, flat, scale, ns, f, sj) + total)
    out_f = np.empty(m, dtype=np.int64)
    out_s = np.empty(m, dtype=np.int64)
    r = 0
    for e in range(m):                 # a good story to a friend in the market right now: a referral
        i = src[e]
        if sat[i] <= 0.5 or not in_market[friend[e]]:
            continue
        t = _trust(base, flat, scale, ns, c[i], s[i])
        p_ref = (P[P_REFERRAL_RATE] + P[P_REFERRAL_ASK] * ST[K_ASKS, s[i]]) * _willingness(t, P)
        if rng.random() < p_ref:
            out_f[r] = friend[e]
            out_s[r] = s[i]
            cnt[C_REFERRALS, s[i]] += 1.0
            r += 1
    return out_f[:r], out_s[:r]


@njit(cache=True)
def customers_seek(new, cs, ss, rng, week, scale):
    """Customers with a new need go by themselves to a seller they already trust.

    Returns:
        ``(customer, seller)`` of the inbound warm leads and ``(customer, seller, fit)`` of the
        sales made directly to loyal repeat buyers (lifetime-value limit only).
    """
    base, flat, in_market, fit, last_seller, reads = cs[0], cs[1], cs[3], cs[5], cs[7], cs[11]
    P, ST, signal = ss[0], ss[1], ss[8]
    ns = ST.shape[1]
    k = len(new)
    wc = np.empty(k, dtype=np.int64)
    ws = np.empty(k, dtype=np.int64)
    sc = np.empty(k, dtype=np.int64)
    sv = np.empty(k, dtype=np.int64)
    sf = np.empty(k)
    nw = 0
    nsold = 0
    will = np.empty(ns)
    loyal = P[P_REPEAT_P] >= 0.0
    for i in range(k):
        c = new[i]
        if loyal:                       # lifetime-value limit: loyal repeat buyers
            if not in_market[c]:        # not those who already bought this week
                continue
            if last_seller[c] >= 0:
                s = np.int64(last_seller[c])
                f = _fit(c, s, fit, P, rng)
                _sell_one(c, s, S_REPEAT, cs, ss, rng, week)
                sc[nsold], sv[nsold], sf[nsold] = c, s, f
                nsold += 1
                continue
        top = 0.0
        total = 0.0
        for s in range(ns):
            w = _willingness(_effective(_trust(base, flat, scale, ns, c, s), reads[c], s, P, signal), P)
            will[s] = w
            total += w
            top = max(top, w)
        if rng.random() < top:
            u = rng.random() * total
            acc = 0.0
            pick = ns - 1
            for s in range(ns):
                acc += will[s]
                if u < acc:
                    pick = s
                    break
            wc[nw], ws[nw] = c, pick
            nw += 1
    return wc[:nw], ws[:nw], sc[:nsold], sv[:nsold], sf[:nsold]


@njit(cache=True)
def serve_warm_leads(c, s, src, cs, ss, rng, week, scale):
    """Referrals, returning and inbound customers: straight to a presentation, if there is time.

    Only customers still in the market; one seller per customer (chosen at random among competing
    entries); each seller takes its warm leads in random order while presentation time lasts, and
    those it cannot see lose trust. Returns ``(customer, seller, source)`` of booked presentations.
    """
    base, flat, colsum, in_market, mark, stamp = cs[0], cs[1], cs[2], cs[3], cs[15], cs[16]
    P, ST, left, cnt = ss[0], ss[1], ss[2], ss[5]
    ns = ST.shape[1]
    k = len(c)
    st = _next_stamp(stamp)
    kc = np.empty(k, dtype=np.int64)
    ks = np.empty(k, dtype=np.int64)
    ksrc = np.empty(k, dtype=np.int64)
    m = 0
    for p in rng.permutation(k):   # the first entry of each live customer in a random order
        ci = c[p]
        if in_market[ci] and mark[ci] != st:
            mark[ci] = st
            kc[m], ks[m], ksrc[m] = ci, s[p], src[p]
            m += 1
    kc, ks, ksrc = kc[:m], ks[:m], ksrc[:m]
    wanted = np.ones(m, dtype=np.bool_)
    cost = np.full(m, P[P_PRESENTATION_MINUTES])
    ok = _within_budget(wanted, ks, cost, left.copy(), rng)
    n_ok = 0
    for i in range(m):
        if ok[i]:
            kc[n_ok], ks[n_ok], ksrc[n_ok] = kc[i], ks[i], ksrc[i]
            cnt[C_LEADS, ks[i]] += 1.0
            cnt[C_PROSPECTS, ks[i]] += 1.0
            n_ok += 1
        else:   # came to buy and nobody had time
            t = _trust(base, flat, scale, ns, kc[i], ks[i])
            _set_trust(base, flat, colsum, scale, ns, kc[i], ks[i], t - P[P_IGNORED_COST])
            cnt[C_TURNED_AWAY, ks[i]] += 1.0
    _book(kc, ks, n_ok, cs, ss, week)
    return kc[:n_ok], ks[:n_ok], ksrc[:n_ok]


@njit(cache=True)
def keep_in_touch(cs, ss, rng, week, scale):
    """Sellers spend their remaining customer time contacting their own customers.

    Each seller contacts, in random order, as many of its customers not contacted within
    ``attention_weeks`` as its customer time allows; those with an open need may accept a
    presentation. Returns ``(customer, seller)`` of booked presentations.
    """
    in_market, last_contact, last_seller, busy = cs[3], cs[4], cs[7], cs[12]
    P, ST, left, left_rel, cnt = ss[0], ss[1], ss[2], ss[3], ss[5]
    ns = ST.shape[1]
    empty = np.zeros(0, dtype=np.int64)
    cap = np.zeros(ns, dtype=np.int64)
    for s in range(ns):
        cap[s] = np.int64(np.floor(max(left_rel[s], 0.0) / ST[K_MPC, s]))
    if cap.sum() == 0:
        return empty, empty
    n = len(last_seller)
    aw = P[P_ATTENTION_WEEKS]
    due = np.empty(n, dtype=np.int64)
    m = 0
    for c in range(n):
        s = last_seller[c]
        if s >= 0 and week - last_contact[c, s] >= aw:
            due[m] = c
            m += 1
    if m == 0:
        return empty, empty
    taken = np.zeros(ns, dtype=np.int64)
    tc = np.empty(m, dtype=np.int64)
    nt = 0
    for p in rng.permutation(m):
        c = due[p]
        s = last_seller[c]
        if taken[s] < cap[s]:
            taken[s] += 1
            tc[nt] = c
            nt += 1
    spent = np.zeros(ns)
    for s in range(ns):
        spent[s] = taken[s] * ST[K_MPC, s]
        cnt[C_KEEP_IN_TOUCH, s] += taken[s]
    _spend(spent, left, left_rel)
    bc = np.empty(nt, dtype=np.int64)
    bs = np.empty(nt, dtype=np.int64)
    nb = 0
    for i in range(nt):
        c = tc[i]
        s = np.int64(last_seller[c])
        _contact(c, s, True, True, cs, ss, week, scale)
        if in_market[c] and busy[c] != week:
            cnt[C_LEADS, s] += 1.0
            cnt[C_PROSPECTS, s] += 1.0
            if _accept(c, s, cs, ss, rng, scale):
                bc[nb], bs[nb] = c, s
                nb += 1
    _book(bc, bs, nb, cs, ss, week)
    return bc[:nb], bs[:nb]


@njit(cache=True)
def _cold_list(n, cs, rng):
    """``n[s]`` distinct random customers for each seller s, none of them its own customers.

    Spare names replace dropped ones (own customers, repeats): up to ``n + n // 4 + 8`` random
    draws per seller, the first ``n`` usable ones kept. In a market too small for the list
    (``4 n > customers``) the seller samples without replacement among all others.
    """
    last_seller, mark, stamp = cs[7], cs[15], cs[16]
    ns = len(n)
    N = len(last_seller)
    total = 0
    for s in range(ns):
        total += n[s]
    oc = np.empty(total, dtype=np.int64)
    os_ = np.empty(total, dtype=np.int64)
    e = 0
    for s in range(ns):
        if n[s] == 0:
            continue
        if n[s] * 4 > N:   # small market: sample without replacement
            others = np.empty(N, dtype=np.int64)
            k = 0
            for c in range(N):
                if last_seller[c] != s:
                    others[k] = c
                    k += 1
            take = min(n[s], k)
            for i in range(take):   # partial Fisher-Yates
                j = i + rng.integers(0, k - i)
                others[i], others[j] = others[j], others[i]
                oc[e], os_[e] = others[i], s
                e += 1
            continue
        st = _next_stamp(stamp)
        got = 0
        for _ in range(n[s] + n[s] // 4 + 8):
            c = rng.integers(0, N)
            if mark[c] == st:
                continue
            mark[c] = st
            if last_seller[c] == s:
                continue
            oc[e], os_[e] = c, s
            e += 1
            got += 1
            if got == n[s]:
                break
    return oc[:e], os_[:e]


@njit(cache=True)
def prospect(cs, ss, rng, week, scale):
    """Remaining hours go to cold leads: lead -> prospect -> presentation.

    Each seller calls as many cold leads as its remaining minutes allow; a repeat pitch within
    ``attention_weeks`` costs trust and gets no attention; a customer with an open need who is not
    booked this week gives attention with probability ``attention`` and may accept; a customer sits
    through one presentation a week (one of the accepted sellers, at random). Returns
    ``(customer, seller)`` of booked presentations.
    """
    base, flat, colsum, in_market, last_contact, busy, mark, stamp = (cs[0], cs[1], cs[2], cs[3], cs[4],
                                                                       cs[12], cs[15], cs[16])
    P, ST, left, left_rel, cnt = ss[0], ss[1], ss[2], ss[3], ss[5]
    ns = ST.shape[1]
    empty = np.zeros(0, dtype=np.int64)
    n = np.zeros(ns, dtype=np.int64)
    for s in range(ns):
        n[s] = np.int64(np.floor(max(left[s], 0.0) / ST[K_MPC, s]))
    if n.sum() == 0:
        return empty, empty
    c, s = _cold_list(n, cs, rng)
    k = len(c)
    spent = np.zeros(ns)
    for i in range(k):
        spent[s[i]] += ST[K_MPC, s[i]]
        cnt[C_LEADS, s[i]] += 1.0
    _spend(spent, left, left_rel)
    ac = np.empty(k, dtype=np.int64)
    as_ = np.empty(k, dtype=np.int64)
    na = 0
    for i in range(k):
        ci, si = c[i], s[i]
        recent = week - last_contact[ci, si] < P[P_ATTENTION_WEEKS]
        if recent:
            t = _trust(base, flat, scale, ns, ci, si)
            _set_trust(base, flat, colsum, scale, ns, ci, si, t - P[P_FATIGUE])
        _contact(ci, si, True, False, cs, ss, week, scale)
        if in_market[ci] and not recent and busy[ci] != week and rng.random() < P[P_ATTENTION]:
            cnt[C_PROSPECTS, si] += 1.0
            if _accept(ci, si, cs, ss, rng, scale):
                ac[na], as_[na] = ci, si
                na += 1
    st = _next_stamp(stamp)
    bc = np.empty(na, dtype=np.int64)
    bs = np.empty(na, dtype=np.int64)
    nb = 0
    for p in rng.permutation(na):   # one presentation a week: one accepted seller at random
        ci = ac[p]
        if mark[ci] != st:
            mark[ci] = st
            bc[nb], bs[nb] = ci, as_[p]
            nb += 1
    _book(bc, bs, nb, cs, ss, week)
    return bc[:nb], bs[:nb]


@njit(cache=True)
def hold_presentations(c, s, src, pitch, cs, ss, rng, week, scale):
    """The week's presentations: conversation, then honest decline of a poor fit or the close.

    An honest seller declines when the fit is below its threshold (trust rises; a better-fitting
    competitor, if any, gets a hand-off); otherwise the customer buys with probability rising
    steeply with trust (plus commitment) and the seller's pressure.

    Returns:
        ``(customer, seller, fit)`` of the sales and ``(customer, seller)`` of the hand-offs.
    """
    base, flat, colsum, fit, reads = cs[0], cs[1], cs[2], cs[5], cs[11]
    P, ST, cnt, signal = ss[0], ss[1], ss[5], ss[8]
    ns = ST.shape[1]
    k = len(c)
    sc = np.empty(k, dtype=np.int64)
    sv = np.empty(k, dtype=np.int64)
    sf = np.empty(k)
    hc = np.empty(k, dtype=np.int64)
    hs = np.empty(k, dtype=np.int64)
    nsold = 0
    nh = 0
    for i in range(k):
        ci, si = c[i], s[i]
        _contact(ci, si, pitch[i], False, cs, ss, week, scale)
        cnt[C_PRESENTATIONS, si] += 1.0
        f = _fit(ci, si, fit, P, rng)
        if f < ST[K_FIT_THRESHOLD, si]:   # "selling a product that will not benefit the customer is a huge mistake"
            t = _trust(base, flat, scale, ns, ci, si)
            _set_trust(base, flat, colsum, scale, ns, ci, si, t + P[P_HONESTY] * (1.0 - t))
            cnt[C_DECLINED, si] += 1.0
            if ns >= 2:
                best = -1
                best_fit = -np.inf
                for j in range(ns):
                    if j != si:
                        fj = _fit(ci, j, fit, P, rng)
                        if fj > best_fit:
                            best, best_fit = j, fj
                if best_fit > f:
                    cnt[C_HANDOFFS_MADE, si] += 1.0
                    cnt[C_HANDOFFS_RECEIVED, best] += 1.0
                    hc[nh], hs[nh] = ci, best
                    nh += 1
            continue
        t = _effective(_trust(base, flat, scale, ns, ci, si), reads[ci], si, P, signal) + P[P_COMMITMENT]
        if rng.random() < _with_pressure(_willingness(t, P), si, P, ST):
            _sell_one(ci, si, src[i], cs, ss, rng, week)
            sc[nsold], sv[nsold], sf[nsold] = ci, si, f
            nsold += 1
    return sc[:nsold], sv[:nsold], sf[:nsold], hc[:nh], hs[:nh]


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel by running a tiny market for a few weeks.

    Run once at install time (``make venv``) so that later runs, process pools and Dask workers
    find the compiled kernels in the on-disk cache instead of compiling them again.
    """
    from ..config import load_scenario
    from .market import Market

    for updates in ({}, {"market.repeat_probability": 0.5, "market.outside_influence": 0.01},
                    {"network.kind": "none", "market.reviews": False}):
        cfg = load_scenario("baseline", weeks=12, updates={"market.customers": 40, **updates})
        Market(cfg, rng=0).run()
