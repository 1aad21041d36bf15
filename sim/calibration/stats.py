"""Small statistics the calibration layer shares: weighted quantiles and intervals over replicates.

Must not: run anything or know what the numbers mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..model.comparison import mean_interval  # the one t-interval of the project (re-exported here)

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
