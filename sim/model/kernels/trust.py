"""Trust rules: reading and writing the ledger, willingness, trust as seen, pressure, contact gain.

Owns: the one copy of each trust rule. :func:`willingness` and :func:`effective_trust` are written
so that the same body runs compiled (scalars, inside the phases) and as plain NumPy on arrays
(``willingness.py_func`` / ``effective_trust.py_func``, used by the market's vectorised diffusion
phase), so the rule exists once.

Trust is read and written exactly as :class:`~sim.model.customers.TrustLedger` stores it: float32
deviation from the customer's base divided by the shared ``scale``, clipped to [1e-6, 1 - 1e-6] on
every write, with the per-seller column sums kept up to date; :func:`decay_one_week` is the weekly
decay (the ledger's own method runs it too).

Must not: draw random numbers, spend time or count anything (the phases do that).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["decay_one_week", "trust_of", "set_trust", "willingness", "effective_trust", "with_pressure",
           "contact_minutes", "contact_cost", "contact_gain", "gain_factor", "gain_factors", "factored_gain",
           "experience_step", "contact", "factored_contact"]

TRUST_MIN, TRUST_MAX = 1e-6, 1.0 - 1e-6
"""Stored trust stays a hair inside [0, 1] so float32 storage never reads back outside it."""


@njit(cache=True)
def decay_one_week(scale, deviation, column_sums, rate):
    """Move every trust value a fraction ``rate`` of the way back to its baseline (the shared ``scale``).

    Decay is one multiply of the shared scale (``scale``: float64 (1,)); when the scale falls below
    1e-4 it is folded into the float32 deviations and reset to 1, and the column sums are recounted
    in customer order.
    """
    scale[0] *= 1.0 - rate
    if scale[0] < 1e-4:
        f = np.float32(scale[0])
        for j in range(len(deviation)):
            deviation[j] = deviation[j] * f
        scale[0] = 1.0
        ns = len(column_sums)
        for s in range(ns):
            acc = np.float64(deviation[s])
            for j in range(s + ns, len(deviation), ns):
                acc += np.float64(deviation[j])
            column_sums[s] = acc


@njit(cache=True, inline="always")
def trust_of(tr, scale, ns, c, s):
    """Trust of customer ``c`` toward seller ``s`` (``ns`` sellers, ledger arrays ``tr``)."""
    return np.float64(tr.base[c]) + scale * np.float64(tr.deviation[c * ns + s])


@njit(cache=True, inline="always")
def set_trust(tr, scale, ns, c, s, v):
    """Set one trust value: clip, store as float32 deviation, keep the seller's column sum."""
    v = min(max(v, TRUST_MIN), TRUST_MAX)
    k = c * ns + s
    new = np.float32((v - np.float64(tr.base[c])) / scale)
    tr.column_sums[s] += np.float64(new) - np.float64(tr.deviation[k])
    tr.deviation[k] = new


@njit(cache=True)
def willingness(trust, threshold, width):
    """Steep (logistic) rise of buying/referring around the trust threshold [001].

    Scalars when compiled; ``willingness.py_func`` takes NumPy arrays.
    """
    return 1.0 / (1.0 + np.exp(-(trust - threshold) / width))


@njit(cache=True)
def effective_trust(trust, reader, reviews, weight, signal):
    """Trust as a customer sees it before choosing: readers' trust shifted by the seller's rating.

    Args:
        trust: trust toward the seller(s).
        reader: whether the customer reads reviews (broadcast against ``trust`` for arrays).
        reviews: whether the market has public reviews.
        weight: ``market.review_weight``.
        signal: the seller's public rating signal (:attr:`ReviewBoard.signal`).

    Without reviews (or weight 0) trust is returned unchanged; otherwise clipped to [0, 1].
    Scalars when compiled; ``effective_trust.py_func`` takes NumPy arrays.
    """
    if not reviews or weight == 0.0:
        return trust
    return np.minimum(np.maximum(trust + reader * (weight * signal), 0.0), 1.0)


@njit(cache=True)
def with_pressure(w, pressure, lift):
    """Acceptance/close probability ``w`` lifted by the seller's ``pressure`` (``pressure_close_lift``)."""
    return w + lift * pressure * (1.0 - w)


@njit(cache=True, inline="always")
def contact_minutes(p, k):
    """Length of one conversation: the seller's minutes plus the listening genuine interest takes.

    ``minutes_per_contact x (1 + listening_share x genuine_interest)``: an interested seller lets the
    customer talk, so the same message takes longer.
    """
    return k.minutes_per_contact * (1.0 + p.listening_share * k.genuine_interest)


@njit(cache=True, inline="always")
def contact_cost(p, k):
    """Minutes one contact takes from the week: the conversation plus the log entry (``log_minutes x keeps_log``)."""
    return contact_minutes(p, k) + p.log_minutes * k.keeps_log


@njit(cache=True, inline="always")
def gain_factor(p, k):
    """The seller's part of :func:`contact_gain` (all of it but ``(1 - t)`` and the log bonus), per seller.

    ``trust_gain_per_minute x tau x (1 - exp(-d / tau)) x genuine_interest``, multiplied in the same
    order as :func:`contact_gain`, so ``gain_factor(p, k) x (1 - t)`` is the very same number; a
    phase computes it once per seller (:func:`gain_factors`) instead of once per contact.
    """
    tau = p.contact_saturation_minutes
    d = contact_minutes(p, k)
    return p.trust_gain_per_minute * tau * (1.0 - np.exp(-d / tau)) * k.genuine_interest


@njit(cache=True)
def gain_factors(p, knobs):
    """:func:`gain_factor` of every seller (``knobs``: the sellers' knob records)."""
    out = np.empty(len(knobs))
    for s in range(len(knobs)):
        out[s] = gain_factor(p, knobs[s])
    return out


@njit(cache=True, inline="always")
def factored_gain(factor, t, logged, p, k):
    """:func:`contact_gain` from the seller's :func:`gain_factor` (the same number, without its ``exp``)."""
    g = factor * (1.0 - t)
    if logged:
        g = g * (1.0 + p.log_bonus * k.keeps_log)
    return g


@njit(cache=True, inline="always")
def contact_gain(t, logged, p, k):
    """Trust gained in one contact by a genuinely interested seller (more with a customer log).

    Concave in the conversation's minutes ``d`` (diminishing returns, attention runs out [003]):
    ``trust_gain_per_minute x tau x (1 - exp(-d / tau)) x genuine_interest x (1 - t)`` with
    ``tau = contact_saturation_minutes``: the first minutes gain ``trust_gain_per_minute`` each, a
    contact never gains more than ``trust_gain_per_minute x tau``. Times ``1 + log_bonus x keeps_log``
    for contacts with the seller's own customers. ``p`` is the market's parameter record, ``k`` the
    seller's knob record.
    """
    return factored_gain(gain_factor(p, k), t, logged, p, k)


@njit(cache=True)
def experience_step(t, v, weight):
    """Trust after an experience ``v`` (satisfaction relative to neutral, ``2 (sat - neutral)``).

    ``t + weight x v x 4 t (1 - t)``: the same headroom factor for good and bad experiences, so an
    experience that is neutral on average leaves trust unchanged on average; largest moves at
    ``t = 0.5``, none at the bounds.
    """
    return t + weight * v * 4.0 * t * (1.0 - t)


@njit(cache=True, inline="always")
def contact(tr, last_contact, p, k, ns, c, s, pitch, logged, week, scale):
    """One conversation: interest builds trust, pressure on a pitch costs it; logs the contact week.

    ``tr`` is the trust ledger, ``p`` the market's parameter record and ``k`` seller ``s``'s knob
    record (arrays and records rather than the whole state keep the compiled loops lean).
    """
    factored_contact(tr, last_contact, p, k, ns, c, s, pitch, logged, week, scale, gain_factor(p, k))


@njit(cache=True, inline="always")
def factored_contact(tr, last_contact, p, k, ns, c, s, pitch, logged, week, scale, factor):
    """:func:`contact` with seller ``s``'s :func:`gain_factor` computed beforehand (once a phase, not a contact)."""
    t = trust_of(tr, scale, ns, c, s)
    new = t + factored_gain(factor, t, logged, p, k)
    if pitch:
        new = new - p.pressure_trust_cost * k.pressure
    set_trust(tr, scale, ns, c, s, new)
    last_contact[c, s] = week
