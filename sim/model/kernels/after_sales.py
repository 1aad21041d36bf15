"""After the sale: service failures, follow-ups, recovery, satisfaction, reviews and word of mouth.

Owns: the compiled after-sales phase (:func:`after_sales`) for last week's sales, and word of mouth
(:func:`spread_word`): stories to friends move their trust (summed per friend and seller) and good
stories to friends with an open need become referrals.

Reviews are added to the board's counts and rating sums; the week's after-sales phase
(:func:`sim.model.kernels.week.after_sales_phase`) then refreshes the public signal
(:func:`sim.model.kernels.bookkeeping.refresh_signal`), so the signal is computed in one place.

Must not: sell, book presentations or touch customers other than last week's buyers and their
friends.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit

from .budget import spend, within_budget
from .trust import contact_cost, experience_step, factored_gain, gain_factors, set_trust, trust_of, willingness

__all__ = ["after_sales", "spread_word", "neutral_satisfaction", "star_rating", "SATISFACTION_NOISE"]

SATISFACTION_NOISE = 0.05
"""Standard deviation of the noise on each purchase's satisfaction."""


@lru_cache(maxsize=256)
def neutral_satisfaction(fit_mean: float, fit_concentration: float, failure_rate: float,
                         failure_cost: float) -> float:
    """Satisfaction of the average sale before any strategy effect: the neutral point of experiences.

    The expected satisfaction (as :func:`after_sales` computes it, clipped to [0, 1], noise
    included) of a sale with an average fit drawn from the market's fit distribution, the market's
    failure rate with nobody fixing a failure, and no pressure. An experience is
    ``v = 2 (satisfaction - neutral)``, so this sale moves trust neither up nor down on average;
    pressure, recovery and honest declines (the strategies) move it from there, for every seller
    alike. Computed by quadrature: Beta quantiles for the fit, Gauss-Hermite nodes for the noise.
    """
    from scipy.special import betaincinv

    a, b = fit_mean * fit_concentration, (1.0 - fit_mean) * fit_concentration
    fit = betaincinv(a, b, (np.arange(_FIT_NODES) + 0.5) / _FIT_NODES)
    nodes, weights = np.polynomial.hermite_e.hermegauss(_NOISE_NODES)
    weights = weights / weights.sum()
    x = fit[:, None] + SATISFACTION_NOISE * nodes[None, :]
    def mean_sat(drop: float) -> float:
        return float((np.clip(x - drop, 0.0, 1.0) * weights[None, :]).sum(axis=1).mean())
    return (1.0 - failure_rate) * mean_sat(0.0) + failure_rate * mean_sat(failure_cost)


_FIT_NODES, _NOISE_NODES = 4000, 24
"""Quadrature nodes of :func:`neutral_satisfaction` (fit quantiles, noise)."""


@njit(cache=True)
def _care(wanted, s, cost, left, left_rel, rng):
    """Which of the wanted after-sales tasks fit into the customer share of the week; charges them."""
    done = within_budget(wanted, s, cost, np.maximum(left_rel, 0.0), rng)
    spent = np.zeros(len(left))
    for i in range(len(wanted)):
        if done[i]:
            spent[s[i]] += cost[i]
    spend(spent, left, left_rel)
    return done


@njit(cache=True)
def after_sales(c, s, fitv, kstate, rng, week, scale):
    """Last week's sales: failures, follow-ups, recovery, satisfaction, trust, asks, reviews, word of mouth.

    Follow-ups, then recovery of known failures, then asking for a referral and inviting a review
    (``ask_minutes`` each) fit into the customer share of the week, in that order, or are not done.
    Satisfaction is the fit, less pressure regret, with failures costing (or, fixed, adding) a
    little; the experience ``v = 2 (satisfaction - satisfaction_neutral)`` moves the buyer's trust
    (:func:`experience_step`). Asked satisfied buyers refer more (``referral_ask_lift``); an asked
    buyer who gives no referral this week (a disappointed one never does) thinks less of the seller
    afterwards (``ask_annoyance``).

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
        cost[i] = contact_cost(p, knobs[s[i]])
    # follow-ups, then recovery, then asks: customer care fits into the customer share of the week or is not done
    followed = _care(wanted, s, cost, left, left_rel, rng)
    for i in range(k):
        known = complained[i] or (failure[i] and followed[i])
        wanted[i] = known and rng.random() < knobs[s[i]].owns_failures
        cost[i] = p.recovery_minutes
    fixed = _care(wanted, s, cost, left, left_rel, rng)
    for i in range(k):
        wanted[i] = rng.random() < knobs[s[i]].asks_referrals
        cost[i] = p.ask_minutes
    asked_referral = _care(wanted, s, cost, left, left_rel, rng)
    for i in range(k):
        wanted[i] = p.reviews != 0.0 and rng.random() < knobs[s[i]].invites_reviews
    invited = _care(wanted, s, cost, left, left_rel, rng)
    # satisfaction and the customer's own trust
    sat = np.empty(k)
    exp_ = np.empty(k)
    gains = gain_factors(p, knobs)   # each seller's part of the contact gain, once
    for i in range(k):
        ci, si = c[i], s[i]
        x = fitv[i] - p.pressure_regret * knobs[si].pressure + rng.normal(0.0, SATISFACTION_NOISE)
        if failure[i]:
            x = x + p.recovery_bonus if fixed[i] else x - p.failure_cost
        x = min(max(x, 0.0), 1.0)
        sat[i] = x
        v = 2.0 * (x - p.satisfaction_neutral)
        exp_[i] = v
        t = experience_step(trust_of(tr, scale, ns, ci, si), v, p.experience_weight)
        if followed[i]:
            t = t + factored_gain(gains[si], t, True, p, knobs[si])
            last_contact[ci, si] = week
        if complained[i] and not fixed[i]:
            t = t - p.ignored_cost
        if asked_referral[i]:
            cnt[si].referral_asks += 1.0
        if invited[i]:
            cnt[si].review_invitations += 1.0
        set_trust(tr, scale, ns, ci, si, t)
        cnt[si].experiences += 1.0
        cnt[si].satisfaction_sum += x
        if followed[i]:
            cnt[si].follow_ups += 1.0
        if failure[i]:
            cnt[si].service_failures += 1.0
            if fixed[i]:
                cnt[si].failures_fixed += 1.0
    # reviews: more when very pleased/upset or invited (invitations reach the dissatisfied too); an
    # invitation crowds out part of the buyer's own motive (organic) and adds the lift (solicited)
    if p.reviews != 0.0 and k > 0:
        for i in range(k):
            own = p.review_base_rate + p.review_extremity * min(abs(exp_[i]), 1.0)
            if invited[i]:
                own = own * (1.0 - p.review_crowding)
            q = own + p.review_ask_lift * invited[i]
            u = rng.random()
            if u < q:
                if u >= own:
                    cnt[s[i]].reviews_solicited += 1.0
                review_count[s[i]] += 1.0
                stars = star_rating(exp_[i])
                review_rating_sum[s[i]] += stars
                reviews_written[c[i]] += 1
                cnt[s[i]].reviews_new += 1.0
                if stars < 3.0:
                    cnt[s[i]].reviews_negative += 1.0
    friend, seller, referred = spread_word(c, s, exp_, asked_referral, st, rng, scale)
    for i in range(k):   # asked for a favour and not giving it: the asked buyer thinks less of the seller
        if asked_referral[i] and not referred[i]:
            set_trust(tr, scale, ns, c[i], s[i], trust_of(tr, scale, ns, c[i], s[i]) - p.ask_annoyance)
            cnt[s[i]].asks_unanswered += 1.0
    return friend, seller


@njit(cache=True)
def star_rating(v):
    """Stars (1..5) of a review after experience ``v``: three stars at the neutral point."""
    return min(max(np.rint(3.0 + 2.0 * v), 1.0), 5.0)


@njit(cache=True)
def spread_word(c, s, exp_, asked, st, rng, scale):
    """Customers tell friends; friends' trust moves (summed per pair); some friends become referrals.

    ``exp_`` is each buyer's experience (satisfaction relative to neutral, see :func:`after_sales`),
    ``asked`` whether the seller asked the buyer for referrals. All stories read trust before any of
    them moves it; stories about the same seller to the same friend add up first. Returns
    ``(friend, seller)`` of the referrals.
    """
    p = st.params[0]
    tr, cu, se = st.trust, st.customers, st.sellers   # arrays unpacked once: the loops read locals
    indptr, indices, in_market = cu.friend_indptr, cu.friend_indices, cu.in_market
    cnt, left = se.counters, se.left
    ns = len(left)
    k = len(c)
    empty = np.zeros(0, dtype=np.int64)
    referred = np.zeros(k, dtype=np.bool_)
    if k == 0 or len(indices) == 0:
        return empty, empty, referred
    talks = np.zeros(k, dtype=np.bool_)
    m = 0
    for i in range(k):
        talks[i] = rng.random() < p.talk_rate + p.talk_extremity * min(abs(exp_[i]), 1.0)
        if talks[i]:
            m += indptr[c[i] + 1] - indptr[c[i]]
    if m == 0:
        return empty, empty, referred
    src = np.empty(m, dtype=np.int64)
    friend = np.empty(m, dtype=np.int64)
    key = np.empty(m, dtype=np.int64)
    delta = np.empty(m)
    e = 0
    for i in range(k):
        if not talks[i]:
            continue
        v = exp_[i]
        for q in range(indptr[c[i]], indptr[c[i] + 1]):
            f = np.int64(indices[q])
            cur = trust_of(tr, scale, ns, f, s[i])       # all stories read trust before any moves it
            src[e] = i
            friend[e] = f
            key[e] = f * ns + s[i]
            delta[e] = experience_step(cur, v, p.wom_weight) - cur
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
        if exp_[i] <= 0.0 or not in_market[friend[e]]:
            continue
        t = trust_of(tr, scale, ns, c[i], s[i])
        p_ref = ((p.referral_rate + p.referral_ask_lift * asked[i])
                 * willingness(t, p.trust_threshold, p.threshold_width))
        if rng.random() < p_ref:
            out_f[r] = friend[e]
            out_s[r] = s[i]
            cnt[s[i]].referrals_received += 1.0
            referred[i] = True
            r += 1
    return out_f[:r], out_s[:r], referred
