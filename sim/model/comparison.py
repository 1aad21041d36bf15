"""The one definition of how two strategies are compared, and of how sure a number over replicates is.

Owns three rules that the summary, the command line, the notebooks, the dashboard and the report
all follow (:mod:`sim.narrate` words them; nothing else computes them):

* **Which pair** (:func:`compared_pair`): every ratio, difference and crossover is ``relationship``
  over ``numbers_game``, by strategy name, whatever order the sellers are listed in. A scenario
  without both preset names compares its second group over its first, and its summary says so
  (``compared: [numerator, denominator]``).
* **Intervals over replicates** (95%), one rule per kind of number:

  - a *non-negative* quantity (revenues, counts, shares, ratings, weeks):
    :func:`nonnegative_interval`, the mean with a percentile-bootstrap interval (the 2.5th and
    97.5th percentiles of the mean over :data:`BOOTSTRAP` resamples of the runs, drawn with the
    fixed seed :data:`BOOTSTRAP_SEED`, so the same runs always give the same interval). It lies
    inside the range of the runs, so it never goes below zero;
  - a *ratio* of two non-negative quantities: :func:`ratio_interval`, the ratio of the two means
    with the percentile-bootstrap interval of its logarithm (the runs resampled in pairs, the same
    resamples as above), exponentiated: never below zero, and (when no resampled mean is zero) the
    interval of ``b / a`` is the inverse of that of ``a / b``;
  - a *signed* quantity (a difference, a log ratio): :func:`mean_interval`, the mean with the
    Student-t interval.

  In a replicate summary a number is non-negative unless its name is in :data:`SIGNED` or one of
  its values is negative. With few replicates (under about 10) a percentile interval is somewhat
  narrower than a t-interval would be; a verdict therefore rests on the t-interval of the difference.
* **The verdict** (:func:`compare_runs`): the numerator is clearly *ahead* (``behind``) when the
  t-interval of the per-run difference lies above (below) zero and the ratio's interval excludes
  one; ``"unclear"`` otherwise (said as "no clear winner", never as a lead); ``"level"`` when no
  run differs; ``"one run"`` for a single run (never a verdict: who is ahead in that one run only).

Must not: run the model, word anything or import the narration, experiments or plots.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "RATIO_PAIR", "SIGNED", "BOOTSTRAP", "BOOTSTRAP_SEED", "compared_pair", "log_revenue_ratio", "mean_interval",
    "nonnegative_interval", "ratio_interval", "summary_interval", "compare_runs", "one_run_leader", "NO_LEADER",
]

RATIO_PAIR: tuple[str, str] = ("relationship", "numbers_game")
"""``(numerator, denominator)`` of every ratio and difference when both presets take part."""
SIGNED: frozenset[str] = frozenset({"log_revenue_ratio", "difference"})
"""Summary numbers that may be negative: their interval is the t-interval (:func:`mean_interval`)."""
BOOTSTRAP = 4000
"""Resamples of the runs behind a percentile-bootstrap interval."""
BOOTSTRAP_SEED = 20_240_601
"""Seed of the resampling, fixed so the same runs always give the same interval."""
NO_LEADER = "none"
"""The leader label when there is none: no clear winner over replicates, or level."""

Interval = dict[str, float | None]


def compared_pair(names: Sequence[str]) -> tuple[str, str] | None:
    """``(numerator, denominator)``: :data:`RATIO_PAIR` if both presets take part, else the second group over the first.

    Args:
        names: the strategy names of the seller groups, in config order.

    Returns:
        The pair, or None with fewer than two strategies.
    """
    names = list(dict.fromkeys(str(n) for n in names))
    if all(n in names for n in RATIO_PAIR):
        return RATIO_PAIR
    return (names[1], names[0]) if len(names) >= 2 else None


def log_revenue_ratio(numerator_revenue: float, denominator_revenue: float, price: float) -> float:
    """``log((numerator + price) / (denominator + price))`` per seller: one sale added on both sides.

    The summary's ``log_revenue_ratio`` (the sweeps' headline outcome): finite even when a side sells
    nothing, positive when the numerator earns more, about ``log(revenue_ratio)`` when both sell a lot.
    """
    return float(math.log((numerator_revenue + price) / (denominator_revenue + price)))


def _finite(values: Sequence[float | None]) -> np.ndarray:
    arr = np.asarray([float(v) for v in values if v is not None], dtype=float)
    return arr[np.isfinite(arr)]


def mean_interval(values: Sequence[float | None]) -> Interval:
    """Mean and 95% Student-t interval of the mean of the finite ``values`` (for signed quantities).

    One value gives ``low == high == mean``; none gives Nones.
    """
    from scipy import stats

    arr = _finite(values)
    if len(arr) == 0:
        return {"mean": None, "low": None, "high": None}
    mean = float(arr.mean())
    if len(arr) < 2:
        return {"mean": mean, "low": mean, "high": mean}
    half = float(stats.t.ppf(0.975, len(arr) - 1) * arr.std(ddof=1) / math.sqrt(len(arr)))
    return {"mean": mean, "low": mean - half, "high": mean + half}


@lru_cache(maxsize=64)
def _resamples(n: int) -> np.ndarray:
    """The bootstrap's run indices for ``n`` runs: the same for every quantity, so pairs stay paired."""
    return np.random.default_rng(BOOTSTRAP_SEED).integers(0, n, size=(BOOTSTRAP, n))


def _percentiles(draws: np.ndarray) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles as order statistics the same distance from either end (no interpolation).

    Symmetric on purpose: the interval of ``-x`` is minus that of ``x``, so the interval of ``b / a``
    is exactly the inverse of that of ``a / b``.
    """
    ordered = np.sort(draws)
    k = int(0.025 * len(ordered))
    return float(ordered[k]), float(ordered[len(ordered) - 1 - k])


def nonnegative_interval(values: Sequence[float | None]) -> Interval:
    """Mean and 95% percentile-bootstrap interval of the finite ``values`` (for non-negative quantities).

    The interval lies within the range of the values, so it never goes below zero for values that
    do not; deterministic (fixed resampling seed). One value gives ``low == high == mean``.
    """
    arr = _finite(values)
    if len(arr) == 0:
        return {"mean": None, "low": None, "high": None}
    mean = float(arr.mean())
    if len(arr) < 2 or np.all(arr == arr[0]):
        return {"mean": mean, "low": mean, "high": mean}
    low, high = _percentiles(arr[_resamples(len(arr))].mean(axis=1))
    return {"mean": mean, "low": min(low, mean), "high": max(high, mean)}


def ratio_interval(numerators: Sequence[float | None], denominators: Sequence[float | None]) -> Interval:
    """``mean(numerators) / mean(denominators)`` over the runs where both are known, with its 95% interval.

    The interval is the percentile-bootstrap interval of the log of the ratio (runs resampled in
    pairs; resamples whose denominators all are zero are left out), exponentiated, so it never goes
    below zero. None throughout when the denominators' mean is not positive; one run gives
    ``low == high == ratio``.
    """
    pairs = [(float(a), float(b)) for a, b in zip(numerators, denominators, strict=True)
             if a is not None and b is not None and math.isfinite(float(a)) and math.isfinite(float(b))]
    x, y = np.asarray([p[0] for p in pairs], dtype=float), np.asarray([p[1] for p in pairs], dtype=float)
    if len(x) == 0 or y.mean() <= 0 or x.mean() < 0:
        return {"mean": None, "low": None, "high": None}
    ratio = float(x.mean() / y.mean())
    if len(x) < 2:
        return {"mean": ratio, "low": ratio, "high": ratio}
    idx = _resamples(len(x))
    num, den = x[idx].mean(axis=1), y[idx].mean(axis=1)
    keep = den > 0
    with np.errstate(divide="ignore"):
        logs = np.log(num[keep]) - np.log(den[keep])
    low, high = _percentiles(logs)
    return {"mean": ratio, "low": min(math.exp(low), ratio), "high": max(math.exp(high), ratio)}


def summary_interval(key: str, values: Sequence[float | None]) -> Interval:
    """Interval of summary number ``key`` over replicates: t for :data:`SIGNED` or negative values, else bootstrap."""
    arr = _finite(values)
    if key in SIGNED or (arr < 0).any():
        return mean_interval(values)
    return nonnegative_interval(values)


def _value(run: Mapping[str, Any], name: str, metric: str) -> float | None:
    node = run.get("strategies", {}).get(name, {})
    x = node.get(metric) if isinstance(node, Mapping) else None
    if isinstance(x, Mapping):
        x = x.get("mean")
    try:
        x = float(x) if x is not None else None
    except (TypeError, ValueError):
        return None
    return x if x is not None and math.isfinite(x) else None


def one_run_leader(numerator: str, denominator: str, a: float | None, b: float | None) -> str:
    """Who is ahead in one run (``a``: numerator's value, ``b``: denominator's); :data:`NO_LEADER` when level."""
    a, b = a or 0.0, b or 0.0
    return numerator if a > b else (denominator if b > a else NO_LEADER)


def compare_runs(runs: Sequence[Mapping[str, Any]], metric: str, pair: tuple[str, str]) -> dict[str, Any]:
    """Compare two strategies on a per-seller summary number over runs (each run one simulated market).

    Args:
        runs: per-run summaries (``Results.runs``).
        metric: a per-strategy summary key (``revenue_total``, ``revenue_year1``, ``referrals_total``, ...).
        pair: ``(numerator, denominator)``, normally :func:`compared_pair`.

    Returns:
        Plain values: ``metric``, ``numerator``, ``denominator``, ``runs`` (runs where both are known),
        each strategy's ``{mean, low, high}`` under its name (non-negative rule), ``difference``
        (numerator minus denominator per run, t-interval), ``ratio`` (:func:`ratio_interval`),
        ``ahead`` / ``behind`` (runs in which the numerator earns more / less), ``verdict`` and
        ``winner`` (the clear winner's name, or None).
    """
    first, second = pair
    both = [(a, b) for a, b in ((_value(r, first, metric), _value(r, second, metric)) for r in runs)
            if a is not None and b is not None]
    a, b = [p[0] for p in both], [p[1] for p in both]
    diff = mean_interval([x - y for x, y in both])
    ratio = ratio_interval(a, b)
    ahead, behind = sum(x > y for x, y in both), sum(x < y for x, y in both)
    if ahead == 0 and behind == 0:
        verdict = "level"
    elif len(both) < 2:
        verdict = "one run"
    elif diff["low"] > 0 and (ratio["low"] is None or ratio["low"] > 1):
        verdict = "ahead"
    elif diff["high"] < 0 and (ratio["high"] is None or ratio["high"] < 1):
        verdict = "behind"
    else:
        verdict = "unclear"

    def values(v: list[float]) -> Interval:
        return nonnegative_interval(v) if all(x >= 0 for x in v) else mean_interval(v)

    return {"metric": metric, "numerator": first, "denominator": second, "runs": len(both),
            first: values(a), second: values(b), "difference": diff, "ratio": ratio, "ahead": ahead,
            "behind": behind, "verdict": verdict, "winner": {"ahead": first, "behind": second}.get(verdict)}
