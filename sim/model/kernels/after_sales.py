"""After the sale: service failures, follow-ups, recovery, satisfaction, reviews and word of mouth.

Owns: the compiled after-sales phase (:func:`after_sales`) for last week's sales, and word of mouth
(:func:`spread_word`): stories to friends move their trust (summed per friend and seller) and good
stories to friends with an open need become referrals.

Reviews are added to the board's counts and rating sums; the market then refreshes the public
signal (:meth:`sim.model.reviews.ReviewBoard.refresh`), so the signal is computed in one place.

Must not: sell, book presentations or touch customers other than last week's buyers and their
friends.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .budget import spend, within_budget
from .trust import contact_gain, set_trust, trust_of, willingness

__all__ = ["after_sales", "spread_word"]

SATISFACTION_NOISE = 0.05
"""Standard deviation of the noise on each purchase's satisfaction."""


@njit(cache=True)
def after_sales(c, s, fitv, kstate, rng, week, scale):
    """Last week's sales: failures, follow-ups, recovery, satisfaction, trust, reviews, word of mouth.

    Follow-ups, then recovery of known failures, fit into the customer share of the week or are
    not done. Satisfaction is the fit, less pressure regret, with failures costing (or, fixed,
    adding) a little; it moves the buyer's trust toward 1 (satisfied) or 0.

    Returns:
        ``(friend, seller)`` of new referrals (friends with an open need sent to the seller).
    """
    st = kstate.state
    p = st.params[0]
    tr, cu, se = st.trust, st.customers, st.sellers   # arrays unpacked once: the loops read locals
    last_contact = cu.last_contact
    reviews_written = cu.reviews_written
    cnt = se.counters
    knobs = se.knobs
    left = se.left
    left_rel = se.left_rel
    review_count = se.review_count
    review_rating_sum = se.review_rating_sum
    ns = len(left)
    k = len(c)
    failure = np.zeros(k, dtype=np.bool_)
    complained = np.zeros(k, dtype=np.bool_)
    wanted = np.zeros(k, dtype=np.bool_)
    cost = np.empty(k)
    for i in range(k):
        failure[i] = rng.random() < p.failure_rate
        complained[i] = failure[i] and rng.random() < p.complaint_rate
        wanted[i] = rng.random() < knobs[s[i]].follow_up
        cost[i] = knobs[s[i]].minutes_per_contact
    # follow-ups, then recovery: customer care fits into the customer share of the week or is not done
    followed = within_budget(wanted, s, cost, np.maximum(left_rel, 0.0), rng)
    spent = np.zeros(ns)
    for i in range(k):
        if followed[i]:
            spent[s[i]] += cost[i]
    spend(spent, left, left_rel)
    for i in range(k):
        known = complained[i] or (failure[i] and followed[i])
        wanted[i] = known and rng.random() < knobs[s[i]].owns_failures
        cost[i] = p.recovery_minutes
    fixed = within_budget(wanted, s, cost, np.maximum(left_rel, 0.0), rng)
    spent[:] = 0.0
    for i in range(k):
        if fixed[i]:
            spent[s[i]] += cost[i]
    spend(spent, left, left_rel)
    # satisfaction and the customer's own trust
    sat = np.empty(k)
    for i in range(k):
        ci, si = c[i], s[i]
        x = fitv[i] - p.pressure_regret * knobs[si].pressure + rng.normal(0.0, SATISFACTION_NOISE)
        if failure[i]:
            x = x + p.recovery_bonus if fixed[i] else x - p.failure_cost
        x = min(max(x, 0.0), 1.0)
        sat[i] = x
        t = trust_of(tr, scale, ns, ci, si)
        v = 2.0 * x - 1.0
        t = t + p.experience_weight * v * ((1.0 - t) if v > 0 else t)
        if followed[i]:
            t = t + contact_gain(t, True, p, knobs[si])
            last_contact[ci, si] = week
        if complained[i] and not fixed[i]:
            t = t - p.ignored_cost
        set_trust(tr, scale, ns, ci, si, t)
        cnt[si].experiences += 1.0
        cnt[si].satisfaction_sum += x
        if followed[i]:
            cnt[si].follow_ups += 1.0
        if failure[i]:
            cnt[si].service_failures += 1.0
            if fixed[i]:
                cnt[si].failures_fixed += 1.0
    # reviews: more when very pleased/upset or asked
    if p.reviews != 0.0 and k > 0:
        for i in range(k):
            asked = rng.random() < knobs[s[i]].invites_reviews
            q = p.review_base_rate + p.review_extremity * abs(2.0 * sat[i] - 1.0) + p.review_ask_lift * asked
            if rng.random() < q:
                review_count[s[i]] += 1.0
                review_rating_sum[s[i]] += min(max(np.rint(1.0 + 4.0 * sat[i]), 1.0), 5.0)
                reviews_written[c[i]] += 1
                cnt[s[i]].reviews_new += 1.0
    return spread_word(c, s, sat, st, rng, scale)


@njit(cache=True)
def spread_word(c, s, sat, st, rng, scale):
    """Customers tell friends; friends' trust moves (summed per pair); some friends become referrals.

    All stories read trust before any of them moves it; stories about the same seller to the same
    friend add up first. Returns ``(friend, seller)`` of the referrals.
    """
    p = st.params[0]
    tr, cu, se = st.trust, st.customers, st.sellers   # arrays unpacked once: the loops read locals
    indptr, indices, in_market = cu.friend_indptr, cu.friend_indices, cu.in_market
    cnt, knobs, left = se.counters, se.knobs, se.left
    ns = len(left)
    k = len(c)
    empty = np.zeros(0, dtype=np.int64)
    if k == 0 or len(indices) == 0:
        return empty, empty
    talks = np.zeros(k, dtype=np.bool_)
    m = 0
    for i in range(k):
        v = 2.0 * sat[i] - 1.0
        talks[i] = rng.random() < p.talk_rate + p.talk_extremity * abs(v)
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
            cur = trust_of(tr, scale, ns, f, s[i])       # all stories read trust before any moves it
            src[e] = i
            friend[e] = f
            key[e] = f * ns + s[i]
            delta[e] = p.wom_weight * v * ((1.0 - cur) if v > 0 else cur)
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
        set_trust(tr, scale, ns, f, sj, trust_of(tr, scale, ns, f, sj) + total)
    out_f = np.empty(m, dtype=np.int64)
    out_s = np.empty(m, dtype=np.int64)
    r = 0
    for e in range(m):                 # a good story to a friend in the market right now: a referral
        i = src[e]
        if sat[i] <= 0.5 or not in_market[friend[e]]:
            continue
        t = trust_of(tr, scale, ns, c[i], s[i])
        p_ref = ((p.referral_rate + p.referral_ask_lift * knobs[s[i]].asks_referrals)
                 * willingness(t, p.trust_threshold, p.threshold_width))
        if rng.random() < p_ref:
            out_f[r] = friend[e]
            out_s[r] = s[i]
            cnt[s[i]].referrals_received += 1.0
            r += 1
    return out_f[:r], out_s[:r]
