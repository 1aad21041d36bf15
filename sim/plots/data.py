"""Per-seller tables the figures draw from the weekly table (``Results.timeseries``).

Owns the reshaping shared by several figures: strategy order, number of replicates, per-seller
totals and mean curves with a 95% band over replicates. Must not draw anything or import
matplotlib; it knows the weekly table's column names, not the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["strategies", "n_runs", "per_seller_totals", "curves"]


def strategies(df: pd.DataFrame) -> list[str]:
    """Strategy names in order of first appearance (config order: incumbent first)."""
    return [str(s) for s in pd.unique(df["strategy"].astype(str))]


def n_runs(df: pd.DataFrame) -> int:
    """Number of replicates in the table (1 without a ``replicate`` column)."""
    return int(df["replicate"].nunique()) if "replicate" in df.columns else 1


def per_seller_totals(df: pd.DataFrame, columns: list[str], weeks: int | None = None,
                      by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per-seller sums of ``columns``, averaged over sellers (and replicates) of each strategy.

    Returns a table indexed by ``by + ("strategy",)``.
    """
    sub = df if weeks is None else df[df["week"] <= weeks]
    keys = (["replicate"] if "replicate" in sub.columns else []) + list(by) + ["strategy", "seller"]
    sums = sub.groupby(keys, observed=True)[columns].sum()
    return sums.groupby(list(by) + ["strategy"], observed=True).mean()


def curves(df: pd.DataFrame, column: str, band: str) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """Per-seller mean of ``column`` by week and strategy, with a 95% band over replicates if any.

    ``band`` is ``"ci"`` (confidence interval of the mean) or ``"percentile"`` (2.5–97.5 percentiles).
    """
    if n_runs(df) < 2:
        curve = df.pivot_table(index="week", columns="strategy", values=column, aggfunc="mean", observed=True)
        return curve, None, None
    per_run = df.groupby(["replicate", "week", "strategy"], observed=True)[column].mean().unstack("strategy")
    g = per_run.groupby(level="week")
    mean = g.mean()
    if band == "percentile":
        return mean, g.quantile(0.025), g.quantile(0.975)
    from scipy import stats

    n = g.count()
    half = stats.t.ppf(0.975, (n - 1).clip(lower=1)) * g.std(ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half

