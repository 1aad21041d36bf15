"""Time budget rules: charging minutes, choosing which tasks fit, booking presentation time.

Owns: how minutes are spent (the customer-time budget never exceeds the total left), which of a
set of wanted tasks fit into each seller's minutes (random order, running sum), and reserving a
presentation's time (marking the customer busy for the week).

Must not: change trust, draw anything except the order in which tasks are tried, or count funnel
stages (the phases do that).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .draws import permutation

__all__ = ["spend", "within_budget", "book", "next_stamp"]

SLACK = 1e-9
"""Rounding slack when comparing minutes wanted with minutes available."""


@njit(cache=True)
def spend(spent, left, left_rel):
    """Charge ``spent`` minutes per seller; the customer-time budget never exceeds the total left."""
    for s in range(len(left)):
        left[s] -= spent[s]
        left_rel[s] = min(left_rel[s] - spent[s], left[s])


@njit(cache=True)
def within_budget(wanted, sel, cost, avail, rng):
    """Which wanted tasks fit: each seller takes its tasks in random order until minutes run out.

    Args:
        wanted: bool per task.
        sel: seller of each task.
        cost: minutes of each task.
        avail: minutes available per seller.
        rng: the model's generator (a permutation is drawn only when some seller is short of time).

    Returns:
        bool per task: done.
    """
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
        if demand[s] > avail[s] + SLACK:
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
    for q in permutation(rng, m):
        j = idx[q]
        used[sel[j]] += cost[j]          # cumulative in the random order, as a running sum
        if used[sel[j]] <= avail[sel[j]] + SLACK:
            done[j] = True
    return done


@njit(cache=True)
def book(st, c, s, k, week):
    """Reserve presentation time for the first ``k`` entries now (held together at the end of the week)."""
    left, left_rel = st.sellers.left, st.sellers.left_rel
    busy = st.customers.busy
    minutes = st.params[0].presentation_minutes
    spent = np.zeros(len(left))
    for i in range(k):
        spent[s[i]] += minutes
        busy[c[i]] = week
    spend(spent, left, left_rel)


@njit(cache=True)
def next_stamp(stamp):
    """A fresh stamp for one-entry-per-customer marks (``mark[c] == stamp`` means seen)."""
    stamp[0] += 1
    return stamp[0]
