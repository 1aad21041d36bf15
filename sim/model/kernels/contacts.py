"""Who meets whom: customers seeking a seller, warm leads, keeping in touch, the cold list, prospecting.

Owns: the compiled contact phases of the week, in order: :func:`customers_seek` (customers with
a new need go by themselves to a seller they trust), :func:`serve_warm_leads` (referrals,
returning and inbound customers straight to a presentation), :func:`keep_in_touch` (contacting
one's own customers) and :func:`prospect` (cold leads, from :func:`cold_list`). Each returns the
presentations it booked; the week (:mod:`.week`) holds them together at its end.

Must not: hold presentations or close sales (except the loyal repeat buyers of the lifetime-value
limit in :func:`customers_seek`), nor refresh the review signal.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .budget import book, next_stamp, spend, within_budget
from .draws import integer_below, permutation
from .population import move
from .sales import accept, fit_of, sell_one
from .state import REPEAT
from .trust import contact_cost, effective_trust, factored_contact, gain_factors, set_trust, trust_of, willingness

__all__ = ["customers_seek", "serve_warm_leads", "keep_in_touch", "cold_list", "prospect"]


@njit(cache=True)
def customers_seek(new, kstate, rng, week, scale):
    """This week's movers first, then customers with a new need go by themselves to a trusted seller.

    The turnover rule (:func:`~sim.model.kernels.population.move`) runs first, in the same
    compiled call.

    A customer who comes by themselves approaches one seller: the seller comes to mind with
    probability proportional to the customer's willingness toward it (trust as seen, mind share),
    and the customer goes to that seller with that willingness. So the chance of going is the
    willingness-weighted mean willingness, ``sum(W^2) / sum(W)``: it does not grow with the number
    of sellers (splitting the same strategies over more sellers leaves it unchanged).

    Returns:
        ``(customer, seller)`` of the inbound warm leads, ``(customer, seller, fit)`` of the
        sales made directly to loyal repeat buyers (lifetime-value limit only), and the number of
        newcomers who replaced a leaver this week.
    """
    st = kstate.state
    moved = move(st, rng, week, scale)
    p = st.params[0]
    tr, cu, se = st.trust, st.customers, st.sellers   # arrays unpacked once: the loops read locals
    fit = cu.fit
    in_market = cu.in_market
    last_seller = cu.last_seller
    reads_reviews = cu.reads_reviews
    left = se.left
    review_signal = se.review_signal
    ns = len(left)
    k = len(new)
    wc = np.empty(k, dtype=np.int64)
    ws = np.empty(k, dtype=np.int64)
    sc = np.empty(k, dtype=np.int64)
    sv = np.empty(k, dtype=np.int64)
    sf = np.empty(k)
    nw = 0
    nsold = 0
    will = np.empty(ns)
    loyal = p.repeat_probability >= 0.0
    for i in range(k):
        c = new[i]
        if not in_market[c]:            # not those who already bought this week, nor newcomers in their place
            continue
        if loyal:                       # lifetime-value limit: loyal repeat buyers
            if last_seller[c] >= 0:
                s = np.int64(last_seller[c])
                f = fit_of(c, s, fit, p, rng)
                sell_one(st, c, s, REPEAT, rng, week)
                sc[nsold], sv[nsold], sf[nsold] = c, s, f
                nsold += 1
                continue
        total = 0.0
        for s in range(ns):
            t = effective_trust(trust_of(tr, scale, ns, c, s), reads_reviews[c], p.reviews, p.review_weight,
                                review_signal[s])
            w = willingness(t, p.trust_threshold, p.threshold_width)
            will[s] = w
            total += w
        u = rng.random() * total        # the one seller who comes to mind, in proportion to willingness
        acc = 0.0
        pick = ns - 1
        for s in range(ns):
            acc += will[s]
            if u < acc:
                pick = s
                break
        if rng.random() < will[pick]:   # and whether the customer goes to it
            wc[nw], ws[nw] = c, pick
            nw += 1
    return wc[:nw], ws[:nw], sc[:nsold], sv[:nsold], sf[:nsold], moved


@njit(cache=True)
def serve_warm_leads(c, s, src, kstate, rng, week, scale):
    """Referrals, returning and inbound customers: straight to a presentation, if there is time.

    Only customers still in the market; one seller per customer (chosen at random among competing
    entries); each seller takes its warm leads in random order while presentation time lasts, and
    those it cannot see lose trust. Returns ``(customer, seller, source)`` of booked presentations.
    """
    st = kstate.state
    p = st.params[0]
    tr, cu, se = st.trust, st.customers, st.sellers   # arrays unpacked once: the loops read locals
    in_market = cu.in_market
    cnt = se.counters
    left = se.left
    mark = st.scratch.mark
    ns = len(left)
    k = len(c)
    stamp = next_stamp(st.scratch.stamp)
    kc = np.empty(k, dtype=np.int64)
    ks = np.empty(k, dtype=np.int64)
    ksrc = np.empty(k, dtype=np.int64)
    m = 0
    for q in permutation(rng, k):   # the first entry of each live customer in a random order
        ci = c[q]
        if in_market[ci] and mark[ci] != stamp:
            mark[ci] = stamp
            kc[m], ks[m], ksrc[m] = ci, s[q], src[q]
            m += 1
    kc, ks, ksrc = kc[:m], ks[:m], ksrc[:m]
    wanted = np.ones(m, dtype=np.bool_)
    cost = np.full(m, p.presentation_minutes)
    ok = within_budget(wanted, ks, cost, left.copy(), rng)
    n_ok = 0
    for i in range(m):
        if ok[i]:
            kc[n_ok], ks[n_ok], ksrc[n_ok] = kc[i], ks[i], ksrc[i]
            cnt[ks[i]].leads += 1.0
            cnt[ks[i]].prospects += 1.0
            n_ok += 1
        else:   # came to buy and nobody had time
            t = trust_of(tr, scale, ns, kc[i], ks[i])
            set_trust(tr, scale, ns, kc[i], ks[i], t - p.ignored_cost)
            cnt[ks[i]].turned_away += 1.0
    book(st, kc, ks, n_ok, week)
    return kc[:n_ok], ks[:n_ok], ksrc[:n_ok]


@njit(cache=True)
def keep_in_touch(kstate, rng, week, scale):
    """Sellers spend their remaining customer time contacting their own customers.

    Each seller contacts, in random order, as many of its customers not contacted within
    ``attention_weeks`` as its customer time allows; those with an open need may accept a
    presentation. Returns ``(customer, seller)`` of booked presentations.
    """
    st = kstate.state
    p = st.params[0]
    tr, cu, se = st.trust, st.customers, st.sellers   # arrays unpacked once: the loops read locals
    busy = cu.busy
    in_market = cu.in_market
    last_contact = cu.last_contact
    last_seller = cu.last_seller
    reads_reviews = cu.reads_reviews
    cnt = se.counters
    knobs = se.knobs
    left = se.left
    left_rel = se.left_rel
    review_signal = se.review_signal
    ns = len(left)
    empty = np.zeros(0, dtype=np.int64)
    cap = np.zeros(ns, dtype=np.int64)
    for s in range(ns):
        cap[s] = np.int64(np.floor(max(left_rel[s], 0.0) / contact_cost(p, knobs[s])))
    if cap.sum() == 0:
        return empty, empty
    n = len(last_seller)
    aw = p.attention_weeks
    due = np.empty(n, dtype=np.int64)
    n_due = np.zeros(ns, dtype=np.int64)
    m = 0
    for c in range(n):
        s = last_seller[c]
        if s >= 0 and cap[s] > 0 and week - last_contact[c, s] >= aw:
            due[m] = c
            n_due[s] += 1
            m += 1
    if m == 0:
        return empty, empty
    target = 0
    for s in range(ns):
        target += min(cap[s], n_due[s])
    taken = np.zeros(ns, dtype=np.int64)
    tc = np.empty(target, dtype=np.int64)
    nt = 0
    for q in range(m):   # due customers in random order (partial Fisher-Yates) until every seller's time is used
        if nt == target:
            break
        j = q + integer_below(rng, m - q)
        due[q], due[j] = due[j], due[q]
        c = due[q]
        s = last_seller[c]
        if taken[s] < cap[s]:
            taken[s] += 1
            tc[nt] = c
            nt += 1
    spent = np.zeros(ns)
    for s in range(ns):
        spent[s] = taken[s] * contact_cost(p, knobs[s])
        cnt[s].keep_in_touch += taken[s]
    spend(spent, left, left_rel)
    bc = np.empty(nt, dtype=np.int64)
    bs = np.empty(nt, dtype=np.int64)
    nb = 0
    gains = gain_factors(p, knobs)   # each seller's part of the contact gain, once
    for i in range(nt):
        c = tc[i]
        s = np.int64(last_seller[c])
        factored_contact(tr, last_contact, p, knobs[s], ns, c, s, True, True, week, scale, gains[s])
        if in_market[c] and busy[c] != week:
            cnt[s].leads += 1.0
            cnt[s].prospects += 1.0
            if accept(tr, reads_reviews[c], review_signal[s], p, knobs[s], ns, c, s, rng, scale):
                bc[nb], bs[nb] = c, s
                nb += 1
    book(st, bc, bs, nb, week)
    return bc[:nb], bs[:nb]


@njit(cache=True)
def cold_list(n, st, rng, week):
    """Up to ``n[s]`` distinct random customers for each seller s, none of them its own customers.

    Every seller keeps contact records: with ``market.contact_records`` on, the list skips anyone
    the seller contacted within ``attention_weeks`` (window 0 when off). A seller who runs out of
    fresh names gets a shorter list; the rest of its prospecting time stays unused.

    Random draws with rejection first (up to ``2 n + 16`` per seller); if they fall short, the rest
    of the list is drawn without replacement from all remaining fresh customers (a scan), which
    happens only when most of the market is not fresh for the seller (small or heavily called markets).
    """
    p = st.params[0]
    last_seller = st.customers.last_seller
    last_contact = st.customers.last_contact
    window = np.int64(p.attention_weeks) if p.contact_records != 0.0 else np.int64(0)
    oldest = week - window   # fresh: not contacted after week - window, and not one's own customer
    mark = st.scratch.mark
    ns = len(n)
    N = len(last_seller)
    total = 0
    for s in range(ns):
        total += n[s]
    oc = np.empty(total, dtype=np.int64)
    os_ = np.empty(total, dtype=np.int64)
    e = 0
    others = np.empty(0, dtype=np.int64)
    for s in range(ns):
        if n[s] == 0:
            continue
        stamp = next_stamp(st.scratch.stamp)
        got = 0
        if n[s] * 4 <= N:
            for _ in range(2 * n[s] + 16):
                c = integer_below(rng, N)
                if mark[c] == stamp:
                    continue
                mark[c] = stamp
                if last_seller[c] == s or last_contact[c, s] > oldest:
                    continue
                oc[e], os_[e] = c, s
                e += 1
                got += 1
                if got == n[s]:
                    break
        if got == n[s]:
            continue
        if len(others) == 0:
            others = np.empty(N, dtype=np.int64)
        k = 0
        for c in range(N):   # the rest without replacement among the fresh customers not drawn yet (no branch)
            others[k] = c
            k += (mark[c] != stamp) & (last_seller[c] != s) & (last_contact[c, s] <= oldest)
        take = min(n[s] - got, k)
        for i in range(take):   # partial Fisher-Yates
            j = i + integer_below(rng, k - i)
            others[i], others[j] = others[j], others[i]
            oc[e], os_[e] = others[i], s
            e += 1
    return oc[:e], os_[:e]


@njit(cache=True)
def prospect(kstate, rng, week, scale):
    """Remaining hours go to cold leads: lead -> prospect -> presentation.

    Each seller calls as many cold leads as its remaining minutes allow; a repeat pitch within
    ``attention_weeks`` costs trust and gets no attention; a customer with an open need who is not
    booked this week gives attention with probability ``attention`` and may accept; a customer sits
    through one presentation a week (one of the accepted sellers, at random). Returns
    ``(customer, seller)`` of booked presentations.
    """
    st = kstate.state
    p = st.params[0]
    tr = st.trust
    in_market, last_contact, busy, reads = (st.customers.in_market, st.customers.last_contact,
                                            st.customers.busy, st.customers.reads_reviews)
    knobs, cnt, left, signal = st.sellers.knobs, st.sellers.counters, st.sellers.left, st.sellers.review_signal
    mark = st.scratch.mark
    ns = len(left)
    empty = np.zeros(0, dtype=np.int64)
    n = np.zeros(ns, dtype=np.int64)
    for s in range(ns):
        n[s] = np.int64(np.floor(max(left[s], 0.0) / contact_cost(p, knobs[s])))
    if n.sum() == 0:
        return empty, empty
    c, s = cold_list(n, st, rng, week)
    k = len(c)
    spent = np.zeros(ns)
    for i in range(k):
        spent[s[i]] += contact_cost(p, knobs[s[i]])
        cnt[s[i]].leads += 1.0
        cnt[s[i]].cold_calls += 1.0
    spend(spent, left, st.sellers.left_rel)
    ac = np.empty(k, dtype=np.int64)
    as_ = np.empty(k, dtype=np.int64)
    na = 0
    gains = gain_factors(p, knobs)   # each seller's part of the contact gain, once
    for i in range(k):
        ci, si = c[i], s[i]
        recent = week - last_contact[ci, si] < p.attention_weeks
        if recent:
            t = trust_of(tr, scale, ns, ci, si)
            set_trust(tr, scale, ns, ci, si, t - p.fatigue_cost)
        factored_contact(tr, last_contact, p, knobs[si], ns, ci, si, True, False, week, scale, gains[si])
        if in_market[ci] and not recent and busy[ci] != week and rng.random() < p.attention:
            cnt[si].prospects += 1.0
            if accept(tr, reads[ci], signal[si], p, knobs[si], ns, ci, si, rng, scale):
                ac[na], as_[na] = ci, si
                na += 1
    stamp = next_stamp(st.scratch.stamp)
    bc = np.empty(na, dtype=np.int64)
    bs = np.empty(na, dtype=np.int64)
    nb = 0
    for q in permutation(rng, na):   # one presentation a week: one accepted seller at random
        ci = ac[q]
        if mark[ci] != stamp:
            mark[ci] = stamp
            bc[nb], bs[nb] = ci, as_[q]
            nb += 1
    book(st, bc, bs, nb, week)
    return bc[:nb], bs[:nb]
