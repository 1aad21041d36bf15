"""What a validation check returns: table rows, a result, and intervals over replicates.

Owns :class:`CheckResult` (one per check: the rows of the results table and the data behind the
report text and figures), :class:`Row`, :class:`Stat` (a mean with its 95% interval) and
:func:`interval`. Intervals are 95% t-intervals of the mean over replicates
(:func:`sim.model.runner.mean_interval`); :func:`nonnegative` gives the percentile-bootstrap interval
of a non-negative figure (:func:`sim.model.comparison.nonnegative_interval`), which never goes below zero.

Must not run the model, format report sections or draw figures: every check module and the report
modules build on these types, so this module imports nothing else from :mod:`sim.validation`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.model.comparison import nonnegative_interval
from sim.model.runner import mean_interval

__all__ = ["CheckResult", "Row", "Stat", "interval", "nonnegative"]


@dataclass(frozen=True)
class Stat:
    """Mean and 95% t-interval of the mean over ``n`` replicates."""

    mean: float
    low: float
    high: float
    n: int

    def fmt(self, digits: int = 3, pct: bool = False, signed: bool = False) -> str:
        """``'0.897 [0.890, 0.905]'`` (or as percentages with ``pct``)."""
        scale, unit = (100.0, "%") if pct else (1.0, "")
        sign = "+" if signed else ""
        m, lo, hi = (round(v * scale, digits) + 0.0 for v in (self.mean, self.low, self.high))
        return f"{m:{sign},.{digits}f}{unit} [{lo:{sign},.{digits}f}{unit}, {hi:{sign},.{digits}f}{unit}]"

    def excludes(self, value: float) -> bool:
        """True when ``value`` lies outside the interval."""
        return value < self.low or value > self.high


def _stat(values: Sequence[float], summarise: Callable[[list[float]], dict]) -> Stat:
    """:class:`Stat` of the finite ``values``, summarised by ``summarise`` (mean, low, high)."""
    arr = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    s = summarise(arr)
    if s["mean"] is None:
        return Stat(math.nan, math.nan, math.nan, 0)
    return Stat(float(s["mean"]), float(s["low"]), float(s["high"]), len(arr))


def interval(values: Sequence[float]) -> Stat:
    """:class:`Stat` of finite ``values`` (mean and 95% t-interval)."""
    return _stat(values, mean_interval)


def nonnegative(values: Sequence[float]) -> Stat:
    """:class:`Stat` of finite non-negative ``values``: mean and 95% percentile-bootstrap interval (never below 0)."""
    return _stat(values, nonnegative_interval)


@dataclass
class Row:
    """One line of the results table."""

    item: str
    target: str
    measured: str
    passed: bool | None   # None: reported for information, not a pass/fail criterion


@dataclass
class CheckResult:
    """Outcome of one check: table rows plus the data behind the report text and figures."""

    key: str
    title: str
    rows: list[Row]
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every pass/fail row passed."""
        return all(r.passed for r in self.rows if r.passed is not None)

