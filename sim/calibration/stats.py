"""Small statistics the calibration layer shares: weighted quantiles and intervals over replicates.

Must not: run anything or know what the numbers mean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["weighted_quantile", "mean_interval", "spread"]


def weighted_quantile(values: Sequence[float], weights: Sequence[float] | None, q: float) -> float | None:
    """The ``q`` quantile of ``values`` under ``weights`` (midpoint rule; None when empty)."""
    v = np.asarray(values, dtype=float)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float)
    keep = np.isfinite(v) & (w > 0)
    v, w = v[keep], w[keep]
    if len(v) == 0:
        return None
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cum, v))


def spread(values: Sequence[float], weights: Sequence[float] | None = None) -> dict[str, float | None]:
    """Median and the 5-95% range of ``values`` (weighted)."""
    return {"median": weighted_quantile(values, weights, 0.5), "low": weighted_quantile(values, weights, 0.05),
            "high": weighted_quantile(values, weights, 0.95)}


def mean_interval(values: Sequence[float]) -> dict[str, float | None]:
    """Mean and 95% t-interval of the mean (the interval is the mean itself for a single value)."""
    from scipy import stats

    arr = np.asarray([v for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr)]
    if len(arr) == 0:
        return {"mean": None, "low": None, "high": None}
    mean = float(arr.mean())
    if len(arr) < 2:
        return {"mean": mean, "low": mean, "high": mean}
    half = float(stats.t.ppf(0.975, len(arr) - 1) * arr.std(ddof=1) / math.sqrt(len(arr)))
    return {"mean": mean, "low": mean - half, "high": mean + half}
