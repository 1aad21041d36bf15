"""The per-seller tables of :mod:`sim.plots.data`, computed with NumPy for the live figures.

Owns :class:`WeeklyTable`: the weekly table (``Results.timeseries``) with its group keys (replicate,
week, strategy, seller) turned into integer codes once, and :meth:`~WeeklyTable.curves` and
:meth:`~WeeklyTable.yearly_totals`, which give the same tables as :func:`sim.plots.data.curves` and
the per-year :func:`sim.plots.data.per_seller_totals` (equal to rounding: sums in another order),
in a fraction of pandas' time (a slider move in the dashboard draws four curves and a source table).

Must not: draw anything, import matplotlib, or know the model (only the weekly table's column names).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import WEEKS_PER_YEAR

__all__ = ["WeeklyTable"]


def _codes(column: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes of a key column, and its values (in the order pandas' groupby with observed=True sorts them)."""
    codes, uniques = pd.factorize(column, sort=True)
    return codes.astype(np.int64), list(uniques)


class WeeklyTable:
    """The weekly table with integer group keys, for quick per-seller curves and totals.

    Args:
        df: the weekly table: one row per seller and week (and replicate, with a ``replicate`` column).
    """

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.week_codes, weeks = _codes(df["week"])
        self.weeks = np.asarray(weeks)
        self.strategy_codes, strategies = _codes(df["strategy"])
        self.strategies = [str(s) for s in strategies]
        if "replicate" in df.columns:
            self.replicate_codes, replicates = _codes(df["replicate"])
            self.replicates = len(replicates)
        else:
            self.replicate_codes, self.replicates = np.zeros(len(df), dtype=np.int64), 1
        self.seller_codes, sellers = _codes(df["seller"])
        self.sellers = len(sellers)

    def _values(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        x = self.df[column].to_numpy(dtype=float)
        ok = ~np.isnan(x)
        return np.where(ok, x, 0.0), ok.astype(float)

    def curves(self, column: str) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
        """As :func:`sim.plots.data.curves` with ``band="ci"``: mean by week and strategy, 95% CI over replicates."""
        r, w, s = self.replicates, len(self.weeks), len(self.strategies)
        values, ok = self._values(column)
        key = (self.replicate_codes * w + self.week_codes) * s + self.strategy_codes
        sums = np.bincount(key, weights=values, minlength=r * w * s).reshape(r, w, s)
        counts = np.bincount(key, weights=ok, minlength=r * w * s).reshape(r, w, s)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_run = sums / counts                         # mean over the sellers of each run, week and strategy
            index = pd.Index(self.weeks, name="week")
            columns = pd.Index(self.strategies, name="strategy")
            if r < 2:
                mean = pd.DataFrame(per_run[0], index=index, columns=columns)
                return mean.loc[:, mean.notna().any()], None, None
            n = (~np.isnan(per_run)).sum(axis=0)
            centre = np.nansum(per_run, axis=0) / n
            sd = np.sqrt(np.nansum((per_run - centre) ** 2, axis=0) / (n - 1))
            sd[n < 2] = np.nan
            from scipy import stats

            half = stats.t.ppf(0.975, np.clip(n - 1, 1, None)) * sd / np.sqrt(n)
        observed = counts.sum(axis=(0, 1)) > 0              # groupby(observed=True): strategies with rows
        frame = lambda a: pd.DataFrame(a[:, observed], index=index, columns=columns[observed])  # noqa: E731
        return frame(centre), frame(centre - half), frame(centre + half)

    def yearly_totals(self, columns: list[str], names: list[str]) -> tuple[np.ndarray, dict[str, pd.DataFrame]]:
        """As :func:`sim.plots.sources.source_table`: years 1, 2, ... and per strategy the per-seller sums by year."""
        year_codes = (self.weeks[self.week_codes] - 1) // WEEKS_PER_YEAR       # 0 = year 1
        n_years = int(year_codes.max()) + 1 if len(year_codes) else 0
        years = np.arange(1, n_years + 1)
        r, y, s, p = self.replicates, n_years, len(self.strategies), self.sellers
        key = ((self.replicate_codes * y + year_codes) * s + self.strategy_codes) * p + self.seller_codes
        rows = np.bincount(key, minlength=r * y * s * p).reshape(r, y, s, p)
        groups = (rows > 0).sum(axis=(0, 3))                # observed (run, seller) groups per year and strategy
        out: dict[str, pd.DataFrame] = {}
        sums = {}
        for col in columns:
            values, _ok = self._values(col)
            total = np.bincount(key, weights=values, minlength=r * y * s * p).reshape(r, y, s, p).sum(axis=(0, 3))
            with np.errstate(invalid="ignore", divide="ignore"):
                sums[col] = np.where(groups > 0, total / np.maximum(groups, 1), 0.0)
        for name in names:
            i = self.strategies.index(name) if name in self.strategies else None
            data = {col: sums[col][:, i] if i is not None else np.zeros(n_years) for col in columns}
            out[name] = pd.DataFrame(data, index=years, columns=columns)
        return years, out
